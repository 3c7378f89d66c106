//! The leak kit: strings reported to `POST /api/v1/leaks` that are working secrets are revoked
//! at once and audited as leaked, with an answer that never tells which were live; a key's
//! owner marks it leaked from the console; the secret format is published for scanners.

use crate::helpers::*;
use app::pages::api_keys::{RevokeKey, RotateKey};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn report(app: &TestApp, secrets: &[&str]) -> (StatusCode, Value) {
    let res = app
        .fresh_client()
        .post(app.url("/api/v1/leaks"))
        .json(&json!({ "secrets": secrets }))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn leaked_events(app: &TestApp) -> Vec<(String, String, String)> {
    app.audit_events()
        .await
        .into_iter()
        .filter(|e| e.0 == "key.leaked")
        .collect()
}

#[tokio::test]
async fn reported_working_secrets_are_revoked_and_the_answer_never_tells() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (live, live_id) = app.read_only_key(&owner, "pasted in a gist").await;
    let (gone, gone_id) = app.read_only_key(&owner, "already revoked").await;
    app.send(
        &owner,
        RevokeKey {
            id: gone_id.to_string(),
            reason: "old".into(),
        },
    )
    .await;
    let (other, _) = app.read_only_key(&owner, "still private").await;
    let mut mistyped = live.clone();
    mistyped.pop();
    mistyped.push(if live.ends_with('0') { '1' } else { '0' });

    // The same answer for a live secret as for garbage.
    let (status, body) = report(&app, &["not a secret"]).await;
    assert_eq!(
        (status, &body),
        (StatusCode::ACCEPTED, &json!({"received": 1}))
    );
    let (status, body) = report(&app, &[&live, &gone, &mistyped, "garbage"]).await;
    assert_eq!(
        (status, &body),
        (StatusCode::ACCEPTED, &json!({"received": 4}))
    );

    eventually("the leaked secret stops working", || async {
        !app.works(&live).await
    })
    .await;
    assert!(app.works(&other).await);
    let leaked = leaked_events(&app).await;
    let live_key_id = &live[7..15];
    assert_eq!(leaked.len(), 1, "{leaked:?}");
    assert_eq!(leaked[0].1, format!("key:{live_key_id}"));
    let (reason,): (Option<String>,) =
        sqlx::query_as("SELECT revoked_reason FROM api_keys WHERE id = $1")
            .bind(&live_id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("Reported leaked"));
    let (reason,): (Option<String>,) =
        sqlx::query_as("SELECT revoked_reason FROM api_keys WHERE id = $1")
            .bind(&gone_id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(
        reason.as_deref(),
        Some("old"),
        "a revoked key is left as it was"
    );
}

#[tokio::test]
async fn a_leaked_rotated_out_secret_ends_alone() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (old, id) = app.read_only_key(&owner, "rotating").await;
    let res = app
        .send(
            &owner,
            RotateKey {
                grace_seconds: 3600,
                ..rotation(&id)
            },
        )
        .await;
    let new: Value = res.json().await.unwrap();
    let new = new["secret"].as_str().unwrap().to_string();
    assert!(app.works(&old).await, "inside its grace");
    report(&app, &[&old]).await;
    eventually("the old secret stops working", || async {
        !app.works(&old).await
    })
    .await;
    assert!(app.works(&new).await, "the successor's secret did not leak");
}

#[tokio::test]
async fn reports_are_bounded_read_as_lines_and_limited_per_address() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (live, _) = app.read_only_key(&owner, "in a log file").await;
    let client = app.fresh_client();
    let res = client
        .post(app.url("/api/v1/leaks"))
        .header("content-type", "text/plain")
        .body(format!("some log line\n{live}\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"received": 2}));
    eventually("the secret in the log stops working", || async {
        !app.works(&live).await
    })
    .await;

    let many: Vec<String> = (0..101).map(|i| format!("s{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let (status, body) = report(&app, &refs).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("at most 100"),
        "{body}"
    );
    let res = client
        .post(app.url("/api/v1/leaks"))
        .json(&json!({"tokens": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Ten a minute per address: the rest are refused with a time to retry.
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = report(&app, &["x"]).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let res = client
        .post(app.url("/api/v1/leaks"))
        .json(&json!({"secrets": ["x"]}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_secret_format_is_published() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/secret-format").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["pattern"], domain::secret::PATTERN);
    assert!(body["checksum"].as_str().unwrap().contains("CRC-32"));
}

#[tokio::test]
async fn an_owner_marks_a_key_leaked_from_the_console() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let developer = app.add_member("dev@example.com", "developer").await;
    let (secret, id) = app.read_only_key(&owner, "deploy bot").await;
    let path = format!("/settings/api-keys/leaked?key={id}");

    // Only who may revoke the key may mark it.
    let res = developer.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("Not found"));

    let res = owner.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap().replace("<!>", "");
    assert!(html.contains("Mark deploy bot as leaked?"), "{html}");
    assert!(
        app.works(&secret).await,
        "nothing happens before the confirmation"
    );

    let res = owner
        .post(app.url("/settings/api-keys/leaked"))
        .form(&[("key", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("deploy bot was revoked as leaked."));
    assert!(!app.works(&secret).await);
    let leaked = leaked_events(&app).await;
    assert_eq!(leaked.len(), 1);
    assert!(leaked[0].2.contains("Marked as leaked"));
    assert!(app
        .audit_events()
        .await
        .iter()
        .any(|e| e.0 == "key.revoked" && e.2 == "Marked as leaked"));
    // Twice is refused, and says why.
    let res = owner
        .post(app.url("/settings/api-keys/leaked"))
        .form(&[("key", id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
}
