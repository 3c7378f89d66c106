//! Faults survived: the server killed with SIGKILL in the middle of a mixed load loses
//! nothing it answered — every creation, rotation and revocation is there after a restart,
//! with its audit row, and no revoked key authenticates.

use crate::helpers::*;
use app::pages::login::Login;
use leptos::server_fn::ServerFn;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The secret every process of the test shares (the one `Config::for_tests` uses), so the
/// restarted application checks the same digests.
const SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// What the load was answered, as the client saw it.
#[derive(Default)]
struct Answered {
    /// (key id, secret) of keys whose creation or rotation was answered.
    issued: Vec<(String, String)>,
    /// (key id, secret) of keys whose revocation was answered.
    revoked: Vec<(String, String)>,
    api_calls: usize,
}

/// A port nothing listens on (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn keyward() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyward"));
    c.env("KEYWARD_SECRET", SECRET)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Signs the owner in on the server at `base` and exchanges the session for a user token.
async fn owner_token(base: &str) -> String {
    let browser = Client::builder().cookie_store(true).build().unwrap();
    let res = browser
        .post(format!("{base}{}", Login::PATH))
        .form(&login(OWNER_EMAIL, OWNER_PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "sign-in: {}", res.status());
    let res = browser
        .post(format!("{base}/api/v1/auth/token"))
        .header("origin", base)
        .send()
        .await
        .unwrap();
    res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// One worker of the mixed load: creates keys, rotates and revokes some, calls the API with
/// the others, until the server stops answering.
async fn worker(base: String, token: String, answered: Arc<Mutex<Answered>>, n: usize) {
    let client = Client::new();
    let mut mine: Vec<(String, String)> = vec![];
    for i in 0.. {
        let step = (i + n) % 4;
        let sent = match (step, mine.last().cloned()) {
            (1, Some((key_id, _))) => client
                .post(format!("{base}/api/v1/user/keys/{key_id}/rotate"))
                .bearer_auth(&token)
                .json(&json!({"grace_seconds": 0}))
                .send()
                .await
                .map(|r| (r, Some(key_id))),
            (2, Some((key_id, secret))) => {
                let res = client
                    .delete(format!("{base}/api/v1/user/keys/{key_id}"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                if let Ok(r) = &res {
                    if r.status() == StatusCode::NO_CONTENT {
                        mine.pop();
                        answered.lock().unwrap().revoked.push((key_id, secret));
                    }
                }
                res.map(|r| (r, None))
            }
            (3, Some((_, secret))) => {
                let res = client
                    .get(format!("{base}/api/v1/me"))
                    .header("x-keyward-api-token", &secret)
                    .send()
                    .await;
                if res.as_ref().is_ok_and(|r| r.status() == StatusCode::OK) {
                    answered.lock().unwrap().api_calls += 1;
                }
                res.map(|r| (r, None))
            }
            _ => client
                .post(format!("{base}/api/v1/user/keys"))
                .bearer_auth(&token)
                .json(&json!({
                    "name": format!("load {n}.{i}"), "purpose": "fault test", "principal": "service",
                    "application_id": "", "agent_id": "", "preset": "custom",
                    "permissions": ["applications:read"], "expiration": "30", "expires_on": "",
                }))
                .send()
                .await
                .map(|r| (r, None)),
        };
        let Ok((res, rotated_from)) = sent else {
            return; // The server is gone.
        };
        let status = res.status();
        if status == StatusCode::CREATED || (rotated_from.is_some() && status == StatusCode::OK) {
            let Ok(body) = res.json::<Value>().await else {
                return;
            };
            let issued = (
                body["key"]["key_id"].as_str().unwrap().to_string(),
                body["secret"].as_str().unwrap().to_string(),
            );
            if rotated_from.is_some() {
                // The old secret stopped with the rotation (no grace): keep the new one.
                mine.pop();
            }
            mine.push(issued.clone());
            answered.lock().unwrap().issued.push(issued);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_it_answered() {
    let db = test_database_url().await;
    let setup = keyward()
        .args(["setup", "--workspace", "Acme", "--email", OWNER_EMAIL])
        .env("DATABASE_URL", &db)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut setup = setup;
        writeln!(setup.stdin.take().unwrap(), "{OWNER_PASSWORD}").unwrap();
        assert!(setup.wait().unwrap().success());
    }
    let addr = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{addr}");
    let mut server = keyward()
        .arg("serve")
        .env("DATABASE_URL", &db)
        .env("KEYWARD_ADDR", &addr)
        .spawn()
        .unwrap();
    let client = Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/readyz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = owner_token(&base).await;

    let answered = Arc::new(Mutex::new(Answered::default()));
    let workers: Vec<_> = (0..4)
        .map(|n| tokio::spawn(worker(base.clone(), token.clone(), answered.clone(), n)))
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    server.kill().unwrap(); // SIGKILL: no graceful shutdown, nothing flushed on the way out.
    server.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }

    // Restarted on the same database.
    let app = spawn_app_on(db).await;
    let (issued, revoked, calls) = {
        let answered = answered.lock().unwrap();
        (
            answered.issued.clone(),
            answered.revoked.clone(),
            answered.api_calls,
        )
    };
    assert!(
        issued.len() >= 4 && !revoked.is_empty(),
        "the load ran: {} issued, {} revoked",
        issued.len(),
        revoked.len()
    );
    let events = app.audit_events().await;
    let audited = |action: &str, key_id: &str| {
        events
            .iter()
            .any(|(a, target, _)| a == action && target == &format!("key:{key_id}"))
    };
    for (key_id, _) in &issued {
        let row: Option<(String,)> = sqlx::query_as("SELECT id FROM api_keys WHERE key_id = $1")
            .bind(key_id)
            .fetch_optional(app.state.db.pool())
            .await
            .unwrap();
        assert!(row.is_some(), "the answered key {key_id} is there");
        // A rotation's event names the key it replaced, and this one in its detail.
        let rotated_into = events.iter().any(|(a, _, detail)| {
            a == "key.rotated" && detail.starts_with(&format!("replaced by key:{key_id};"))
        });
        assert!(
            audited("key.created", key_id) || rotated_into,
            "the issuance of {key_id} is audited"
        );
    }
    for (key_id, secret) in &revoked {
        let (revoked_at,): (Option<i64>,) =
            sqlx::query_as("SELECT revoked_at FROM api_keys WHERE key_id = $1")
                .bind(key_id)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert!(
            revoked_at.is_some(),
            "the answered revocation of {key_id} is there"
        );
        assert!(
            audited("key.revoked", key_id),
            "the revocation of {key_id} is audited"
        );
        assert!(!app.works(secret).await, "the revoked {key_id} is refused");
    }
    eprintln!(
        "killed under load: {} issuances, {} revocations and {} API calls answered; all found after the restart",
        issued.len(),
        revoked.len(),
        calls
    );
}

/// A TCP forwarder to the database that the test can cut and restore, as a network outage
/// would: cut, it drops every open connection and refuses new ones.
struct Cable {
    addr: std::net::SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Cable {
    async fn to(target: String) -> Cable {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let cable = Cable {
            addr: listener.local_addr().unwrap(),
            up: Arc::new(true.into()),
            open: Arc::default(),
        };
        let (up, open) = (cable.up.clone(), cable.open.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up.load(Ordering::SeqCst) {
                    continue; // Dropped: refused.
                }
                let target = target.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                open.lock().unwrap().push(pipe.abort_handle());
            }
        });
        cable
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for pipe in self.open.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_503_at_once_and_recovered_from() {
    let url = test_database_url().await;
    if !url.starts_with("postgres") {
        // An embedded SQLite file has no network to lose; the PostgreSQL pass runs this.
        eprintln!("the database outage applies to PostgreSQL (KEYWARD_TEST_DB=postgres)");
        return;
    }
    // Through the cable: postgres://user:pass@HOST:PORT/db.
    let (head, rest) = url.split_once('@').unwrap();
    let (server, db) = rest.split_once('/').unwrap();
    let cable = Cable::to(server.to_string()).await;
    let app = spawn_app_on(format!("{head}@{}/{db}", cable.addr)).await;
    let owner = app.setup_owner().await;
    let (secret, _) = app.read_only_key(&owner, "through an outage").await;
    assert!(app.works(&secret).await);

    cable.cut();
    let cut = Instant::now();
    eventually_within("the outage is noticed", Duration::from_secs(5), || async {
        app.get("/readyz").await.status() == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    let noticed = cut.elapsed();
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let asked = Instant::now();
        let res = app.me(&secret).await;
        slowest = slowest.max(asked.elapsed());
        assert_eq!(
            res.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "never 200 unverified"
        );
        let body: Value = res.json().await.unwrap();
        assert!(body["message"].as_str().is_some(), "{body}");
    }
    assert!(slowest < Duration::from_millis(100), "503 in {slowest:?}");
    let page = owner
        .get(app.url("/settings/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("database is unreachable"));

    cable.restore();
    let restored = Instant::now();
    eventually_within("the service recovers", Duration::from_secs(5), || async {
        app.me(&secret).await.status() == StatusCode::OK
    })
    .await;
    let recovered = restored.elapsed();
    let page = owner
        .get(app.url("/settings/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    eprintln!(
        "outage noticed in {noticed:?}; slowest 503 {slowest:?}; recovered {recovered:?} after the database came back"
    );
    assert!(
        recovered < Duration::from_secs(2),
        "recovered in {recovered:?}"
    );
}
