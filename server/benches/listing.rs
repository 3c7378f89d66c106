//! Scale benchmark of the lists people and clients read, measured side by side in one run:
//! the API Keys page (server render, signed in) and `GET /api/v1/application/tokens`, in
//! workspaces of one database holding 10, 100, 100,000 and 1,000,000 keys (configurable).
//! A page shows at most 50 keys, so 100 keys is the first size with full pages: what must stay
//! flat is the time from there up.
//!
//! Rounds alternate between the workspaces, so a noisy neighbour touches every size alike;
//! each cell is the median latency of sequential requests from outside the process (HTTP on
//! loopback). The report gives each size's time against the smallest's (target: ≤ 1.2×).
//!
//! Run: `cargo bench -p server --bench listing` (optional: `KEYWARD_BENCH_SIZES=10,100,100000,1000000`,
//! `KEYWARD_BENCH_ROUNDS=5`, `KEYWARD_BENCH_REQUESTS=20`, `DATABASE_URL=postgres://…`).
//! Keys are seeded in bulk, straight into the database; half of them are limited to an
//! application, so the token list has rows to show.

mod common;

use domain::access::Principal;
use domain::roles::Role;
use domain::validate::Name;
use std::time::Instant;

/// One workspace of the benchmark and the clients that read it.
struct Cell {
    size: usize,
    /// The owner's browser, switched to this workspace.
    browser: reqwest::Client,
    /// A key of this workspace with `applications:read`.
    secret: String,
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("KEYWARD_BENCH_SIZES")
        .unwrap_or_else(|_| "10,100,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("sizes are numbers"))
        .collect();
    let rounds: usize = common::env_or("KEYWARD_BENCH_ROUNDS", 5);
    let requests: usize = common::env_or("KEYWARD_BENCH_REQUESTS", 20);
    let bench = common::Bench::start().await;
    let (base, state) = (&bench.base, &bench.state);
    let db = &state.db;
    let owner = domain::ids::UserId::parse(&bench.owner).unwrap();
    let actor = app::request::auth::Actor {
        user_id: owner,
        email: "bench@example.com".into(),
        workspace_id: domain::ids::WorkspaceId::parse(&bench.workspace).unwrap(),
        role: Role::Owner,
        address: "bench".into(),
    };

    let started = Instant::now();
    let mut cells = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let name = Name::parse("Name", &format!("Scale {size}")).unwrap();
        let ws = keyward_core::services::workspaces::create_workspace(db, &actor.principal(), name)
            .await
            .unwrap();
        let by = Principal::member(owner, ws, Role::Owner, "bench".into());
        let application = keyward_core::services::workspaces::create_application(
            db,
            &by,
            Name::parse("Name", "Scaled").unwrap(),
        )
        .await
        .unwrap()
        .to_string();
        // Each workspace's keys get a number range of their own: key ids are unique.
        let from = i * 10_000_000;
        common::seed::add_keys(
            db,
            &ws.to_string(),
            &bench.owner,
            Some(&application),
            from,
            from + size,
        )
        .await;
        let (secret, browser) = common::readers_of(state, base, &by).await;
        cells.push(Cell {
            size,
            browser,
            secret,
        });
    }
    common::seeded(db, "api_keys").await;
    let seeded = started.elapsed();

    let page_url = format!("{base}/settings/api-keys");
    let tokens_url = format!("{base}/api/v1/application/tokens");
    // Warm up every cell.
    for c in &cells {
        common::get_median(&c.browser, &page_url, &[], 2).await;
        common::get_median(
            &c.browser,
            &tokens_url,
            &[("x-keyward-api-token", &c.secret)],
            2,
        )
        .await;
    }
    let mut pages: Vec<Vec<f64>> = vec![Vec::new(); cells.len()];
    let mut tokens: Vec<Vec<f64>> = vec![Vec::new(); cells.len()];
    let mut bytes = vec![(0, 0); cells.len()];
    for _ in 0..rounds {
        for (i, c) in cells.iter().enumerate() {
            let (p, pb) = common::get_median(&c.browser, &page_url, &[], requests).await;
            let (t, tb) = common::get_median(
                &c.browser,
                &tokens_url,
                &[("x-keyward-api-token", &c.secret)],
                requests,
            )
            .await;
            pages[i].push(p.as_secs_f64() * 1000.0);
            tokens[i].push(t.as_secs_f64() * 1000.0);
            bytes[i] = (pb, tb);
        }
    }
    let page_ms: Vec<f64> = pages.into_iter().map(common::median).collect();
    let token_ms: Vec<f64> = tokens.into_iter().map(common::median).collect();
    println!(
        "Keyward list benchmark ({:?}, {rounds} rounds × {requests} sequential requests per cell, medians)",
        db.backend()
    );
    println!("  keys in workspace   API Keys page (ms)   ratio   bytes      token list (ms)   ratio   bytes");
    for (i, c) in cells.iter().enumerate() {
        println!(
            "  {:<19} {:>18.2}   {:>5.2}   {:>8}   {:>15.2}   {:>5.2}   {:>6}",
            c.size,
            page_ms[i],
            page_ms[i] / page_ms[0],
            bytes[i].0,
            token_ms[i],
            token_ms[i] / token_ms[0],
            bytes[i].1
        );
    }
    if let Some(full) = cells.iter().position(|c| c.size >= 100) {
        let last = cells.len() - 1;
        println!(
            "  largest / first with full pages ({} keys): API Keys page {:.2}×, token list {:.2}×",
            cells[full].size,
            page_ms[last] / page_ms[full],
            token_ms[last] / token_ms[full]
        );
    }

    // The key review, whose findings are clauses walked in the list's order: one most keys
    // match (no expiry: the seeded keys have none), one that needs each key's use, and one no
    // key matches (every key's owner is an owner), which walks the whole workspace.
    let findings = ["no_expiry", "unused_permissions", "owner_demoted"];
    let review_requests = (requests / 4).max(1);
    let mut review: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); findings.len()]; cells.len()];
    for _ in 0..rounds {
        for (i, c) in cells.iter().enumerate() {
            for (j, f) in findings.iter().enumerate() {
                let url = format!("{base}/settings/api-keys/review?finding={f}");
                let (t, _) = common::get_median(&c.browser, &url, &[], review_requests).await;
                review[i][j].push(t.as_secs_f64() * 1000.0);
            }
        }
    }
    let review_ms: Vec<Vec<f64>> = review
        .into_iter()
        .map(|cell| cell.into_iter().map(common::median).collect())
        .collect();
    let full = cells.iter().position(|c| c.size >= 100).unwrap_or(0);
    println!(
        "  Key review ({review_requests} requests per cell): ms and ratio to {} keys",
        cells[full].size
    );
    for (i, c) in cells.iter().enumerate() {
        print!("  {:<19}", c.size);
        for (f, (t, base)) in findings
            .iter()
            .zip(review_ms[i].iter().zip(&review_ms[full]))
        {
            print!("   {f} {t:.2} ({:.2}×)", t / base);
        }
        println!();
    }
    println!("  (seeding took {:.1} s)", seeded.as_secs_f64());
}
