//! Scale benchmark of the reviewer's key pages, measured side by side in one run: starting an
//! access review, its page (server render, signed in: first page with the progress line, the
//! undecided view, a page in the middle), the preview of "Revoke unconfirmed keys" (1,000
//! keys), a key's "Narrow permissions" dialog, the bulk revocation's preview for a name
//! filter, and the evidence export, in workspaces of one database holding 1,000 and 100,000
//! live keys (configurable).
//!
//! Rounds alternate between the workspaces; each page cell is the median latency of sequential
//! requests from outside the process (HTTP on loopback), reported against the first size
//! (target: pages within 1.2×). Starting and exporting are timed once per size, with the
//! process's peak memory around the largest export (flat: the export streams).
//!
//! Run: `cargo bench -p server --bench access_review` (optional:
//! `KEYWARD_BENCH_KEYS=1000,100000`, `KEYWARD_BENCH_ROUNDS=5`, `KEYWARD_BENCH_REQUESTS=10`,
//! `DATABASE_URL=postgres://…`).

mod common;

use domain::access::Principal;
use domain::roles::Role;
use domain::validate::Name;
use std::time::Instant;

struct Cell {
    keys: usize,
    review: domain::ids::AccessReviewId,
    browser: reqwest::Client,
    /// The row id of the key in the middle of the workspace.
    middle_row: String,
}

#[tokio::main]
async fn main() {
    let sizes = common::sizes("KEYWARD_BENCH_KEYS", "1000,100000");
    let rounds: usize = common::env_or("KEYWARD_BENCH_ROUNDS", 5);
    let requests: usize = common::env_or("KEYWARD_BENCH_REQUESTS", 10);
    let bench = common::Bench::start().await;
    let (base, state) = (&bench.base, &bench.state);
    let db = &state.db;
    let home = bench.owner_principal();
    let owner = home.user;

    println!(
        "Keyward access review benchmark ({:?}, {rounds} rounds × {requests} sequential requests per cell, medians in ms)",
        db.backend()
    );
    let mut cells = Vec::new();
    let mut offset = 0;
    for &keys in &sizes {
        let name = Name::parse("Name", &format!("Review {keys}")).unwrap();
        let ws = keyward_core::services::workspaces::create_workspace(db, &home, name)
            .await
            .unwrap();
        let by = Principal::member(owner, ws, Role::Owner, "bench".into());
        // Key ids are unique across the database: each workspace takes its own range.
        common::seed::add_keys(
            db,
            &ws.to_string(),
            &bench.owner,
            None,
            offset,
            offset + keys,
        )
        .await;
        offset += keys;
        let (_, browser) = common::readers_of(state, base, &by).await;
        let started = Instant::now();
        let res = browser
            .post(format!("{base}{}", domain::access_review::START_PATH))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "start: {}", res.status());
        let took = started.elapsed();
        let review = keyward_core::services::access_reviews::open(db, ws)
            .await
            .unwrap()
            .expect("a review is open")
            .id;
        println!("  start with {keys:>7} keys: {:.3} s", took.as_secs_f64());
        let (middle_row,): (String,) = sqlx::query_as("SELECT id FROM api_keys WHERE key_id = $1")
            .bind(format!("b{:07}", offset - keys + keys / 2))
            .fetch_one(db.pool())
            .await
            .unwrap();
        cells.push(Cell {
            keys,
            review,
            browser,
            middle_row,
        });
    }
    common::seeded(db, "access_review_items").await;

    let first_key = |c: &Cell| sizes.iter().take_while(|&&s| s != c.keys).sum::<usize>();
    let views = |c: &Cell| {
        let page = domain::access_review::ACCESS_REVIEWS_PAGE;
        vec![
            format!("{base}{page}"),
            format!("{base}{page}?show=undecided"),
            format!("{base}{page}?after=b{:07}", first_key(c) + c.keys / 2),
            format!(
                "{base}{}?review={}",
                app::pages::bulk_revoke::BULK_REVOKE_PATH,
                c.review
            ),
            format!(
                "{base}{}?key={}",
                app::pages::narrow::NARROW_PATH,
                c.middle_row
            ),
            format!(
                "{base}{}?q=bulk%20{}",
                app::pages::bulk_revoke::BULK_REVOKE_PATH,
                first_key(c) + c.keys / 2
            ),
        ]
    };
    let names = [
        "page, first",
        "undecided",
        "page, middle",
        "unconfirmed preview",
        "narrow dialog",
        "bulk preview, by name",
    ];
    for c in &cells {
        for url in views(c) {
            common::get_ms(&c.browser, &url, &[], 1).await;
        }
    }
    let mut times: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); names.len()]; cells.len()];
    for _ in 0..rounds {
        for (i, c) in cells.iter().enumerate() {
            for (j, url) in views(c).into_iter().enumerate() {
                times[i][j].push(common::get_ms(&c.browser, &url, &[], requests).await);
            }
        }
    }
    let ms: Vec<Vec<f64>> = times
        .into_iter()
        .map(|cell| cell.into_iter().map(common::median).collect())
        .collect();
    print!("  keys in review");
    for n in names {
        print!("   {n:>19}  ratio");
    }
    println!();
    for (i, c) in cells.iter().enumerate() {
        print!("  {:<14}", c.keys);
        for (t, base) in ms[i].iter().zip(&ms[0]) {
            print!("   {t:>19.2}  {:>5.2}", t / base);
        }
        println!();
    }

    println!("  keys in review   evidence rows   export (s)   rows/s");
    for c in &cells {
        let peak_before = common::status_mib("VmHWM:");
        let started = Instant::now();
        let mut res = c
            .browser
            .get(format!(
                "{base}{}?review={}",
                domain::access_review::EVIDENCE_CSV,
                c.review
            ))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let mut rows = 0usize;
        while let Some(chunk) = res.chunk().await.unwrap() {
            rows += chunk.iter().filter(|b| **b == b'\n').count();
        }
        let took = started.elapsed().as_secs_f64();
        // The header line is not a key.
        assert_eq!(rows - 1, c.keys + 1, "every key, and the bench's own");
        println!(
            "  {:<14}   {:>13}   {:>10.2}   {:>6.0}   (peak memory {:.0} → {:.0} MiB)",
            c.keys,
            rows - 1,
            took,
            (rows - 1) as f64 / took,
            peak_before,
            common::status_mib("VmHWM:")
        );
    }
}
