//! Access reviews: every live key is listed when a review starts; its owner or a reviewer
//! confirms it (with a note) or revokes it; the unconfirmed keys go through the bulk
//! revocation's preview; the review closes and exports its evidence.

use crate::helpers::*;
use app::pages::api_keys::RevokeKey;
use reqwest::Client;
use serde_json::{json, Value};

const START: &str = "/settings/access-reviews/start";
const DECIDE: &str = "/settings/access-reviews/decide";
const CLOSE: &str = "/settings/access-reviews/close";

/// The page's HTML for the URL query `search`, as `client` sees it.
async fn page(app: &TestApp, client: &Client, search: &str) -> Result<String, String> {
    app.fragment(client, "access_reviews_page", search).await
}

/// Posts "Still needed" (`keep`) or an unconfirmed "Revoke" on `key`.
async fn decide(
    app: &TestApp,
    client: &Client,
    review: &str,
    key: &str,
    decision: &str,
    note: &str,
) -> (u16, String) {
    let form = [
        ("review", review),
        ("key", key),
        ("decision", decision),
        ("note", note),
    ];
    post(app, client, DECIDE, &form).await
}

/// The target of the page's link marked `rel`, as a URL query.
fn link_of(html: &str, rel: &str) -> Option<String> {
    let anchor = html
        .split("<a ")
        .find(|a| a.contains(&format!("rel=\"{rel}\"")))?;
    let href = anchor.split("href=\"").nth(1)?.split('"').next()?;
    Some(href.split_once('?')?.1.replace("&amp;", "&"))
}

/// Posts a form; the status, where it leads, and the page it answered with.
async fn post(app: &TestApp, client: &Client, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let res = client.post(app.url(path)).form(form).send().await.unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let body = res.text().await.unwrap().replace("<!>", "");
    (status, location.unwrap_or(body))
}

async fn review_id(app: &TestApp) -> String {
    let (id,): (String,) = sqlx::query_as("SELECT id FROM access_reviews WHERE closed_at IS NULL")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    id
}

async fn decision_of(app: &TestApp, key: &str) -> (Option<String>, String) {
    sqlx::query_as("SELECT decision, note FROM access_review_items WHERE key_row_id = $1")
        .bind(key)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn owners_confirm_or_revoke_their_own_keys_and_reviewers_any() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let developer = app.add_member("dev@example.com", "developer").await;
    let (deploy, deploy_id) = app.read_only_key(&owner, "deploy bot").await;
    let (_, script_id) = app.read_only_key(&developer, "dev script").await;
    let (_, gone_id) = app.read_only_key(&owner, "already gone").await;
    let res = app
        .send(
            &owner,
            RevokeKey {
                id: gone_id.to_string(),
                reason: "".into(),
            },
        )
        .await;
    assert!(res.status().is_success());

    // Only reviewers start a review, and one is open at a time.
    let (status, body) = post(&app, &developer, START, &[]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("keys:read and audit:read"), "{body}");
    let (status, to) = post(&app, &owner, START, &[]).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/settings/access-reviews?done=started")
    );
    let (status, body) = post(&app, &owner, START, &[]).await;
    assert_eq!(status, 409, "{body}");
    let review = review_id(&app).await;

    // The review holds the keys live at its start; a member sees their own.
    let all = page(&app, &owner, "").await.unwrap();
    assert_eq!(row_names(&all), ["deploy bot", "dev script"], "{all}");
    assert!(all.contains("0 of 2 keys decided"), "{all}");
    assert!(all.contains("Revoke unconfirmed keys") && all.contains("Close review"));
    let mine = page(&app, &developer, "").await.unwrap();
    assert_eq!(row_names(&mine), ["dev script"]);
    assert!(!mine.contains("Revoke unconfirmed keys") && !mine.contains("Export evidence"));
    // A key created after the start is not part of it.
    app.read_only_key(&owner, "newcomer").await;
    assert_eq!(row_names(&page(&app, &owner, "").await.unwrap()).len(), 2);

    // "Still needed" needs its note; nobody decides on a key they cannot revoke.
    let (status, body) = decide(&app, &developer, &review, &script_id, "keep", "  ").await;
    assert_eq!(status, 400);
    assert!(body.contains("Say why the key is still needed"), "{body}");
    let (status, _) = decide(&app, &developer, &review, &deploy_id, "keep", "not mine").await;
    assert_eq!(status, 404, "another member's key is not found");
    let note = "nightly export to the warehouse";
    let (status, to) = decide(&app, &developer, &review, &script_id, "keep", note).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/settings/access-reviews?done=kept")
    );
    assert_eq!(
        decision_of(&app, &script_id).await,
        (Some("keep".into()), note.into())
    );

    // "Revoke" asks first, then revokes the key and records the decision.
    let revoke = [
        ("review", review.as_str()),
        ("key", deploy_id.as_str()),
        ("decision", "revoke"),
        ("note", "replaced by the new pipeline"),
    ];
    let (status, body) = post(&app, &owner, DECIDE, &revoke).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Revoke deploy bot?") && body.contains("Revoke key"),
        "{body}"
    );
    assert!(
        app.works(&deploy).await,
        "nothing is revoked before the confirmation"
    );
    let mut confirmed = revoke.to_vec();
    confirmed.push(("confirmed", "1"));
    let (status, _) = post(&app, &owner, DECIDE, &confirmed).await;
    assert_eq!(status, 303);
    assert!(!app.works(&deploy).await);
    assert_eq!(
        decision_of(&app, &deploy_id).await.0.as_deref(),
        Some("revoke")
    );
    let (status, body) = post(&app, &owner, DECIDE, &confirmed).await;
    assert_eq!(status, 409, "{body}");

    let all = page(&app, &owner, "").await.unwrap();
    assert!(
        all.contains("2 of 2 keys decided: 1 still needed, 1 revoked; 0 undecided."),
        "{all}"
    );
    assert!(all.contains("Still needed by dev@example.com"), "{all}");
    let undecided = page(&app, &owner, "show=undecided").await.unwrap();
    assert!(row_names(&undecided).is_empty(), "{undecided}");
    assert_eq!(
        page(&app, &owner, "show=maybe").await,
        Err("Unknown view \"maybe\".".into())
    );

    let events = app.audit_events().await;
    assert!(events
        .iter()
        .any(|e| e.0 == "access_review.started" && e.2 == "2 live keys to review"));
    assert!(events.iter().any(|e| e.0 == "access_review.key_confirmed"
        && e.2.ends_with("nightly export to the warehouse")));
    assert!(events
        .iter()
        .any(|e| e.0 == "key.revoked" && e.2 == "Access review: replaced by the new pipeline"));
}

#[tokio::test]
async fn unconfirmed_keys_are_revoked_from_a_preview_and_the_review_closes() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (_, kept_id) = app.read_only_key(&owner, "a kept").await;
    let (ended, ended_id) = app.read_only_key(&owner, "b ended elsewhere").await;
    let (forgotten, _) = app.read_only_key(&owner, "c forgotten").await;
    let (late, late_id) = app.read_only_key(&owner, "d decided late").await;
    post(&app, &owner, START, &[]).await;
    let review = review_id(&app).await;
    let (status, _) = decide(&app, &owner, &review, &kept_id, "keep", "in use").await;
    assert_eq!(status, 303);
    app.send(
        &owner,
        RevokeKey {
            id: ended_id.to_string(),
            reason: "".into(),
        },
    )
    .await;
    assert!(!app.works(&ended).await);

    // The preview lists the undecided keys that still work.
    let preview = |app: &TestApp| {
        let url = app.url(&format!("/settings/api-keys/bulk-revoke?review={review}"));
        let owner = owner.clone();
        async move {
            let res = owner.get(url).send().await.unwrap();
            (
                res.status().as_u16(),
                res.text().await.unwrap().replace("<!>", ""),
            )
        }
    };
    let (status, html) = preview(&app).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Revoke unconfirmed keys") && html.contains("Revoke 2 keys"),
        "{html}"
    );
    assert!(html.contains("c forgotten") && html.contains("d decided late"));
    assert!(!html.contains("a kept") && !html.contains("b ended elsewhere"));
    let ids: Vec<String> = html
        .split("name=\"id\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect();
    let revoke = |ids: &[String]| {
        let mut form: Vec<(&'static str, String)> =
            ids.iter().map(|id| ("id", id.clone())).collect();
        form.push(("count", ids.len().to_string()));
        form.push(("filter", format!("review={review}")));
        form.push(("reason", "quarterly review".into()));
        form
    };

    // A key decided after the preview makes the preview stale: nothing is revoked.
    decide(&app, &owner, &review, &late_id, "keep", "in use").await;
    let bulk = "/settings/api-keys/bulk-revoke";
    let (status, body) = post(&app, &owner, bulk, &as_refs(&revoke(&ids))).await;
    assert_eq!(status, 409, "{body}");
    assert!(app.works(&forgotten).await && app.works(&late).await);

    let (_, html) = preview(&app).await;
    assert!(
        html.contains("Revoke 1 key") && !html.contains("d decided late"),
        "{html}"
    );
    let ids: Vec<String> = html
        .split("name=\"id\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect();
    let (status, body) = post(&app, &owner, bulk, &as_refs(&revoke(&ids))).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("1 key was revoked.") && body.contains("Back to the access review"));
    assert!(!app.works(&forgotten).await && app.works(&late).await);
    let (decision, note): (Option<String>, String) =
        sqlx::query_as("SELECT decision, note FROM access_review_items WHERE name = 'c forgotten'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(decision.as_deref(), Some("revoke"));
    assert_eq!(note, "Not confirmed during the review. quarterly review");
    let events = app.audit_events().await;
    assert!(events.iter().any(|e| e.0 == "key.bulk_revoked"
        && e.2 == format!("1 keys matching review={review}; quarterly review")));

    let all = page(&app, &owner, "").await.unwrap();
    assert!(
        all.contains("3 of 4 keys decided: 2 still needed, 1 revoked; 1 undecided."),
        "{all}"
    );
    assert!(all.contains("Undecided; the key is revoked"), "{all}");
    assert!(!all.contains("Revoke unconfirmed keys"));

    // Closing makes the decisions final, and a new review may start.
    let (status, to) = post(&app, &owner, CLOSE, &[("review", &review)]).await;
    assert_eq!(
        (status, to),
        (
            303,
            format!("/settings/access-reviews?review={review}&done=closed")
        )
    );
    let (status, _) = decide(&app, &owner, &review, &late_id, "keep", "still").await;
    assert_eq!(status, 409);
    let (status, _) = preview(&app).await;
    assert_eq!(status, 400, "a closed review has nothing to revoke");
    let closed = page(&app, &owner, &format!("review={review}"))
        .await
        .unwrap();
    assert!(
        closed.contains("closed") && !closed.contains("Still needed</button>"),
        "{closed}"
    );
    let (status, _) = post(&app, &owner, START, &[]).await;
    assert_eq!(status, 303);
    let after = page(&app, &owner, "").await.unwrap();
    assert!(
        after.contains("Earlier reviews") && after.contains(&review),
        "{after}"
    );
    assert!(app
        .audit_actions()
        .await
        .contains(&"access_review.closed".to_string()));
}

fn as_refs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn the_evidence_holds_every_key_with_its_decision() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let developer = app.add_member("dev@example.com", "developer").await;
    let (_, kept) = app.read_only_key(&owner, "=HYPERLINK(\"x\")").await;
    app.read_only_key(&owner, "untouched").await;
    post(&app, &owner, START, &[]).await;
    let review = review_id(&app).await;
    let form = [
        ("review", review.as_str()),
        ("key", kept.as_str()),
        ("decision", "keep"),
        ("note", "billing, owned by finance"),
    ];
    assert_eq!(post(&app, &owner, DECIDE, &form).await.0, 303);

    let csv_url = app.url(&format!(
        "/settings/access-reviews/evidence.csv?review={review}"
    ));
    let res = owner.get(&csv_url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("key,name,owner,purpose,permissions"));
    // Sorted by name: the formula-looking name comes first, quoted so it never runs.
    assert!(lines[1].contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
    assert!(
        lines[1].contains(",keep,\"billing, owned by finance\",owner@example.com,"),
        "{csv}"
    );
    assert!(
        lines[2].contains("untouched") && lines[2].ends_with(",active"),
        "{csv}"
    );

    let res = owner
        .get(app.url(&format!(
            "/settings/access-reviews/evidence.json?review={review}"
        )))
        .send()
        .await
        .unwrap();
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["review"]["id"], review);
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["decision"], "keep");
    assert_eq!(items[0]["decided_by"], "owner@example.com");
    assert_eq!(items[0]["permissions"], json!(["applications:read"]));
    assert_eq!(items[1]["decision"], Value::Null);

    // Evidence is the reviewers'.
    let res = developer.get(&csv_url).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = owner
        .get(app.url("/settings/access-reviews/evidence.csv?review=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_large_review_pages_in_the_database_both_ways() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let (ws,): (String,) = sqlx::query_as("SELECT id FROM workspaces")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let owner_id = app.user_id("owner@example.com").await.to_string();
    seed::add_keys(&app.state.db, &ws, &owner_id, None, 0, 120).await;
    post(&app, &owner, START, &[]).await;
    let mut seen = Vec::new();
    let mut search = String::new();
    let mut last = String::new();
    for _ in 0..3 {
        let html = page(&app, &owner, &search).await.unwrap();
        seen.extend(row_names(&html));
        last = search.clone();
        match link_of(&html, "next") {
            Some(next) => search = next,
            None => break,
        }
    }
    assert_eq!(seen.len(), 120, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "name order");
    sorted.dedup();
    assert_eq!(sorted.len(), 120);
    // Back from the last page lands on the one before it.
    let html = page(&app, &owner, &last).await.unwrap();
    assert!(link_of(&html, "next").is_none());
    let previous = link_of(&html, "prev").unwrap();
    let back = row_names(&page(&app, &owner, &previous).await.unwrap());
    assert_eq!(back, seen[50..100]);
    assert_eq!(
        page(&app, &owner, "after=zzzzzzzz").await,
        Err(domain::paging::INVALID_CURSOR.into())
    );
}
