//! Allowed networks: a key limited to CIDR ranges is refused from elsewhere with a 403 that
//! names the reason but never the ranges; the client address follows the trusted-proxy rule.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn limited_key(app: &TestApp, member: &reqwest::Client, networks: &str) -> String {
    app.create_key_secret(
        member,
        CreateKeyForm {
            allowed_networks: networks.into(),
            ..key("office only", &["applications:read"])
        },
    )
    .await
}

#[tokio::test]
async fn a_key_works_only_from_its_networks() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let elsewhere = limited_key(&app, &owner, "10.0.0.0/8\n2001:db8::/32").await;
    let res = app.me(&elsewhere).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("may not be used from your network"),
        "{message}"
    );
    assert!(!message.contains("10.0.0.0"), "the ranges are never told");
    // The refusal is in the key's log with its reason.
    app.refusal_logged(&elsewhere, "NETWORK_NOT_ALLOWED").await;
    let id = app.key_row_id(&elsewhere).await;

    let here = limited_key(&app, &owner, "127.0.0.0/8, ::1/128").await;
    assert_eq!(app.me(&here).await.status(), StatusCode::OK);

    // The list and the tester show the ranges to those who may see the key.
    let page = app.keys_page(&owner).await;
    let rows = page["keys"].as_array().unwrap();
    let listed: Vec<&Value> = rows
        .iter()
        .filter(|k| k["allowed_networks"] == json!(["10.0.0.0/8", "2001:db8::/32"]))
        .collect();
    assert_eq!(listed.len(), 1, "{page}");

    // A rotation keeps the limit.
    let res = app.send(&owner, rotation(&id)).await;
    assert!(res.status().is_success());
    let rotated: Value = res.json().await.unwrap();
    let successor = rotated["secret"].as_str().unwrap();
    assert_eq!(app.me(successor).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn meaningless_or_broken_ranges_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let before = app.count("api_keys").await;
    for (networks, says) in [
        ("0.0.0.0/0", "allows too much"),
        ("::/0", "allows too much"),
        ("10.0.0.300/8", "is not an IP address"),
        ("10.0.0.0/8\nnot a network", "is not an IP address"),
    ] {
        let res = app
            .create_key_as(
                &owner,
                CreateKeyForm {
                    allowed_networks: networks.into(),
                    ..key("bad", &["applications:read"])
                },
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{networks}");
        let body = res.text().await.unwrap();
        assert!(body.contains(says), "{networks}: {body}");
        assert!(
            body.contains("Allowed networks"),
            "the field is named: {body}"
        );
    }
    assert_eq!(app.count("api_keys").await, before);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_checked() {
    let mut config = server::config::Config::for_tests(test_database_url().await);
    config.trusted_proxies = vec!["127.0.0.0/8".into()];
    let app = spawn_app_with(config).await;
    let owner = app.setup_owner().await;
    let office = limited_key(&app, &owner, "198.51.100.0/24").await;
    let from = |client: &'static str| {
        app.fresh_client()
            .get(app.url("/api/v1/me"))
            .header("x-keyward-api-token", office.clone())
            .header("x-forwarded-for", client)
    };
    assert_eq!(
        from("198.51.100.7").send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        from("203.0.113.9").send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // What a client prepends is not believed: the proxy's own hop decides.
    assert_eq!(
        from("198.51.100.7, 203.0.113.9")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_keys_networks_are_changed_later_by_its_owner_or_keys_write_only() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let auditor = app.add_member("audit@example.com", "auditor").await;
    let developer = app.add_member("dev@example.com", "developer").await;
    let (secret, id) = app.read_only_key(&developer, "moving job").await;
    let save = |client: &reqwest::Client, networks: &str| {
        client
            .post(app.url("/settings/api-keys/networks"))
            .form(&[("key", id.as_str()), ("allowed_networks", networks)])
            .send()
    };
    let form = developer
        .get(app.url(&format!("/settings/api-keys/networks?key={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form
        .text()
        .await
        .unwrap()
        .contains("Allowed networks of moving job"));

    // The owner limits it elsewhere: refused at once.
    let res = save(&developer, "10.0.0.0/8").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("may be used only from 10.0.0.0/8"));
    assert_eq!(app.me(&secret).await.status(), StatusCode::FORBIDDEN);
    // An auditor may not change what a key reaches; an admin with keys:write may.
    let res = save(&auditor, "").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("may change its networks"));
    let res = save(&owner, "0.0.0.0/0").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("allows too much"));
    let res = save(&owner, "").await.unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("may be used from anywhere"));
    assert_eq!(app.me(&secret).await.status(), StatusCode::OK);
    let changed: Vec<_> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.0 == "key.networks_changed")
        .map(|e| e.2)
        .collect();
    assert_eq!(changed, ["10.0.0.0/8", "anywhere"]);
}
