//! Keys in the console: capped at the creator's role, revoked at once, rotated with a grace
//! period, bound to an agent or limited to one application, seen and revoked only by those
//! the trust rules allow, issued within the workspace policy.

use crate::helpers;
use crate::helpers::{agent_key, key, on, policy, rotation};
use app::pages::api_keys::{KeysPage, RevokeKey, RotateKey};
use app::pages::applications::{CreateAgent, CreateApplication, DeleteAgent, RenameApplication};
use app::pages::security::{GetPolicy, SavePolicy};
use domain::model::CreateKeyForm;
use domain::routes::RouteId;
use helpers::spawn_app;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::api::contract::{ApplicationContent, ApplicationName, NewAgent};

#[tokio::test]
async fn keys_are_capped_at_the_creators_role_and_shrink_when_the_owner_is_demoted() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    // A developer cannot give a key keys:read.
    let res = app
        .create_key_as(&dev, key("too much", &["keys:read"]))
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
            key("ci", &["applications:read", "applications:write"]),
        )
        .await;
    let create = app.api_create_application(&secret, "web").await;
    assert_eq!(create.status(), StatusCode::CREATED);
    // Answered (and remembered) before the demotion, so the answer after it must be new.
    let me: Value = app.me(&secret).await.json().await.unwrap();
    assert_eq!(
        me["permissions"],
        json!(["applications:read", "applications:write"])
    );

    app.set_role("dev@example.com", "viewer").await;
    let me: Value = app.me(&secret).await.json().await.unwrap();
    assert_eq!(me["permissions"], json!(["applications:read"]));
    let refused = app.api_create_application(&secret, "web2").await;
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
    let gone = app.me(&secret).await;
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
        .create_key_secret(&owner, key("a", &["applications:read"]))
        .await;
    assert_eq!(app.me(&a).await.status(), StatusCode::OK);

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
    let revoked = app.me(&a).await;
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        revoked.headers()["www-authenticate"],
        r#"Bearer realm="keyward", error="invalid_token""#
    );
    let body: Value = revoked.json().await.unwrap();
    assert_eq!(body["message"], "The key has been revoked.");
    assert!(body["request_id"].as_str().is_some_and(|r| r.len() == 36));

    // Rotation with a grace period: both secrets work; with none, the old one stops.
    let b = app
        .create_key_secret(&owner, key("b", &["applications:read"]))
        .await;
    let b_id = app.key_row_id(&b).await;
    let rotated: Value = app
        .send(
            &owner,
            RotateKey {
                id: b_id.to_string(),
                grace_seconds: 3600,
                expiration: None,
                expires_on: None,
            },
        )
        .await
        .json()
        .await
        .unwrap();
    let b2 = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(b, b2);
    assert_eq!(app.me(&b).await.status(), StatusCode::OK);
    assert_eq!(app.me(&b2).await.status(), StatusCode::OK);
    let b2_id = app.key_row_id(&b2).await;
    let rotated_now: Value = app
        .send(
            &owner,
            RotateKey {
                id: b2_id.to_string(),
                grace_seconds: 0,
                expiration: None,
                expires_on: None,
            },
        )
        .await
        .json()
        .await
        .unwrap();
    let out: Value = app.me(&b2).await.json().await.unwrap();
    assert_eq!(
        out["message"],
        "The key was rotated and its grace period has ended."
    );
    let b3 = rotated_now["secret"].as_str().unwrap();
    assert_eq!(app.me(b3).await.status(), StatusCode::OK);
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
        app.send(&owner, CreateApplication { name: "a".into() })
            .await;
        app.send(&owner, CreateApplication { name: "b".into() })
            .await;
        let apps: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM applications ORDER BY name")
                .fetch_all(app.state.db.pool())
                .await
                .unwrap();
        app.send(
            &owner,
            CreateAgent {
                application_id: apps[0].0.clone(),
                name: "runner".into(),
                description: "".into(),
            },
        )
        .await;
        let (agent,): (String,) = sqlx::query_as("SELECT id FROM agents")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        (apps[1].0.clone(), agent)
    };
    let cases = vec![
        (key("", &["keys:read"]), "Name is required."),
        (key(&"x".repeat(101), &["keys:read"]), "at most 100"),
        (key("k", &["keys:delete"]), "unknown permission"),
        (key("k", &[]), "at least one permission"),
        (
            CreateKeyForm {
                expiration: "custom".into(),
                expires_on: "2001-01-01".into(),
                ..key("k", &["keys:read"])
            },
            "in the future",
        ),
        (
            CreateKeyForm {
                expiration: "custom".into(),
                expires_on: "soon".into(),
                ..key("k", &["keys:read"])
            },
            "must be a date",
        ),
        (
            CreateKeyForm {
                expiration: "never".into(),
                ..key("k", &["keys:read"])
            },
            "requires keys to expire",
        ),
        (
            agent_key("k", &other_agent.0, &other_agent.1, &["keys:read"]),
            "another application",
        ),
        (
            CreateKeyForm {
                principal: "agent".into(),
                ..key("k", &["keys:read"])
            },
            "bound to an agent",
        ),
        (
            CreateKeyForm {
                application_id: uuid::Uuid::new_v4().to_string(),
                ..key("k", &["keys:read"])
            },
            "Unknown application",
        ),
    ];
    for (form, expected) in cases {
        let res = app.create_key_as(&owner, form.clone()).await;
        let body = res.text().await.unwrap();
        assert!(body.contains(expected), "{form:?}: {body}");
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
            CreateKeyForm {
                expiration: "30".into(),
                ..key("k", &["keys:read"])
            },
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
    let key = app
        .create_key_secret(
            &owner,
            key(
                "admin",
                &["applications:read", "applications:write", "agents:write"],
            ),
        )
        .await;
    let a: Value = app
        .api_create_application(&key, "a")
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .api_create_application(&key, "b")
        .await
        .json()
        .await
        .unwrap();
    let (a, b) = (
        a["id"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    );
    let agent: Value = app
        .api_with(
            RouteId::AgentsCreate,
            &[&a],
            &key,
            &NewAgent {
                name: "runner".into(),
                description: String::new(),
            },
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(agent["id"].is_string(), "{agent}");
    let agent_key = app
        .create_key_secret(
            &owner,
            agent_key(
                "agent",
                &a,
                agent["id"].as_str().unwrap(),
                &["applications:read", "applications:write"],
            ),
        )
        .await;
    assert!(agent_key.starts_with("kw_agt_"));
    let put = |app_id: String| {
        let app = &app;
        let agent_key = agent_key.clone();
        async move {
            app.api_with(
                RouteId::ApplicationContentPut,
                &[&app_id],
                &agent_key,
                &ApplicationContent {
                    content: "hello".into(),
                },
            )
            .await
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
        .api(RouteId::ApplicationAgentsByUuid, &[&a], &agent_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(agents["agents"][0]["name"], "runner");
    let tokens: Value = app
        .route(RouteId::ApplicationTokens, &[], &agent_key)
        .query(&[("limit", "1")])
        .send()
        .await
        .unwrap()
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
        .create_key_secret(&dev, key("dev key", &["applications:read"]))
        .await;
    let owner_secret = app
        .create_key_secret(&owner, key("owner key", &["applications:read"]))
        .await;
    let names = |v: Value| {
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let dev_view = names(app.keys_page(&dev).await);
    assert_eq!(dev_view, vec!["dev key"]);
    let mut auditor_view = names(app.keys_page(&auditor).await);
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
        .send(
            &dev,
            RotateKey {
                id: owner_key.to_string(),
                grace_seconds: 0,
                expiration: None,
                expires_on: None,
            },
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(res.contains("Not found"), "{res}");
    assert_eq!(app.me(&owner_secret).await.status(), StatusCode::OK);
    // An auditor may revoke any key (incident response), but not rotate it.
    let dev_key = app.key_row_id(&dev_secret).await;
    let rot = app
        .send(
            &auditor,
            RotateKey {
                id: dev_key.to_string(),
                grace_seconds: 0,
                expiration: None,
                expires_on: None,
            },
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(rot.contains("only change your own"), "{rot}");
    let res = app
        .send(
            &auditor,
            RevokeKey {
                id: dev_key.to_string(),
                reason: "incident".into(),
            },
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(app.me(&dev_secret).await.status(), StatusCode::UNAUTHORIZED);
    // Keys are not sessions: a key cannot call the console's server functions.
    let res = app
        .fresh_client()
        .post(app.url(KeysPage::PATH))
        .header("x-keyward-api-token", &owner_secret)
        .form(&helpers::all_keys())
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
    let form = SavePolicy {
        allow_never_expiring: on(),
        allow_service_keys: on(),
        ..policy("90", "120")
    };
    let refused = app.send(&dev, form.clone()).await.text().await.unwrap();
    assert!(refused.contains("Missing permission"), "{refused}");
    assert!(app.send(&owner, form).await.status().is_success());
    let policy: Value = app.send(&dev, GetPolicy {}).await.json().await.unwrap();
    assert_eq!(policy["max_lifetime_days"], 90);
    assert_eq!(policy["allow_never_expiring"], true);
    assert_eq!(policy["allow_agent_keys"], false);
    assert_eq!(policy["rate_limit_per_minute"], 120);
    // Agent keys are now refused; "never" is allowed.
    let body = app
        .create_key_as(
            &owner,
            CreateKeyForm {
                principal: "agent".into(),
                ..key("a", &["keys:read"])
            },
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("does not allow agent keys"), "{body}");
    let secret = app
        .create_key_secret(
            &owner,
            CreateKeyForm {
                expiration: "never".into(),
                ..key("forever", &["keys:read"])
            },
        )
        .await;
    let me: Value = app.me(&secret).await.json().await.unwrap();
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
            key(
                "admin",
                &["applications:read", "applications:write", "keys:write"],
            ),
        )
        .await;
    let a: Value = app
        .api_create_application(&admin, "a")
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .api_create_application(&admin, "b")
        .await
        .json()
        .await
        .unwrap();
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let scoped = app
        .create_key_secret(
            &owner,
            CreateKeyForm {
                application_id: a.into(),
                ..key("only a", &["applications:read"])
            },
        )
        .await;
    assert_eq!(
        app.api(RouteId::ApplicationRead, &[a], &scoped)
            .await
            .status(),
        StatusCode::OK
    );
    let other = app.api(RouteId::ApplicationRead, &[b], &scoped).await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        other.json::<Value>().await.unwrap()["message"],
        "The key is limited to another application."
    );
    let listed: Value = app
        .api(RouteId::ApplicationsList, &[], &scoped)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["applications"].as_array().unwrap().len(), 1);
    assert_eq!(listed["applications"][0]["id"], a);
    // The whole-workspace key reads both, and renames and deletes through the same table.
    assert_eq!(
        app.api(RouteId::ApplicationRead, &[b], &admin)
            .await
            .status(),
        StatusCode::OK
    );
    let renamed = app
        .api_with(
            RouteId::ApplicationUpdate,
            &[b],
            &admin,
            &ApplicationName { name: "b2".into() },
        )
        .await;
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
    assert_eq!(app.me(&scoped).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deleting_an_agent_revokes_its_keys_and_is_audited() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let web = app.create_application(&owner, "web").await;
    let renamed = app
        .send(
            &owner,
            RenameApplication {
                id: web.to_string(),
                name: "website".into(),
            },
        )
        .await;
    assert!(renamed.status().is_success());
    let agent = app.create_agent(&owner, &web, "runner").await;
    let key = app
        .create_key_secret(
            &owner,
            agent_key("agent", &web, &agent, &["applications:read"]),
        )
        .await;
    assert_eq!(app.me(&key).await.status(), StatusCode::OK);
    assert!(app
        .send(
            &owner,
            DeleteAgent {
                id: agent.to_string()
            }
        )
        .await
        .status()
        .is_success());
    assert_eq!(app.count("agents").await, 0);
    assert_eq!(app.me(&key).await.status(), StatusCode::UNAUTHORIZED);
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
        .create_key_secret(&owner, key("broken", &["applications:read"]))
        .await;
    assert!(app.works(&secret).await);
    let key_id = domain::secret::parse(&secret).unwrap().key_id.to_string();
    sqlx::query("UPDATE api_keys SET kind = 'bogus' WHERE key_id = $1")
        .bind(&key_id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    helpers::eventually("the broken row to be read again", || async {
        app.me(&secret).await.status() != StatusCode::OK
    })
    .await;
    let res = app.me(&secret).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn a_rotation_waits_for_the_new_secret_then_ends_the_old_at_once() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (old, id) = app.read_only_key(&owner, "nightly job").await;
    let res = app
        .send(
            &owner,
            RotateKey {
                grace_seconds: -1,
                ..rotation(&id)
            },
        )
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
    let res = app.me(&old).await;
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
        .send(
            &owner,
            RotateKey {
                grace_seconds: -2,
                ..rotation(&other)
            },
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}
