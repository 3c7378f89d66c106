//! `/metrics`: served only with `KEYWARD_METRICS_TOKEN` and only to its bearer, counting the
//! machine API's answers by route and status and credentials by outcome, never a secret.

use crate::helpers::*;
use reqwest::StatusCode;

const TOKEN: &str = "metrics-token-0123456789";

#[tokio::test]
async fn metrics_count_answers_and_outcomes_for_the_token_bearer_only() {
    let unconfigured = spawn_app().await;
    let res = unconfigured.get("/metrics").await;
    assert_ne!(res.status(), StatusCode::OK);
    assert!(!res.text().await.unwrap().contains("keyward_"));

    let mut config = server::config::Config::for_tests(test_database_url().await);
    config.metrics_token = Some(TOKEN.into());
    let app = spawn_app_with(config).await;
    let owner = app.setup_owner().await;
    let (secret, _) = app.read_only_key(&owner, "scraped").await;
    for _ in 0..2 {
        assert_eq!(app.me(&secret).await.status(), StatusCode::OK);
    }
    // The last checksum character changed (to another one: it may already be an `x`).
    let last = if secret.ends_with('x') { 'y' } else { 'x' };
    let mangled = format!("{}{last}", &secret[..secret.len() - 1]);
    for presented in ["kw_svc_short", &seed::live_secret(5), &mangled] {
        let res = app.me(presented).await;
        let status = res.status();
        // The answer names the refusal (never the secret), so a failure here says why.
        let body = res.text().await.unwrap();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let res = app.get("/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let scrape = |token: Option<&str>| {
        let mut req = app.fresh_client().get(app.url("/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let res = scrape(None).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        scrape(Some("metrics-token-wrong-0000"))
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = scrape(Some(TOKEN)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let body = res.text().await.unwrap();
    for line in [
        "keyward_http_requests_total{route=\"GET /api/v1/me\",status=\"200\"} 2",
        "keyward_http_requests_total{route=\"GET /api/v1/me\",status=\"401\"} 4",
        "keyward_http_request_duration_seconds_count{route=\"GET /api/v1/me\"} 6",
        "keyward_http_request_duration_seconds_bucket{route=\"GET /api/v1/me\",le=\"+Inf\"} 6",
        "keyward_auth_outcomes_total{outcome=\"valid\"} 2",
        "keyward_auth_outcomes_total{outcome=\"malformed\"} 2",
        "keyward_auth_outcomes_total{outcome=\"unknown\"} 1",
        "keyward_auth_outcomes_total{outcome=\"missing\"} 1",
        "# TYPE keyward_http_request_duration_seconds histogram",
    ] {
        assert!(body.contains(line), "{line} in\n{body}");
    }
    for family in [
        "keyward_key_cache_lookups_total{result=\"hit\"}",
        "keyward_bookkeeping_queue_depth ",
        "keyward_bookkeeping_dropped_total 0",
        "keyward_password_hash_jobs_total ",
        "keyward_password_hash_wait_seconds_total ",
        "keyward_db_pool_connections{state=\"idle\"}",
    ] {
        assert!(body.contains(family), "{family} in\n{body}");
    }
    assert!(!body.contains(&secret[16..]), "no secret in metrics");

    // The example dashboard reads only metrics that exist.
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/grafana/keyward-dashboard.json"
    ))
    .unwrap();
    serde_json::from_str::<serde_json::Value>(&dashboard).unwrap();
    let used: Vec<&str> = dashboard
        .split("keyward_")
        .skip(1)
        .map(|rest| {
            rest.split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .next()
                .unwrap()
        })
        .collect();
    assert!(used.len() >= 8);
    for name in used {
        assert!(body.contains(&format!("keyward_{name}")), "keyward_{name}");
    }
}

#[tokio::test]
async fn a_short_metrics_token_is_refused_at_start() {
    let mut config = server::config::Config::for_tests(test_database_url().await);
    config.metrics_token = Some("short".into());
    let started = server::startup::Application::build(config).await;
    let error = started.err().expect("refused").to_string();
    assert!(error.contains("at least 16 characters"), "{error}");
}

#[tokio::test]
async fn metrics_on_an_address_of_their_own_leave_the_main_one() {
    let mut config = server::config::Config::for_tests(test_database_url().await);
    config.metrics_addr = Some("127.0.0.1:0".into());
    let refused = server::startup::Application::build(config.clone()).await;
    let error = refused.err().expect("refused without a token").to_string();
    assert!(error.contains("only with KEYWARD_METRICS_TOKEN"), "{error}");

    config.metrics_token = Some(TOKEN.into());
    let app = spawn_app_with(config).await;
    let owner = app.setup_owner().await;
    let (secret, _) = app.read_only_key(&owner, "scraped apart").await;
    assert!(app.works(&secret).await);
    // Not on the main address, with or without the token.
    let main = app
        .fresh_client()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_ne!(main.status(), StatusCode::OK);
    assert!(!main.text().await.unwrap().contains("keyward_"));
    // On its own, for the token's bearer only, counting what the main address answered.
    let apart = app.metrics_address.clone().expect("a metrics address");
    let scrape = |token: &str| {
        app.fresh_client()
            .get(format!("{apart}/metrics"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        scrape("metrics-token-wrong-0000").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let res = scrape(TOKEN).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("keyward_http_requests_total{route=\"GET /api/v1/me\",status=\"200\"} 1"),
        "{body}"
    );
}
