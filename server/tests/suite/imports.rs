//! Importing an existing secret: off until the workspace policy allows it; then a strong,
//! unused, foreign secret becomes a key (only its digest kept) that authenticates through
//! every transport, while any unusable value — weak, short, ours, odd, or already a secret —
//! gets one and the same refusal and stores nothing.

use crate::helpers::*;
use app::pages::api_keys::{RevokeKey, RotateKey};
use app::pages::tester::TestCredential;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

const EXISTING: &str = "q3Vx8Z_bN2kLw9eRt5yUi1oPa7sDf4gHj6kLz0xCv-M";

/// Turns importing (and the legacy transports) on or off for the owner's workspace.
async fn allow_import(app: &TestApp, owner: &Client, allowed: bool) {
    let form = SavePolicy {
        allow_service_keys: on(),
        allow_never_expiring: on(),
        legacy_transports: on(),
        allow_import: if allowed { on() } else { None },
        ..policy("", "600")
    };
    let res = app.send(owner, form).await;
    assert!(res.status().is_success(), "{}", res.status());
}

/// Imports `secret` through the console's plain form: (status, page).
async fn import_form(app: &TestApp, member: &Client, secret: &str) -> (StatusCode, String) {
    let res = member
        .post(app.url("/settings/api-keys/import"))
        .form(&[
            ("name", "legacy billing"),
            ("purpose", "moved from the old gateway"),
            ("principal", "service"),
            ("application_id", ""),
            ("agent_id", ""),
            ("preset", "custom"),
            ("permissions", "applications:read"),
            ("expiration", "30"),
            ("expires_on", ""),
            ("allowed_networks", ""),
            ("existing_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn an_imported_secret_works_through_every_transport_once_policy_allows() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;

    // Off by default: the form says so and a post is refused.
    let page = app.page_text(&owner, "/settings/api-keys/import").await;
    assert!(page.contains("does not allow importing keys"), "{page}");
    let (status, body) = import_form(&app, &owner, EXISTING).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("does not allow importing keys"), "{body}");
    assert_eq!(app.count("api_keys").await, 0);

    allow_import(&app, &owner, true).await;
    let page = app.page_text(&owner, "/settings/api-keys/import").await;
    assert!(page.contains("Existing secret") && page.contains("Import key"));
    let (status, body) = import_form(&app, &owner, EXISTING).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("legacy billing is imported as key"), "{body}");
    assert!(!body.contains(EXISTING), "the secret is never shown back");

    // Every transport: the preferred header, Bearer, and the legacy ones where allowed.
    assert!(app.works(EXISTING).await);
    let bearer = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(EXISTING)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let me: Value = bearer.json().await.unwrap();
    assert_eq!(me["principal"], "service");
    let legacy = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .header("x-apikey", EXISTING)
        .send()
        .await
        .unwrap();
    assert_eq!(legacy.status(), StatusCode::OK);
    let query = app
        .fresh_client()
        .get(app.url(&format!("/api/v1/me?key={EXISTING}")))
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), StatusCode::OK);

    // The list and the tester say it is imported; the review lists it as a finding.
    let listed = app.keys_page(&owner).await;
    let key = &listed["keys"][0];
    assert_eq!(key["imported"], true, "{listed}");
    assert_eq!(key["prefix"], key["key_id"]);
    let report = app
        .send_text(
            &owner,
            TestCredential {
                secret: EXISTING.to_string(),
            },
        )
        .await;
    assert!(report.contains("An imported secret"), "{report}");
    let review = app
        .fragment(&owner, "key_review", "finding=imported")
        .await
        .unwrap();
    assert!(review.contains("legacy billing"), "{review}");

    // Audited, and nothing but its digest is kept anywhere.
    assert!(app
        .audit_actions()
        .await
        .iter()
        .any(|a| a == "key.imported"));
    assert!(!app.all_text_columns().await.contains(EXISTING));

    // Revoked, it gets the specific reason (the digest matched), logged against the key.
    let id = key["id"].as_str().unwrap();
    let res = app
        .send(
            &owner,
            RevokeKey {
                id: id.to_string(),
                reason: "moved".into(),
            },
        )
        .await;
    assert!(res.status().is_success());
    let refused = app.me(EXISTING).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
}

#[tokio::test]
async fn unusable_values_get_one_answer_and_nothing_is_stored() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    allow_import(&app, &owner, true).await;
    let token = app.user_token(&owner).await;
    let import = |secret: String, permissions: Value| {
        let token = token.clone();
        let app = &app;
        async move {
            let res = app
                .user_api(
                    &token,
                    Method::POST,
                    "/api/v1/user/keys/import",
                    Some(json!({
                        "name": "imported", "purpose": "", "principal": "service",
                        "application_id": "", "agent_id": "", "preset": "custom",
                        "permissions": permissions, "expiration": "30", "expires_on": "",
                        "existing_secret": secret,
                    })),
                )
                .await;
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, created) = import(EXISTING.into(), json!(["applications:read"])).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["imported"], true);
    assert!(created.get("secret").is_none(), "no secret in the answer");
    let stored = app.count("api_keys").await;

    let keyward = app
        .create_key_secret(&owner, key("ours", &["applications:read"]))
        .await;
    let stored = stored + 1;
    let mut answers = vec![];
    for bad in [
        "short-Zx81q".to_string(),
        "password1234".repeat(4),
        "a".repeat(64),
        keyward,
        format!(" {EXISTING}"),
        format!("{EXISTING}\n"),
        format!("{}\u{7}{}", &EXISTING[..20], &EXISTING[20..]),
        "Zq9".repeat(90),
        // Already a secret here: the same answer as any unusable value.
        EXISTING.to_string(),
    ] {
        let (status, body) = import(bad.clone(), json!(["applications:read"])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {body}");
        assert_eq!(body["field"], "Existing secret", "{body}");
        answers.push(body["message"].as_str().unwrap().to_string());
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert!(answers[0].contains("cannot be imported"));
    assert_eq!(app.count("api_keys").await, stored);

    // A strong new secret is still capped at the member's role like any key.
    let developer = app.add_member("dev@example.com", "developer").await;
    let dev_token = app.user_token(&developer).await;
    let res = app
        .user_api(
            &dev_token,
            Method::POST,
            "/api/v1/user/keys/import",
            Some(json!({
                "name": "too much", "principal": "service", "preset": "custom",
                "application_id": "", "agent_id": "", "purpose": "",
                "permissions": ["keys:write"], "expiration": "30", "expires_on": "",
                "existing_secret": "3f9a0c27e4b15d68a7c2f0e91b34d5c6a8e7f201",
            })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("api_keys").await, stored);

    // Turned off again, importing is refused before anything is looked at.
    allow_import(&app, &owner, false).await;
    let (status, _) = import(
        "3f9a0c27e4b15d68a7c2f0e91b34d5c6a8e7f201".into(),
        json!(["applications:read"]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The imported key keeps working: the policy governs importing, not use.
    assert!(app.works(EXISTING).await);
}

#[tokio::test]
async fn rotating_an_imported_key_moves_it_to_a_generated_secret() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    allow_import(&app, &owner, true).await;
    let (status, body) = import_form(&app, &owner, EXISTING).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = app.keys_page(&owner).await;
    let id = listed["keys"][0]["id"].as_str().unwrap().to_string();
    let res = app
        .send(
            &owner,
            RotateKey {
                grace_seconds: 3600,
                ..rotation(&id)
            },
        )
        .await;
    assert!(res.status().is_success());
    let rotated: Value = res.json().await.unwrap();
    let fresh = rotated["secret"].as_str().unwrap();
    assert!(fresh.starts_with("kw_svc_"), "{fresh}");
    assert_eq!(rotated["key"]["imported"], false);
    // Both work during the grace period.
    assert!(app.works(fresh).await);
    assert!(app.works(EXISTING).await);
}

#[tokio::test]
async fn two_imports_of_one_secret_at_once_make_one_key_and_the_one_refusal() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    allow_import(&app, &owner, true).await;
    let token = app.user_token(&owner).await;
    let import = || {
        app.user_api(
            &token,
            Method::POST,
            "/api/v1/user/keys/import",
            Some(json!({
                "name": "raced", "purpose": "", "principal": "service", "application_id": "",
                "agent_id": "", "preset": "custom", "permissions": ["applications:read"],
                "expiration": "30", "expires_on": "", "existing_secret": EXISTING,
            })),
        )
    };
    let (a, b) = tokio::join!(import(), import());
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 422]);
    let refused = if a.status() == StatusCode::CREATED {
        b
    } else {
        a
    };
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["message"], domain::import::UNUSABLE, "{body}");
    assert_eq!(app.count("api_keys").await, 1);
}
