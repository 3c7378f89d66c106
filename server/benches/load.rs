//! Load benchmark of the machine API, measured side by side in one run:
//!
//! 1. `GET /api/v1/me` with a valid key against `GET /healthz` (no credential), 1,000 keys stored;
//! 2. the same authenticated route with 1,000,000 keys stored, against (1).
//!
//! A third column splits the cost: the same authenticated request marked as a credential-tester
//! smoke test, which skips the access log and last-use bookkeeping (and nothing else). After
//! each authenticated cell the benchmark waits for the access-log writer to catch up, so the
//! next cell does not pay for it, and it reports any entries the full queue dropped.
//!
//! Run: `cargo bench -p server --bench load` (optional: `KEYWARD_BENCH_KEYS=1000000`,
//! `KEYWARD_BENCH_SECONDS=3`, `KEYWARD_BENCH_ROUNDS=5`, `KEYWARD_BENCH_CONCURRENCY=32`,
//! `DATABASE_URL=postgres://…` for PostgreSQL). Rounds alternate between the two routes so
//! a noisy neighbour affects both alike; the report gives medians and ratios.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    let done = done.load(Ordering::Relaxed);
    if headers.len() == 1 {
        RECORDED.fetch_add(done, Ordering::Relaxed);
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// Requests whose bookkeeping was queued (authenticated, not marked as smoke tests).
static RECORDED: AtomicU64 = AtomicU64::new(0);

#[tokio::main]
async fn main() {
    let target_keys: usize = common::env_or("KEYWARD_BENCH_KEYS", 1_000_000);
    let seconds: u64 = common::env_or("KEYWARD_BENCH_SECONDS", 3);
    let rounds: usize = common::env_or("KEYWARD_BENCH_ROUNDS", 5);
    let concurrency: usize = common::env_or("KEYWARD_BENCH_CONCURRENCY", 32);
    let bench = common::Bench::start().await;
    let (base, secret, state) = (&bench.base, bench.secret.clone(), &bench.state);
    let db = &state.db;
    bench.add_keys(0, 999).await;
    let me = format!("{base}/api/v1/me");
    let bare = format!("{base}/healthz");
    let with_key = [("x-keyward-api-token", secret.clone())];
    let unrecorded = [
        ("x-keyward-api-token", secret.clone()),
        (
            keyward_core::services::tester::SMOKE_HEADER,
            keyward_core::services::tester::smoke_token(&state.secret),
        ),
    ];
    // Warm up every path.
    throughput(&bare, &[], 1, concurrency).await;
    throughput(&me, &with_key, 1, concurrency).await;
    throughput(&me, &unrecorded, 1, concurrency).await;
    common::settle(db).await;

    // One round: the three cells side by side, so a noisy neighbour touches all alike.
    let measure = |rounds: usize| {
        let (bare, me, with_key, unrecorded) = (&bare, &me, &with_key, &unrecorded);
        async move {
            let (mut b, mut a, mut u) = (vec![], vec![], vec![]);
            for _ in 0..rounds {
                b.push(throughput(bare, &[], seconds, concurrency).await);
                a.push(throughput(me, with_key, seconds, concurrency).await);
                common::settle(db).await;
                u.push(throughput(me, unrecorded, seconds, concurrency).await);
            }
            // Every round's figures, to show the spread the medians hide.
            eprintln!(
                "rounds (req/s): bare {b:.0?}, authenticated {a:.0?}, without bookkeeping {u:.0?}"
            );
            (common::median(b), common::median(a), common::median(u))
        }
    };
    let (b1, a1, u1) = measure(rounds).await;
    let started = Instant::now();
    bench.add_keys(999, target_keys - 1).await;
    let fill = started.elapsed();
    let (b2, a2, u2) = measure(rounds).await;
    let logged = common::settle(db).await;
    let recorded = RECORDED.load(Ordering::Relaxed) as i64;
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
        "  access log: {logged} rows for {recorded} recorded requests ({} dropped by the full queue)",
        recorded - logged
    );
    println!(
        "  (filling {} keys took {:.1} s)",
        target_keys - 1000,
        fill.as_secs_f64()
    );
}
