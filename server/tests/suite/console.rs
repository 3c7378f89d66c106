//! The console's doors: health, first-run setup, sign-in, and the gate every server function
//! passes (cross-site, anonymous and under-privileged callers refused), with bad input that
//! changes nothing.

use crate::helpers;
use crate::helpers::key;
use app::pages::applications::CreateApplication;
use app::pages::login::{Login, Logout};
use app::pages::members::{ChangeMemberRole, InviteMember, RemoveMember};
use app::pages::setup::Setup;
use helpers::RouteId;
use helpers::{spawn_app, OWNER_EMAIL, OWNER_PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn first_run_setup_creates_the_owner_once_and_refuses_bad_input() {
    let app = spawn_app().await;
    // Before setup every page leads to /setup.
    let res = app.get("/settings/api-keys").await;
    assert_eq!(res.headers()["location"], "/setup");

    for (ws, email, pw) in [
        ("", OWNER_EMAIL, OWNER_PASSWORD),
        ("Acme", "not-an-email", OWNER_PASSWORD),
        ("Acme", OWNER_EMAIL, "short"),
        ("Ac\0me", OWNER_EMAIL, OWNER_PASSWORD),
        (&"x".repeat(1100), OWNER_EMAIL, OWNER_PASSWORD),
    ] {
        let form = Setup {
            workspace_name: ws.into(),
            email: email.into(),
            password: pw.into(),
        };
        let res = app.send(&app.client, form).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{ws:?} {email:?}");
        assert_eq!(
            app.count("users").await,
            0,
            "stored something for {ws:?} {email:?}"
        );
    }
    let form = Setup {
        workspace_name: "Acme".into(),
        email: OWNER_EMAIL.into(),
        password: OWNER_PASSWORD.into(),
    };
    let res = app.send(&app.client, form).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    assert_eq!(app.count("users").await, 1);

    let form = Setup {
        workspace_name: "Evil".into(),
        email: "evil@example.com".into(),
        password: OWNER_PASSWORD.into(),
    };
    let again = app.send(&app.client, form).await;
    assert!(!again.status().is_success());
    assert!(again.text().await.unwrap().contains("already set up"));
    assert_eq!(app.count("users").await, 1);
    assert_eq!(app.count("workspaces").await, 1);
}

#[tokio::test]
async fn sign_in_is_generic_on_failure_and_sessions_guard_pages() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let anonymous = app.fresh_client();
    let res = anonymous
        .get(app.url("/settings/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));

    let unknown = app
        .send(
            &anonymous,
            Login {
                email: "nobody@example.com".into(),
                password: OWNER_PASSWORD.to_string(),
                next: None,
            },
        )
        .await;
    let wrong = app
        .send(
            &anonymous,
            Login {
                email: OWNER_EMAIL.to_string(),
                password: "wrong password!".into(),
                next: None,
            },
        )
        .await;
    let (unknown, wrong) = (unknown.text().await.unwrap(), wrong.text().await.unwrap());
    assert!(unknown.contains("Invalid email or password."), "{unknown}");
    assert_eq!(
        unknown, wrong,
        "failures must not tell whether the account exists"
    );

    let ok = app
        .send(
            &anonymous,
            Login {
                email: OWNER_EMAIL.to_string(),
                password: OWNER_PASSWORD.to_string(),
                next: None,
            },
        )
        .await;
    assert!(
        ok.status().is_success() || ok.status().is_redirection(),
        "{}",
        ok.status()
    );
    let page = anonymous
        .get(app.url("/settings/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("'nonce-") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");

    app.send(&anonymous, Logout {}).await;
    let after = anonymous
        .get(app.url("/settings/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn failed_sign_ins_are_throttled() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let c = app.fresh_client();
    for _ in 0..5 {
        app.send(
            &c,
            Login {
                email: OWNER_EMAIL.to_string(),
                password: "wrong password!".into(),
                next: None,
            },
        )
        .await;
    }
    let res = app
        .send(
            &c,
            Login {
                email: OWNER_EMAIL.to_string(),
                password: OWNER_PASSWORD.to_string(),
                next: None,
            },
        )
        .await;
    assert!(res.text().await.unwrap().contains("Too many attempts"));
}

#[tokio::test]
async fn every_server_function_refuses_cross_site_and_anonymous_callers() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let anonymous = app.fresh_client();
    let public: Vec<&str> = domain::console::CONSOLE_FUNCTIONS
        .iter()
        .filter(|f| f.access == domain::console::Access::Public)
        .map(|f| f.name)
        .collect();
    assert_eq!(public, ["login", "logout", "accept_invitation", "setup"]);
    let paths = helpers::server_fn_paths();
    assert!(paths.len() >= 20, "found only {paths:?}");
    for (name, path) in &paths {
        let cross = app
            .client
            .post(app.url(path))
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            cross.status(),
            StatusCode::FORBIDDEN,
            "{name} accepted a cross-site request"
        );
        if public.contains(&name.as_str()) {
            continue;
        }
        // Arguments that decode for every function, so the refusal comes from the gate.
        let res = if name == "create_key" {
            anonymous
                .post(app.url(path))
                .json(&json!({"form": {"name": "x"}}))
                .send()
                .await
                .unwrap()
        } else {
            anonymous
                .post(app.url(path))
                .form(&helpers::EVERY_ARGUMENT)
                .send()
                .await
                .unwrap()
        };
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(
            !status.is_success(),
            "{name} answered {status} to an anonymous caller: {body}"
        );
        assert!(body.contains("Sign in to continue."), "{name}: {body}");
    }
    assert_eq!(app.count("applications").await, 0);
}

/// A failed server function answers with its typed error: a kind the status follows from and
/// the message the page shows.
#[tokio::test]
async fn server_function_errors_are_typed_and_set_the_status() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    type Case<'a> = (
        &'a reqwest::Client,
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
    );
    let anonymous = app.fresh_client();
    let cases: [Case; 4] = [
        (&anonymous, "keys_page", &[], "unauthenticated"),
        (
            &owner,
            "revoke_key",
            &[("id", "not-an-id"), ("reason", "")],
            "not_found",
        ),
        (&owner, "create_application", &[("name", "")], "invalid"),
        (&owner, "revoke_key", &[], "request"),
    ];
    for (client, name, form, kind) in cases {
        let res = app.post_form(client, name, form).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{name} {form:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["kind"], kind, "{name} {form:?}: {body}");
        assert!(!body["message"].as_str().unwrap().is_empty(), "{body}");
    }
}

#[tokio::test]
async fn a_refused_field_is_named_in_the_error() {
    use app::error::ErrorKind;
    use app::pages::applications::CreateApplication;
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let e = app
        .run(&owner, CreateApplication { name: " ".into() })
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert_eq!(e.field.as_deref(), Some("Name"), "{e:?}");
    assert_eq!(e.message, "Name is required.");
    // A refusal of the request as a whole names no field.
    let e = app
        .run(
            &owner,
            app::pages::api_keys::RevokeKey {
                id: "not-an-id".into(),
                reason: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.field), (ErrorKind::NotFound, None));
}

#[tokio::test]
async fn workspaces_are_isolated() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            key("k", &["applications:read", "applications:write"]),
        )
        .await;
    let created: Value = app
        .api_create_application(&key, "mine")
        .await
        .json()
        .await
        .unwrap();
    let other = app.second_workspace_key().await;
    let res = app
        .api(
            RouteId::ApplicationRead,
            &[created["id"].as_str().unwrap()],
            &other,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let listed: Value = app
        .api(RouteId::ApplicationsList, &[], &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["applications"], json!([]));
}

/// Every registered server function is declared in the domain's table (the one the gate
/// reads), and each refuses a role without what it declares.
#[tokio::test]
async fn every_server_function_refuses_a_role_without_its_permission() {
    use domain::console::{access_of, Access, CONSOLE_FUNCTIONS};
    use domain::roles::Role;
    let app = spawn_app().await;
    app.setup_owner().await;
    let viewer = app.add_member("viewer@example.com", "viewer").await;
    let registered = helpers::server_fn_paths();
    for (name, _) in &registered {
        assert!(
            access_of(name).is_some(),
            "server function {name} is not declared in CONSOLE_FUNCTIONS"
        );
    }
    assert_eq!(
        registered.len(),
        CONSOLE_FUNCTIONS.len(),
        "a declared function is not registered"
    );
    for function in CONSOLE_FUNCTIONS {
        let expected = match function.access {
            Access::Public | Access::Member => continue,
            Access::InstanceAdmin => Some("Only instance admins".to_string()),
            Access::Needs(needed) => {
                let missing: Vec<&str> = needed
                    .iter()
                    .filter(|p| !Role::Viewer.permissions().contains(**p))
                    .map(|p| p.id())
                    .collect();
                (!missing.is_empty()).then(|| format!("Missing permission {}", missing.join(", ")))
            }
        };
        let res = app
            .post_form(&viewer, function.name, &helpers::EVERY_ARGUMENT)
            .await;
        let body = res.text().await.unwrap();
        match expected {
            Some(refusal) => assert!(
                body.contains(&refusal),
                "{} did not refuse a viewer: {body}",
                function.name
            ),
            // A viewer holds applications:read: refused for anything else, never for that.
            None => assert!(
                !body.contains("Missing permission"),
                "{}: {body}",
                function.name
            ),
        }
    }
    // Each fragment page refuses a viewer without what it declares, and an unknown page is
    // not found.
    for page in domain::console::FRAGMENTS {
        if let Access::Needs(needed) = page.access {
            let refused = app.fragment(&viewer, page.name, "").await.unwrap_err();
            assert!(
                refused.contains("Missing permission"),
                "{}: {refused}",
                page.name
            );
            assert!(needed.iter().any(|p| refused.contains(p.id())), "{refused}");
        }
    }
    assert!(app.fragment(&viewer, "login", "").await.is_err());
    assert!(app
        .fragment(&viewer, "notifications_page", "")
        .await
        .is_ok());
    assert_eq!(app.count("applications").await, 0);
    assert_eq!(app.count("memberships").await, 2);
}

#[tokio::test]
async fn members_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let admin = app.add_member("admin@example.com", "admin").await;
    let invite = |email: &str, role: &str| InviteMember {
        email: email.into(),
        role: role.into(),
    };
    let cases = [
        (
            app.send_text(&owner, invite("x@example.com", "root")).await,
            "unknown role",
        ),
        (
            app.send_text(&admin, invite("x@example.com", "owner"))
                .await,
            "cannot give the owner role",
        ),
        (
            app.send_text(&owner, invite("admin@example.com", "viewer"))
                .await,
            "already a member",
        ),
        (
            app.send_text(&owner, invite("not an email", "viewer"))
                .await,
            "Email must look like",
        ),
        (
            app.send_text(&owner, CreateApplication { name: "".into() })
                .await,
            "Name is required.",
        ),
        (
            app.send_text(
                &owner,
                CreateApplication {
                    name: "n".repeat(101),
                },
            )
            .await,
            "at most 100 characters",
        ),
    ];
    for (body, expected) in cases {
        assert!(body.contains(expected), "{expected}: {body}");
    }
    assert_eq!(app.count("memberships").await, 2);
    assert_eq!(app.count("applications").await, 0);
    // The last owner can be neither demoted nor removed.
    let owner_id: (String,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(OWNER_EMAIL)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let demote = app
        .send(
            &owner,
            ChangeMemberRole {
                user_id: owner_id.0.to_string(),
                role: "admin".into(),
            },
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(demote.contains("last owner"), "{demote}");
    let remove = app
        .send(
            &owner,
            RemoveMember {
                user_id: owner_id.0.to_string(),
            },
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        remove.contains("last owner") || remove.contains("Only owners"),
        "{remove}"
    );
    app.send(&owner, CreateApplication { name: "web".into() })
        .await;
    let dup = app
        .send(&owner, CreateApplication { name: "web".into() })
        .await
        .text()
        .await
        .unwrap();
    assert!(dup.contains("already exists"), "{dup}");
    assert_eq!(app.count("applications").await, 1);
}
