//! Notifications: a key's owner and the workspace's owners and admins are told, once, when it
//! is about to expire, has expired or leaked; the shell counts what is unread.

use crate::helpers::*;
use app::pages::shell::CurrentViewer;
use reqwest::Client;
use serde_json::json;

async fn unread(app: &TestApp, member: &Client) -> i64 {
    app.send_json(member, CurrentViewer {}).await["unread_notifications"]
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
        CreateKeyForm {
            expiration: "7".into(),
            ..key("nightly export", &["applications:read"])
        },
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

#[tokio::test]
async fn a_key_used_from_a_new_network_raises_one_alert() {
    let mut config = server::config::Config::for_tests(test_database_url().await);
    config.trusted_proxies = vec!["127.0.0.0/8".into()];
    let app = spawn_app_with(config).await;
    let owner = app.setup_owner().await;
    let (secret, id) = app.read_only_key(&owner, "office job").await;
    let from = |client: &'static str| {
        app.fresh_client()
            .get(app.url("/api/v1/me"))
            .header("x-keyward-api-token", secret.clone())
            .header("x-forwarded-for", client)
            .send()
    };
    let networks = || async {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM key_networks WHERE key_row_id = $1")
                .bind(&id)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        n
    };
    let alerts = || async {
        app.audit_events()
            .await
            .into_iter()
            .filter(|e| e.0 == "key.new_address")
            .collect::<Vec<_>>()
    };
    // Its first network is where it lives: nothing to compare with.
    assert!(from("203.0.113.5").await.unwrap().status().is_success());
    eventually("the first network is learnt", || async {
        networks().await == 1
    })
    .await;
    assert!(alerts().await.is_empty());
    assert_eq!(unread(&app, &owner).await, 0);

    assert!(from("198.51.100.7").await.unwrap().status().is_success());
    eventually("the new network raises an alert", || async {
        alerts().await.len() == 1
    })
    .await;
    let alert = &alerts().await[0];
    assert_eq!(alert.1, format!("key:{}", &secret[7..15]));
    assert_eq!(alert.2, "first use from 198.51.100.0/24");
    assert_eq!(unread(&app, &owner).await, 1);
    assert!(page(&app, &owner)
        .await
        .contains("was used from a new network, 198.51.100.0/24"));

    // Another address of the same /24, and the first network again: no more alerts.
    assert!(from("198.51.100.9").await.unwrap().status().is_success());
    assert!(from("203.0.113.77").await.unwrap().status().is_success());
    eventually("both uses are logged", || async {
        app.count("key_access_log").await >= 4
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(networks().await, 2);
    assert_eq!(alerts().await.len(), 1);
}
