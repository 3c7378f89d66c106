//! "Revoke matching keys": a preview lists exactly which keys a filter matches now, and the
//! revocation ends exactly that set, all or nothing, audited key by key and as one operation.

use crate::helpers::*;
use app::pages::api_keys::RevokeKey;
use reqwest::Client;

const PATH: &str = "/settings/api-keys/bulk-revoke";

/// The preview page as `member` sees it under the key list's `filters`.
async fn preview(app: &TestApp, member: &Client, filters: &[(&str, &str)]) -> (u16, String) {
    let res = member
        .get(app.url(PATH))
        .query(filters)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), text(res).await)
}

/// A page's text without the empty comments the renderer leaves between parts.
async fn text(res: reqwest::Response) -> String {
    res.text().await.unwrap().replace("<!>", "")
}

/// The key ids the preview's form would post.
fn previewed_ids(html: &str) -> Vec<String> {
    html.split("name=\"id\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

async fn post(
    app: &TestApp,
    member: &Client,
    ids: &[String],
    count: usize,
    filter: &str,
) -> (u16, String) {
    let mut form: Vec<(&str, String)> = ids.iter().map(|id| ("id", id.clone())).collect();
    form.push(("count", count.to_string()));
    form.push(("filter", filter.to_string()));
    form.push(("reason", "vendor offboarded".into()));
    let res = member.post(app.url(PATH)).form(&form).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn new_key(app: &TestApp, member: &Client, name: &str) -> String {
    app.create_key_secret(member, key(name, &["applications:read"]))
        .await
}

#[tokio::test]
async fn exactly_the_previewed_keys_are_revoked_and_audited() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (a, b, keep) = (
        new_key(&app, &owner, "vendor a").await,
        new_key(&app, &owner, "vendor b").await,
        new_key(&app, &owner, "keep me").await,
    );
    for _ in 0..3 {
        assert!(app.works(&a).await);
    }
    settle_bookkeeping(&app).await;

    let (status, html) = preview(&app, &owner, &[("q", "vendor")]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Revoke 2 keys"), "{html}");
    assert!(html.contains("vendor a") && html.contains("vendor b"));
    assert!(!html.contains("keep me"));
    // The used key shows its requests of the last week.
    let row_a = html.split("vendor a").nth(1).unwrap();
    assert!(row_a.contains("<td>3</td>"), "{row_a}");
    let ids = previewed_ids(&html);
    assert_eq!(ids.len(), 2);

    // A key that starts matching after the preview is not part of it.
    let late = new_key(&app, &owner, "vendor late").await;
    let (status, page) = post(&app, &owner, &ids, 2, "q=vendor").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("2 keys were revoked."), "{page}");
    assert!(!app.works(&a).await && !app.works(&b).await);
    assert!(app.works(&late).await && app.works(&keep).await);

    let events = app.audit_events().await;
    let revoked: Vec<_> = events.iter().filter(|e| e.0 == "key.revoked").collect();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.iter().all(|e| e.2 == "vendor offboarded"));
    let operation: Vec<_> = events
        .iter()
        .filter(|e| e.0 == "key.bulk_revoked")
        .collect();
    assert_eq!(operation.len(), 1);
    assert_eq!(
        operation[0].2,
        "2 keys matching q=vendor; vendor offboarded"
    );
}

/// Waits until the access log holds what was sent (it is written in batches).
async fn settle_bookkeeping(app: &TestApp) {
    eventually("the access log is written", || async {
        app.count("key_access_log").await >= 3
    })
    .await;
}

#[tokio::test]
async fn a_preview_that_changed_revokes_nothing() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (a, b) = (
        new_key(&app, &owner, "old script a").await,
        new_key(&app, &owner, "old script b").await,
    );
    let (_, html) = preview(&app, &owner, &[("q", "old script")]).await;
    let ids = previewed_ids(&html);
    assert_eq!(ids.len(), 2);

    // The count must be the previewed one, and the list one the preview made.
    let (status, page) = post(&app, &owner, &ids, 3, "q=old+script").await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("preview again"), "{page}");
    let (status, _) = post(&app, &owner, &["not-an-id".into()], 1, "").await;
    assert_eq!(status, 409);

    // One of the set is revoked meanwhile: the rest stays as it was.
    let first = app.key_row_id(&a).await;
    let res = app
        .send(
            &owner,
            RevokeKey {
                id: first.to_string(),
                reason: "by hand".into(),
            },
        )
        .await;
    assert!(res.status().is_success());
    let (status, page) = post(&app, &owner, &ids, 2, "q=old+script").await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("old script a is already revoked"), "{page}");
    assert!(page.contains("Nothing was revoked"), "{page}");
    assert!(app.works(&b).await);
    assert_eq!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "key.bulk_revoked")
            .count(),
        0
    );
}

#[tokio::test]
async fn a_member_previews_and_revokes_only_keys_they_may_revoke() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let theirs = new_key(&app, &owner, "shared vendor").await;
    let developer = app.add_member("dev@example.com", "developer").await;
    let own = new_key(&app, &developer, "shared vendor dev").await;

    // Without a filter there is no bulk revocation.
    let (status, html) = preview(&app, &developer, &[]).await;
    assert_eq!(status, 400);
    assert!(html.contains("Choose at least one filter"), "{html}");

    let (status, html) = preview(&app, &developer, &[("q", "shared vendor")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Revoke 1 key"), "{html}");
    assert!(!html.contains(">shared vendor<"), "{html}");

    // Posting another member's key by hand is refused, and nothing is revoked.
    let mut ids = previewed_ids(&html);
    ids.push(app.key_row_id(&theirs).await);
    let (status, page) = post(&app, &developer, &ids, 2, "q=shared+vendor").await;
    assert_eq!(status, 409, "{page}");
    assert!(app.works(&theirs).await && app.works(&own).await);

    // An auditor revokes anyone's keys (incident response).
    let auditor = app.add_member("audit@example.com", "auditor").await;
    let (_, html) = preview(&app, &auditor, &[("q", "shared vendor")]).await;
    let ids = previewed_ids(&html);
    assert_eq!(ids.len(), 2, "{html}");
    let (status, _) = post(&app, &auditor, &ids, 2, "q=shared+vendor").await;
    assert_eq!(status, 200);
    assert!(!app.works(&theirs).await && !app.works(&own).await);

    // A post from another site never reaches the revocation.
    let res = owner
        .post(app.url(PATH))
        .header("sec-fetch-site", "cross-site")
        .form(&[("id", "x"), ("count", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_review_finding_is_revoked_in_bulk_after_its_preview() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let stale = new_key(&app, &owner, "stale one").await;
    let fresh = new_key(&app, &owner, "fresh one").await;
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE name = 'stale one'")
        .bind(keyward_core::now() - 100 * 86_400)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (status, html) = preview(&app, &owner, &[("finding", "unused_90")]).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Revoke 1 key") && html.contains("stale one"),
        "{html}"
    );
    assert!(!html.contains("fresh one"));
    let ids = previewed_ids(&html);
    let (status, page) = post(&app, &owner, &ids, 1, "finding=unused_90").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("/settings/api-keys/review?finding=unused_90"),
        "{page}"
    );
    assert!(!app.works(&stale).await && app.works(&fresh).await);
    let events = app.audit_events().await;
    let operation = events.iter().find(|e| e.0 == "key.bulk_revoked").unwrap();
    assert_eq!(
        operation.2,
        "1 keys matching finding=unused_90; vendor offboarded"
    );
    let (status, html) = preview(&app, &owner, &[("finding", "soon")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("Unknown finding"), "{html}");
}
