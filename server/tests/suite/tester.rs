//! The credential tester: what a secret is and can do, for service, agent, demoted and
//! revoked keys.

use crate::helpers;
use crate::helpers::{agent_key, key};
use app::pages::api_keys::RevokeKey;
use app::pages::tester::{InspectKey, TestCredential};
use helpers::spawn_app;
use serde_json::{json, Value};

#[tokio::test]
async fn the_credential_tester_reports_what_a_secret_can_do() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(&owner, key("reader", &["applications:read"]))
        .await;
    let report: Value = app
        .send(
            &owner,
            TestCredential {
                secret: key.to_string(),
            },
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["principal"]["kind"], "service");
    let coverage = report["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), domain::routes::ROUTES.len());
    let line = |p: &str, m: &str| {
        coverage
            .iter()
            .find(|c| c["path"] == p && c["method"] == m)
            .unwrap()
            .clone()
    };
    assert_eq!(line("/api/v1/application/tokens", "GET")["allowed"], true);
    assert_eq!(
        line("/api/v1/applications", "POST")["reason"],
        "Missing permission applications:write."
    );
    let smoke = report["smoke"].as_array().unwrap();
    assert!(smoke.len() >= 4);
    for s in smoke {
        assert_eq!(s["expected"], s["observed"], "{s}");
    }
    assert!(
        !report.to_string().contains(&key),
        "the report echoed the secret"
    );
    // Smoke tests do not count as use.
    let listed: Value = app.keys_page(&owner).await;
    assert!(listed["keys"][0]["last_used_at"].is_null());

    for garbage in [
        "",
        " kw_svc_x",
        &key[..key.len() - 1],
        &"k".repeat(1_000_000),
    ] {
        let res = app
            .send(
                &owner,
                TestCredential {
                    secret: garbage.to_string(),
                },
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let r: Value = res.json().await.unwrap();
        assert_eq!(r["valid"], false);
        assert_eq!(r["code"], "MALFORMED");
    }
    // Another product's secret may be an imported key: looked up by its digest, unknown here.
    let foreign = app
        .send(
            &owner,
            TestCredential {
                secret: "ghp_16C7e42F292c6912E7710c838347Ae178B4a".into(),
            },
        )
        .await;
    let r: Value = foreign.json().await.unwrap();
    assert_eq!(
        (&r["valid"], &r["code"]),
        (&json!(false), &json!("NOT_FOUND"))
    );
    assert!(app
        .audit_actions()
        .await
        .contains(&"credential.tested".to_string()));
}

#[tokio::test]
async fn the_tester_reports_agent_demoted_and_revoked_keys() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let web = app.create_application(&owner, "web").await;
    let agent = app.create_agent(&owner, &web, "runner").await;
    let agent_key = app
        .create_key_secret(
            &owner,
            agent_key(
                "agent",
                &web,
                &agent,
                &["applications:read", "applications:write"],
            ),
        )
        .await;
    let report: Value = app
        .send(
            &owner,
            TestCredential {
                secret: agent_key.to_string(),
            },
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["principal"]["kind"], "agent");
    assert_eq!(report["principal"]["agent"], "runner");
    assert_eq!(report["principal"]["application"], "web");
    let put = report["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["method"] == "PUT")
        .unwrap()
        .clone();
    assert_eq!(put["allowed"], true);
    assert!(put["reason"].as_str().unwrap().contains(&web), "{put}");

    let dev = app.add_member("dev@example.com", "developer").await;
    let dev_key = app
        .create_key_secret(
            &dev,
            key("dev", &["applications:read", "applications:write"]),
        )
        .await;
    app.set_role("dev@example.com", "viewer").await;
    let report: Value = app
        .send(
            &owner,
            TestCredential {
                secret: dev_key.to_string(),
            },
        )
        .await
        .json()
        .await
        .unwrap();
    let perms = report["permissions"].as_array().unwrap();
    let write = perms
        .iter()
        .find(|p| p["id"] == "applications:write")
        .unwrap();
    assert_eq!(write["dropped"], true);
    assert_eq!(write["effective"], false);
    assert!(report["message"]
        .as_str()
        .unwrap()
        .contains("no longer grants applications:write"));

    let id = app.key_row_id(&dev_key).await;
    app.run(
        &owner,
        RevokeKey {
            id: id.to_string(),
            reason: "".into(),
        },
    )
    .await
    .unwrap();
    let report: Value = app
        .send(
            &owner,
            TestCredential {
                secret: dev_key.to_string(),
            },
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["code"], "REVOKED");
    // Inspecting from the list needs no secret and runs no smoke tests.
    let inspected: Value = app
        .send(
            &owner,
            InspectKey { id: /*FIX*/app.key_row_id(&agent_key).await },
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inspected["principal"]["kind"], "agent");
    assert_eq!(inspected["smoke"], json!([]));
    assert!(!inspected["coverage"].as_array().unwrap().is_empty());
}

/// The tester checks secrets, so it is no way to guess them: each member runs at most 30 tests
/// a minute, and the refusal says when to try again.
#[tokio::test]
async fn the_tester_is_rate_limited_per_member() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    // 61 quick calls touch at most two one-minute windows, so one of them sees a 31st.
    let mut refused = None;
    for call in 1..=61 {
        let res = app
            .send(
                &owner,
                TestCredential {
                    secret: "not a secret".into(),
                },
            )
            .await;
        if !res.status().is_success() {
            refused = Some((call, res.json::<Value>().await.unwrap()));
            break;
        }
    }
    let (call, refused) = refused.expect("the tester never refused");
    assert!(call > 30, "refused the test number {call}");
    assert_eq!(refused["kind"], "too_many_requests", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("Try again in"),
        "{refused}"
    );
    // Another member has a budget of their own.
    let other = app.add_member("dev@example.com", "developer").await;
    let res = app
        .send(
            &other,
            TestCredential {
                secret: "not a secret".into(),
            },
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn the_tester_answers_a_plain_form_post_with_the_report_and_never_the_secret() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(&owner, key("posted reader", &["applications:read"]))
        .await;
    let post = |secret: String| {
        owner
            .post(app.url(app::pages::tester::REPORT_PATH))
            .form(&[("secret", secret)])
            .send()
    };
    let res = post(key.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Valid credential"), "{page}");
    assert!(page.contains("posted reader"), "{page}");
    assert!(!page.contains(&key[16..]), "the secret is never shown back");
    // The same test as the server function: audited.
    assert!(app
        .audit_actions()
        .await
        .iter()
        .any(|a| a == "credential.tested"));

    // Garbage gets its verdict on the same page; no session gets no test.
    let page = post("not a secret".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Refused"), "{page}");
    let anonymous = app
        .fresh_client()
        .post(app.url(app::pages::tester::REPORT_PATH))
        .form(&[("secret", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_ne!(anonymous.status(), 200);
}
