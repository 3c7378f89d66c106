//! Revocation propagation between two instances on one database: for each of N keys, both
//! instances verify it (so both remember it), instance A revokes it (committed through its
//! own database handle, as a console revocation is), and instance B is asked
//! from outside (HTTP on loopback) until it refuses. Reports the median and the maximum of
//! the time from A's commit to B's first refusal, and how often B refused on its first ask.
//!
//! Run: `cargo bench -p server --bench propagation` (optional: `KEYWARD_BENCH_KEYS=100`,
//! `DATABASE_URL=postgres://…` — PostgreSQL is what several instances share; on a shared
//! SQLite file the instances read a change counter five times a second).

mod common;

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let keys: usize = common::env_or("KEYWARD_BENCH_KEYS", 100);
    let a = common::Bench::start().await;
    let b = server::startup::Application::build(a.config.clone())
        .await
        .unwrap();
    let b_base = format!("http://{}", b.address());
    tokio::spawn(b.run_until_stopped());
    let by = a.owner_principal();
    let client = reqwest::Client::new();
    let me = |base: &str, secret: &str| {
        client
            .get(format!("{base}/api/v1/me"))
            .header("x-keyward-api-token", secret)
            .send()
    };

    let mut times = Vec::with_capacity(keys);
    let mut at_once = 0;
    for _ in 0..keys {
        let secret = common::full_key(&a.state, &by).await;
        for base in [&a.base, &b_base] {
            assert!(me(base, &secret).await.unwrap().status().is_success());
        }
        let parts = domain::secret::parse(&secret).unwrap();
        let id = keyward_core::services::keys::authenticate(&a.state.db, &a.state.secret, &secret)
            .await
            .ok()
            .and_then(|l| match l {
                keyward_core::services::keys::Lookup::Ok(found) => Some(found.key.id),
                _ => None,
            })
            .unwrap_or_else(|| panic!("key {} is live", parts.key_id));
        keyward_core::services::keys::revoke(&a.state.db, &by, id, "bench".into())
            .await
            .unwrap();
        let revoked = Instant::now();
        let mut asks = 0;
        loop {
            asks += 1;
            let status = me(&b_base, &secret).await.unwrap().status();
            if status == reqwest::StatusCode::UNAUTHORIZED {
                break;
            }
            assert!(status.is_success(), "{status}");
            assert!(
                revoked.elapsed() < Duration::from_secs(5),
                "never propagated"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if asks == 1 {
            at_once += 1;
        }
        times.push(revoked.elapsed().as_secs_f64() * 1000.0);
    }
    let max = times.iter().cloned().fold(0.0, f64::max);
    println!(
        "Keyward revocation propagation ({:?}, 2 instances, {keys} revocations)",
        a.state.db.backend()
    );
    println!(
        "  from the commit on one instance to the other's first refusal: median {:.2} ms, max {:.2} ms; refused on the first ask {at_once} of {keys} times",
        common::median(times),
        max
    );
}
