//! The key review: each finding lists exactly the keys it describes, with their unused
//! permissions and the actions that fit.

use crate::helpers::*;
use reqwest::Client;

const DAY: i64 = 86_400;

/// The review's HTML for `finding` as `client` sees it.
async fn review(app: &TestApp, client: &Client, finding: &str) -> Result<String, String> {
    app.fragment(client, "key_review", &format!("finding={finding}"))
        .await
}

async fn new_key(app: &TestApp, member: &Client, name: &str, permissions: &[&str]) -> String {
    let secret = app.create_key_secret(member, key(name, permissions)).await;
    app.key_row_id(&secret).await
}

async fn set(app: &TestApp, id: &str, assignment: &str) {
    sqlx::query(&format!("UPDATE api_keys SET {assignment} WHERE id = $1"))
        .bind(id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn each_finding_lists_the_keys_it_describes() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let now = keyward_core::now();
    let read = ["applications:read"];
    let stale = new_key(&app, &owner, "stale", &read).await;
    set(&app, &stale, &format!("last_used_at = {}", now - 100 * DAY)).await;
    let quiet = new_key(&app, &owner, "quiet", &read).await;
    set(&app, &quiet, &format!("last_used_at = {}", now - 40 * DAY)).await;
    let forgotten = new_key(&app, &owner, "forgotten", &read).await;
    set(
        &app,
        &forgotten,
        &format!("created_at = {}", now - 10 * DAY),
    )
    .await;
    new_key(&app, &owner, "brand new", &read).await;
    let ending = new_key(&app, &owner, "ending", &read).await;
    set(&app, &ending, &format!("expires_at = {}", now + 3 * DAY)).await;
    let forever = new_key(&app, &owner, "forever", &read).await;
    set(&app, &forever, "expires_at = NULL").await;
    let nameless = new_key(&app, &owner, "nameless purpose", &read).await;
    set(&app, &nameless, "purpose = ''").await;
    // Holds write but only ever read, over a whole window.
    let broad = new_key(
        &app,
        &owner,
        "broad",
        &["applications:read", "applications:write"],
    )
    .await;
    set(&app, &broad, &format!("created_at = {}", now - 40 * DAY)).await;
    sqlx::query("INSERT INTO key_route_use VALUES ($1, 'GET', '/api/v1/applications', $2)")
        .bind(&broad)
        .bind(now - DAY)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    // A developer's key outlives their demotion, another's their membership.
    let dev = app.add_member("dev@example.com", "developer").await;
    new_key(&app, &dev, "dev writer", &["applications:write"]).await;
    app.set_role("dev@example.com", "viewer").await;
    let leaver = app.add_member("leaver@example.com", "developer").await;
    new_key(&app, &leaver, "leaver's key", &read).await;
    app.remove_member("leaver@example.com").await;

    for (finding, expected) in [
        ("unused_90", vec!["stale"]),
        ("unused_30", vec!["quiet", "stale"]),
        ("never_used", vec!["broad", "forgotten"]),
        ("expiring", vec!["ending"]),
        ("no_expiry", vec!["forever"]),
        ("no_purpose", vec!["nameless purpose"]),
        ("owner_demoted", vec!["dev writer"]),
        ("unused_permissions", vec!["broad"]),
        ("owner_left", vec!["leaver's key"]),
    ] {
        let html = review(&app, &owner, finding).await.unwrap();
        let mut names = row_names(&html);
        names.sort();
        assert_eq!(names, expected, "{finding}: {html}");
    }
    let html = review(&app, &owner, "unused_permissions").await.unwrap();
    assert!(html.contains("<code>applications:write</code>"), "{html}");
    assert!(html.contains(&format!("/settings/api-keys/narrow?key={broad}")));
    assert!(html.contains("Revoke"));
    // Revoked keys offer nothing but opening them.
    let html = review(&app, &owner, "owner_left").await.unwrap();
    assert!(!html.contains("Revoke") && !html.contains("Narrow\""));

    let e = review(&app, &owner, "stale").await.unwrap_err();
    assert!(e.contains("Unknown finding"), "{e}");
    let e = review(&app, &dev, "unused_90").await.unwrap_err();
    assert!(e.contains("keys:read"), "{e}");
}
