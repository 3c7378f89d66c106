//! The `keyward` binary's command line: headless setup and help.

use std::io::Write;
use std::process::{Command, Stdio};

fn keyward(db: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("KEYWARD_SECRET", "cli-test-secret-cli-test-secret-0123456")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn setup_runs_headless_once_and_refuses_bad_input() {
    let dir = std::env::temp_dir().join(format!("keyward-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let setup = ["setup", "--workspace", "Acme", "--email", "ops@example.com"];

    let short = keyward(&db, &setup, "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10 characters"));

    let ok = keyward(&db, &setup, "correct horse battery staple\n");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Created workspace"));

    let again = keyward(&db, &setup, "correct horse battery staple\n");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already set up"));
}

#[test]
fn help_explains_how_to_run_a_release_binary() {
    let out = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("LEPTOS_SITE_ROOT"), "{help}");
    assert!(help.contains("DATABASE_URL"), "{help}");
}

#[test]
fn admin_grant_makes_an_account_an_instance_admin() {
    let dir = std::env::temp_dir().join(format!("keyward-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite:{}", dir.join("k.db").display());
    let setup = ["setup", "--workspace", "Acme", "--email", "ops@example.com"];
    assert!(keyward(&db, &setup, "correct horse battery staple\n")
        .status
        .success());
    let unknown = keyward(&db, &["admin", "grant", "nobody@example.com"], "");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("No account"));
    // A second account, as an invitation would make it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admins = |sql: &'static str| {
        let db = db.clone();
        rt.block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&db).await.unwrap();
            if sql.starts_with("INSERT") {
                sqlx::query(sql).execute(&pool).await.unwrap();
                return 0;
            }
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
            n
        })
    };
    admins("INSERT INTO users (id, email, password_hash, created_at) VALUES ('u2', 'ana@example.com', NULL, 0)");
    assert_eq!(
        admins("SELECT COUNT(*) FROM users WHERE instance_admin <> 0"),
        1
    );
    let granted = keyward(&db, &["admin", "grant", "ana@example.com"], "");
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    assert_eq!(
        admins("SELECT COUNT(*) FROM users WHERE instance_admin <> 0"),
        2
    );
    assert_eq!(
        admins("SELECT COUNT(*) FROM audit_events WHERE action = 'instance.admin_granted' AND address = 'cli'"),
        1
    );
}
