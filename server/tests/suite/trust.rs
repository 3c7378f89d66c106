//! Trust rules of DESIGN.md, each proven end to end on the real application: a secret reaches
//! only its owner, a revocation ends a key's whole lineage, every issuance obeys the policy,
//! and deleting what keys depend on is no back door to revoking others' keys. The same suite
//! runs on SQLite (default) and PostgreSQL (`KEYWARD_TEST_DB=postgres`).

use crate::helpers;
use crate::helpers::{agent_key, key, rotation, SavePolicy};
use app::pages::api_keys::{RevokeKey, RotateKey};
use app::pages::applications::{DeleteAgent, DeleteApplication, PreviewDeletion};
use app::pages::key_activity::SetBodyLogging;
use app::pages::login::Login;
use app::pages::tester::TestCredential;
use domain::model::CreateKeyForm;
use helpers::RouteId;

use helpers::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const WEEK: i64 = 604_800;

/// Rotates key `id` leaving the old secret working for a week: the new (secret, row id).
async fn rotate_with_a_week_of_grace(
    app: &helpers::TestApp,
    member: &reqwest::Client,
    id: &str,
) -> (String, String) {
    let res = app
        .send(
            member,
            RotateKey {
                grace_seconds: WEEK,
                ..rotation(id)
            },
        )
        .await;
    assert!(res.status().is_success(), "rotation: {}", res.status());
    let rotated: Value = res.json().await.unwrap();
    (
        rotated["secret"].as_str().unwrap().to_string(),
        rotated["key"]["id"].as_str().unwrap().to_string(),
    )
}

/// What deleting `application` would revoke, as `member`'s confirmation shows it.
async fn preview_deletion(
    app: &helpers::TestApp,
    member: &reqwest::Client,
    application: &str,
) -> Value {
    let res = app
        .send(
            member,
            PreviewDeletion {
                application_id: application.to_string(),
                id: "".into(),
            },
        )
        .await;
    assert!(res.status().is_success(), "preview: {}", res.status());
    res.json().await.unwrap()
}

/// The row of the keys page named `name`.
fn row<'a>(page: &'a Value, name: &str) -> &'a Value {
    page["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("no key {name} in {page}"))
}

#[tokio::test]
async fn only_the_owner_ever_sees_a_secret_of_their_key() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let admin = app.add_member("admin@example.com", "admin").await;
    let dev = app.add_member("dev@example.com", "developer").await;
    let (dev_secret, id) = app.read_only_key(&dev, "dev key").await;
    let keys_before = app.count("api_keys").await;

    // Neither an admin nor the workspace owner may rotate it: the answer holds no secret.
    for other in [&admin, &owner] {
        let res = app.send(other, rotation(&id)).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(!status.is_success(), "{status} {body}");
        assert!(body.contains("only a key's owner ever sees"), "{body}");
        assert!(!body.contains("kw_"), "a secret leaked: {body}");
    }
    assert_eq!(app.count("api_keys").await, keys_before);
    assert!(app.works(&dev_secret).await);

    // The console offers what the server allows: revoke yes, rotate no, on others' keys.
    let page = app.keys_page(&admin).await;
    let abilities = &row(&page, "dev key")["abilities"];
    assert_eq!(abilities["rotate"], false);
    assert_eq!(abilities["revoke"], true);
    assert_eq!(abilities["enable_body_logging"], false);
    assert_eq!(abilities["disable_body_logging"], true);
    let own = app.keys_page(&dev).await;
    assert_eq!(row(&own, "dev key")["abilities"]["rotate"], true);

    // Turning body logging on is the owner's decision; others with keys:write may turn it off.
    let on = app
        .send_text(
            &admin,
            SetBodyLogging {
                id: id.to_string(),
                enabled: true,
            },
        )
        .await;
    assert!(
        on.contains("Only the key's owner may turn body logging on"),
        "{on}"
    );
    let (logging,): (i64,) = sqlx::query_as("SELECT log_bodies FROM api_keys WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(logging, 0);
    for (who, enabled) in [(&dev, true), (&admin, false)] {
        let res = app
            .send(
                who,
                SetBodyLogging {
                    id: id.to_string(),
                    enabled,
                },
            )
            .await;
        assert!(res.status().is_success(), "{enabled}");
    }

    // The user API's rotation is the owner's own keys only.
    let key_id = domain::secret::parse(&dev_secret)
        .unwrap()
        .key_id
        .to_string();
    let admin_token = app.user_token(&admin).await;
    let res = app
        .user_api(
            &admin_token,
            Method::POST,
            &format!("/api/v1/user/keys/{key_id}/rotate"),
            Some(json!({"grace_seconds": 0})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.unwrap().contains("kw_"));
    assert_eq!(app.count("api_keys").await, keys_before);

    // The admin may still revoke it (and that ends it).
    let res = app
        .run(
            &admin,
            RevokeKey {
                id: id.to_string(),
                reason: "left".into(),
            },
        )
        .await;
    assert!(res.is_ok(), "{res:?}");
    assert!(!app.works(&dev_secret).await);
}

#[tokio::test]
async fn revoking_a_key_ends_every_secret_of_its_lineage() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (first, first_id) = app.read_only_key(&owner, "ci").await;
    // Two rotations, each leaving the old secret working for a week.
    let (second, second_id) = rotate_with_a_week_of_grace(&app, &owner, &first_id).await;
    let (third, third_id) = rotate_with_a_week_of_grace(&app, &owner, &second_id).await;
    for s in [&first, &second, &third] {
        assert!(app.works(s).await);
    }
    // The tester says what still works: this rotated-out secret, and the newest's predecessor.
    let tested = |secret: String| {
        let (app, owner) = (&app, &owner);
        async move {
            let report: Value = app
                .send(
                    owner,
                    TestCredential {
                        secret: secret.to_string(),
                    },
                )
                .await
                .json()
                .await
                .unwrap();
            report["message"].as_str().unwrap().to_string()
        }
    };
    let message = tested(first.clone()).await;
    assert!(
        message.contains("This secret was rotated out: it works until"),
        "{message}"
    );
    let message = tested(third.clone()).await;
    assert!(
        message.contains("The previous secret of this key still works until"),
        "{message}"
    );
    // The list shows the rotated-out secret that still works, revocable on its own.
    let page = app.keys_page(&owner).await;
    assert_eq!(row(&page, "ci")["previous_id"], json!(second_id));

    // Revoking the newest ends the whole lineage at once, audited per key id.
    let res = app
        .send(
            &owner,
            RevokeKey {
                id: third_id.to_string(),
                reason: "leaked".into(),
            },
        )
        .await;
    assert!(res.status().is_success());
    for s in [&first, &second, &third] {
        assert!(!app.works(s).await, "a secret of the lineage still works");
    }
    let revoked: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|(action, _, _)| action == "key.revoked")
        .map(|(_, target, _)| target)
        .collect();
    for s in [&first, &second, &third] {
        let key_id = domain::secret::parse(s).unwrap().key_id.to_string();
        assert!(
            revoked.contains(&format!("key:{key_id}")),
            "{key_id} not audited in {revoked:?}"
        );
    }
    let page = app.keys_page(&owner).await;
    assert!(row(&page, "ci")["previous_id"].is_null());
    assert!(row(&page, "ci")["previous_grace_until"].is_null());
}

#[tokio::test]
async fn revoke_now_ends_only_the_previous_secret() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (old, old_id) = app.read_only_key(&owner, "deploy").await;
    let (new, _) = rotate_with_a_week_of_grace(&app, &owner, &old_id).await;
    let page = app.keys_page(&owner).await;
    let previous = row(&page, "deploy")["previous_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(previous, old_id);
    let res = app
        .run(
            &owner,
            RevokeKey {
                id: previous.to_string(),
                reason: "".into(),
            },
        )
        .await;
    assert!(res.is_ok(), "{res:?}");
    assert!(!app.works(&old).await);
    assert!(app.works(&new).await);
    // A second "Revoke now" changes nothing and says so.
    let again = app
        .run(
            &owner,
            RevokeKey {
                id: previous.to_string(),
                reason: "".into(),
            },
        )
        .await
        .unwrap_err()
        .message;
    assert!(again.contains("already revoked"), "{again}");
    assert!(app.works(&new).await);
}

#[tokio::test]
async fn rotation_obeys_the_workspace_policy_as_it_is_now() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let allow_never = SavePolicy {
        allow_never_expiring: helpers::on(),
        allow_service_keys: helpers::on(),
        ..helpers::policy("", "120")
    };
    assert!(app.send(&owner, allow_never).await.status().is_success());
    let forever = app
        .create_key_secret(
            &owner,
            CreateKeyForm {
                expiration: "never".into(),
                ..key("forever", &["applications:read"])
            },
        )
        .await;
    let ninety = app
        .create_key_secret(
            &owner,
            CreateKeyForm {
                expiration: "90".into(),
                ..key("ninety", &["applications:read"])
            },
        )
        .await;
    // Policy tightens: keys must expire within 30 days.
    let strict = SavePolicy {
        allow_service_keys: helpers::on(),
        ..helpers::policy("30", "120")
    };
    assert!(app.send(&owner, strict).await.status().is_success());
    let keys_before = app.count("api_keys").await;
    let latest = domain::dates::format_date(keyward_core::now() + 30 * 86_400);

    let forever_id = app.key_row_id(&forever).await;
    let body = app
        .send(&owner, rotation(&forever_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("requires keys to expire"), "{body}");
    assert!(
        body.contains(&latest),
        "no nearest allowed expiry in {body}"
    );
    let ninety_id = app.key_row_id(&ninety).await;
    let body = app
        .send(&owner, rotation(&ninety_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("at most 30 days"), "{body}");
    // Nothing changed: no successor, both secrets still work and are not rotated out.
    assert_eq!(app.count("api_keys").await, keys_before);
    assert!(app.works(&forever).await && app.works(&ninety).await);

    // "Never" is no longer offered to a rotation either.
    let body = app
        .send(
            &owner,
            RotateKey {
                expiration: Some("never".into()),
                ..rotation(&forever_id)
            },
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("requires keys to expire"), "{body}");

    // With an expiry that fits, the rotation goes through, capped by the policy.
    let rotated: Value = app
        .send(
            &owner,
            RotateKey {
                expiration: Some("30".into()),
                ..rotation(&forever_id)
            },
        )
        .await
        .json()
        .await
        .unwrap();
    let expires = rotated["key"]["expires_at"].as_i64().unwrap();
    assert!(expires <= keyward_core::now() + 30 * 86_400);

    // The user API follows the same rule.
    let token = app.user_token(&owner).await;
    let key_id = domain::secret::parse(&ninety).unwrap().key_id.to_string();
    let path = format!("/api/v1/user/keys/{key_id}/rotate");
    let res = app
        .user_api(
            &token,
            Method::POST,
            &path,
            Some(json!({"grace_seconds": 0})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("at most 30 days"));
    let res = app
        .user_api(
            &token,
            Method::POST,
            &path,
            Some(json!({"grace_seconds": 0, "expiration": "7"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn deleting_an_application_with_live_keys_needs_keys_write() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    let web = app.create_application(&owner, "web").await;
    let owner_key = app
        .create_key_secret(
            &owner,
            CreateKeyForm {
                application_id: web.clone(),
                ..key("owner web", &["applications:read"])
            },
        )
        .await;
    let dev_key = app
        .create_key_secret(
            &dev,
            CreateKeyForm {
                application_id: web.clone(),
                ..key("dev web", &["applications:read"])
            },
        )
        .await;

    // The confirmation names what would be revoked: the developer's own key by name, the
    // owner's key only counted, and why the developer may not go ahead.
    let preview = preview_deletion(&app, &dev, &web).await;
    assert_eq!(preview["keys"][0]["name"], "dev web");
    assert_eq!(preview["keys"].as_array().unwrap().len(), 1);
    assert_eq!(preview["others"], 1);
    assert!(preview["refusal"]
        .as_str()
        .unwrap()
        .contains("2 live keys depend on this application"));

    // A developer (applications:write, no keys:write) is refused, naming the count.
    let body = app
        .send_text(
            &dev,
            DeleteApplication {
                id: web.to_string(),
            },
        )
        .await;
    assert!(body.contains("2 live keys depend"), "{body}");
    // So is a service key with applications:write.
    let writer = app
        .create_key_secret(
            &dev,
            key("writer", &["applications:read", "applications:write"]),
        )
        .await;
    let res = app
        .fresh_client()
        .delete(app.url(&format!("/api/v1/applications/{web}")))
        .header("x-keyward-api-token", &writer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("keys:write"));
    assert_eq!(app.count("applications").await, 1);
    assert!(app.works(&owner_key).await && app.works(&dev_key).await);

    // An application nobody depends on is the developer's to delete.
    let spare = app.create_application(&owner, "spare").await;
    let res = app
        .send(
            &dev,
            DeleteApplication {
                id: spare.to_string(),
            },
        )
        .await;
    assert!(res.status().is_success());

    // An admin may delete it, and its keys go with it.
    let admin_preview = preview_deletion(&app, &owner, &web).await;
    assert_eq!(admin_preview["keys"].as_array().unwrap().len(), 2);
    assert!(admin_preview["refusal"].is_null());
    let res = app
        .send(
            &owner,
            DeleteApplication {
                id: web.to_string(),
            },
        )
        .await;
    assert!(res.status().is_success());
    assert!(!app.works(&owner_key).await && !app.works(&dev_key).await);
}

#[tokio::test]
async fn deleting_an_agent_with_live_keys_needs_keys_write() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    let web = app.create_application(&owner, "web").await;
    let agent = app.create_agent(&owner, &web, "runner").await;
    let key = app
        .create_key_secret(
            &owner,
            agent_key("agent", &web, &agent, &["applications:read"]),
        )
        .await;
    let body = app
        .send_text(
            &dev,
            DeleteAgent {
                id: agent.to_string(),
            },
        )
        .await;
    assert!(body.contains("1 live key depends on this agent"), "{body}");
    assert_eq!(app.count("agents").await, 1);
    assert!(app.works(&key).await);
    let res = app
        .send(
            &owner,
            DeleteAgent {
                id: agent.to_string(),
            },
        )
        .await;
    assert!(res.status().is_success());
    assert!(!app.works(&key).await);
}

#[tokio::test]
async fn audit_events_alone_do_not_flush_verified_keys() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(&owner, key("k", &["applications:read"]))
        .await;
    assert!(app.works(&secret).await);
    let changes = app.state.db.changes().clone();
    // The change feed counts its own (re)connection as a change: start once it is quiet.
    let mut before = changes.epoch();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        if changes.epoch() == before {
            break;
        }
        before = changes.epoch();
    }
    // A failed sign-in and a credential test are audited, and change no credential.
    let _ = app
        .send(
            &app.fresh_client(),
            Login {
                email: helpers::OWNER_EMAIL.into(),
                password: "wrong password".into(),
                next: None,
            },
        )
        .await;
    let res = app
        .send(
            &owner,
            TestCredential {
                secret: secret.to_string(),
            },
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(changes.epoch(), before);
    // A revocation does.
    let id = app.key_row_id(&secret).await;
    app.run(
        &owner,
        RevokeKey {
            id: id.to_string(),
            reason: "".into(),
        },
    )
    .await
    .unwrap();
    assert_ne!(changes.epoch(), before);
}

#[tokio::test]
async fn refused_requests_land_in_the_keys_log_coalesced_and_without_the_secret() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (secret, id) = app.read_only_key(&owner, "probed").await;
    let parts = domain::secret::parse(&secret).unwrap();
    // Well-formed secrets for the public key id, with the wrong random part.
    let forged = domain::secret::assemble(
        parts.kind,
        &parts.key_id,
        &"F".repeat(domain::secret::RANDOM_LEN),
    );
    for _ in 0..5 {
        assert!(!app.works(&forged).await);
    }
    // Valid, but lacking a permission.
    let res = app.api_create_application(&secret, "x").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Revoked, then used.
    app.run(
        &owner,
        RevokeKey {
            id: id.to_string(),
            reason: "".into(),
        },
    )
    .await
    .unwrap();
    assert!(!app.works(&secret).await);

    let activity = || async { app.key_activity(&owner, &id).await };
    helpers::eventually("three refusal rows", || async {
        activity().await["refusals"].as_array().unwrap().len() == 3
    })
    .await;
    let page = activity().await;
    let refusals = page["refusals"].as_array().unwrap();
    let count = |reason: &str| {
        refusals
            .iter()
            .filter(|r| r["reason"] == reason)
            .map(|r| r["count"].as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!(count("INVALID_SECRET"), 5, "{refusals:?}");
    assert_eq!(count("FORBIDDEN"), 1, "{refusals:?}");
    assert_eq!(count("REVOKED"), 1, "{refusals:?}");
    let forbidden = refusals
        .iter()
        .find(|r| r["reason"] == "FORBIDDEN")
        .unwrap();
    assert_eq!(forbidden["route"], "/api/v1/applications");
    assert_eq!(forbidden["status"], 403);
    let text = page.to_string();
    assert!(!text.contains(&secret[16..]) && !text.contains(&forged[16..]));
    // Other keys' forged secrets and unknown key ids leave no row anywhere.
    let unknown = domain::secret::assemble(
        parts.kind,
        &domain::secret::KeyId::parse("ZZZZZZZZ").unwrap(),
        &"F".repeat(domain::secret::RANDOM_LEN),
    );
    assert!(!app.works(&unknown).await);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.count("key_refusals").await, 3);
}

#[tokio::test]
async fn a_credential_test_is_audited_where_the_key_lives() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let foreign = app.second_workspace_key().await;
    let res = app
        .send(
            &owner,
            TestCredential {
                secret: foreign.to_string(),
            },
        )
        .await;
    assert!(res.status().is_success());
    let key_id = domain::secret::parse(&foreign).unwrap().key_id.to_string();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT e.action, e.detail FROM audit_events e JOIN api_keys k ON k.workspace_id = e.workspace_id \
         WHERE k.key_id = $1 AND e.action = 'credential.tested'",
    )
    .bind(&key_id)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].1.contains("tested from another workspace"),
        "{rows:?}"
    );
    // And in the tester's own workspace, as before.
    let own: Vec<(String,)> = sqlx::query_as(
        "SELECT detail FROM audit_events WHERE action = 'credential.tested' AND workspace_id <> \
         (SELECT workspace_id FROM api_keys WHERE key_id = $1)",
    )
    .bind(&key_id)
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(own.len(), 1);
    assert!(!format!("{rows:?}{own:?}").contains(&foreign[16..]));
}

#[tokio::test]
async fn logged_bodies_keep_no_credential_of_any_product_and_nothing_unparsed() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(
            &owner,
            CreateKeyForm {
                log_bodies: true,
                ..key("loud", &["applications:read", "applications:write"])
            },
        )
        .await;
    let id = app.key_row_id(&secret).await;
    let github = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    let aws = "AKIAIOSFODNN7EXAMPLE";
    // A body the contract refuses (an unknown field), still logged redacted.
    let res = app
        .route(RouteId::ApplicationsCreate, &[], &secret)
        .json(&json!({"name": format!("web {github}"), "Client-Secret": "hunter2hunter2"}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let raw = format!(r#"{{"name": "broken {aws}""#);
    let res = app
        .fresh_client()
        .post(app.url("/api/v1/applications"))
        .header("x-keyward-api-token", &secret)
        .header("content-type", "application/json")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let activity = || async { app.key_activity(&owner, &id).await };
    helpers::eventually("two logged requests", || async {
        activity().await["entries"].as_array().unwrap().len() == 2
    })
    .await;
    let page = activity().await;
    let bodies: Vec<String> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["request_body"].as_str().unwrap_or("").to_string())
        .collect();
    let text = bodies.join("\n");
    for needle in [github, aws, "hunter2hunter2", &secret[16..]] {
        assert!(!text.contains(needle), "{needle} stored: {text}");
    }
    assert!(text.contains("web [redacted]"), "{text}");
    assert!(
        bodies.contains(&format!(
            "[{} bytes, application/json, not stored]",
            raw.len()
        )),
        "{bodies:?}"
    );
}

#[tokio::test]
async fn the_plain_form_handlers_keep_the_same_rules() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let admin = app.add_member("admin@example.com", "admin").await;
    let form = [
        ("name", "plain"),
        ("principal", "service"),
        ("preset", "read"),
        ("expiration", "30"),
    ];
    // Anonymous: to the sign-in page. Cross-site: refused.
    let res = app
        .fresh_client()
        .post(app.url("/settings/api-keys/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let res = owner
        .post(app.url("/settings/api-keys/new"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("api_keys").await, 0);
    // Signed in: the answer shows the secret, once, and is never stored by the browser.
    let res = owner
        .post(app.url("/settings/api-keys/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    let secret = page
        .split("value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    assert!(app.works(&secret).await);
    // Rotating someone else's key through the plain form is refused like anywhere else.
    let id = app.key_row_id(&secret).await;
    let res = admin
        .post(app.url("/settings/api-keys/rotate"))
        .form(&[
            ("id", id.as_str()),
            ("grace_seconds", "0"),
            ("expiration", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = res.text().await.unwrap();
    assert!(body.contains("only a key&#39;s owner ever sees"), "{body}");
    assert!(!body.contains("kw_svc_"), "{body}");
    assert_eq!(app.count("api_keys").await, 1);
    // Inviting needs members:write there too.
    let dev = app.add_member("dev@example.com", "developer").await;
    let res = dev
        .post(app.url("/settings/members/invite"))
        .form(&[("email", "x@example.com"), ("role", "viewer")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Missing permission members:write"));
}

#[tokio::test]
async fn the_token_list_pages_in_the_database_without_skipping_or_repeating_rows() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let web = app.create_application(&owner, "web").await;
    let reader = app
        .create_key_secret(&owner, key("reader", &["applications:read"]))
        .await;
    let mut before = Vec::new();
    for i in 0..7 {
        let secret = app
            .create_key_secret(
                &owner,
                CreateKeyForm {
                    application_id: web.clone(),
                    ..key(&format!("scoped {i}"), &["applications:read"])
                },
            )
            .await;
        before.push(domain::secret::parse(&secret).unwrap().key_id.to_string());
    }
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "2")];
        query.extend(cursor.as_deref().map(|c| ("cursor", c)));
        let page: Value = app
            .route(RouteId::ApplicationTokens, &[], &reader)
            .query(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ids: Vec<String> = page["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key_id"].as_str().unwrap().to_string())
            .collect();
        assert!(ids.len() <= 2);
        // Between pages: a new key arrives and a seen one is revoked.
        if pages == 0 {
            app.create_key_secret(
                &owner,
                CreateKeyForm {
                    application_id: web.clone(),
                    ..key("late", &["applications:read"])
                },
            )
            .await;
            let id: (String,) = sqlx::query_as("SELECT id FROM api_keys WHERE key_id = $1")
                .bind(&ids[0])
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
            app.run(
                &owner,
                RevokeKey {
                    id: id.0.to_string(),
                    reason: "".into(),
                },
            )
            .await
            .unwrap();
        }
        seen.extend(ids);
        pages += 1;
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
        assert!(pages < 10, "paging does not end");
    }
    for id in &before {
        assert_eq!(
            seen.iter().filter(|s| *s == id).count(),
            1,
            "{id} in {seen:?}"
        );
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "a row was repeated: {seen:?}");
    // A cursor that is not a key of this listing is refused, not guessed at.
    let res = app
        .route(RouteId::ApplicationTokens, &[], &reader)
        .query(&[("cursor", "ZZZZZZZZ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
