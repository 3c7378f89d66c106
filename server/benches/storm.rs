//! Login-storm benchmark: does a burst of sign-ins (argon2id at full cost) starve the machine
//! API? Measured side by side in one run, in alternating rounds:
//!
//! - idle: p99 latency of `GET /api/v1/me` with a valid key, `KEYWARD_BENCH_CONCURRENCY`
//!   clients for a fixed time;
//! - storm: the same, while `KEYWARD_BENCH_SIGN_INS` accounts sign in at once (each from an
//!   address of its own, through a trusted proxy, so the per-address throttle does not refuse
//!   them).
//!
//! The report gives the storm p99 against the idle p99 (target: ≤ 2×), how many sign-ins
//! succeeded (all must: they queue for the hasher, they do not fail) and how long the storm
//! took to drain.
//!
//! Run: `cargo bench -p server --bench storm` (optional: `KEYWARD_BENCH_ROUNDS=3`,
//! `KEYWARD_BENCH_SIGN_INS=50`, `KEYWARD_BENCH_CONCURRENCY=8`, `DATABASE_URL=postgres://…`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "storm password 123";

/// Latencies of `GET /api/v1/me` from `concurrency` clients until `stop` says so.
async fn api_latencies(
    url: Arc<String>,
    secret: Arc<String>,
    concurrency: usize,
    stop: Arc<tokio::sync::Notify>,
    until: Duration,
) -> Vec<f64> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + until;
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, secret, stop) =
            (client.clone(), url.clone(), secret.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let stopped = stop.notified();
            tokio::pin!(stopped);
            while Instant::now() < deadline {
                let started = Instant::now();
                let request = client
                    .get(url.as_str())
                    .header("x-keyward-api-token", secret.as_str())
                    .send();
                tokio::select! {
                    res = request => {
                        let res = res.unwrap();
                        assert!(res.status().is_success(), "{}", res.status());
                        let _ = res.bytes().await;
                        times.push(started.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ = &mut stopped => break,
                }
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

fn p99(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[(v.len() * 99 / 100).min(v.len() - 1)]
}

fn login_path() -> String {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .find(|p| {
            p.trim_start_matches("/api/")
                .trim_end_matches(|c: char| c.is_ascii_digit())
                == "login"
        })
        .expect("the login server function")
}

#[tokio::main]
async fn main() {
    let rounds: usize = common::env_or("KEYWARD_BENCH_ROUNDS", 3);
    let sign_ins: usize = common::env_or("KEYWARD_BENCH_SIGN_INS", 50);
    let concurrency: usize = common::env_or("KEYWARD_BENCH_CONCURRENCY", 8);
    let bench = common::Bench::start_with(|config| {
        // Each sign-in comes from an address of its own, named by the (trusted) loopback proxy.
        config.trusted_proxies = vec!["127.0.0.1".into()];
        config.insecure_http = true;
    })
    .await;
    let (base, state) = (&bench.base, &bench.state);
    let db = &state.db;

    // Accounts for every round's storm, all with one password hashed once.
    let hash = state
        .hasher
        .hash(&domain::validate::Password::parse(PASSWORD.into()).unwrap())
        .await
        .unwrap();
    for n in 0..rounds * sign_ins {
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, 0)",
        )
        .bind(&id)
        .bind(format!("storm{n}@example.com"))
        .bind(&hash)
        .execute(db.pool())
        .await
        .unwrap();
        sqlx::query("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'viewer', 0)")
            .bind(&bench.workspace)
            .bind(&id)
            .execute(db.pool())
            .await
            .unwrap();
    }

    let url = Arc::new(format!("{base}/api/v1/me"));
    let secret = Arc::new(bench.secret.clone());
    let login = Arc::new(format!("{base}{}", login_path()));
    let window = Duration::from_secs(common::env_or("KEYWARD_BENCH_SECONDS", 4));
    // Warm up.
    api_latencies(
        url.clone(),
        secret.clone(),
        concurrency,
        Arc::new(tokio::sync::Notify::new()),
        Duration::from_secs(1),
    )
    .await;

    let (mut idle, mut storm, mut drained, mut succeeded) = (vec![], vec![], vec![], 0);
    for round in 0..rounds {
        let quiet = api_latencies(
            url.clone(),
            secret.clone(),
            concurrency,
            Arc::new(tokio::sync::Notify::new()),
            window,
        )
        .await;
        idle.push(p99(quiet));

        // The storm: every account at once; the API load runs until the last sign-in answers.
        let stop = Arc::new(tokio::sync::Notify::new());
        let load = tokio::spawn(api_latencies(
            url.clone(),
            secret.clone(),
            concurrency,
            stop.clone(),
            Duration::from_secs(600),
        ));
        let started = Instant::now();
        let mut logins = Vec::new();
        for i in 0..sign_ins {
            let n = round * sign_ins + i;
            let login = login.clone();
            logins.push(tokio::spawn(async move {
                let res = reqwest::Client::new()
                    .post(login.as_str())
                    .header("x-forwarded-for", format!("198.51.100.{}", n % 250 + 1))
                    .form(&[
                        ("email", format!("storm{n}@example.com")),
                        ("password", PASSWORD.to_string()),
                    ])
                    .send()
                    .await
                    .unwrap();
                res.status().is_success() || res.status().is_redirection()
            }));
        }
        for l in logins {
            succeeded += usize::from(l.await.unwrap());
        }
        drained.push(started.elapsed().as_secs_f64());
        stop.notify_waiters();
        storm.push(p99(load.await.unwrap()));
    }
    let (idle_p99, storm_p99) = (common::median(idle.clone()), common::median(storm.clone()));
    println!(
        "Keyward login-storm benchmark ({:?}, {concurrency} API clients, {sign_ins} sign-ins at once, {rounds} rounds, medians)",
        db.backend()
    );
    println!("  rounds: idle p99 {idle:.1?} ms, storm p99 {storm:.1?} ms, storm drained in {drained:.2?} s");
    println!(
        "  GET /api/v1/me p99: idle {idle_p99:.1} ms, during the storm {storm_p99:.1} ms: {:.2}×",
        storm_p99 / idle_p99
    );
    println!(
        "  sign-ins that succeeded: {succeeded} of {}",
        rounds * sign_ins
    );
    println!("  hashes at once: {}", state.hasher.permits());
}
