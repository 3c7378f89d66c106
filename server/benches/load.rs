//! Load benchmark of the machine API, measured side by side in one run:
//!
//! 1. `GET /api/v1/me` with a valid key against `GET /healthz` (no credential), 1,000 keys stored;
//! 2. the same authenticated route with 1,000,000 keys stored, against (1).
//!
//! A third column splits the cost: the same authenticated request marked as a credential-tester
//! smoke test, which skips the access log and last-use bookkeeping (and nothing else).
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

/// Requests per second over `seconds` with `concurrency` clients, sending `headers`.
async fn throughput(
    url: &str,
    headers: &[(&str, String)],
    seconds: u64,
    concurrency: usize,
) -> f64 {
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
        let (client, url, done, failed) = (
            client.clone(),
            url.to_string(),
            done.clone(),
            failed.clone(),
        );
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let mut req = client.get(&url);
                for (k, v) in &headers {
                    req = req.header(k, v);
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
    let with_key = [("x-keyward-api-token", secret.clone())];
    let unrecorded = [
        ("x-keyward-api-token", secret.clone()),
        (
            app::ssr::tester::SMOKE_HEADER,
            app::ssr::tester::smoke_token(&state),
        ),
    ];
    // Warm up every path.
    throughput(&bare, &[], 1, concurrency).await;
    throughput(&me, &with_key, 1, concurrency).await;
    throughput(&me, &unrecorded, 1, concurrency).await;

    // One round: the three cells side by side, so a noisy neighbour touches all alike.
    let measure = |rounds: usize| {
        let (bare, me, with_key, unrecorded) = (&bare, &me, &with_key, &unrecorded);
        async move {
            let (mut b, mut a, mut u) = (vec![], vec![], vec![]);
            for _ in 0..rounds {
                b.push(throughput(bare, &[], seconds, concurrency).await);
                a.push(throughput(me, with_key, seconds, concurrency).await);
                u.push(throughput(me, unrecorded, seconds, concurrency).await);
            }
            (median(b), median(a), median(u))
        }
    };
    let (b1, a1, u1) = measure(rounds).await;
    let started = Instant::now();
    add_keys(db, &ws_s, &user_s, 999, target_keys - 1).await;
    let fill = started.elapsed();
    let (b2, a2, u2) = measure(rounds).await;
    println!(
        "Keyward load benchmark ({:?}, {concurrency} clients, {rounds} × {seconds} s per cell, medians)",
        db.backend()
    );
    println!(
        "  keys stored   GET /healthz   GET /api/v1/me   authenticated / bare   without bookkeeping / bare"
    );
    println!("               (req/s)        (req/s)");
    let rows = [
        ("1,000".to_string(), b1, a1, u1),
        (target_keys.to_string(), b2, a2, u2),
    ];
    for (label, b, a, u) in rows {
        println!(
            "  {label:<13} {b:>12.0}   {a:>14.0}   {:>20.2}   {:>26.2}",
            a / b,
            u / b
        );
    }
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
