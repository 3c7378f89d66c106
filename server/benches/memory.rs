//! Memory benchmark: the peak resident memory while 1,000,000 distinct keys are each used once
//! (`GET /api/v1/me`), so every per-key structure (verified-key cache, rate limiter, the
//! access-log queue) is pushed past its bound. Target: under 512 MiB.
//!
//! The server runs inside the benchmark's process, so the figure (the process's `VmHWM`) also
//! holds the load generator: it is an upper bound of the server's own.
//!
//! Run: `cargo bench -p server --bench memory` (optional: `KEYWARD_BENCH_KEYS=1000000`,
//! `KEYWARD_BENCH_CONCURRENCY=32`, `DATABASE_URL=postgres://…`).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let keys: usize = common::env_or("KEYWARD_BENCH_KEYS", 1_000_000);
    let concurrency: usize = common::env_or("KEYWARD_BENCH_CONCURRENCY", 32);
    let bench = common::Bench::start().await;
    let state = &bench.state;
    let started = Instant::now();
    common::seed::add_live_keys(
        &state.db,
        &state.secret,
        &bench.workspace,
        &bench.owner,
        0,
        keys,
    )
    .await;
    let seeded = started.elapsed();
    let before = common::status_mib("VmRSS:");

    let url = Arc::new(format!("{}/api/v1/me", bench.base));
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next) = (client.clone(), url.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= keys {
                    break;
                }
                let res = client
                    .get(url.as_str())
                    .header("x-keyward-api-token", common::seed::live_secret(n))
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success(), "key {n}: {}", res.status());
                let _ = res.bytes().await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let used = started.elapsed();
    println!(
        "Keyward memory benchmark ({:?}, {keys} distinct keys used once each, {concurrency} clients)",
        state.db.backend()
    );
    println!(
        "  resident memory: {before:.0} MiB after seeding, {:.0} MiB at the end ({:.0} MiB of it \
         anonymous), peak {:.0} MiB",
        common::status_mib("VmRSS:"),
        common::status_mib("RssAnon:"),
        common::status_mib("VmHWM:")
    );
    println!(
        "  (seeding took {:.1} s; the requests {:.1} s, {:.0} req/s)",
        seeded.as_secs_f64(),
        used.as_secs_f64(),
        keys as f64 / used.as_secs_f64()
    );
}
