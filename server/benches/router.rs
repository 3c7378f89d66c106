//! Server-side cost of one request, without the network: the whole router called in
//! process for `GET /healthz`, and for `GET /api/v1/me` with a valid key and with a secret
//! whose checksum is wrong, side by side with a bare axum route (no layers) as the baseline.
//! It times the request path only: the bookkeeping writer's own work happens elsewhere
//! (the load benchmark counts it).
//!
//! Run: `cargo bench -p server --bench router` (optional: `KEYWARD_BENCH_REQUESTS=200000`;
//! `KEYWARD_BENCH_KIND=N` times only the Nth row, from 0, for `perf record` to watch alone).

mod common;

use axum::body::Body;
use axum::http::Request;
use std::time::Instant;
use tower::ServiceExt;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let requests: usize = common::env_or("KEYWARD_BENCH_REQUESTS", 200_000);
    let bench = common::Bench::start().await;
    // The true baseline: a bare axum route, no layers, on the same runtime and allocator.
    let bare: axum::Router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let router = bench.router();
    let secret = bench.secret.clone();
    // The same secret with its last checksum character changed: refused before any lookup.
    let mut bad = secret.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    let smoke = keyward_core::services::tester::smoke_token(&bench.state.secret);
    let build = |kind: usize| {
        let mut r = Request::get(match kind {
            0 => "/",
            1 => "/healthz",
            _ => "/api/v1/me",
        });
        if kind == 2 || kind == 3 {
            r = r.header("x-keyward-api-token", &secret);
        }
        if kind == 4 {
            r = r.header("x-keyward-api-token", &bad);
        }
        if kind == 3 {
            r = r.header(keyward_core::services::tester::SMOKE_HEADER, &smoke);
        }
        r.body(Body::empty()).unwrap()
    };
    let only: Option<usize> = std::env::var("KEYWARD_BENCH_KIND")
        .ok()
        .map(|k| k.parse().expect("a row number"));
    let mut results = [Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    for round in 0..4 {
        for (kind, result) in results.iter_mut().enumerate() {
            if only.is_some_and(|k| k != kind) {
                result.push(f64::NAN);
                continue;
            }
            let service = if kind == 0 { &bare } else { &router };
            let started = Instant::now();
            for _ in 0..requests / 4 {
                let res = service.clone().oneshot(build(kind)).await.unwrap();
                assert_eq!(res.status().is_success(), kind != 4);
                let _ = axum::body::to_bytes(res.into_body(), 1 << 16)
                    .await
                    .unwrap();
            }
            let ns = started.elapsed().as_nanos() as f64 / (requests / 4) as f64;
            if round > 0 {
                result.push(ns);
            }
        }
    }
    let [bare, healthz, me, unbooked, wrong] = results.map(common::median);
    println!("Keyward router benchmark (in process, no network; medians of 3 rounds)");
    println!("  bare axum route                      {bare:>8.0} ns");
    for (what, ns) in [
        ("GET /healthz", healthz),
        ("GET /api/v1/me", me),
        ("GET /api/v1/me without bookkeeping", unbooked),
        ("GET /api/v1/me, wrong checksum", wrong),
    ] {
        println!(
            "  {what:<36} {ns:>8.0} ns   ({:.2}× the bare route)",
            ns / bare
        );
    }
}
