//! A key's use: batched access log writes, their durability, retention and pruning, body
//! logging while turned on, and the activity page's visibility.

use crate::helpers;
use crate::helpers::key;
use app::pages::key_activity::{KeyActivity, SetBodyLogging};
use domain::model::CreateKeyForm;
use helpers::spawn_app;
use helpers::{RouteId, VerifyRequest};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn key_use_is_recorded_in_batches_with_an_access_log() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(&owner, key("used", &["applications:read"]))
        .await;
    for _ in 0..3 {
        assert_eq!(
            app.api(RouteId::ApplicationsList, &[], &secret)
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        app.api(RouteId::UserKeysList, &[], &secret).await.status(),
        StatusCode::FORBIDDEN
    );
    let logged = || async {
        sqlx::query_as::<_, (String, String, i64)>(
            "SELECT method, route, status FROM key_access_log ORDER BY at",
        )
        .fetch_all(app.state.db.pool())
        .await
        .unwrap()
    };
    helpers::eventually("three logged uses", || async { logged().await.len() >= 3 }).await;
    let rows = logged().await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows
        .iter()
        .all(|r| r == &("GET".to_string(), "/api/v1/applications".to_string(), 200)));
    let listed: Value = app.keys_page(&owner).await;
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
    let rows = || async {
        sqlx::query_scalar::<_, i64>("SELECT at FROM key_access_log ORDER BY id")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap()
    };
    helpers::eventually("the batch writer catching up", || async {
        rows().await.len() >= expected
    })
    .await;
    rows().await
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
        .create_key_secret(&owner, key("old and new", &["applications:read"]))
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
        assert_eq!(app.me(&secret).await.status(), StatusCode::OK);
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
        .create_key_secret(&owner, key("old", &["applications:read"]))
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
    helpers::eventually("pruning the week-old row at start", || async {
        access_log_rows(&second, 0).await.is_empty()
    })
    .await;
}

#[tokio::test]
async fn body_logging_keeps_redacted_bodies_only_while_turned_on() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let perms = ["applications:read", "applications:write", "keys:read"];
    let quiet = app.create_key_secret(&owner, key("quiet", &perms)).await;
    let loud = app
        .create_key_secret(
            &owner,
            CreateKeyForm {
                log_bodies: true,
                ..key("loud", &perms)
            },
        )
        .await;
    for key in [&quiet, &loud] {
        let res = app
            .api_create_application(key, format!("app {}", &key[7..15]))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        // A body holding a secret: the verify call names the key it checks.
        let res = app
            .api_with(
                RouteId::KeysVerify,
                &[],
                key,
                &VerifyRequest {
                    key: quiet.clone(),
                    permissions: vec![],
                },
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
                    .send(
                        owner,
                        KeyActivity {
                            id: id.to_string(),
                            after: None,
                            before: None,
                        },
                    )
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
        .send(
            &owner,
            SetBodyLogging {
                id: id.to_string(),
                enabled: false,
            },
        )
        .await;
    assert!(res.status().is_success());
    assert!(app
        .audit_actions()
        .await
        .contains(&"key.body_logging".to_string()));
    app.me(&loud).await;
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
        .create_key_secret(&owner, key("owner's", &["keys:read"]))
        .await;
    let id = app.key_row_id(&owner_key).await;
    // Others' keys are not found for members without keys:read; changing needs keys:write.
    for client in [&dev, &viewer] {
        let body = app
            .send(
                client,
                KeyActivity {
                    id: id.to_string(),
                    after: None,
                    before: None,
                },
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("Not found"), "{body}");
        let body = app
            .send(
                client,
                SetBodyLogging {
                    id: id.to_string(),
                    enabled: true,
                },
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
        .create_key_secret(&dev, key("dev's", &["applications:read"]))
        .await;
    let dev_id = app.key_row_id(&dev_key).await;
    let res = app
        .send(
            &dev,
            SetBodyLogging {
                id: dev_id.to_string(),
                enabled: true,
            },
        )
        .await;
    assert!(res.status().is_success());
    let v: Value = app
        .send(
            &owner,
            KeyActivity {
                id: dev_id.to_string(),
                after: None,
                before: None,
            },
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["key"]["log_bodies"], true);
    assert_eq!(v["may_change"], true);
}
