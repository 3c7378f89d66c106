//! Server-side cost of one request, without the network: the whole router called in
//! process for `GET /healthz` and for `GET /api/v1/me` with a valid key, side by side.
//! It times the request path only: the bookkeeping writer's own work happens elsewhere
//! (the load benchmark counts it).
//!
//! Run: `cargo bench -p server --bench router` (optional: `KEYWARD_BENCH_REQUESTS=200000`).

mod common;

use axum::body::Body;
use axum::http::Request;
use std::time::Instant;
use tower::ServiceExt;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let requests: usize = common::env_or("KEYWARD_BENCH_REQUESTS", 200_000);
    let bench = common::Bench::start().await;
    let router = bench.router();
    let secret = bench.secret.clone();
    let smoke = app::ssr::tester::smoke_token(&bench.state);
    let build = |kind: u8| {
        let mut r = Request::get(if kind == 0 { "/healthz" } else { "/api/v1/me" });
        if kind > 0 {
            r = r.header("x-keyward-api-token", &secret);
        }
        if kind == 2 {
            r = r.header(app::ssr::tester::SMOKE_HEADER, &smoke);
        }
        r.body(Body::empty()).unwrap()
    };
    let mut results = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..4 {
        for (kind, result) in results.iter_mut().enumerate() {
            let started = Instant::now();
            for _ in 0..requests / 4 {
                let res = router.clone().oneshot(build(kind as u8)).await.unwrap();
                assert!(res.status().is_success());
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
    let [b, a, u] = results.map(common::median);
    println!("Keyward router benchmark (in process, no network; medians of 3 rounds)");
    println!("  GET /healthz                         {b:>8.0} ns");
    println!(
        "  GET /api/v1/me                       {a:>8.0} ns   ({:.2}× the bare route)",
        a / b
    );
    println!(
        "  GET /api/v1/me without bookkeeping   {u:>8.0} ns   ({:.2}× the bare route)",
        u / b
    );
}
