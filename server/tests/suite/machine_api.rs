//! The machine API: JSON errors with the right status, the OpenAPI document, key verification,
//! rate limits, user tokens, the route table's refusals, hostile input, CORS, legacy credential
//! transports and the headers every answer carries.

use crate::helpers;
use crate::helpers::{key, SavePolicy};
use app::pages::login::Logout;
use domain::model::CreateKeyForm;
use helpers::spawn_app;
use helpers::{RouteId, VerifyRequest};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn machine_api_errors_are_json_with_the_right_status() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            key("k", &["applications:read", "applications:write"]),
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

/// Pins what an integrator reads when a call fails: one body shape for every status, the
/// message, and the field at fault where one is. Request ids vary, so they are checked to
/// match the header and then replaced.
#[tokio::test]
async fn error_bodies_are_pinned() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let reader = app
        .create_key_secret(&owner, key("reader", &["applications:read"]))
        .await;
    let writer = app
        .create_key_secret(
            &owner,
            key("writer", &["applications:read", "applications:write"]),
        )
        .await;
    let client = app.fresh_client();
    let token = |r: reqwest::RequestBuilder, key: &str| r.header("X-Keyward-Api-Token", key);
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("no credential", client.get(app.url("/api/v1/me"))),
        (
            "malformed secret",
            token(client.get(app.url("/api/v1/me")), "kw_svc_nope"),
        ),
        (
            "missing permission",
            token(client.post(app.url("/api/v1/applications")), &reader)
                .json(&json!({"name": "x"})),
        ),
        (
            "unknown route",
            token(client.get(app.url("/api/v1/nothing")), &reader),
        ),
        (
            "wrong method",
            token(client.delete(app.url("/api/v1/me")), &reader),
        ),
        (
            "not JSON",
            token(client.post(app.url("/api/v1/applications")), &writer).body("name=x"),
        ),
        (
            "a field refused",
            token(client.post(app.url("/api/v1/applications")), &writer)
                .json(&json!({"name": " "})),
        ),
        (
            "an unknown field",
            token(client.post(app.url("/api/v1/applications")), &writer)
                .json(&json!({"name": "x", "colour": "red"})),
        ),
    ];
    let mut pinned = serde_json::Map::new();
    for (case, request) in cases {
        let res = request.send().await.unwrap();
        let status = res.status().as_u16();
        let header = res.headers()["x-request-id"].to_str().unwrap().to_string();
        let mut body: Value = res.json().await.unwrap();
        assert_eq!(body["request_id"], header.as_str(), "{case}");
        body["request_id"] = json!("[request id]");
        pinned.insert(case.into(), json!({"status": status, "body": body}));
    }
    insta::assert_json_snapshot!("error_bodies", pinned);
}

/// A key that expires within a week says when on every answer, in RFC 3339; a key with
/// longer to live, or none, does not.
#[tokio::test]
async fn answers_warn_of_a_key_that_expires_within_a_week() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = |expiration: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            app.create_key_secret(
                owner,
                CreateKeyForm {
                    expiration: expiration.into(),
                    ..key(&format!("lives {expiration}"), &["applications:read"])
                },
            )
            .await
        }
    };
    let (week, month) = (key("7").await, key("30").await);
    let res = app.me(&week).await;
    assert_eq!(res.status(), StatusCode::OK);
    let header = res.headers()["keyward-key-expires"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = res.json().await.unwrap();
    let expected = domain::dates::format_rfc3339(body["expires_at"].as_i64().unwrap());
    assert_eq!(header, expected);
    assert!(header.ends_with('Z') && header.contains('T'), "{header}");
    let res = app.me(&month).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("keyward-key-expires").is_none());
}

#[tokio::test]
async fn key_verification_answers_with_codes_not_401s() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let verifier = app
        .create_key_secret(&owner, key("verifier", &["keys:read"]))
        .await;
    let subject = app
        .create_key_secret(&owner, key("subject", &["applications:read"]))
        .await;
    let check = |key: String, permissions: &[&str]| {
        let app = &app;
        let verifier = verifier.clone();
        let body = VerifyRequest {
            key,
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
        };
        async move {
            app.api_with(RouteId::KeysVerify, &[], &verifier, &body)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        check(subject.clone(), &["applications:read"]).await["code"],
        "VALID"
    );
    assert_eq!(
        check(subject.clone(), &["applications:write"]).await["code"],
        "INSUFFICIENT_PERMISSIONS"
    );
    assert_eq!(
        check("kw_svc_garbage".into(), &[]).await["code"],
        "MALFORMED"
    );
    assert_eq!(
        check(app.second_workspace_key().await, &[]).await["code"],
        "NOT_FOUND"
    );
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
        .create_key_secret(&owner, key("limited", &["applications:read"]))
        .await;
    let mut statuses = vec![];
    let mut last = None;
    for _ in 0..4 {
        let res = app.me(&secret).await;
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
    app.send(&owner, Logout {}).await;
    let after = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_declared_route_refuses_what_the_table_refuses() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    // A key holding one permission no route requires.
    let narrow = app
        .create_key_secret(&owner, key("narrow", &["builds:read"]))
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
            key("k", &["applications:read", "applications:write"]),
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
async fn browsers_may_call_the_api_only_from_allowed_origins() {
    let mut config = server::config::Config::for_tests(helpers::test_database_url().await);
    config.cors_allowed_origins = vec!["https://ci.example".into()];
    let app = helpers::spawn_app_with(config).await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(&owner, key("browser", &["applications:read"]))
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
    let form = SavePolicy {
        allow_service_keys: helpers::on(),
        allow_agent_keys: helpers::on(),
        legacy_transports: helpers::on(),
        ..helpers::policy("90", "600")
    };
    let res = app.send(owner, form).await;
    assert!(res.status().is_success());
}

#[tokio::test]
async fn legacy_body_transports_work_only_where_policy_allows() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(
            &owner,
            key("legacy", &["applications:read", "applications:write"]),
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
        .create_key_secret(&owner, helpers::key("other", &["applications:write"]))
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
async fn every_api_answer_carries_a_request_id_and_the_security_headers_and_no_session() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let key = app
        .create_key_secret(&owner, key("headers", &["applications:read"]))
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

#[tokio::test]
async fn a_method_no_route_takes_is_405_whatever_the_route_would_check_first() {
    let app = spawn_app().await;
    for head in [
        "TRACE /api/v1/user/keys HTTP/1.1\r\n",
        "PUT /api/v1/me HTTP/1.1\r\n",
        "DELETE /api/v1/keys/verify HTTP/1.1\r\n",
    ] {
        assert_eq!(app.raw(head).await, 405, "{head}");
    }
}
