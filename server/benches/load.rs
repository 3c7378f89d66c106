//! Load benchmark of the machine API, measured side by side in one run:
//!
//! 1. `GET /api/v1/me` with a valid key against `GET /healthz` (no credential), 1,000 keys stored;
//! 2. the same authenticated route with 1,000,000 keys stored, against (1).
//!
//! Run: `cargo bench -p server --bench load` (optional: `KEYWARD_BENCH_KEYS=1000000`,
//! `KEYWARD_BENCH_SECONDS=3`, `KEYWARD_BENCH_ROUNDS=3`, `KEYWARD_BENCH_CONCURRENCY=32`,
//! `DATABASE_URL=postgres://…` for PostgreSQL). Rounds alternate between the two routes so
//! a noisy neighbour affects both alike; the report gives medians and ratios.

use app::domain::roles::Role;
use app::domain::validate::{Email, Name, Password};
use server::config::Config;
use server::startup::Application;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Requests per second over `seconds` with `concurrency` clients.
async fn throughput(url: &str, key: Option<&str>, seconds: u64, concurrency: usize) -> f64 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, key, done, failed) = (
            client.clone(),
            url.to_string(),
            key.map(str::to_string),
            done.clone(),
            failed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let mut req = client.get(&url);
                if let Some(k) = &key {
                    req = req.header("x-keyward-api-token", k);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "requests failed during the benchmark"
    );
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Adds keys numbered `from..to`, in large multi-row inserts.
async fn add_keys(db: &app::ssr::db::Db, workspace: &str, owner: &str, from: usize, to: usize) {
    let batch = 500;
    let mut added = from;
    while added < to {
        let rows = batch.min(to - added);
        let mut tx = db.write().await.unwrap();
        let mut sql = String::from(
            "INSERT INTO api_keys (id, key_id, workspace_id, owner_id, kind, name, purpose, permissions, digest, created_at) VALUES ",
        );
        for i in 0..rows {
            let n = added + i;
            let id = uuid::Uuid::new_v4();
            // Key ids are 8 base62 characters; these are unique and never collide with a
            // generated one in practice.
            let key_id = format!("b{:07}", n);
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{id}', '{key_id}', '{workspace}', '{owner}', 'service', 'bench {n}', '', 'applications:read', '{:064x}', 0)",
                n
            ));
        }
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        added += rows;
    }
}

#[tokio::main]
async fn main() {
    let target_keys: usize = env_or("KEYWARD_BENCH_KEYS", 1_000_000);
    let seconds: u64 = env_or("KEYWARD_BENCH_SECONDS", 3);
    let rounds: usize = env_or("KEYWARD_BENCH_ROUNDS", 3);
    let concurrency: usize = env_or("KEYWARD_BENCH_CONCURRENCY", 32);
    let dir = std::env::temp_dir().join(format!("keyward-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite:{}", dir.join("bench.db").display()));
    let app = Application::build(Config::for_tests(url)).await.unwrap();
    let base = format!("http://{}", app.address());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());

    let db = &state.db;
    let (user, ws) = app::ssr::accounts::setup(
        db,
        &state.hasher,
        Name::parse("Workspace name", "Bench").unwrap(),
        Email::parse("bench@example.com").unwrap(),
        Password::parse("bench password 123".into()).unwrap(),
        "bench",
    )
    .await
    .unwrap();
    // A generous rate limit: the benchmark measures authentication, not refusals.
    let by = app::ssr::keys::KeyActor {
        user,
        workspace: ws,
        role: Role::Owner,
        address: "bench",
    };
    let new = app::ssr::keys::NewKey {
        name: Name::parse("Name", "bench").unwrap(),
        purpose: String::new(),
        kind: app::domain::secret::KeyKind::Service,
        application: None,
        agent: None,
        permissions: Role::Owner.permissions(),
        expires_at: None,
        log_bodies: false,
    };
    sqlx::query("UPDATE workspaces SET allow_never_expiring = 1")
        .execute(db.pool())
        .await
        .unwrap();
    let secret = app::ssr::keys::create(db, &state.secret, &by, new)
        .await
        .unwrap()
        .expose()
        .to_string();
    sqlx::query("UPDATE api_keys SET rate_limit_per_minute = 100000000")
        .execute(db.pool())
        .await
        .unwrap();

    let (ws_s, user_s) = (ws.to_string(), user.to_string());
    add_keys(db, &ws_s, &user_s, 0, 999).await;
    let me = format!("{base}/api/v1/me");
    let bare = format!("{base}/healthz");
    // Warm up both paths.
    throughput(&bare, None, 1, concurrency).await;
    throughput(&me, Some(&secret), 1, concurrency).await;

    let (mut bare_1k, mut auth_1k) = (vec![], vec![]);
    for _ in 0..rounds {
        bare_1k.push(throughput(&bare, None, seconds, concurrency).await);
        auth_1k.push(throughput(&me, Some(&secret), seconds, concurrency).await);
    }
    let started = Instant::now();
    add_keys(db, &ws_s, &user_s, 999, target_keys - 1).await;
    let fill = started.elapsed();
    let (mut bare_1m, mut auth_1m) = (vec![], vec![]);
    for _ in 0..rounds {
        bare_1m.push(throughput(&bare, None, seconds, concurrency).await);
        auth_1m.push(throughput(&me, Some(&secret), seconds, concurrency).await);
    }
    let (b1, a1, b2, a2) = (
        median(bare_1k),
        median(auth_1k),
        median(bare_1m),
        median(auth_1m),
    );
    println!(
        "Keyward load benchmark ({:?}, {concurrency} clients, {rounds} × {seconds} s per cell)",
        db.backend()
    );
    println!(
        "  keys stored     GET /healthz (req/s)   GET /api/v1/me (req/s)   authenticated / bare"
    );
    println!(
        "  1,000           {b1:>18.0}   {a1:>22.0}   {:>20.2}",
        a1 / b1
    );
    println!(
        "  {target_keys:<15} {b2:>18.0}   {a2:>22.0}   {:>20.2}",
        a2 / b2
    );
    println!(
        "  authenticated with {target_keys} keys / with 1,000 keys: {:.2}",
        a2 / a1
    );
    println!(
        "  (filling {} keys took {:.1} s)",
        target_keys - 1000,
        fill.as_secs_f64()
    );
}
