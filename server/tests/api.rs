//! Integration tests: the real application on port 0 with an isolated database. The same
//! suite runs on SQLite (default) and PostgreSQL (`KEYWARD_TEST_DB=postgres`).

mod helpers;

use helpers::{spawn_app, spawn_app_on, OWNER_EMAIL, OWNER_PASSWORD};
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
        let res = app
            .call_fn(
                "setup",
                &[("workspace_name", ws), ("email", email), ("password", pw)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{ws:?} {email:?}");
        assert_eq!(
            app.count("users").await,
            0,
            "stored something for {ws:?} {email:?}"
        );
    }
    let res = app
        .call_fn(
            "setup",
            &[
                ("workspace_name", "Acme"),
                ("email", OWNER_EMAIL),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    assert_eq!(app.count("users").await, 1);

    let again = app
        .call_fn(
            "setup",
            &[
                ("workspace_name", "Evil"),
                ("email", "evil@example.com"),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
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
        .call_fn_with(
            &anonymous,
            "login",
            &[
                ("email", "nobody@example.com"),
                ("password", OWNER_PASSWORD),
            ],
        )
        .await;
    let wrong = app
        .call_fn_with(
            &anonymous,
            "login",
            &[("email", OWNER_EMAIL), ("password", "wrong password!")],
        )
        .await;
    let (unknown, wrong) = (unknown.text().await.unwrap(), wrong.text().await.unwrap());
    assert!(unknown.contains("Invalid email or password."), "{unknown}");
    assert_eq!(
        unknown, wrong,
        "failures must not tell whether the account exists"
    );

    let ok = app
        .call_fn_with(
            &anonymous,
            "login",
            &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)],
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

    app.call_fn_with(&anonymous, "logout", &[]).await;
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
        app.call_fn_with(
            &c,
            "login",
            &[("email", OWNER_EMAIL), ("password", "wrong password!")],
        )
        .await;
    }
    let res = app
        .call_fn_with(
            &c,
            "login",
            &[("email", OWNER_EMAIL), ("password", OWNER_PASSWORD)],
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
        .api_post("/api/v1/applications", &secret, json!({"name": "web"}))
        .await;
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
        .api_post("/api/v1/applications", &secret, json!({"name": "web2"}))
        .await;
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
        .call_json(&owner, "revoke_key", json!({"id": id, "reason": "leaked"}))
        .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
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
async fn machine_api_errors_are_json_with_the_right_status() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            json!({"name": "k", "permissions": ["applications:read", "applications:write"]}),
        )
        .await;
    let c = &app.client;
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (c.get(app.url("/api/v1/me")), 401, "Unauthorized."),
        (
            c.get(app.url("/api/v1/me"))
                .header("x-keyward-api-token", "kw_svc_nope"),
            401,
            "Unauthorized.",
        ),
        (
            c.get(app.url("/api/v1/me")).header(
                "x-keyward-api-token",
                "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            ),
            401,
            "Unauthorized.",
        ),
        (
            c.get(app.url("/api/v1/me"))
                .header("x-keyward-api-token", &key)
                .header("authorization", "Bearer kw_svc_other"),
            400,
            "Bad request.",
        ),
        (
            c.get(app.url("/api/v1/nope"))
                .header("x-keyward-api-token", &key),
            404,
            "Not found.",
        ),
        (
            c.put(app.url("/api/v1/me"))
                .header("x-keyward-api-token", &key),
            405,
            "Method not allowed.",
        ),
        (
            c.post(app.url("/api/v1/applications"))
                .header("x-keyward-api-token", &key)
                .body("name=x"),
            415,
            "Unsupported media type.",
        ),
        (
            c.post(app.url("/api/v1/applications"))
                .header("x-keyward-api-token", &key)
                .json(&json!({"nom": "x"})),
            422,
            "Unprocessable entity.",
        ),
        (
            c.post(app.url("/api/v1/applications"))
                .header("x-keyward-api-token", &key)
                .json(&json!({"name": ""})),
            422,
            "Unprocessable entity.",
        ),
        (
            c.post(app.url("/api/v1/applications"))
                .header("x-keyward-api-token", &key)
                .json(&json!({"name": "x".repeat(100_000)})),
            413,
            "Payload too large.",
        ),
        (
            c.get(app.url("/api/v1/applications/not-a-uuid"))
                .header("x-keyward-api-token", &key),
            404,
            "Not found.",
        ),
        (
            c.get(app.url(&format!("/api/v1/applications/{}", uuid::Uuid::new_v4())))
                .header("x-keyward-api-token", &key),
            404,
            "Not found.",
        ),
        (
            c.get(app.url("/api/v1/user/keys"))
                .header("x-keyward-api-token", &key),
            403,
            "Forbidden.",
        ),
        (
            c.get(app.url("/api/v1/me?key=kw_svc_x"))
                .header("x-keyward-api-token", &key),
            400,
            "Bad request.",
        ),
    ];
    for (i, (req, status, error)) in cases.into_iter().enumerate() {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "case {i}");
        assert_eq!(
            res.headers()["content-type"],
            "application/json",
            "case {i}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], error, "case {i}: {body}");
        assert!(body["request_id"].is_string(), "case {i}");
        assert!(
            !body.to_string().contains(&key),
            "case {i} echoed the secret"
        );
    }
}

#[tokio::test]
async fn workspaces_are_isolated() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            json!({"name": "k", "permissions": ["applications:read", "applications:write"]}),
        )
        .await;
    let created: Value = app
        .api_post("/api/v1/applications", &key, json!({"name": "mine"}))
        .await
        .json()
        .await
        .unwrap();
    let other = app.second_workspace_key().await;
    let res = app
        .api_get(
            &format!("/api/v1/applications/{}", created["id"].as_str().unwrap()),
            &other,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let listed: Value = app
        .api_get("/api/v1/applications", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["applications"], json!([]));
}

#[tokio::test]
async fn the_credential_tester_reports_what_a_secret_can_do() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            json!({"name": "reader", "permissions": ["applications:read"]}),
        )
        .await;
    let report: Value = app
        .call_fn_as(&owner, "test_credential", &[("secret", &key)])
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
    let listed: Value = app
        .call_json(&owner, "keys_page", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["keys"][0]["last_used_at"].is_null());

    for garbage in [
        "",
        " kw_svc_x",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        &key[..key.len() - 1],
        &"k".repeat(1_000_000),
    ] {
        let res = app
            .call_fn_as(&owner, "test_credential", &[("secret", garbage)])
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let r: Value = res.json().await.unwrap();
        assert_eq!(r["valid"], false);
        assert_eq!(r["code"], "MALFORMED");
    }
    assert!(app
        .audit_actions()
        .await
        .contains(&"credential.tested".to_string()));
}

#[tokio::test]
async fn openapi_is_generated_from_the_route_table() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for r in domain::routes::ROUTES {
        assert!(
            doc["paths"][r.path][r.method.as_str().to_lowercase()].is_object(),
            "{} {}",
            r.method.as_str(),
            r.path
        );
    }
    assert!(doc["paths"]["/api/v1/me/coverage"]["get"].is_object());
}

#[tokio::test]
async fn key_verification_answers_with_codes_not_401s() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let verifier = app
        .create_key_secret(
            &owner,
            json!({"name": "verifier", "permissions": ["keys:read"]}),
        )
        .await;
    let subject = app
        .create_key_secret(
            &owner,
            json!({"name": "subject", "permissions": ["applications:read"]}),
        )
        .await;
    let check = |key: String, perms: Value| {
        let app = &app;
        let verifier = verifier.clone();
        async move {
            app.api_post(
                "/api/v1/keys/verify",
                &verifier,
                json!({"key": key, "permissions": perms}),
            )
            .await
            .json::<Value>()
            .await
            .unwrap()
        }
    };
    assert_eq!(
        check(subject.clone(), json!(["applications:read"])).await["code"],
        "VALID"
    );
    assert_eq!(
        check(subject.clone(), json!(["applications:write"])).await["code"],
        "INSUFFICIENT_PERMISSIONS"
    );
    assert_eq!(
        check("kw_svc_garbage".into(), json!([])).await["code"],
        "MALFORMED"
    );
    assert_eq!(
        check(app.second_workspace_key().await, json!([])).await["code"],
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn a_revocation_on_one_instance_is_honoured_by_another_within_a_second() {
    let a = spawn_app().await;
    let owner = a.setup_owner().await;
    let b = spawn_app_on(a.database_url.clone()).await;
    let secret = a
        .create_key_secret(
            &owner,
            json!({"name": "shared", "permissions": ["applications:read"]}),
        )
        .await;
    // Both instances have verified (and remember) the key.
    for instance in [&a, &b] {
        assert_eq!(
            instance.api_get("/api/v1/me", &secret).await.status(),
            StatusCode::OK
        );
    }
    let id = a.key_row_id(&secret).await;
    a.call_json(&owner, "revoke_key", json!({"id": id, "reason": ""}))
        .await;
    let revoked = std::time::Instant::now();
    // The instance that revoked refuses at once.
    assert_eq!(
        a.api_get("/api/v1/me", &secret).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The other learns of it through the change feed, well within a second.
    loop {
        let status = b.api_get("/api/v1/me", &secret).await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            revoked.elapsed() < std::time::Duration::from_secs(1),
            "the other instance still accepted a revoked key after a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn key_use_is_recorded_in_batches_with_an_access_log() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(
            &owner,
            json!({"name": "used", "permissions": ["applications:read"]}),
        )
        .await;
    for _ in 0..3 {
        assert_eq!(
            app.api_get("/api/v1/applications", &secret).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        app.api_get("/api/v1/user/keys", &secret).await.status(),
        StatusCode::FORBIDDEN
    );
    let mut rows = Vec::new();
    for _ in 0..50 {
        rows = sqlx::query_as::<_, (String, String, i64)>(
            "SELECT method, route, status FROM key_access_log ORDER BY at",
        )
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
        if rows.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows
        .iter()
        .all(|r| r == &("GET".to_string(), "/api/v1/applications".to_string(), 200)));
    let listed: Value = app
        .call_json(&owner, "keys_page", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["keys"][0]["last_used_at"].is_i64());
    assert_eq!(listed["keys"][0]["last_used_ip"], "127.0.0.1");
}

/// How durably a connection commits: SQLite's `synchronous` (2 = FULL, 1 = NORMAL) or
/// PostgreSQL's `synchronous_commit`.
async fn durability(conn: &mut sqlx::AnyConnection, sqlite: bool) -> String {
    use sqlx::Row;
    if sqlite {
        let row = sqlx::query("PRAGMA synchronous")
            .fetch_one(conn)
            .await
            .unwrap();
        row.try_get::<i64, _>(0).unwrap().to_string()
    } else {
        let row = sqlx::query("SELECT current_setting('synchronous_commit')")
            .fetch_one(conn)
            .await
            .unwrap();
        row.try_get::<String, _>(0).unwrap()
    }
}

#[tokio::test]
async fn only_bookkeeping_commits_without_waiting_for_the_disk() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let sqlite = db.backend() == keyward_core::store::db::Backend::Sqlite;
    let (full, relaxed) = if sqlite { ("2", "1") } else { ("on", "off") };
    let mut ordinary = db.write().await.unwrap();
    assert_eq!(durability(&mut ordinary, sqlite).await, full);
    ordinary.commit().await.unwrap();
    let mut bookkeeping = db.write_bookkeeping().await.unwrap();
    assert_eq!(durability(&mut bookkeeping, sqlite).await, relaxed);
    bookkeeping.commit().await.unwrap();
    // The relaxed setting does not leak back into the ordinary connections.
    let mut again = db.write().await.unwrap();
    assert_eq!(durability(&mut again, sqlite).await, full);
}

/// The access log's times in id order, waiting for the batch writer to catch up to
/// `expected` rows.
async fn access_log_rows(app: &helpers::TestApp, expected: usize) -> Vec<i64> {
    let mut at = Vec::new();
    for _ in 0..50 {
        at = sqlx::query_scalar::<_, i64>("SELECT at FROM key_access_log ORDER BY id")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
        if at.len() >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    at
}

/// A test configuration keeping `days` of access log (0: the pruner is off).
fn keeping_log_days(database_url: String, days: u32) -> server::config::Config {
    server::config::Config {
        access_log_days: days,
        ..server::config::Config::for_tests(database_url)
    }
}

#[tokio::test]
async fn access_log_rows_older_than_the_retention_are_pruned_in_chunks() {
    // The hourly pruner is off, so only the calls below prune.
    let app =
        helpers::spawn_app_with(keeping_log_days(helpers::test_database_url().await, 0)).await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(
            &owner,
            json!({"name": "old and new", "permissions": ["applications:read"]}),
        )
        .await;
    let key_row: String = sqlx::query_scalar("SELECT id FROM api_keys")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let now = keyward_core::now();
    let cutoff = now - 30 * 86_400;
    // Older than the cutoff: more rows than one pruning chunk, then one exactly at it.
    sqlx::query(
        "INSERT INTO key_access_log (key_row_id, at, method, route, status, latency_ms, address, user_agent, request_body)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
         SELECT $1, $2 - 12001 + i, 'GET', '/api/v1/me', 200, 1, '127.0.0.1', 'old', 'old body' FROM n",
    )
    .bind(&key_row)
    .bind(cutoff)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO key_access_log (key_row_id, at, method, route, status, latency_ms, address, user_agent)
         VALUES ($1, $2, 'GET', '/api/v1/me', 200, 1, '127.0.0.1', 'at the cutoff')",
    )
    .bind(&key_row)
    .bind(cutoff)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    for _ in 0..2 {
        assert_eq!(
            app.api_get("/api/v1/me", &secret).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(access_log_rows(&app, 12_003).await.len(), 12_003);

    let pruned = keyward_core::services::usage::prune(&app.state.db, cutoff)
        .await
        .unwrap();
    assert_eq!(pruned, 12_000);
    let left = access_log_rows(&app, 3).await;
    assert_eq!(left.len(), 3, "{left:?}");
    assert_eq!(left[0], cutoff);
    assert!(left[1..].iter().all(|&t| t >= now), "{left:?}");
    let bodies: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM key_access_log WHERE request_body IS NOT NULL")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(bodies, 0, "logged bodies go with their rows");
    // Nothing more is old enough; pruning an empty log is a no-op too.
    assert_eq!(
        keyward_core::services::usage::prune(&app.state.db, cutoff)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        keyward_core::services::usage::prune(&app.state.db, now + 10)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        keyward_core::services::usage::prune(&app.state.db, now + 10)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn an_instance_prunes_the_access_log_when_it_starts() {
    let first =
        helpers::spawn_app_with(keeping_log_days(helpers::test_database_url().await, 0)).await;
    let owner = first.setup_owner().await;
    first
        .create_key_secret(
            &owner,
            json!({"name": "old", "permissions": ["applications:read"]}),
        )
        .await;
    sqlx::query(
        "INSERT INTO key_access_log (key_row_id, at, method, route, status, latency_ms, address, user_agent)
         SELECT id, $1, 'GET', '/api/v1/me', 200, 1, '127.0.0.1', 'old' FROM api_keys",
    )
    .bind(keyward_core::now() - 8 * 86_400)
    .execute(first.state.db.pool())
    .await
    .unwrap();
    // A second instance keeping a week of log: its first pruning pass runs at start.
    let second = helpers::spawn_app_with(keeping_log_days(first.database_url.clone(), 7)).await;
    let mut left = usize::MAX;
    for _ in 0..50 {
        left = access_log_rows(&second, 0).await.len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "the week-old row is still there");
}

#[tokio::test]
async fn per_key_rate_limits_answer_429_with_headers() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    sqlx::query("UPDATE workspaces SET rate_limit_per_minute = 3")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let secret = app
        .create_key_secret(
            &owner,
            json!({"name": "limited", "permissions": ["applications:read"]}),
        )
        .await;
    let mut statuses = vec![];
    let mut last = None;
    for _ in 0..4 {
        let res = app.api_get("/api/v1/me", &secret).await;
        statuses.push(res.status().as_u16());
        last = Some(res);
    }
    let last = last.unwrap();
    // A minute boundary may fall between requests; at least the pattern must hold.
    assert!(
        statuses.contains(&429) || statuses.iter().filter(|s| **s == 200).count() == 4,
        "{statuses:?}"
    );
    if last.status() == 429 {
        assert!(last.headers().contains_key("retry-after"));
        assert_eq!(last.headers()["ratelimit-remaining"], "0");
        assert_eq!(last.headers()["ratelimit-limit"], "3");
    }
}

#[tokio::test]
async fn user_tokens_work_until_sign_out() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let res = owner
        .post(app.url("/api/v1/auth/token"))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let me = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.json::<Value>().await.unwrap()["principal"], "user");
    // A user token may manage its user's keys; a tampered one is refused.
    let mine = app
        .fresh_client()
        .get(app.url("/api/v1/user/keys"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
    let tampered = format!("{}x", token);
    let bad = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    app.call_fn_with(&owner, "logout", &[]).await;
    let after = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
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
            .call_fn_with(&viewer, function.name, &helpers::EVERY_ARGUMENT)
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
    assert_eq!(app.count("applications").await, 0);
    assert_eq!(app.count("memberships").await, 2);
}

#[tokio::test]
async fn members_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let admin = app.add_member("admin@example.com", "admin").await;
    type Case<'a> = (
        &'a reqwest::Client,
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a str,
    );
    let cases: &[Case] = &[
        (
            &owner,
            "invite_member",
            &[("email", "x@example.com"), ("role", "root")],
            "unknown role",
        ),
        (
            &admin,
            "invite_member",
            &[("email", "x@example.com"), ("role", "owner")],
            "cannot give the owner role",
        ),
        (
            &owner,
            "invite_member",
            &[("email", "admin@example.com"), ("role", "viewer")],
            "already a member",
        ),
        (
            &owner,
            "invite_member",
            &[("email", "not an email"), ("role", "viewer")],
            "Email must look like",
        ),
        (
            &owner,
            "create_application",
            &[("name", "")],
            "Name is required.",
        ),
        (
            &owner,
            "create_application",
            &[("name", &"n".repeat(101))],
            "at most 100 characters",
        ),
    ];
    for (client, name, form, expected) in cases {
        let body = app
            .call_fn_with(client, name, form)
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains(expected), "{name} {form:?}: {body}");
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
        .call_fn_with(
            &owner,
            "change_member_role",
            &[("user_id", &owner_id.0), ("role", "admin")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(demote.contains("last owner"), "{demote}");
    let remove = app
        .call_fn_with(&owner, "remove_member", &[("user_id", &owner_id.0)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        remove.contains("last owner") || remove.contains("Only owners"),
        "{remove}"
    );
    app.call_fn_with(&owner, "create_application", &[("name", "web")])
        .await;
    let dup = app
        .call_fn_with(&owner, "create_application", &[("name", "web")])
        .await
        .text()
        .await
        .unwrap();
    assert!(dup.contains("already exists"), "{dup}");
    assert_eq!(app.count("applications").await, 1);
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
        .api_post("/api/v1/applications", &key, json!({"name": "a"}))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .api_post("/api/v1/applications", &key, json!({"name": "b"}))
        .await
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
async fn every_declared_route_refuses_what_the_table_refuses() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    // A key holding one permission no route requires.
    let narrow = app
        .create_key_secret(
            &owner,
            json!({"name": "narrow", "permissions": ["audit:read"]}),
        )
        .await;
    for route in domain::routes::ROUTES {
        let path = route
            .path
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{uuid}", &uuid::Uuid::new_v4().to_string())
            .replace("{key_id}", "AbCd1234");
        let method = reqwest::Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
        let send = |secret: Option<&str>| {
            let mut req = app
                .fresh_client()
                .request(method.clone(), app.url(&path))
                .header("content-type", "application/json")
                .body("{}");
            if let Some(s) = secret {
                req = req.header("x-keyward-api-token", s);
            }
            req.send()
        };
        assert_eq!(
            send(None).await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{} {path} without a credential",
            route.method.as_str()
        );
        let with_key = send(Some(&narrow)).await.unwrap();
        let refused_by_table = !route
            .requirement
            .principals
            .contains(&domain::access::PrincipalKind::Service)
            || !route.requirement.permissions.is_empty();
        if refused_by_table {
            assert_eq!(
                with_key.status(),
                StatusCode::FORBIDDEN,
                "{} {path} with a narrow service key",
                route.method.as_str()
            );
        } else {
            assert_ne!(
                with_key.status(),
                StatusCode::FORBIDDEN,
                "{} {path}",
                route.method.as_str()
            );
        }
    }
}

#[tokio::test]
async fn hostile_requests_get_clear_errors_and_change_nothing() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            json!({"name": "k", "permissions": ["applications:read", "applications:write"]}),
        )
        .await;
    let c = app.fresh_client();
    let with_key = |req: reqwest::RequestBuilder| req.header("x-keyward-api-token", &key);
    // Path variants never reach a handler by accident (sent raw: clients normalise them).
    for path in [
        "/api/v1//me",
        "/api/v1/me/",
        "/api/v1/%2e%2e/v1/me",
        "/api/v1/x/../me",
        "/api/v1/me%00",
        "/api/v1/ME",
        "/api//v1/me",
    ] {
        let status = app
            .raw(&format!(
                "GET {path} HTTP/1.1\r\nX-Keyward-Api-Token: {key}\r\n"
            ))
            .await;
        assert_eq!(status, 404, "{path}");
    }
    // CR, LF and NUL inside a header value are refused before any handler.
    for value in [
        format!("{key}\rX-Injected: 1"),
        format!("{key}\0"),
        format!("kw_svc_\n{key}"),
    ] {
        let status = app
            .raw(&format!(
                "GET /api/v1/me HTTP/1.1\r\nX-Keyward-Api-Token: {value}\r\n"
            ))
            .await;
        assert!(status == 400 || status == 401, "{value:?} gave {status}");
    }
    // An unknown method on a declared path.
    let brew = with_key(c.request(
        reqwest::Method::from_bytes(b"BREW").unwrap(),
        app.url("/api/v1/me"),
    ))
    .send()
    .await
    .unwrap();
    assert_eq!(brew.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        brew.json::<Value>().await.unwrap()["error"],
        "Method not allowed."
    );
    // Non-ASCII in the credential header.
    let bytes = reqwest::header::HeaderValue::from_bytes("kw_svc_é".as_bytes()).unwrap();
    let res = c
        .get(app.url("/api/v1/me"))
        .header("x-keyward-api-token", bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // An oversized header is refused before any handler, and the server carries on.
    let huge = "a".repeat(200_000);
    let res = c
        .get(app.url("/api/v1/me"))
        .header("x-keyward-api-token", &huge)
        .send()
        .await;
    assert!(res.map(|r| r.status().is_client_error()).unwrap_or(true));
    assert_eq!(
        with_key(c.get(app.url("/api/v1/me")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // CR/LF cannot be sent in a header at all; in a JSON body they are just text.
    let res = with_key(c.post(app.url("/api/v1/applications")))
        .json(&json!({"name": "a\r\nb"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("applications").await, 0);
    // A key expiring exactly now is expired.
    let id = app.key_row_id(&key).await;
    sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE id = $2")
        .bind(keyward_core::now())
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    // Edited behind the application's back: tell it, as an audited change would.
    app.state.db.changes().bump();
    let res = with_key(c.get(app.url("/api/v1/me"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.json::<Value>().await.unwrap()["message"],
        "The key has expired."
    );
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
        .call_json(&dev, "revoke_key", json!({"id": owner_key, "reason": ""}))
        .await
        .text()
        .await
        .unwrap();
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
async fn the_tester_reports_agent_demoted_and_revoked_keys() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let web = app.create_application(&owner, "web").await;
    let agent = app.create_agent(&owner, &web, "runner").await;
    let agent_key = app.create_key_secret(&owner, json!({"name": "agent", "principal": "agent", "application_id": web, "agent_id": agent, "permissions": ["applications:read", "applications:write"]})).await;
    let report: Value = app
        .call_fn_as(&owner, "test_credential", &[("secret", &agent_key)])
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
            json!({"name": "dev", "permissions": ["applications:read", "applications:write"]}),
        )
        .await;
    app.set_role("dev@example.com", "viewer").await;
    let report: Value = app
        .call_fn_as(&owner, "test_credential", &[("secret", &dev_key)])
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
    app.call_json(&owner, "revoke_key", json!({"id": id, "reason": ""}))
        .await;
    let report: Value = app
        .call_fn_as(&owner, "test_credential", &[("secret", &dev_key)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["code"], "REVOKED");
    // Inspecting from the list needs no secret and runs no smoke tests.
    let inspected: Value = app
        .call_json(
            &owner,
            "inspect_key",
            json!({"id": app.key_row_id(&agent_key).await}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inspected["principal"]["kind"], "agent");
    assert_eq!(inspected["smoke"], json!([]));
    assert!(!inspected["coverage"].as_array().unwrap().is_empty());
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
        .api_post("/api/v1/applications", &admin, json!({"name": "a"}))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .api_post("/api/v1/applications", &admin, json!({"name": "b"}))
        .await
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

#[tokio::test]
async fn browsers_may_call_the_api_only_from_allowed_origins() {
    let mut config = server::config::Config::for_tests(helpers::test_database_url().await);
    config.cors_allowed_origins = vec!["https://ci.example".into()];
    let app = helpers::spawn_app_with(config).await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            json!({"name": "browser", "permissions": ["applications:read"]}),
        )
        .await;
    let preflight = |origin: &'static str| {
        app.fresh_client()
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "x-keyward-api-token")
            .send()
    };
    let allowed = preflight("https://ci.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://ci.example"
    );
    assert!(allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-keyward-api-token"));
    assert!(!allowed
        .headers()
        .contains_key("access-control-allow-credentials"));
    let denied = preflight("https://evil.example").await.unwrap();
    assert!(!denied.headers().contains_key("access-control-allow-origin"));
    let res = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .header("origin", "https://evil.example")
        .header("x-keyward-api-token", &key)
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    let res = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .header("origin", "https://ci.example")
        .header("x-keyward-api-token", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://ci.example"
    );
}

/// Turns on the legacy credential transports for the owner's workspace.
async fn allow_legacy_transports(app: &helpers::TestApp, owner: &reqwest::Client) {
    let form = [
        ("max_lifetime_days", "90"),
        ("allow_service_keys", "on"),
        ("allow_agent_keys", "on"),
        ("legacy_transports", "on"),
        ("rate_limit_per_minute", "600"),
    ];
    let res = app.call_fn_with(owner, "save_policy", &form).await;
    assert!(res.status().is_success());
}

#[tokio::test]
async fn legacy_body_transports_work_only_where_policy_allows() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            json!({"name": "legacy", "permissions": ["applications:read", "applications:write"]}),
        )
        .await;
    let c = app.fresh_client();
    let in_json = || {
        c.post(app.url("/api/v1/applications"))
            .json(&json!({"API_Key": key, "name": "web"}))
    };
    // Off by default: refused, nothing created, and the secret is not echoed.
    let res = in_json().send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body = res.text().await.unwrap();
    assert!(body.contains("API_Key") && !body.contains(&key), "{body}");
    assert_eq!(app.count("applications").await, 0);

    allow_legacy_transports(&app, &owner).await;
    // The property authenticates and is taken out before the handler reads the body.
    let res = in_json().send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["name"], "web");
    let id = created["id"].as_str().unwrap().to_string();
    // The form field, on a route without a JSON body.
    let read = c
        .get(app.url(&format!("/api/v1/applications/{id}")))
        .form(&[("key", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    // Two different credentials, one in the body: 400, nothing changed.
    let other = app
        .create_key_secret(
            &owner,
            json!({"name": "other", "permissions": ["applications:write"]}),
        )
        .await;
    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (
            c.post(app.url("/api/v1/applications"))
                .header("x-keyward-api-token", &other)
                .json(&json!({"API_Key": key, "name": "two"})),
            400,
        ),
        (
            c.delete(app.url(&format!("/api/v1/applications/{id}")))
                .header("x-keyward-api-token", &other)
                .form(&[("key", key.as_str())]),
            400,
        ),
        (
            c.post(app.url("/api/v1/applications"))
                .json(&json!({"API_Key": 42, "name": "not a string"})),
            400,
        ),
        (
            c.delete(app.url(&format!("/api/v1/applications/{id}")))
                .form(&[("key", key.as_str()), ("key", other.as_str())]),
            400,
        ),
        (
            c.post(app.url("/api/v1/applications"))
                .json(&json!({"API_Key": "kw_svc_truncated", "name": "bad"})),
            401,
        ),
    ];
    for (i, (req, status)) in cases.into_iter().enumerate() {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "case {i}");
        let body: Value = res.json().await.unwrap();
        assert!(body["request_id"].is_string(), "case {i}");
    }
    assert_eq!(app.count("applications").await, 1);
    // The same secret in the header and the body is one credential.
    let res = c
        .post(app.url("/api/v1/applications"))
        .header("x-keyward-api-token", &key)
        .json(&json!({"API_Key": key, "name": "same"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn body_logging_keeps_redacted_bodies_only_while_turned_on() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let perms = json!(["applications:read", "applications:write", "keys:read"]);
    let quiet = app
        .create_key_secret(&owner, json!({"name": "quiet", "permissions": perms}))
        .await;
    let loud = app
        .create_key_secret(
            &owner,
            json!({"name": "loud", "permissions": perms, "log_bodies": true}),
        )
        .await;
    for key in [&quiet, &loud] {
        let res = app
            .api_post(
                "/api/v1/applications",
                key,
                json!({"name": format!("app {}", &key[7..15])}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        // A body holding a secret: the verify call names the key it checks.
        let res = app
            .api_post(
                "/api/v1/keys/verify",
                key,
                json!({"key": quiet, "permissions": []}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let entries = |secret: String| {
        let app = &app;
        let owner = &owner;
        async move {
            let id = app.key_row_id(&secret).await;
            for _ in 0..50 {
                let v: Value = app
                    .call_json(owner, "key_activity", json!({"id": id}))
                    .await
                    .json()
                    .await
                    .unwrap();
                let entries = v["entries"].as_array().cloned().unwrap_or_default();
                if entries.len() >= 2 {
                    return (v, entries);
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the access log was not written");
        }
    };
    let (_, quiet_entries) = entries(quiet.clone()).await;
    assert!(quiet_entries
        .iter()
        .all(|e| e["request_body"].is_null() && e["response_body"].is_null()));
    let (loud_page, loud_entries) = entries(loud.clone()).await;
    assert_eq!(loud_page["key"]["log_bodies"], true);
    let create = loud_entries
        .iter()
        .find(|e| e["route"] == "/api/v1/applications")
        .unwrap();
    assert!(create["request_body"].as_str().unwrap().contains("app "));
    assert!(create["response_body"].as_str().unwrap().contains("\"id\""));
    let verify = loud_entries
        .iter()
        .find(|e| e["route"] == "/api/v1/keys/verify")
        .unwrap();
    assert!(verify["request_body"]
        .as_str()
        .unwrap()
        .contains("[redacted]"));
    let stored = app.all_text_columns().await;
    for secret in [&quiet, &loud] {
        assert!(!stored.contains(&secret[16..]), "a secret was stored");
    }
    // Turned off: later requests keep no bodies. Audited.
    let id = app.key_row_id(&loud).await;
    let res = app
        .call_fn_with(
            &owner,
            "set_body_logging",
            &[("id", &id), ("enabled", "false")],
        )
        .await;
    assert!(res.status().is_success());
    assert!(app
        .audit_actions()
        .await
        .contains(&"key.body_logging".to_string()));
    app.api_get("/api/v1/me", &loud).await;
    let mut latest = entries(loud.clone()).await;
    for _ in 0..50 {
        if latest.1.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        latest = entries(loud.clone()).await;
    }
    let (page, entries) = latest;
    assert_eq!(page["key"]["log_bodies"], false);
    assert_eq!(entries[0]["route"], "/api/v1/me");
    assert!(entries[0]["request_body"].is_null());
}

#[tokio::test]
async fn key_activity_and_body_logging_follow_who_may_see_and_change_keys() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    let viewer = app.add_member("viewer@example.com", "viewer").await;
    let owner_key = app
        .create_key_secret(
            &owner,
            json!({"name": "owner's", "permissions": ["keys:read"]}),
        )
        .await;
    let id = app.key_row_id(&owner_key).await;
    // Others' keys are not found for members without keys:read; changing needs keys:write.
    for client in [&dev, &viewer] {
        let body = app
            .call_json(client, "key_activity", json!({"id": id}))
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("Not found"), "{body}");
        let body = app
            .call_fn_with(
                client,
                "set_body_logging",
                &[("id", &id), ("enabled", "true")],
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("Not found"), "{body}");
    }
    let (on,): (i64,) = sqlx::query_as("SELECT log_bodies FROM api_keys WHERE id = $1")
        .bind(&id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(on, 0);
    // A developer switches their own key.
    let dev_key = app
        .create_key_secret(
            &dev,
            json!({"name": "dev's", "permissions": ["applications:read"]}),
        )
        .await;
    let dev_id = app.key_row_id(&dev_key).await;
    let res = app
        .call_fn_with(
            &dev,
            "set_body_logging",
            &[("id", &dev_id), ("enabled", "true")],
        )
        .await;
    assert!(res.status().is_success());
    let v: Value = app
        .call_json(&owner, "key_activity", json!({"id": dev_id}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["key"]["log_bodies"], true);
    assert_eq!(v["may_change"], true);
}

#[tokio::test]
async fn losing_the_change_feed_drops_remembered_keys() {
    use keyward_core::store::db::Backend;
    let app = spawn_app().await;
    let db = &app.state.db;
    let wait_for = |what: &'static str, sql: &'static str| async move {
        for _ in 0..100 {
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db.pool()).await.unwrap();
            if n > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("{what} never appeared");
    };
    let cut = match db.backend() {
        Backend::Postgres => {
            wait_for(
                "the listener",
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            )
            .await;
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        }
        Backend::Sqlite => "ALTER TABLE credential_changes RENAME TO credential_changes_gone",
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before = db.changes().epoch();
    sqlx::query(cut).execute(db.pool()).await.unwrap();
    for _ in 0..100 {
        if db.changes().epoch() != before {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("remembered keys outlived a lost change feed");
}

#[tokio::test]
async fn every_api_answer_carries_a_request_id_and_the_security_headers_and_no_session() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            json!({"name": "headers", "permissions": ["applications:read"]}),
        )
        .await;
    // The signed-in client sends its session cookie along: the API must not touch it.
    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (
            owner
                .get(app.url("/api/v1/me"))
                .header("x-keyward-api-token", &key),
            200,
        ),
        (owner.get(app.url("/api/v1/me")), 401),
        (owner.get(app.url("/api/v1/openapi.json")), 200),
        (
            owner
                .get(app.url("/api/v1/nope"))
                .header("x-keyward-api-token", &key),
            404,
        ),
        (owner.get(app.url("/api/v1")), 404),
        (
            owner
                .put(app.url("/api/v1/me"))
                .header("x-keyward-api-token", &key),
            405,
        ),
        (
            owner
                .request(reqwest::Method::OPTIONS, app.url("/api/v1/me"))
                .header("origin", "https://elsewhere.example"),
            204,
        ),
    ];
    let mut ids = std::collections::HashSet::new();
    for (req, status) in cases {
        let res = req.send().await.unwrap();
        let what = format!("{} {}", res.url(), res.status());
        assert_eq!(res.status().as_u16(), status, "{what}");
        let h = res.headers().clone();
        let id = h["x-request-id"].to_str().unwrap().to_string();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{what}: {id}");
        assert!(ids.insert(id.clone()), "{what}: request id {id} repeated");
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["cache-control"], "no-store", "{what}");
        assert_eq!(h["x-frame-options"], "DENY", "{what}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'none'"),
            "{what}"
        );
        assert!(!h.contains_key("set-cookie"), "{what}");
        assert!(!h.contains_key("access-control-allow-origin"), "{what}");
        if status >= 400 {
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["request_id"], id.as_str(), "{what}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    // The one route that reads the session still does: the token exchange.
    let token = owner
        .post(app.url("/api/v1/auth/token"))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);
    assert!(token.headers().contains_key("x-request-id"));
}
