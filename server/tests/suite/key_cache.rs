//! Remembered keys: a revocation on one instance is honoured by another within a second, and
//! losing the change feed drops what is remembered.

use crate::helpers;
use crate::helpers::{key, rotation};
use app::pages::api_keys::{RevokeKey, RotateKey};
use helpers::{spawn_app, spawn_app_on};
use reqwest::StatusCode;

#[tokio::test]
async fn a_revocation_on_one_instance_is_honoured_by_another_within_a_second() {
    let a = spawn_app().await;
    let owner = a.setup_owner().await;
    let b = spawn_app_on(a.database_url.clone()).await;
    let secret = a
        .create_key_secret(&owner, key("shared", &["applications:read"]))
        .await;
    // Both instances have verified (and remember) the key.
    for instance in [&a, &b] {
        assert_eq!(instance.me(&secret).await.status(), StatusCode::OK);
    }
    let id = a.key_row_id(&secret).await;
    a.run(
        &owner,
        RevokeKey {
            id: id.to_string(),
            reason: "".into(),
        },
    )
    .await
    .unwrap();
    let revoked = std::time::Instant::now();
    // The instance that revoked refuses at once.
    assert_eq!(a.me(&secret).await.status(), StatusCode::UNAUTHORIZED);
    // The other learns of it through the change feed, well within a second.
    refused_within_a_second(&b, &secret, revoked).await;
}

/// Waits until `instance` refuses `secret`, which it must within a second of `since`.
async fn refused_within_a_second(
    instance: &helpers::TestApp,
    secret: &str,
    since: std::time::Instant,
) {
    loop {
        let status = instance.me(secret).await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            since.elapsed() < std::time::Duration::from_secs(1),
            "the other instance still accepted the secret after a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn losing_the_change_feed_drops_remembered_keys() {
    use keyward_core::store::db::Backend;
    let app = spawn_app().await;
    let db = &app.state.db;
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db.pool()).await.unwrap();
        n
    };
    let two_seconds = std::time::Duration::from_secs(2);
    let cut = match db.backend() {
        Backend::Postgres => {
            helpers::eventually_within("the listener", two_seconds, || async {
                count(
                    "SELECT COUNT(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND query LIKE 'LISTEN%'",
                )
                .await
                    > 0
            })
            .await;
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        }
        Backend::Sqlite => "ALTER TABLE credential_changes RENAME TO credential_changes_gone",
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let before = db.changes().epoch();
    sqlx::query(cut).execute(db.pool()).await.unwrap();
    helpers::eventually_within(
        "dropping remembered keys after the change feed was lost",
        two_seconds,
        || async { db.changes().epoch() != before },
    )
    .await;
}

#[tokio::test]
async fn the_first_use_of_a_new_secret_on_one_instance_ends_the_old_on_another_within_a_second() {
    let a = spawn_app().await;
    let owner = a.setup_owner().await;
    let b = spawn_app_on(a.database_url.clone()).await;
    let (old, id) = a.read_only_key(&owner, "switching").await;
    let res = a
        .send(
            &owner,
            RotateKey {
                grace_seconds: -1,
                ..rotation(&id)
            },
        )
        .await;
    let new: serde_json::Value = res.json().await.unwrap();
    let new = new["secret"].as_str().unwrap().to_string();
    // Instance b remembers the old secret as still working.
    assert_eq!(b.me(&old).await.status(), StatusCode::OK);
    // The new secret's first use is on instance a.
    assert_eq!(a.me(&new).await.status(), StatusCode::OK);
    refused_within_a_second(&b, &old, std::time::Instant::now()).await;
}

#[tokio::test]
async fn a_revocation_says_on_how_many_instances_it_is_in_effect() {
    let a = spawn_app().await;
    let owner = a.setup_owner().await;
    let b = spawn_app_on(a.database_url.clone()).await;
    let (secret, id) = a.read_only_key(&owner, "acknowledged").await;
    // Both instances have been heard from.
    helpers::eventually("both instances send heartbeats", || async {
        a.count("instances").await == 2
    })
    .await;
    // A third was heard from a moment ago and then went quiet.
    sqlx::query(
        "INSERT INTO instances (id, started_at_ms, heartbeat_at_ms) VALUES ('quiet', $1, $1)",
    )
    .bind(keyward_core::now_ms() - 2_500)
    .execute(a.state.db.pool())
    .await
    .unwrap();
    a.run(
        &owner,
        RevokeKey {
            id: id.clone(),
            reason: "".into(),
        },
    )
    .await
    .unwrap();
    assert!(!b.works(&secret).await);
    let on_b = owner_on(&b).await;
    let said = || async {
        b.key_activity(&on_b, &id).await["revocation"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    helpers::eventually("both live instances acknowledge the revocation", || async {
        let said = said().await;
        said.starts_with("In effect on 2 of 3 instances after ") && said.contains("1 silent since")
    })
    .await;
    let said = said().await;
    let ms: u64 = said
        .trim_start_matches("In effect on 2 of 3 instances after ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    eprintln!("{said}");
    assert!(ms < 1_000, "{said}");
    assert!(said.contains("expires within a second"), "{said}");
    // A key never revoked says nothing of the kind.
    let (_, live) = a.read_only_key(&owner, "live").await;
    assert!(a.key_activity(&owner, &live).await["revocation"].is_null());
}

/// The owner signed in on `instance` (sessions live in the shared database).
async fn owner_on(instance: &helpers::TestApp) -> reqwest::Client {
    instance
        .sign_in(helpers::OWNER_EMAIL, helpers::OWNER_PASSWORD)
        .await
}
