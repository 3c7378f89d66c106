//! Rate limits by route class and pool: a key's request counts against its key, application
//! and workspace, is refused by the first exhausted pool with headers naming it, and the
//! counts hold across instances on one database.

use crate::helpers::*;
use app::pages::security::SavePolicy;
use keyward_core::services::rate_limits::SYNC_EVERY;
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// Sets the workspace's limits through the console's form; `cells` are `pool.class=N`.
async fn set_limits(
    app: &TestApp,
    member: &Client,
    cells: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form: Vec<(String, String)> = ["key", "application", "workspace"]
        .iter()
        .flat_map(|p| ["default", "write", "verify"].map(|c| (format!("{p}.{c}"), String::new())))
        .collect();
    for (name, value) in cells {
        let cell = form
            .iter_mut()
            .find(|(n, _)| n == name)
            .expect("a known cell");
        cell.1 = value.to_string();
    }
    let res = member
        .post(app.url("/settings/rate-limits"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Waits, if need be, so that the next few seconds fall within one one-minute window.
async fn fresh_window() {
    let second = keyward_core::now().rem_euclid(60);
    if second > 45 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
}

async fn stored_limits(app: &TestApp) -> (i64, String) {
    sqlx::query_as("SELECT rate_limit_per_minute, rate_limits FROM workspaces")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn limits_that_contradict_or_make_no_sense_are_refused_and_nothing_changes() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let before = stored_limits(&app).await;
    for (cells, expected) in [
        (
            vec![("key.default", "600"), ("workspace.default", "100")],
            "is above the workspace limit",
        ),
        (
            vec![("key.default", "60"), ("application.write", "0")],
            "between 1 and 100000",
        ),
        (
            vec![("key.default", "60"), ("workspace.verify", "1000001")],
            "between 1 and 100000",
        ),
        (
            vec![("key.default", "60"), ("key.write", "-5")],
            "must be a whole number",
        ),
        (vec![("key.default", "")], "Set a limit per key"),
    ] {
        let (status, body) = set_limits(&app, &owner, &cells).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{cells:?}: {body}");
        assert!(body.contains(expected), "{cells:?}: {body}");
        assert_eq!(stored_limits(&app).await, before, "{cells:?}");
    }
    // The per-key limit of the policy form is held to the same rule.
    let (status, _) = set_limits(
        &app,
        &owner,
        &[("key.default", "50"), ("workspace.default", "100")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let res = app
        .send(
            &owner,
            SavePolicy {
                max_lifetime_days: "".into(),
                allow_never_expiring: Some("on".into()),
                allow_service_keys: Some("on".into()),
                allow_agent_keys: None,
                legacy_transports: None,
                rate_limit_per_minute: "500".into(),
                allow_import: None,
            },
        )
        .await;
    assert!(!res.status().is_success());
    assert_eq!(
        stored_limits(&app).await,
        (50, "workspace.default=100".into())
    );

    // A developer reads them and may not change them.
    let developer = app.add_member("dev@example.com", "developer").await;
    let page = developer
        .get(app.url("/settings/rate-limits"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Requests per minute per workspace to default routes"),
        "{page}"
    );
    assert!(!page.contains("Save limits"));
    let (status, _) = set_limits(&app, &developer, &[("key.default", "1")]).await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(stored_limits(&app).await.0, 50);
    assert!(app
        .audit_actions()
        .await
        .iter()
        .any(|a| a == "policy.changed"));
}

#[tokio::test]
async fn the_first_exhausted_pool_refuses_and_the_headers_name_it() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (status, body) = set_limits(
        &app,
        &owner,
        &[
            ("key.default", "3"),
            ("workspace.default", "4"),
            ("key.verify", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let a = app
        .create_key_secret(&owner, key("a", &["applications:read", "keys:read"]))
        .await;
    let (b, _) = app.read_only_key(&owner, "b").await;
    fresh_window().await;
    let first = app.me(&a).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        first.headers()["ratelimit-policy"],
        "\"key-default\";q=3;w=60, \"workspace-default\";q=4;w=60"
    );
    // The pool with the fewest left is the one reported.
    let ratelimit = first.headers()["ratelimit"].to_str().unwrap().to_string();
    assert!(
        ratelimit.starts_with("\"key-default\";r=2;t="),
        "{ratelimit}"
    );
    assert_eq!(first.headers()["ratelimit-remaining"], "2");
    assert_eq!(me(&app, &a).await, StatusCode::OK);
    // Another key of the workspace shares the workspace's pool.
    let third = app.me(&b).await;
    assert_eq!(third.status(), StatusCode::OK);
    let ratelimit = third.headers()["ratelimit"].to_str().unwrap().to_string();
    assert!(
        ratelimit.starts_with("\"workspace-default\";r=1;t="),
        "{ratelimit}"
    );
    assert_eq!(me(&app, &b).await, StatusCode::OK);
    let refused = app.me(&b).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let ratelimit = refused.headers()["ratelimit"].to_str().unwrap().to_string();
    assert!(
        ratelimit.starts_with("\"workspace-default\";r=0;t="),
        "{ratelimit}"
    );
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("this key's workspace: 4 requests per minute to default routes"),
        "{body}"
    );

    // Verification is its own class: one a minute per key, whatever reads remain.
    let verify = || {
        let (app, a) = (&app, &a);
        let body = VerifyRequest {
            key: "kw_svc_nothing".into(),
            permissions: vec![],
        };
        async move { app.api_with(RouteId::KeysVerify, &[], a, &body).await }
    };
    let once = verify().await;
    assert_eq!(once.status(), StatusCode::OK);
    assert_eq!(
        once.headers()["ratelimit-policy"],
        "\"key-verify\";q=1;w=60"
    );
    let twice = verify().await;
    assert_eq!(twice.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = twice.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("this key: 1 requests per minute to verify routes"),
        "{body}"
    );
    // A refusal is a refusal of the key, in its log.
    app.refusal_logged(&b, "RATE_LIMITED").await;
}

#[tokio::test]
async fn an_application_pool_counts_every_key_scoped_to_it() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let application = app.create_application(&owner, "builds").await;
    let (status, body) = set_limits(
        &app,
        &owner,
        &[("key.default", "2"), ("application.default", "3")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let scoped = |name: &'static str| {
        app.create_key_secret(
            &owner,
            CreateKeyForm {
                application_id: application.clone(),
                ..key(name, &["applications:read"])
            },
        )
    };
    let (one, two) = (scoped("one").await, scoped("two").await);
    let (elsewhere, _) = app.read_only_key(&owner, "workspace-wide").await;
    fresh_window().await;
    for _ in 0..2 {
        assert_eq!(me(&app, &one).await, StatusCode::OK);
    }
    let by_key = app.me(&one).await;
    assert_eq!(by_key.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(by_key.headers()["ratelimit"]
        .to_str()
        .unwrap()
        .starts_with("\"key-default\";r=0"));
    assert_eq!(me(&app, &two).await, StatusCode::OK);
    let by_application = app.me(&two).await;
    assert_eq!(by_application.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = by_application.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("this key's application"),
        "{body}"
    );
    // A workspace-wide key counts against an application only when a route names it.
    assert_eq!(me(&app, &elsewhere).await, StatusCode::OK);
    let named = app
        .api(RouteId::ApplicationRead, &[&application], &elsewhere)
        .await;
    assert_eq!(named.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// Two instances on one database, a workspace limit of `limit` (and the same per key), and
/// two keys of that workspace, at the start of a window.
async fn two_instances(limit: impl ToString) -> (TestApp, TestApp, String, String) {
    let first = spawn_app().await;
    let second = spawn_app_on(first.database_url.clone()).await;
    let owner = first.setup_owner().await;
    let limit = limit.to_string();
    let (status, body) = set_limits(
        &first,
        &owner,
        &[("key.default", &limit), ("workspace.default", &limit)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (a, _) = first.read_only_key(&owner, "a").await;
    let (b, _) = first.read_only_key(&owner, "b").await;
    fresh_window().await;
    (first, second, a, b)
}

/// The status of `GET /api/v1/me` with `secret` on `app`.
async fn me(app: &TestApp, secret: &str) -> StatusCode {
    app.me(secret).await.status()
}

/// Waits until the database holds `hits` admitted requests for the busiest counter (the
/// workspace's), then one more sync interval, so the instance that sent them has applied the
/// total it read back. A fixed sleep raced a slow reconciliation under load.
async fn reconciled(app: &TestApp, hits: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (most,): (i64,) =
            sqlx::query_as("SELECT COALESCE(MAX(hits), 0) FROM rate_limit_counts")
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        if most >= hits {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{most} of {hits} hits reconciled"
        );
        tokio::time::sleep(SYNC_EVERY / 5).await;
    }
    tokio::time::sleep(SYNC_EVERY).await;
}

#[tokio::test]
async fn two_instances_share_their_counts_within_a_sync_interval() {
    let (first, second, a, b) = two_instances(6).await;
    for _ in 0..4 {
        assert_eq!(me(&first, &a).await, StatusCode::OK);
    }
    reconciled(&first, 4).await;
    // The second instance learns the others' count with its first sync: until then it
    // admits on its own (the bound: one sync interval of its traffic).
    assert_eq!(me(&second, &b).await, StatusCode::OK);
    reconciled(&second, 5).await;
    assert_eq!(me(&second, &b).await, StatusCode::OK);
    assert_eq!(me(&second, &b).await, StatusCode::TOO_MANY_REQUESTS);
    // The first instance, idle meanwhile, admits what it is sent until its next sync (one
    // request here), then refuses too.
    assert_eq!(me(&first, &a).await, StatusCode::OK);
    reconciled(&first, 7).await;
    assert_eq!(me(&first, &a).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn concurrent_load_on_two_instances_overshoots_by_at_most_one_interval_each() {
    const LIMIT: usize = 20;
    const PACE: std::time::Duration = std::time::Duration::from_millis(50);
    let (first, second, a, b) = two_instances(LIMIT).await;
    // Each instance is sent one request every 50 ms for two seconds: five per sync interval.
    let load = |app: &TestApp, secret: String| {
        let (client, url) = (app.fresh_client(), app.url("/api/v1/me"));
        tokio::spawn(async move {
            let mut admitted = 0;
            let mut every = tokio::time::interval(PACE);
            for _ in 0..40 {
                every.tick().await;
                let res = client
                    .get(&url)
                    .header("x-keyward-api-token", &secret)
                    .send()
                    .await
                    .unwrap();
                admitted += usize::from(res.status() == StatusCode::OK);
            }
            admitted
        })
    };
    let (x, y) = (load(&first, a), load(&second, b));
    let admitted = x.await.unwrap() + y.await.unwrap();
    let per_interval = (SYNC_EVERY.as_millis() / PACE.as_millis()) as usize;
    eprintln!(
        "limit {LIMIT}, admitted {admitted} by two instances (bound {})",
        LIMIT + 2 * per_interval
    );
    assert!(
        admitted >= LIMIT,
        "{admitted}: the limit itself is admitted"
    );
    // One interval of each instance's traffic, plus one request each for a sync that was
    // in flight while it was admitting.
    assert!(
        admitted <= LIMIT + 2 * (per_interval + 1),
        "{admitted} admitted against a limit of {LIMIT}"
    );
}

#[tokio::test]
async fn the_policy_is_saved_from_its_plain_form_by_owners_and_admins_only() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let post = |member: &Client, rate: &'static str| {
        member
            .post(app.url("/settings/security/policy"))
            .form(&[
                ("max_lifetime_days", "90"),
                ("allow_service_keys", "on"),
                ("allow_import", "on"),
                ("rate_limit_per_minute", rate),
            ])
            .send()
    };
    let res = post(&owner, "120").await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/settings/security?saved=1");
    let page = app
        .fragment(&owner, "security_page", "saved=1")
        .await
        .unwrap();
    assert!(
        page.contains("Policy saved.") && page.contains("Save policy"),
        "{page}"
    );
    assert!(
        page.contains(r#"name="rate_limit_per_minute" min="1" max="100000" value="120""#),
        "{page}"
    );
    let (rate, import): (i64, i64) =
        sqlx::query_as("SELECT rate_limit_per_minute, allow_import FROM workspaces")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((rate, import), (120, 1));

    // Bad input: a clear page, nothing changed.
    let res = post(&owner, "lots").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Rate limit must be a number."));

    // A developer reads the policy without the button and cannot post it.
    let developer = app.add_member("dev@example.com", "developer").await;
    let page = app.fragment(&developer, "security_page", "").await.unwrap();
    assert!(page.contains("Allow importing existing keys") && !page.contains("Save policy"));
    assert_eq!(
        post(&developer, "1").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(stored_limits(&app).await.0, 120);
}
