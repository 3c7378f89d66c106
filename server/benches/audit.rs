//! Scale benchmark of the reviewer's audit log, measured side by side in one run: the console
//! page (server render, signed in: newest, filtered by action, and a page deep in the log),
//! `GET /api/v1/audit`, a JSON Lines export of every tenth event, and the chain check, in
//! workspaces of one database holding 10, 1,000 and 1,000,000 events (configurable).
//!
//! Rounds alternate between the workspaces; each page cell is the median latency of sequential
//! requests from outside the process (HTTP on loopback). The report gives each size's time
//! against the first size with full pages (target: pages within 1.2×), the export's and the
//! check's rate in events per second, and the process's peak memory before and after the
//! largest export (flat: the export streams).
//!
//! Run: `cargo bench -p server --bench audit` (optional: `KEYWARD_BENCH_EVENTS=10,1000,1000000`,
//! `KEYWARD_BENCH_ROUNDS=5`, `KEYWARD_BENCH_REQUESTS=20`, `DATABASE_URL=postgres://…`).

mod common;

use domain::access::Principal;
use domain::roles::Role;
use domain::validate::Name;
use std::time::{Duration, Instant};

struct Cell {
    events: usize,
    workspace: String,
    browser: reqwest::Client,
    secret: String,
}

#[tokio::main]
async fn main() {
    let sizes = common::sizes("KEYWARD_BENCH_EVENTS", "10,1000,1000000");
    let rounds: usize = common::env_or("KEYWARD_BENCH_ROUNDS", 5);
    let requests: usize = common::env_or("KEYWARD_BENCH_REQUESTS", 20);
    let bench = common::Bench::start().await;
    let (base, state) = (&bench.base, &bench.state);
    let db = &state.db;
    let home = bench.owner_principal();
    let owner = home.user;

    let started = Instant::now();
    let mut cells = Vec::new();
    for &events in &sizes {
        let name = Name::parse("Name", &format!("Log {events}")).unwrap();
        let ws = keyward_core::services::workspaces::create_workspace(db, &home, name)
            .await
            .unwrap();
        let by = Principal::member(owner, ws, Role::Owner, "bench".into());
        // Creating the workspace recorded its first event.
        common::seed::add_audit_events(db, &ws.to_string(), &bench.owner, events - 1).await;
        let (secret, browser) = common::readers_of(state, base, &by).await;
        cells.push(Cell {
            events,
            workspace: ws.to_string(),
            browser,
            secret,
        });
    }
    common::seeded(db, "audit_events").await;
    let seeded = started.elapsed();

    // A page in the middle of each log, as its "Next" links would reach it.
    let deep_url = |c: &Cell| {
        let middle = (c.events / 2).max(1) as i64;
        format!(
            "{base}/settings/audit?after={}",
            domain::audit::AuditQuery::default().cursor_at(middle)
        )
    };
    let views = |c: &Cell| {
        vec![
            (format!("{base}/settings/audit"), false),
            (format!("{base}/settings/audit?action=key.revoked"), false),
            (deep_url(c), false),
            (format!("{base}/api/v1/audit?limit=50"), true),
        ]
    };
    let names = ["page, newest", "page, one action", "page, deep", "API, 50"];
    for c in &cells {
        for (url, api) in views(c) {
            let headers: &[(&str, &str)] = if api {
                &[("x-keyward-api-token", &c.secret)]
            } else {
                &[]
            };
            common::get_ms(&c.browser, &url, headers, 2).await;
        }
    }
    let mut times: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); names.len()]; cells.len()];
    for _ in 0..rounds {
        for (i, c) in cells.iter().enumerate() {
            for (j, (url, api)) in views(c).into_iter().enumerate() {
                let headers: &[(&str, &str)] = if api {
                    &[("x-keyward-api-token", &c.secret)]
                } else {
                    &[]
                };
                times[i][j].push(common::get_ms(&c.browser, &url, headers, requests).await);
            }
        }
    }
    let ms: Vec<Vec<f64>> = times
        .into_iter()
        .map(|cell| cell.into_iter().map(common::median).collect())
        .collect();
    println!(
        "Keyward audit log benchmark ({:?}, {rounds} rounds × {requests} sequential requests per cell, medians in ms)",
        db.backend()
    );
    print!("  events in workspace");
    for n in names {
        print!("   {n:>16}  ratio");
    }
    println!();
    let full = cells.iter().position(|c| c.events >= 100).unwrap_or(0);
    for (i, c) in cells.iter().enumerate() {
        print!("  {:<19}", c.events);
        for (t, base) in ms[i].iter().zip(&ms[full]) {
            print!("   {t:>16.2}  {:>5.2}", t / base);
        }
        println!();
    }

    // The export of every tenth event and the chain check, once per size, largest last.
    println!("  events in workspace   export rows   export (s)   rows/s      check (s)   events/s");
    for c in &cells {
        let peak_before = common::status_mib("VmHWM:");
        let started = Instant::now();
        let mut res = c
            .browser
            .get(format!(
                "{base}/settings/audit/export.jsonl?action=key.revoked"
            ))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        // Read as it arrives, so the client holds no more than the server sends at a time.
        let mut rows = 0;
        while let Some(chunk) = res.chunk().await.unwrap() {
            rows += chunk.iter().filter(|b| **b == b'\n').count();
        }
        let export = started.elapsed();
        let started = Instant::now();
        let check = keyward_core::services::audit::verify_chain(db, &c.workspace)
            .await
            .unwrap();
        let checked = started.elapsed();
        // Signing in and the bench's key added a few events of their own.
        let domain::audit::ChainCheck::Intact { events, .. } = check else {
            panic!("{check:?}");
        };
        assert!(events as usize >= c.events, "{events}");
        println!(
            "  {:<19}   {:>11}   {:>10.2}   {:>9.0}   {:>9.2}   {:>8.0}   (peak memory {:.0} → {:.0} MiB)",
            c.events,
            rows,
            export.as_secs_f64(),
            rows as f64 / export.as_secs_f64().max(Duration::from_micros(1).as_secs_f64()),
            checked.as_secs_f64(),
            events as f64 / checked.as_secs_f64(),
            peak_before,
            common::status_mib("VmHWM:"),
        );
    }
    println!("  (seeding took {:.1} s)", seeded.as_secs_f64());
}
