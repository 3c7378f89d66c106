//! No secret reaches a log line: every log line of a session that creates, uses, tests,
//! rotates and revokes a key is captured and searched for the secrets.

mod helpers;

use helpers::key;

use app::pages::api_keys::RotateKey;
use app::pages::security::SavePolicy;
use app::pages::tester::TestCredential;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        logs
    })
}

#[tokio::test]
async fn no_secret_appears_in_any_log_line() {
    let logs = capture();
    let app = helpers::spawn_app().await;
    let owner = app.setup_owner().await;
    let canary = app
        .create_key_secret(&owner, key("canary", &["applications:read"]))
        .await;
    app.me(&canary).await;
    app.fresh_client()
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Bearer {canary}"))
        .send()
        .await
        .unwrap();
    app.fresh_client()
        .get(app.url(&format!("/api/v1/me?key={canary}")))
        .send()
        .await
        .unwrap();
    app.send(
        &owner,
        TestCredential {
            secret: canary.to_string(),
        },
    )
    .await;
    let id = app.key_row_id(&canary).await;
    let rotated: serde_json::Value = app
        .send(
            &owner,
            RotateKey {
                id: id.to_string(),
                grace_seconds: 0,
                expiration: None,
                expires_on: None,
            },
        )
        .await
        .json()
        .await
        .unwrap();
    let second = rotated["secret"].as_str().unwrap().to_string();
    app.me(&canary).await;
    app.me(&second).await;
    // An imported secret: pasted into the plain form, refused as a duplicate through the user
    // API, used through the legacy query transport, and tested.
    let imported = "q3Vx8Z_bN2kLw9eRt5yUi1oPa7sDf4gHj6kLz0xCv-M";
    app.send(
        &owner,
        SavePolicy {
            max_lifetime_days: "".into(),
            allow_never_expiring: None,
            allow_service_keys: Some("on".into()),
            allow_agent_keys: None,
            legacy_transports: Some("on".into()),
            rate_limit_per_minute: "600".into(),
            allow_import: Some("on".into()),
        },
    )
    .await;
    let form = owner
        .post(app.url("/settings/api-keys/import"))
        .form(&[
            ("name", "imported canary"),
            ("principal", "service"),
            ("preset", "custom"),
            ("permissions", "applications:read"),
            ("expiration", "30"),
            ("existing_secret", imported),
        ])
        .send()
        .await
        .unwrap();
    assert!(form.status().is_success(), "{}", form.status());
    let token = app.user_token(&owner).await;
    let again = app
        .user_api(
            &token,
            reqwest::Method::POST,
            "/api/v1/user/keys/import",
            Some(
                json!({"name": "twice", "purpose": "", "principal": "service", "application_id": "",
                "agent_id": "", "preset": "custom", "permissions": ["applications:read"],
                "expiration": "30", "expires_on": "", "existing_secret": imported}),
            ),
        )
        .await;
    assert_eq!(again.status(), 422);
    let refusal: serde_json::Value = again.json().await.unwrap();
    assert_eq!(refusal["field"], "Existing secret", "{refusal}");
    app.fresh_client()
        .get(app.url(&format!("/api/v1/me?key={imported}")))
        .send()
        .await
        .unwrap();
    app.send(
        &owner,
        TestCredential {
            secret: imported.to_string(),
        },
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(
        text.len() > 1000,
        "the capture holds the server's logs ({} bytes)",
        text.len()
    );
    for secret in [&canary, &second] {
        let random_part = &secret[16..];
        assert!(!text.contains(random_part), "a secret reached the logs");
    }
    assert!(
        !text.contains(&imported[8..]),
        "an imported secret reached the logs"
    );
    assert!(
        !text.contains(helpers::OWNER_PASSWORD),
        "a password reached the logs"
    );

    // Every request has its line: the matched route, the caller's key id, never what was sent.
    let key_id = &canary[7..15];
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("keyward::request"))
        .collect();
    assert!(
        lines.iter().any(|l| l.contains("route=\"/api/v1/me\"")
            && l.contains(&format!("key_id=\"{key_id}\""))
            && l.contains("status=200")
            && l.contains("principal=\"service\"")),
        "no request line names the canary's key: {lines:#?}"
    );
    // The secret sent as a query parameter is a 401 line whose route is the pattern.
    assert!(
        lines.iter().any(|l| l.contains("status=401")),
        "no line for the refused request"
    );
    assert!(
        lines
            .iter()
            .all(|l| !l.contains('?') && l.contains("request_id=")),
        "a request line holds a query string or lacks its id: {lines:#?}"
    );
}
