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

/// A SQLite file of its own for one test.
fn fresh_database() -> String {
    let dir = std::env::temp_dir().join(format!("keyward-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite:{}", dir.join("k.db").display())
}

#[test]
fn setup_runs_headless_once_and_refuses_bad_input() {
    let db = fresh_database();
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
    let db = fresh_database();
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

/// `KEYWARD_LOG_FORMAT=json`: the served binary writes one JSON object per line, and each
/// answered request has its line with the matched route and status, never the query.
#[tokio::test]
async fn request_logs_are_json_lines_on_request() {
    use std::io::{BufRead, BufReader};
    let db = fresh_database();
    let dir = std::path::PathBuf::from(db.trim_start_matches("sqlite:"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .env("DATABASE_URL", &db)
        .env("KEYWARD_SECRET", "cli-test-secret-cli-test-secret-0123456")
        .env("KEYWARD_ADDR", "127.0.0.1:0")
        .env("KEYWARD_LOG_FORMAT", "json")
        .env("LEPTOS_SITE_ROOT", dir.display().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The server is another process: reading its output here blocks nothing it needs.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .unwrap();
        if let Some(a) = line.strip_prefix("Keyward is running at ") {
            break a.to_string();
        }
    };
    let res = reqwest::get(format!("{address}/api/v1/me?key=kw_svc_nope"))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let line = loop {
        let line = lines.next().expect("a request line").unwrap();
        if line.contains("keyward::request") {
            break line;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let entry: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(entry["route"], "/api/v1/me", "{entry}");
    assert_eq!(entry["status"], 401, "{entry}");
    assert_eq!(entry["method"], "GET", "{entry}");
    assert_eq!(
        entry["request_id"].as_str().map(str::len),
        Some(36),
        "{entry}"
    );
    assert!(!line.contains("nope"), "the query reached the log: {line}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn audit_verify_passes_an_intact_log_and_names_an_edited_event() {
    let db = fresh_database();
    let setup = ["setup", "--workspace", "Acme", "--email", "ops@example.com"];
    assert!(keyward(&db, &setup, "correct horse battery staple\n")
        .status
        .success());
    let intact = keyward(&db, &["audit", "verify"], "");
    let out = String::from_utf8_lossy(&intact.stdout);
    assert!(intact.status.success(), "{out}");
    assert!(out.contains("Audit log intact: 1 events"), "{out}");

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db).await.unwrap();
    for sql in [
        "DROP TRIGGER audit_events_no_update",
        "UPDATE audit_events SET address = '10.0.0.1' WHERE seq = 1",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let broken = keyward(&db, &["audit", "verify"], "");
    assert!(!broken.status.success());
    let out = String::from_utf8_lossy(&broken.stdout);
    assert!(
        out.contains("Audit log broken at event 1: it was changed after it was recorded"),
        "{out}"
    );
    assert!(String::from_utf8_lossy(&broken.stderr).contains("1 of 1 audit chains are broken"));
}

/// What a finished command printed, or its error.
fn ran(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// Two workers: the command line tool is waited for synchronously, and the running instance
// must go on meanwhile (on one thread it would stall inside a write and hold the lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_lists_shows_and_revokes_keys_and_running_instances_follow() {
    use crate::helpers::*;
    let app = spawn_app().await;
    let db = app.database_url.clone();
    let owner = app.setup_owner().await;
    let developer = app.add_member("dev@example.com", "developer").await;
    let (ci, _) = app.read_only_key(&owner, "ci deploy").await;
    let (dev_one, _) = app.read_only_key(&developer, "dev one").await;
    let (dev_two, _) = app.read_only_key(&developer, "dev two").await;
    let ci_key_id = &ci[7..15];

    // Lists: one JSON object per key, never a secret or digest.
    let listed = ran(&keyward(&db, &["keys", "list", "--json"], ""));
    let keys: Vec<serde_json::Value> = listed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(keys.len(), 3, "{listed}");
    assert_eq!(keys[0]["name"], "ci deploy");
    assert_eq!(keys[0]["status"], "active");
    for secret in [&ci, &dev_one, &dev_two] {
        assert!(!listed.contains(&secret[16..]), "a secret was printed");
    }
    assert!(!listed.contains("digest"));
    let text = ran(&keyward(&db, &["keys", "list"], ""));
    assert_eq!(text.lines().count(), 3);
    let shown = ran(&keyward(&db, &["keys", "show", ci_key_id], ""));
    assert!(
        shown.contains("ci deploy") && shown.contains("owner@example.com"),
        "{shown}"
    );
    let unknown = keyward(&db, &["keys", "show", "Zz000000"], "");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("No key has the key id"));

    // A revocation reaches the running instance within a second.
    assert!(app.works(&ci).await);
    let revoked = ran(&keyward(&db, &["keys", "revoke", ci_key_id, "--json"], ""));
    let revoked_at = std::time::Instant::now();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&revoked).unwrap(),
        serde_json::json!({"revoked": [ci_key_id]})
    );
    while app.works(&ci).await {
        assert!(revoked_at.elapsed() < std::time::Duration::from_secs(1));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let again = keyward(&db, &["keys", "revoke", ci_key_id], "");
    assert!(!again.status.success());

    // Everything one account owns, in every workspace.
    let all = ran(&keyward(
        &db,
        &[
            "keys",
            "revoke-all",
            "--owner",
            "DEV@example.com",
            "--reason",
            "left the team",
        ],
        "",
    ));
    assert_eq!(all.lines().count(), 2, "{all}");
    eventually("the developer's keys stop working", || async {
        !app.works(&dev_one).await && !app.works(&dev_two).await
    })
    .await;

    let members = ran(&keyward(&db, &["members", "list"], ""));
    assert!(members.contains("dev@example.com\tdeveloper"), "{members}");
    assert!(members.contains("owner@example.com\towner"), "{members}");

    // The revocations are in the log as the command line's.
    let workspace = keys[0]["workspace_id"].as_str().unwrap();
    let export = keyward(&db, &["audit", "export", "--workspace", workspace], "");
    let events = ran(&export);
    let by_cli: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["action"] == "key.revoked" && e["address"] == "cli")
        .collect();
    assert_eq!(by_cli.len(), 3, "{events}");
    assert!(by_cli.iter().any(|e| e["detail"] == "left the team"));
    assert!(by_cli
        .iter()
        .any(|e| e["detail"] == "Revoked from the command line"));
    let csv = ran(&keyward(
        &db,
        &["audit", "export", "--workspace", workspace, "--csv"],
        "",
    ));
    assert!(csv.starts_with("seq,time,actor"));

    // A backup of SQLite is a new file; PostgreSQL points to pg_dump.
    let target = std::env::temp_dir().join(format!("keyward-backup-{}.db", uuid::Uuid::new_v4()));
    let target = target.to_str().unwrap();
    let backup = keyward(&db, &["backup", target], "");
    if db.starts_with("sqlite:") {
        ran(&backup);
        let copy = keyward(&format!("sqlite:{target}"), &["keys", "list", "--json"], "");
        assert_eq!(ran(&copy).lines().count(), 3, "the copy holds the keys");
        let twice = keyward(&db, &["backup", target], "");
        assert!(String::from_utf8_lossy(&twice.stderr).contains("exists already"));
    } else {
        assert!(!backup.status.success());
        assert!(String::from_utf8_lossy(&backup.stderr).contains("pg_dump"));
    }
}
