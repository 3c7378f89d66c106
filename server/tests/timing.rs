//! Timing: a failed sign-in takes as long for an unknown email as for a known one, so timing
//! does not tell whether an account exists. Alone in its test binary, so no other test of the
//! same process competes for the CPU while it measures.

mod helpers;

use helpers::{attempt, spawn_app, FAILED, LOCKED, WRONG};

#[tokio::test]
async fn a_failed_sign_in_takes_as_long_for_an_unknown_email_as_for_a_known_one() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // Known accounts with real hashes, members of the workspace, each tried at most once so
    // that no account lock short-cuts the work.
    const SAMPLES: usize = 31;
    let hash = app
        .state
        .hasher
        .hash(&domain::validate::Password::parse("a real password 123".into()).unwrap())
        .await
        .unwrap();
    let (ws,): (String,) = sqlx::query_as("SELECT id FROM workspaces")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    for i in 0..SAMPLES {
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, 0)",
        )
        .bind(&id)
        .bind(format!("known{i}@example.com"))
        .bind(&hash)
        .execute(app.state.db.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'viewer', 0)",
        )
        .bind(&ws)
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    }
    let timed = |email: String| {
        let app = &app;
        async move {
            let client = app.fresh_client();
            let started = std::time::Instant::now();
            let body = attempt(app, &client, &email, WRONG).await;
            assert!(body.contains(FAILED) || body.contains(LOCKED), "{body}");
            started.elapsed()
        }
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // Alternating, so a noisy neighbour slows both alike; which goes first alternates too, so
    // going first (or second) favours neither.
    for i in 0..SAMPLES {
        let (k, u) = (
            format!("known{i}@example.com"),
            format!("unknown{i}@example.com"),
        );
        if i % 2 == 0 {
            known.push(timed(k).await);
            unknown.push(timed(u).await);
        } else {
            unknown.push(timed(u).await);
            known.push(timed(k).await);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let secs = |v: &[std::time::Duration]| v.iter().map(|d| d.as_secs_f64()).collect::<Vec<_>>();
    let (k, u) = (median(secs(&known)), median(secs(&unknown)));
    // Each known attempt against the unknown one made right after it: drift cancels out.
    let ratio = median(
        known
            .iter()
            .zip(&unknown)
            .map(|(k, u)| k.as_secs_f64() / u.as_secs_f64())
            .collect(),
    );
    eprintln!("failed sign-in medians: known {k:.4} s, unknown {u:.4} s; paired ratio {ratio:.3}");
    assert!(
        (k - u).abs() / k.max(u) < 0.10 || (0.9..1.1).contains(&ratio),
        "known {k:.4} s vs unknown {u:.4} s (paired ratio {ratio:.3})"
    );
}
