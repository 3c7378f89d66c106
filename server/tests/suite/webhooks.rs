//! Webhooks: added with a signing secret shown once, fed in the transaction of each change,
//! delivered signed to a real local receiver, retried after a failure, and refused for
//! internal targets unless the operator allows them.

use crate::helpers::*;
use app::pages::api_keys::RevokeKey;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// What the receiver got: (signature header, event header, body).
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// A local receiver that answers 500 to its first `failures` requests, then 200.
async fn receiver(failures: usize) -> (String, Received) {
    let got: Received = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let header = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                let mut all = seen.lock().unwrap();
                all.push((header("keyward-signature"), header("keyward-event"), body));
                if all.len() <= failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

async fn add(app: &TestApp, member: &reqwest::Client, url: &str, events: &[&str]) -> (u16, String) {
    let mut form = vec![("url", url.to_string())];
    form.extend(events.iter().map(|e| ("events", e.to_string())));
    let res = member
        .post(app.url("/settings/webhooks/add"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn key_events_reach_a_webhook_signed_and_a_failing_receiver_is_retried() {
    let mut config = server::config::Config::for_tests(test_database_url().await);
    config.webhooks_allow_internal = true;
    let app = spawn_app_with(config).await;
    let owner = app.setup_owner().await;
    let (url, got) = receiver(1).await;
    let (status, page) = add(&app, &owner, &url, &["key.revoked", "key.leaked"]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Copy your webhook signing secret"));
    let secret = page
        .split("value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 38,
        "{secret}"
    );

    let (_, id) = app.read_only_key(&owner, "to revoke").await;
    let res = app
        .send(
            &owner,
            RevokeKey {
                id: id.to_string(),
                reason: "rotated by hand".into(),
            },
        )
        .await;
    assert!(res.status().is_success());
    eventually_within(
        "the failed delivery is retried",
        std::time::Duration::from_secs(8),
        || async { got.lock().unwrap().len() >= 2 },
    )
    .await;
    let (signature, event, body) = got.lock().unwrap()[1].clone();
    assert_eq!(event, "key.revoked");
    let payload: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(payload["type"], "key.revoked");
    assert_eq!(payload["data"]["name"], "to revoke");
    assert_eq!(payload["data"]["reason"], "rotated by hand");
    let t: i64 = signature
        .strip_prefix("t=")
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        signature,
        keyward_core::services::webhooks::signature(&secret, t, &body),
        "signed with the revealed secret"
    );
    assert_eq!(
        got.lock().unwrap()[0].2,
        body,
        "the retry sends the same body"
    );

    // A reported leak sends key.leaked and key.revoked.
    let (leaked, _) = app.read_only_key(&owner, "pasted").await;
    app.fresh_client()
        .post(app.url("/api/v1/leaks"))
        .json(&json!({"secrets": [leaked]}))
        .send()
        .await
        .unwrap();
    eventually_within(
        "the leak is reported",
        std::time::Duration::from_secs(5),
        || async {
            let events: Vec<String> = got.lock().unwrap().iter().map(|r| r.1.clone()).collect();
            events.contains(&"key.leaked".to_string()) && events.len() >= 4
        },
    )
    .await;

    // The page lists the deliveries with their attempts; the secret is never shown again.
    let html = app.fragment(&owner, "webhooks_page", "").await.unwrap();
    assert!(html.contains(&url) && html.contains("Delivered"), "{html}");
    assert!(html.contains("<td>2</td>"), "two attempts: {html}");
    assert!(!html.contains(&secret));
    // The audit log names the receiver's origin, never its path (which may carry a secret).
    let added: Vec<_> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.0 == "webhook.added")
        .collect();
    assert_eq!(added.len(), 1);
    assert!(!added[0].2.contains("/hook"), "{added:?}");
    assert!(added[0].2.starts_with("http://127.0.0.1:"), "{added:?}");
}

#[tokio::test]
async fn internal_targets_bad_urls_and_members_without_keys_write_are_refused() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let developer = app.add_member("dev@example.com", "developer").await;
    for (url, events, says) in [
        (
            "http://127.0.0.1:9/hook",
            vec!["key.revoked"],
            "points inside this server",
        ),
        (
            "http://169.254.169.254/latest",
            vec!["key.revoked"],
            "points inside this server",
        ),
        ("ftp://example.com/hook", vec!["key.revoked"], "https://"),
        (
            "https://user:pw@example.com/",
            vec!["key.revoked"],
            "no user name",
        ),
        ("http://127.0.0.1:9/hook", vec![], "at least one event"),
        (
            "http://127.0.0.1:9/hook",
            vec!["key.deleted"],
            "Unknown event",
        ),
    ] {
        let (status, body) = add(&app, &owner, url, &events).await;
        assert_eq!(status, 400, "{url}");
        assert!(body.contains(says), "{url}: {body}");
    }
    let (status, body) = add(
        &app,
        &developer,
        "https://example.com/hook",
        &["key.revoked"],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("keys:read") || body.contains("permission"),
        "{body}"
    );
    assert_eq!(app.count("webhooks").await, 0);
}

#[tokio::test]
async fn expiry_warnings_go_out_once_per_key_and_threshold() {
    let mut config = server::config::Config::for_tests(test_database_url().await);
    config.webhooks_allow_internal = true;
    let app = spawn_app_with(config).await;
    let owner = app.setup_owner().await;
    let (url, got) = receiver(0).await;
    let (status, page) = add(&app, &owner, &url, &["key.expiring", "key.expired"]).await;
    assert_eq!(status, 200, "{page}");
    let soon = app
        .create_key_secret(
            &owner,
            CreateKeyForm {
                expiration: "7".into(),
                ..key("expiring soon", &["applications:read"])
            },
        )
        .await;
    app.read_only_key(&owner, "a month left").await;
    let db = &app.state.db;
    let scan = |at: i64| keyward_core::services::webhooks::scan_expiry(db, at);
    let now = keyward_core::now();
    scan(now + 5).await.unwrap();
    scan(now + 5).await.unwrap();
    let notices = |threshold: &'static str| async move {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM key_expiry_notices WHERE threshold = $1")
                .bind(threshold)
                .fetch_one(db.pool())
                .await
                .unwrap();
        n
    };
    assert_eq!(
        notices("7d").await,
        1,
        "once, for the key within 7 days only"
    );
    assert_eq!(notices("1d").await, 0);
    scan(now + 6 * 86_400 + 3_600).await.unwrap();
    assert_eq!(notices("1d").await, 1);
    let id = app.key_row_id(&soon).await;
    sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE id = $2")
        .bind(now - 60)
        .bind(&id)
        .execute(db.pool())
        .await
        .unwrap();
    scan(now).await.unwrap();
    scan(now).await.unwrap();
    assert_eq!(notices("expired").await, 1);
    eventually_within(
        "the warnings are delivered",
        std::time::Duration::from_secs(5),
        || async { got.lock().unwrap().len() >= 3 },
    )
    .await;
    let events: Vec<String> = got.lock().unwrap().iter().map(|r| r.1.clone()).collect();
    assert_eq!(events, ["key.expiring", "key.expiring", "key.expired"]);
    let first: Value = serde_json::from_str(&got.lock().unwrap()[0].2).unwrap();
    assert_eq!(first["data"]["name"], "expiring soon");
    assert!(first["data"]["expires"].as_str().unwrap().ends_with('Z'));
}
