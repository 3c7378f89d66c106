//! Keys in the console: capped at the creator's role, revoked at once, rotated with a grace
//! period, bound to an agent or limited to one application, seen and revoked only by those
//! the trust rules allow, issued within the workspace policy.

use crate::helpers;
use app::pages::api_keys::RevokeKey;
use domain::routes::RouteId;
use helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::api::contract::ApplicationName;

#[tokio::test]
async fn keys_are_capped_at_the_creators_role_and_shrink_when_the_owner_is_demoted() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    // A developer cannot give a key keys:read.
    let res = app
        .create_key_as(
            &dev,
            json!({"name": "too much", "permissions": ["keys:read"]}),
        )
        .await;
    assert!(!res.status().is_success());
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("does not hold keys:read"));
    assert_eq!(app.count("api_keys").await, 0);

    let secret = app
        .create_key_secret(
            &dev,
            json!({"name": "ci", "permissions": ["applications:read", "applications:write"]}),
        )
        .await;
    let create = app
        .route(RouteId::ApplicationsCreate, &[], &secret)
        .json(&ApplicationName { name: "web".into() })
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), StatusCode::CREATED);

    app.set_role("dev@example.com", "viewer").await;
    let me: Value = app
        .api_get("/api/v1/me", &secret)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["permissions"], json!(["applications:read"]));
    let refused = app
        .route(RouteId::ApplicationsCreate, &[], &secret)
        .json(&ApplicationName {
            name: "web2".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.headers()["x-keyward-missing-permissions"],
        "applications:write"
    );
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "Forbidden.");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("applications:write"));

    app.remove_member("dev@example.com").await;
    let gone = app.api_get("/api/v1/me", &secret).await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    assert!(app
        .audit_actions()
        .await
        .contains(&"key.revoked".to_string()));
}

#[tokio::test]
async fn revocation_is_immediate_and_rotation_honours_the_grace_period() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let a = app
        .create_key_secret(
            &owner,
            json!({"name": "a", "permissions": ["applications:read"]}),
        )
        .await;
    assert_eq!(app.api_get("/api/v1/me", &a).await.status(), StatusCode::OK);

    let id = app.key_row_id(&a).await;
    let res = app
        .run(
            &owner,
            RevokeKey {
                id: id.to_string(),
                reason: "leaked".into(),
            },
        )
        .await;
    assert!(res.is_ok(), "{res:?}");
    let revoked = app.api_get("/api/v1/me", &a).await;
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    assert!(revoked.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body: Value = revoked.json().await.unwrap();
    assert_eq!(body["message"], "The key has been revoked.");
    assert!(body["request_id"].as_str().is_some_and(|r| r.len() == 36));

    // Rotation with a grace period: both secrets work; with none, the old one stops.
    let b = app
        .create_key_secret(
            &owner,
            json!({"name": "b", "permissions": ["applications:read"]}),
        )
        .await;
    let b_id = app.key_row_id(&b).await;
    let rotated: Value = app
        .call_json(
            &owner,
            "rotate_key",
            json!({"id": b_id, "grace_seconds": 3600}),
        )
        .await
        .json()
        .await
        .unwrap();
    let b2 = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(b, b2);
    assert_eq!(app.api_get("/api/v1/me", &b).await.status(), StatusCode::OK);
    assert_eq!(
        app.api_get("/api/v1/me", &b2).await.status(),
        StatusCode::OK
    );
    let b2_id = app.key_row_id(&b2).await;
    let rotated_now: Value = app
        .call_json(
            &owner,
            "rotate_key",
            json!({"id": b2_id, "grace_seconds": 0}),
        )
        .await
        .json()
        .await
        .unwrap();
    let out: Value = app.api_get("/api/v1/me", &b2).await.json().await.unwrap();
    assert_eq!(
        out["message"],
        "The key was rotated and its grace period has ended."
    );
    let b3 = rotated_now["secret"].as_str().unwrap();
    assert_eq!(app.api_get("/api/v1/me", b3).await.status(), StatusCode::OK);
    let actions = app.audit_actions().await;
    for a in ["key.created", "key.revoked", "key.rotated"] {
        assert!(
            actions.contains(&a.to_string()),
            "{a} missing from {actions:?}"
        );
    }
    assert!(
        !app.all_text_columns().await.contains(&b2),
        "a secret reached the database"
    );
}

#[tokio::test]
async fn key_creation_refuses_bad_input_and_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let other_agent = {
        // An agent of an application in this workspace, and a key form naming it for another.
        app.call_fn_with(&owner, "create_application", &[("name", "a")])
            .await;
        app.call_fn_with(&owner, "create_application", &[("name", "b")])
            .await;
        let apps: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM applications ORDER BY name")
                .fetch_all(app.state.db.pool())
                .await
                .unwrap();
        app.call_fn_with(
            &owner,
            "create_agent",
            &[
                ("application_id", &apps[0].0),
                ("name", "runner"),
                ("description", ""),
            ],
        )
        .await;
        let (agent,): (String,) = sqlx::query_as("SELECT id FROM agents")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        (apps[1].0.clone(), agent)
    };
    let cases = vec![
        (
            json!({"name": "", "permissions": ["keys:read"]}),
            "Name is required.",
        ),
        (
            json!({"name": "x".repeat(101), "permissions": ["keys:read"]}),
            "at most 100",
        ),
        (
            json!({"name": "k", "permissions": ["keys:delete"]}),
            "unknown permission",
        ),
        (
            json!({"name": "k", "permissions": []}),
            "at least one permission",
        ),
        (
            json!({"name": "k", "permissions": ["keys:read"], "expiration": "custom", "expires_on": "2001-01-01"}),
            "in the future",
        ),
        (
            json!({"name": "k", "permissions": ["keys:read"], "expiration": "custom", "expires_on": "soon"}),
            "must be a date",
        ),
        (
            json!({"name": "k", "permissions": ["keys:read"], "expiration": "never"}),
            "requires keys to expire",
        ),
        (
            json!({"name": "k", "permissions": ["keys:read"], "principal": "agent", "application_id": other_agent.0, "agent_id": other_agent.1}),
            "another application",
        ),
        (
            json!({"name": "k", "permissions": ["keys:read"], "principal": "agent"}),
            "bound to an agent",
        ),
        (
            json!({"name": "k", "permissions": ["keys:read"], "application_id": uuid::Uuid::new_v4().to_string()}),
            "Unknown application",
        ),
    ];
    for (form, expected) in cases {
        let res = app.create_key_as(&owner, form.clone()).await;
        let body = res.text().await.unwrap();
        assert!(body.contains(expected), "{form}: {body}");
    }
    assert_eq!(app.count("api_keys").await, 0);
    // Policy: a maximum lifetime refuses longer keys.
    sqlx::query("UPDATE workspaces SET max_key_lifetime_days = 7")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let body = app
        .create_key_as(
            &owner,
            json!({"name": "k", "permissions": ["keys:read"], "expiration": "30"}),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("at most 7 days"), "{body}");
    assert_eq!(app.count("api_keys").await, 0);
}

#[tokio::test]
async fn agent_keys_are_bound_to_their_application() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app.create_key_secret(&owner, json!({"name": "admin", "permissions": ["applications:read", "applications:write", "agents:write"]})).await;
    let a: Value = app
        .route(RouteId::ApplicationsCreate, &[], &key)
        .json(&ApplicationName { name: "a".into() })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let b: Value = app
        .route(RouteId::ApplicationsCreate, &[], &key)
        .json(&ApplicationName { name: "b".into() })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (a, b) = (
        a["id"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    );
    let agent: Value = app
        .api_post(
            &format!("/api/v1/applications/{a}/agents"),
            &key,
            json!({"name": "runner"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(agent["id"].is_string(), "{agent}");
    let agent_key = app
        .create_key_secret(&owner, json!({"name": "agent", "principal": "agent", "application_id": a, "agent_id": agent["id"], "permissions": ["applications:read", "applications:write"]}))
        .await;
    assert!(agent_key.starts_with("kw_agt_"));
    let put = |app_id: String| {
        let app = &app;
        let agent_key = agent_key.clone();
        async move {
            app.fresh_client()
                .put(app.url(&format!("/api/v1/applications/{app_id}/content")))
                .header("x-keyward-api-token", agent_key)
                .json(&json!({"content": "hello"}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(put(a.clone()).await.status(), StatusCode::NO_CONTENT);
    let refused = put(b.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["message"],
        "The agent key is bound to another application."
    );
    let agents: Value = app
        .api_get(&format!("/api/v1/application/{a}/agents"), &agent_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(agents["agents"][0]["name"], "runner");
    let tokens: Value = app
        .api_get("/api/v1/application/tokens?limit=1", &agent_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(tokens["tokens"][0]["principal"], "agent");
    assert!(!tokens.to_string().contains(&agent_key[16..]));
}

#[tokio::test]
async fn who_sees_and_revokes_whose_keys() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    let auditor = app.add_member("auditor@example.com", "auditor").await;
    let dev_secret = app
        .create_key_secret(
            &dev,
            json!({"name": "dev key", "permissions": ["applications:read"]}),
        )
        .await;
    let owner_secret = app
        .create_key_secret(
            &owner,
            json!({"name": "owner key", "permissions": ["applications:read"]}),
        )
        .await;
    let names = |v: Value| {
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let dev_view = names(
        app.call_json(&dev, "keys_page", json!({}))
            .await
            .json()
            .await
            .unwrap(),
    );
    assert_eq!(dev_view, vec!["dev key"]);
    let mut auditor_view = names(
        app.call_json(&auditor, "keys_page", json!({}))
            .await
            .json()
            .await
            .unwrap(),
    );
    auditor_view.sort();
    assert_eq!(auditor_view, vec!["dev key", "owner key"]);
    // A developer cannot revoke or rotate someone else's key: for them it does not exist.
    let owner_key = app.key_row_id(&owner_secret).await;
    let res = app
        .run(
            &dev,
            RevokeKey {
                id: owner_key.to_string(),
                reason: "".into(),
            },
        )
        .await
        .unwrap_err()
        .message;
    assert!(res.contains("Not found"), "{res}");
    let res = app
        .call_json(
            &dev,
            "rotate_key",
            json!({"id": owner_key, "grace_seconds": 0}),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(res.contains("Not found"), "{res}");
    assert_eq!(
        app.api_get("/api/v1/me", &owner_secret).await.status(),
        StatusCode::OK
    );
    // An auditor may revoke any key (incident response), but not rotate it.
    let dev_key = app.key_row_id(&dev_secret).await;
    let rot = app
        .call_json(
            &auditor,
            "rotate_key",
            json!({"id": dev_key, "grace_seconds": 0}),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(rot.contains("only change your own"), "{rot}");
    let res = app
        .call_json(
            &auditor,
            "revoke_key",
            json!({"id": dev_key, "reason": "incident"}),
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(
        app.api_get("/api/v1/me", &dev_secret).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Keys are not sessions: a key cannot call the console's server functions.
    let res = app
        .fresh_client()
        .post(app.url(&helpers::fn_path("keys_page")))
        .header("x-keyward-api-token", &owner_secret)
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("Sign in to continue."));
}

#[tokio::test]
async fn owners_set_the_key_policy_and_others_cannot() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    let form = [
        ("max_lifetime_days", "90"),
        ("allow_never_expiring", "on"),
        ("allow_service_keys", "on"),
        ("rate_limit_per_minute", "120"),
    ];
    let refused = app
        .call_fn_with(&dev, "save_policy", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(refused.contains("Missing permission"), "{refused}");
    assert!(app
        .call_fn_with(&owner, "save_policy", &form)
        .await
        .status()
        .is_success());
    let policy: Value = app
        .call_json(&dev, "get_policy", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(policy["max_lifetime_days"], 90);
    assert_eq!(policy["allow_never_expiring"], true);
    assert_eq!(policy["allow_agent_keys"], false);
    assert_eq!(policy["rate_limit_per_minute"], 120);
    // Agent keys are now refused; "never" is allowed.
    let body = app
        .create_key_as(
            &owner,
            json!({"name": "a", "principal": "agent", "permissions": ["keys:read"]}),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("does not allow agent keys"), "{body}");
    let secret = app
        .create_key_secret(
            &owner,
            json!({"name": "forever", "permissions": ["keys:read"], "expiration": "never"}),
        )
        .await;
    let me: Value = app
        .api_get("/api/v1/me", &secret)
        .await
        .json()
        .await
        .unwrap();
    assert!(me["expires_at"].is_null());
    assert!(app
        .audit_actions()
        .await
        .contains(&"policy.changed".to_string()));
}

#[tokio::test]
async fn keys_limited_to_one_application_reach_only_it() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    // keys:write too: deleting an application revokes the keys that depend on it.
    let admin = app
        .create_key_secret(
            &owner,
            json!({"name": "admin", "permissions": ["applications:read", "applications:write", "keys:write"]}),
        )
        .await;
    let a: Value = app
        .route(RouteId::ApplicationsCreate, &[], &admin)
        .json(&ApplicationName { name: "a".into() })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let b: Value = app
        .route(RouteId::ApplicationsCreate, &[], &admin)
        .json(&ApplicationName { name: "b".into() })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let scoped = app
        .create_key_secret(
            &owner,
            json!({"name": "only a", "application_id": a, "permissions": ["applications:read"]}),
        )
        .await;
    assert_eq!(
        app.api_get(&format!("/api/v1/applications/{a}"), &scoped)
            .await
            .status(),
        StatusCode::OK
    );
    let other = app
        .api_get(&format!("/api/v1/applications/{b}"), &scoped)
        .await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        other.json::<Value>().await.unwrap()["message"],
        "The key is limited to another application."
    );
    let listed: Value = app
        .api_get("/api/v1/applications", &scoped)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["applications"].as_array().unwrap().len(), 1);
    assert_eq!(listed["applications"][0]["id"], a);
    // The whole-workspace key reads both, and renames and deletes through the same table.
    assert_eq!(
        app.api_get(&format!("/api/v1/applications/{b}"), &admin)
            .await
            .status(),
        StatusCode::OK
    );
    let renamed = app
        .fresh_client()
        .patch(app.url(&format!("/api/v1/applications/{b}")))
        .header("x-keyward-api-token", &admin)
        .json(&json!({"name": "b2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "b2");
    let deleted = app
        .fresh_client()
        .delete(app.url(&format!("/api/v1/applications/{a}")))
        .header("x-keyward-api-token", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    // Deleting the application revoked the key limited to it.
    assert_eq!(
        app.api_get("/api/v1/me", &scoped).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deleting_an_agent_revokes_its_keys_and_is_audited() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let web = app.create_application(&owner, "web").await;
    let renamed = app
        .call_fn_with(
            &owner,
            "rename_application",
            &[("id", &web), ("name", "website")],
        )
        .await;
    assert!(renamed.status().is_success());
    let agent = app.create_agent(&owner, &web, "runner").await;
    let key = app.create_key_secret(&owner, json!({"name": "agent", "principal": "agent", "application_id": web, "agent_id": agent, "permissions": ["applications:read"]})).await;
    assert_eq!(
        app.api_get("/api/v1/me", &key).await.status(),
        StatusCode::OK
    );
    assert!(app
        .call_fn_with(&owner, "delete_agent", &[("id", &agent)])
        .await
        .status()
        .is_success());
    assert_eq!(app.count("agents").await, 0);
    assert_eq!(
        app.api_get("/api/v1/me", &key).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let actions = app.audit_actions().await;
    for a in [
        "application.created",
        "application.renamed",
        "agent.created",
        "agent.deleted",
        "key.revoked",
    ] {
        assert!(
            actions.contains(&a.to_string()),
            "{a} missing from {actions:?}"
        );
    }
}

/// A stored key is read strictly: a row whose kind storage cannot read back is refused (as
/// an internal error), never taken for a service key. (Its ids are foreign keys, so the
/// database itself keeps them readable; they are checked on reading all the same.)
#[tokio::test]
async fn a_key_row_storage_cannot_read_is_refused_not_guessed() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(
            &owner,
            json!({"name": "broken", "permissions": ["applications:read"]}),
        )
        .await;
    assert!(app.works(&secret).await);
    let key_id = domain::secret::parse(&secret).unwrap().key_id.to_string();
    sqlx::query("UPDATE api_keys SET kind = 'bogus' WHERE key_id = $1")
        .bind(&key_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    helpers::eventually("the broken row to be read again", || async {
        app.api_get("/api/v1/me", &secret).await.status() != StatusCode::OK
    })
    .await;
    let res = app.api_get("/api/v1/me", &secret).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn a_rotation_waits_for_the_new_secret_then_ends_the_old_at_once() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (old, id) = app.read_only_key(&owner, "nightly job").await;
    let res = app
        .rotate_key(&owner, &id, json!({"grace_seconds": -1}))
        .await;
    assert!(res.status().is_success());
    let rotated: Value = res.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_string();

    // Until the new secret is used, the old one keeps working, and the list says why.
    for _ in 0..3 {
        assert!(app.works(&old).await);
    }
    let page = app.keys_page(&owner).await;
    let successor = page["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["previous_grace_until"].is_i64())
        .unwrap()
        .clone();
    assert_eq!(successor["previous_until_first_use"], true, "{successor}");
    let until = successor["previous_grace_until"].as_i64().unwrap();
    assert!(until > keyward_core::now() + 6 * 86_400, "at most 7 days");

    // The first use of the new secret ends the old one at once.
    assert!(app.works(&new).await);
    let res = app.api_get("/api/v1/me", &old).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("rotated"),
        "{body}"
    );
    assert!(app.works(&new).await);
    let done: Vec<_> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.0 == "key.rotation_completed")
        .collect();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].1, format!("key:{}", &old[7..15]));

    // An unknown grace is refused.
    let (_, other) = app.read_only_key(&owner, "other").await;
    let res = app
        .rotate_key(&owner, &other, json!({"grace_seconds": -2}))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}
