//! Sign-in, accounts and sessions under attack: a throttle that counts before it checks and is
//! shared by every instance, client addresses behind trusted proxies, and invariants that no
//! race can break. The same suite runs on SQLite and PostgreSQL (`KEYWARD_TEST_DB=postgres`).

use crate::helpers;
use crate::helpers::key;
use app::pages::account::{AccountSessions, ChangePassword, SignOutOtherSessions, SignOutSession};
use app::pages::login::{AcceptInvitation, Login};
use app::pages::members::ChangeMemberRole;
use app::pages::shell::CurrentViewer;
use leptos::server_fn::ServerFn;

use helpers::{
    attempt, spawn_app, spawn_app_on, spawn_app_with, FAILED, LOCKED, OWNER_EMAIL, OWNER_PASSWORD,
    WRONG,
};
use reqwest::Client;
use serde_json::{json, Value};

async fn failed_sign_ins_audited(app: &helpers::TestApp) -> usize {
    app.audit_actions()
        .await
        .iter()
        .filter(|a| *a == "session.sign_in_failed")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_get_no_more_checks_than_the_limit() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let guesses = (0..40).map(|_| {
        let (app, client) = (&app, app.fresh_client());
        async move { attempt(app, &client, OWNER_EMAIL, WRONG).await }
    });
    let answers = futures_join_all(guesses).await;
    let failed = answers.iter().filter(|a| a.contains(FAILED)).count();
    let locked = answers.iter().filter(|a| a.contains(LOCKED)).count();
    assert_eq!((failed, locked), (5, 35), "{answers:?}");
    // Only the reserved five were checked (each checked attempt is audited).
    assert_eq!(failed_sign_ins_audited(&app).await, 5);
    // The account stays locked, even for the right password, and says when to retry.
    let body = attempt(&app, &app.fresh_client(), OWNER_EMAIL, OWNER_PASSWORD).await;
    assert!(body.contains(LOCKED) && body.contains("seconds"), "{body}");
}

/// Runs the futures at once, on this task (no runtime spawn needed).
async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    let mut futures: Vec<_> = futures.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("ready")).collect()
}

#[tokio::test]
async fn every_instance_shares_the_throttle() {
    let first = spawn_app().await;
    first.setup_owner().await;
    let second = spawn_app_on(first.database_url.clone()).await;
    for app in [&first, &second, &first, &second, &first] {
        let body = attempt(app, &app.fresh_client(), OWNER_EMAIL, WRONG).await;
        assert!(body.contains(FAILED), "{body}");
    }
    for app in [&second, &first] {
        let body = attempt(app, &app.fresh_client(), OWNER_EMAIL, OWNER_PASSWORD).await;
        assert!(body.contains(LOCKED), "{body}");
    }
}

#[tokio::test]
async fn a_locked_address_never_blocks_a_correct_password() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // Twenty failures from this address, each for another (unknown) account.
    for i in 0..20 {
        let body = attempt(
            &app,
            &app.fresh_client(),
            &format!("nobody{i}@example.com"),
            WRONG,
        )
        .await;
        assert!(body.contains(FAILED), "{i}: {body}");
    }
    let body = attempt(&app, &app.fresh_client(), "nobody-more@example.com", WRONG).await;
    assert!(body.contains(LOCKED), "{body}");
    // The owner's account is not locked: the right password still works from here.
    let res = app
        .send(
            &app.fresh_client(),
            Login {
                email: OWNER_EMAIL.to_string(),
                password: OWNER_PASSWORD.to_string(),
                next: None,
            },
        )
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.text().await.unwrap()
    );
}

#[tokio::test]
async fn the_account_holder_sees_failed_attempts_at_the_next_sign_in() {
    let app = spawn_app().await;
    app.setup_owner().await;
    for _ in 0..2 {
        attempt(&app, &app.fresh_client(), OWNER_EMAIL, WRONG).await;
    }
    let owner = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let viewer: Value = app.send_json(&owner, CurrentViewer {}).await;
    assert_eq!(viewer["failed_sign_ins_before"], 2);
    // Counted from the last success: the next session starts clean.
    let again = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let viewer: Value = app.send_json(&again, CurrentViewer {}).await;
    assert_eq!(viewer["failed_sign_ins_before"], 0);
}

/// The address of the newest audited failed sign-in.
async fn last_failed_address(app: &helpers::TestApp) -> String {
    let (address,): (String,) = sqlx::query_as(
        "SELECT address FROM audit_events WHERE action = 'session.sign_in_failed' \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    address
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let untrusting = spawn_app().await;
    untrusting.setup_owner().await;
    let forged = untrusting
        .fresh_client()
        .post(untrusting.url(Login::PATH))
        .header("x-forwarded-for", "198.51.100.7")
        .form(&helpers::login(OWNER_EMAIL, WRONG))
        .send()
        .await
        .unwrap();
    assert!(forged.text().await.unwrap().contains(FAILED));
    assert_eq!(last_failed_address(&untrusting).await, "127.0.0.1");

    let mut config = server::config::Config::for_tests(helpers::test_database_url().await);
    config.trusted_proxies = vec!["127.0.0.0/8".into()];
    let proxied = spawn_app_with(config).await;
    proxied.setup_owner().await;
    let res = proxied
        .fresh_client()
        .post(proxied.url(Login::PATH))
        .header("x-forwarded-for", "1.1.1.1, 198.51.100.7")
        .form(&helpers::login(OWNER_EMAIL, WRONG))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains(FAILED));
    // The rightmost hop the trusted proxy added; the client's own prefix is ignored.
    assert_eq!(last_failed_address(&proxied).await, "198.51.100.7");
    // The machine API's access log uses the same rule.
    let owner = proxied.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let secret = proxied
        .create_key_secret(&owner, key("k", &["applications:read"]))
        .await;
    let res = proxied
        .fresh_client()
        .get(proxied.url("/api/v1/me"))
        .header("x-keyward-api-token", &secret)
        .header("forwarded", "for=203.0.113.50;proto=https")
        .send()
        .await;
    assert!(res.is_ok(), "{res:?}");
    let id = proxied.key_row_id(&secret).await;
    helpers::eventually("the access log row", || async {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT address FROM key_access_log WHERE key_row_id = $1")
                .bind(&id)
                .fetch_all(proxied.state.db.pool())
                .await
                .unwrap();
        rows.first().is_some_and(|(a,)| a == "203.0.113.50")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_invitation_is_accepted_once_even_at_the_same_moment() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let token = app.invitation_token("new@example.com", "developer").await;
    let accept = |password: &'static str| {
        let (app, token, client) = (&app, token.clone(), app.fresh_client());
        async move {
            app.send(
                &client,
                AcceptInvitation {
                    token: token.to_string(),
                    password: password.to_string(),
                },
            )
            .await
            .status()
        }
    };
    let answers =
        futures_join_all([accept("first password 123"), accept("second password 123")]).await;
    let won = answers
        .iter()
        .filter(|s| s.is_success() || s.is_redirection())
        .count();
    assert_eq!(won, 1, "{answers:?}");
    // Used: the link sets no password any more.
    let again = app
        .send_text(
            &app.fresh_client(),
            AcceptInvitation {
                token: token.to_string(),
                password: "third password 123".into(),
            },
        )
        .await;
    assert!(again.contains("invalid, used or expired"), "{again}");
}

#[tokio::test]
async fn an_invitation_link_never_resets_a_password_in_use() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // A link pointing at the owner's account, which has signed in.
    let token = "a".repeat(48);
    let owner = app.user_id(OWNER_EMAIL).await;
    sqlx::query(
        "INSERT INTO invitations (id, workspace_id, user_id, token_digest, created_by, expires_at) \
         SELECT $1, workspace_id, $2, $3, $2, $4 FROM memberships WHERE user_id = $2",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(owner.to_string())
    .bind(app.state.secret.digest(&token))
    .bind(keyward_core::now() + 3600)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let body = app
        .send_text(
            &app.fresh_client(),
            AcceptInvitation {
                token: token.to_string(),
                password: "taken over 12345".into(),
            },
        )
        .await;
    assert!(body.contains("invalid, used or expired"), "{body}");
    // The holder's password still works; the attacker's does not.
    assert!(
        attempt(&app, &app.fresh_client(), OWNER_EMAIL, "taken over 12345")
            .await
            .contains(FAILED)
    );
    app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_owners_demoting_each_other_at_once_leave_an_owner() {
    let app = spawn_app().await;
    let first = app.setup_owner().await;
    let second = app.add_member("second@example.com", "owner").await;
    let first_id = app.user_id(OWNER_EMAIL).await.to_string();
    let second_id = app.user_id("second@example.com").await.to_string();
    for _ in 0..5 {
        let demote = |client: &Client, user: &str| {
            let (app, client, user) = (&app, client.clone(), user.to_string());
            async move {
                app.send(
                    &client,
                    ChangeMemberRole {
                        user_id: user.to_string(),
                        role: "admin".into(),
                    },
                )
                .await
                .status()
            }
        };
        futures_join_all([demote(&first, &second_id), demote(&second, &first_id)]).await;
        let (owners,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM memberships WHERE role = 'owner'")
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(owners, 1, "the workspace must keep exactly one owner here");
        // Restore both owners for the next round.
        sqlx::query("UPDATE memberships SET role = 'owner'")
            .execute(app.state.db.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn behind_a_proxy_cookies_are_secure_and_browsers_keep_to_https() {
    let local = spawn_app().await;
    let res = local.get("/login").await;
    assert!(res.headers().get("strict-transport-security").is_none());
    let mut config = server::config::Config::for_tests(helpers::test_database_url().await);
    config.trusted_proxies = vec!["127.0.0.1".into()];
    let proxied = spawn_app_with(config).await;
    proxied.setup_owner().await;
    let res = proxied
        .fresh_client()
        .post(proxied.url(Login::PATH))
        .form(&helpers::login(OWNER_EMAIL, OWNER_PASSWORD))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(cookie.starts_with("__Host-keyward_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    for path in ["/login", "/api/v1/me"] {
        let res = proxied.get(path).await;
        assert_eq!(
            res.headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=63072000; includeSubDomains"),
            "{path}"
        );
    }
}

async fn sessions_of(app: &helpers::TestApp, member: &Client) -> Vec<Value> {
    let res = app.send(member, AccountSessions {}).await;
    assert!(res.status().is_success(), "{}", res.status());
    res.json::<Vec<Value>>().await.unwrap()
}

/// The handle of the session `member` is signed in with, as its sessions list shows it.
async fn current_handle(app: &helpers::TestApp, member: &Client) -> String {
    sessions_of(app, member)
        .await
        .into_iter()
        .find(|s| s["current"] == true)
        .unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn signed_in(app: &helpers::TestApp, member: &Client) -> bool {
    let body = app
        .send(member, CurrentViewer {})
        .await
        .text()
        .await
        .unwrap();
    !body.contains("Sign in to continue.")
}

#[tokio::test]
async fn a_member_sees_their_sessions_and_signs_them_out() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let laptop = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let phone = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let tablet = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let listed = sessions_of(&app, &laptop).await;
    // setup's own session, and the three above.
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(listed.iter().all(|s| s["address"] == "127.0.0.1"));
    let text = serde_json::to_string(&listed).unwrap();
    let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM sessions")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    assert!(
        ids.iter().all(|(id,)| !text.contains(id.as_str())),
        "a session id was shown"
    );

    // Sign out the phone by its handle, as seen from the phone itself.
    let phone_handle = current_handle(&app, &phone).await;
    let res = app
        .send(
            &laptop,
            SignOutSession {
                handle: phone_handle.to_string(),
            },
        )
        .await;
    assert!(res.status().is_success());
    assert!(!signed_in(&app, &phone).await);
    // Another member cannot end the owner's sessions.
    let dev = app.add_member("dev@example.com", "developer").await;
    let laptop_handle = current_handle(&app, &laptop).await;
    let body = app
        .send_text(
            &dev,
            SignOutSession {
                handle: laptop_handle.to_string(),
            },
        )
        .await;
    assert!(body.contains("Not found"), "{body}");
    assert!(signed_in(&app, &laptop).await);
    // "Sign out other sessions" keeps only the asking one.
    let res = app.send(&laptop, SignOutOtherSessions {}).await;
    assert!(res.status().is_success());
    assert!(!signed_in(&app, &tablet).await);
    assert!(signed_in(&app, &laptop).await);
    assert_eq!(sessions_of(&app, &laptop).await.len(), 1);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let here = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let elsewhere = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let new = "a brand new password";
    let body = app
        .send_text(
            &here,
            ChangePassword {
                current_password: "not my password".into(),
                new_password: new.to_string(),
            },
        )
        .await;
    assert!(body.contains("current password is not right"), "{body}");
    assert!(signed_in(&app, &elsewhere).await);
    let body = app
        .send_text(
            &here,
            ChangePassword {
                current_password: OWNER_PASSWORD.to_string(),
                new_password: "short".into(),
            },
        )
        .await;
    assert!(body.contains("at least 10 characters"), "{body}");
    let res = app
        .send(
            &here,
            ChangePassword {
                current_password: OWNER_PASSWORD.to_string(),
                new_password: new.to_string(),
            },
        )
        .await;
    assert!(res.status().is_success());
    assert!(signed_in(&app, &here).await);
    assert!(!signed_in(&app, &elsewhere).await);
    assert!(
        attempt(&app, &app.fresh_client(), OWNER_EMAIL, OWNER_PASSWORD)
            .await
            .contains(FAILED)
    );
    app.sign_in(OWNER_EMAIL, new).await;
    assert!(app
        .audit_actions()
        .await
        .contains(&"account.password_changed".to_string()));
}

/// Rewrites one field of every session's data (as if time had passed), and its expiry.
async fn age_sessions(app: &helpers::TestApp, field: &str, value: i64, expires_at: i64) {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, data FROM sessions")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    for (id, data) in rows {
        let mut data: Value = serde_json::from_str(&data).unwrap();
        data[field] = json!(value);
        sqlx::query(
            "UPDATE sessions SET data = $1, expires_at = $2, created_at = $3 WHERE id = $4",
        )
        .bind(data.to_string())
        .bind(expires_at)
        .bind(data["signed_in_at"].as_i64())
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn the_idle_timeout_slides_with_activity() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let now = keyward_core::now();
    // Last seen two minutes ago, about to go idle.
    age_sessions(&app, "last_seen_at", now - 120, now + 30).await;
    assert!(signed_in(&app, &owner).await);
    let (expires_at,): (i64,) = sqlx::query_as("SELECT MAX(expires_at) FROM sessions")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert!(
        expires_at >= now + app::request::auth::IDLE_TIMEOUT_SECS - 60,
        "the idle timeout did not move: {expires_at} vs {now}"
    );
}

#[tokio::test]
async fn user_tokens_end_with_their_sessions_absolute_lifetime() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let now = keyward_core::now();
    // Signed in almost twelve hours ago: one minute of the session is left.
    let signed_in_at = now - app::request::auth::ABSOLUTE_TIMEOUT_SECS + 60;
    age_sessions(&app, "signed_in_at", signed_in_at, now + 3600).await;
    let res = owner
        .post(app.url("/api/v1/auth/token"))
        .header("origin", &app.address)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let expires_at = res.json::<Value>().await.unwrap()["expires_at"]
        .as_i64()
        .unwrap();
    assert!(
        expires_at <= now + 61,
        "{expires_at} outlives the session ({now})"
    );
}

#[tokio::test]
async fn expired_sessions_tokens_invitations_and_throttle_windows_are_pruned() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    app.user_token(&owner).await;
    let _pending = app.invitation_token("late@example.com", "viewer").await;
    attempt(&app, &app.fresh_client(), OWNER_EMAIL, WRONG).await;
    let later = keyward_core::now() + 30 * 86_400;
    for table in ["sessions", "invitations", "sign_in_throttle", "user_tokens"] {
        assert!(app.count(table).await > 0, "{table}");
    }
    let pruned = keyward_core::services::sessions::prune_expired(&app.state.db, later)
        .await
        .unwrap();
    assert!(pruned >= 4, "{pruned}");
    for table in ["sessions", "invitations", "sign_in_throttle", "user_tokens"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
}

#[tokio::test]
async fn plain_form_posts_pass_the_cross_site_check_and_forged_ones_get_a_page() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let post = |headers: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move {
            let mut req = app
                .fresh_client()
                .post(app.url(Login::PATH))
                .form(&helpers::login(OWNER_EMAIL, OWNER_PASSWORD));
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            req.send().await.unwrap()
        }
    };
    // What a browser may send for a plain form post (Origin null, Sec-Fetch-Site said).
    let res = post(&[("origin", "null"), ("sec-fetch-site", "same-origin")]).await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    for forged in [
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ][..],
        &[("origin", "null")][..],
    ] {
        let res = post(forged).await;
        assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN);
        assert!(res
            .headers()
            .get("content-type")
            .is_some_and(|c| c.to_str().unwrap().starts_with("text/html")));
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("<h1>Request refused</h1>"));
    }
}
