//! Notifications: a key's owner and the workspace's owners and admins are told, once, when it
//! is about to expire, has expired or leaked; the shell counts what is unread.

use crate::helpers::*;
use reqwest::Client;
use serde_json::json;

async fn unread(app: &TestApp, member: &Client) -> i64 {
    app.fn_json(member, "current_viewer", json!({})).await["unread_notifications"]
        .as_i64()
        .unwrap()
}

async fn page(app: &TestApp, member: &Client) -> String {
    app.fragment(member, "notifications_page", "")
        .await
        .unwrap()
}

#[tokio::test]
async fn the_owner_and_admins_hear_of_an_expiring_or_leaked_key_once() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let admin = app.add_member("admin@example.com", "admin").await;
    let developer = app.add_member("dev@example.com", "developer").await;
    let bystander = app.add_member("other@example.com", "developer").await;
    app.create_key_secret(
        &developer,
        json!({"name": "nightly export", "permissions": ["applications:read"], "expiration": "7"}),
    )
    .await;
    let now = keyward_core::now();
    for _ in 0..2 {
        keyward_core::services::webhooks::scan_expiry(&app.state.db, now + 5)
            .await
            .unwrap();
    }
    for member in [&developer, &owner, &admin] {
        assert_eq!(unread(&app, member).await, 1);
    }
    assert_eq!(
        unread(&app, &bystander).await,
        0,
        "not theirs, not an admin"
    );
    let html = page(&app, &developer).await;
    assert!(
        html.contains("Key nightly export") && html.contains("expires on"),
        "{html}"
    );
    assert!(html.contains("New: "));

    // Read, then a leak is news again.
    let res = developer
        .post(app.url("/settings/notifications/read"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(unread(&app, &developer).await, 0);
    assert!(!page(&app, &developer).await.contains("New: "));
    let (leaked, _) = app.read_only_key(&developer, "pasted").await;
    app.fresh_client()
        .post(app.url("/api/v1/leaks"))
        .json(&json!({ "secrets": [leaked] }))
        .send()
        .await
        .unwrap();
    eventually("the leak is told", || async {
        unread(&app, &developer).await == 1
    })
    .await;
    assert!(page(&app, &owner)
        .await
        .contains("was reported as leaked and revoked"));
    assert_eq!(unread(&app, &bystander).await, 0);
}
