//! The reviewer's audit log: filtered keyset pages in the console and the API, streamed
//! exports, and the hash chain that finds an event edited, removed or slipped in.

use crate::helpers::*;
use app::pages::audit::AuditPageData;
use domain::access::Principal;
use domain::audit::{AuditAction, ChainCheck};
use domain::roles::Role;
use domain::routes::RouteId;
use keyward_core::services::audit;
use serde_json::Value;

/// The audit page's content as the owner sees it under `filters` (URL parameters).
async fn view(app: &TestApp, filters: &[(&str, &str)]) -> Result<AuditPageData, String> {
    let owner = Principal::member(
        app.user_id(OWNER_EMAIL).await,
        workspace_of(app).await,
        Role::Owner,
        String::new(),
    );
    let search = domain::paging::link("", &[], filters);
    app::pages::audit::page_data(&app.state.db, &owner, &search)
        .await
        .map_err(|e| e.to_string())
}

/// The audit page's HTML as `client` gets it through the console.
async fn page_html(
    app: &TestApp,
    client: &reqwest::Client,
    filters: &[(&str, &str)],
) -> Result<String, String> {
    let search = domain::paging::link("", &[], filters);
    app.fragment(client, "audit_page", &search).await
}

fn actions(page: &AuditPageData) -> Vec<&str> {
    page.events.iter().map(|e| e.action.as_str()).collect()
}

/// The query string of a page link the console made.
fn query_of(href: &str) -> Vec<(String, String)> {
    let (_, q) = href.split_once('?').expect("a link with a query");
    domain::paging::query_pairs(q)
}

async fn follow(app: &TestApp, href: &str) -> Result<AuditPageData, String> {
    let pairs = query_of(href);
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    view(app, &borrowed).await
}

/// Seeds `n` events of the owner's workspace straight through the service, as if `n` changes
/// had been made: quicker than `n` requests, and chained the same way.
async fn seed_events(app: &TestApp, n: usize) {
    let ws = workspace_of(app).await;
    let mut tx = app.state.db.write().await.unwrap();
    for i in 0..n {
        audit::record(
            &mut tx,
            audit::Event {
                workspace: Some(ws),
                target: format!("application:{i}"),
                detail: format!("seeded {i}"),
                ..audit::Event::new(AuditAction::ApplicationRenamed)
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn workspace_of(app: &TestApp) -> domain::ids::WorkspaceId {
    let (id,): (String,) = sqlx::query_as("SELECT id FROM workspaces ORDER BY created_at LIMIT 1")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    domain::ids::WorkspaceId::parse(&id).unwrap()
}

#[tokio::test]
async fn reviewers_filter_the_log_by_actor_action_target_and_day() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(
            &owner,
            key("deployer", &["applications:read", "applications:write"]),
        )
        .await;
    let key_id = domain::secret::parse(&secret).unwrap().key_id.to_string();
    // The key acts: its events name it as well as its owner.
    let res = app.api_create_application(&secret, "billing").await;
    assert_eq!(res.status(), 201);
    app.add_member("dev@example.com", "developer").await;

    let all = view(&app, &[]).await.unwrap();
    assert_eq!(
        actions(&all)[..5],
        [
            "session.signed_in",
            "member.invitation_accepted",
            "member.invited",
            "application.created",
            "key.created"
        ],
        "newest first"
    );
    assert_eq!(actions(&all).last(), Some(&"workspace.created"));

    let by_key = view(&app, &[("actor", &key_id)]).await.unwrap();
    assert_eq!(actions(&by_key), ["application.created"]);
    assert_eq!(by_key.events[0].actor.as_deref(), Some(OWNER_EMAIL));
    assert_eq!(by_key.events[0].actor_key.as_deref(), Some(key_id.as_str()));

    let by_owner = view(&app, &[("actor", "OWNER@example.com")]).await.unwrap();
    assert!(actions(&by_owner).contains(&"key.created"));
    assert!(!actions(&by_owner).contains(&"member.invitation_accepted"));

    let created = view(&app, &[("action", "key.created")]).await.unwrap();
    assert_eq!(actions(&created), ["key.created"]);
    let target = created.events[0].target.clone();
    assert_eq!(target, format!("key:{key_id}"));
    let about_key = view(&app, &[("target", &target)]).await.unwrap();
    assert_eq!(actions(&about_key), ["key.created"]);

    let today = domain::dates::format_date(keyward_core::now());
    let tomorrow = domain::dates::format_date(keyward_core::now() + 86_400);
    let dated = view(&app, &[("from", &today), ("to", &today)])
        .await
        .unwrap();
    assert_eq!(dated.events.len(), all.events.len());
    let later = view(&app, &[("from", &tomorrow)]).await.unwrap();
    assert!(later.events.is_empty());

    // Bad input is named, not answered with an empty page.
    let refused = [
        (vec![("action", "key.stolen")], "Unknown action"),
        (vec![("from", "last week")], "From must be a date"),
        (vec![("from", &tomorrow), ("to", &today)], "after \"To\""),
        (vec![("after", "12-deadbeef")], "not valid"),
    ];
    for (filters, message) in refused {
        let e = view(&app, &filters).await.unwrap_err();
        assert!(e.contains(message), "{filters:?}: {e}");
    }
}

#[tokio::test]
async fn the_log_pages_by_place_and_a_cursor_only_fits_its_own_view() {
    let app = spawn_app().await;
    app.setup_owner().await;
    seed_events(&app, 120).await;
    let first = view(&app, &[]).await.unwrap();
    assert_eq!(first.events.len(), domain::paging::PAGE_SIZE);
    assert!(first.previous.is_none());
    let second = follow(&app, first.next.as_deref().unwrap()).await.unwrap();
    let details = |p: &AuditPageData| {
        p.events
            .iter()
            .map(|e| e.detail.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(details(&first)[0], "seeded 119");
    assert_eq!(details(&first)[49], "seeded 70");
    assert_eq!(details(&second)[0], "seeded 69");
    let back = follow(&app, second.previous.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(back.events, first.events);
    let third = follow(&app, second.next.as_deref().unwrap()).await.unwrap();
    assert!(third.next.is_none());
    assert_eq!(third.events.last().unwrap().action, "workspace.created");
    let total = first.events.len() + second.events.len() + third.events.len();
    assert_eq!(total, 121, "setup's event and 120 more, each once");

    // A cursor made under one filter is refused under another.
    let renamed = view(&app, &[("action", "application.renamed")])
        .await
        .unwrap();
    let mut pairs = query_of(renamed.next.as_deref().unwrap());
    pairs.retain(|(k, _)| k != "action");
    pairs.push(("action".into(), "key.created".into()));
    let forged: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let e = view(&app, &forged).await.unwrap_err();
    assert!(e.contains("not valid"), "{e}");
}

#[tokio::test]
async fn only_audit_readers_see_the_log() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let auditor = app.add_member("audit@example.com", "auditor").await;
    let developer = app.add_member("dev@example.com", "developer").await;
    let html = page_html(&app, &auditor, &[("action", "member.invited")])
        .await
        .unwrap();
    assert!(html.contains("audit@example.com as auditor"), "{html}");
    let e = page_html(&app, &developer, &[]).await.unwrap_err();
    assert!(e.contains("audit:read"), "{e}");
    let e = page_html(&app, &auditor, &[("action", "nope")])
        .await
        .unwrap_err();
    assert!(e.contains("Unknown action"), "{e}");
    // The exports ask the same.
    let res = developer
        .get(app.url("/settings/audit/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .fresh_client()
        .get(app.url("/settings/audit/export.jsonl"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let _ = owner;
}

#[tokio::test]
async fn the_api_reads_the_log_with_audit_read_and_pages_with_its_cursor() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    seed_events(&app, 70).await;
    let reader = app
        .create_key_secret(&owner, key("siem", &["audit:read"]))
        .await;
    let other = app
        .create_key_secret(&owner, key("other", &["applications:read"]))
        .await;
    let get = |secret: &str, query: &'static str| {
        let secret = secret.to_string();
        let app = &app;
        async move {
            let res = app
                .fresh_client()
                .get(app.url(&format!("/api/v1/audit{query}")))
                .header("x-keyward-api-token", secret)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get(&other, "").await;
    assert_eq!(status, 403, "{body}");
    let (status, page) = get(&reader, "?action=application.renamed&limit=40").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["events"].as_array().unwrap().len(), 40);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let rest = app
        .route(RouteId::AuditList, &[], &reader)
        .query(&[
            ("action", "application.renamed"),
            ("limit", "40"),
            ("cursor", &cursor),
        ])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(rest["events"].as_array().unwrap().len(), 30);
    assert!(rest["next_cursor"].is_null());
    assert_eq!(rest["events"][29]["detail"], "seeded 0");
    for (query, message) in [
        ("?action=nope", "Unknown action"),
        ("?limit=0", "limit"),
        ("?from=2027-02-01&to=2027-01-01", "after"),
    ] {
        let (status, body) = get(&reader, query).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(message),
            "{body}"
        );
    }
}

#[tokio::test]
async fn exports_stream_the_whole_filtered_view_in_both_formats() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    // More than one export batch, with a detail a spreadsheet would run.
    seed_events(&app, 1_100).await;
    app.create_application(&owner, "=HYPERLINK(\"http://x\")")
        .await;
    let csv = owner
        .get(app.url("/settings/audit/export.csv?action=application.renamed"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.headers()["cache-control"], "no-store");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "seq,time,actor,actor_key,action,target,detail,address,previous_hash,hash"
    );
    // The whole view, newest first.
    assert_eq!(lines.len(), 1 + 1_100);
    assert!(lines[1].contains("seeded 1099"), "{}", lines[1]);
    assert!(lines[1_100].contains("seeded 0"), "{}", lines[1_100]);

    let jsonl = owner
        .get(app.url("/settings/audit/export.jsonl"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let created = events
        .iter()
        .find(|e| e["action"] == "application.created")
        .unwrap();
    assert_eq!(created["detail"], "=HYPERLINK(\"http://x\")");
    // Every event once, each chained to the next one down.
    assert_eq!(events[0]["seq"].as_i64().unwrap(), events.len() as i64);
    for pair in events.windows(2) {
        assert_eq!(pair[0]["previous_hash"], pair[1]["hash"]);
    }
    let all_csv = owner
        .get(app.url("/settings/audit/export.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        all_csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "a formula must not start a field"
    );
}

/// Edits one event behind the application's back, as someone with the database file would.
async fn tamper(app: &TestApp, sql: &str) {
    let pool = app.state.db.pool();
    let sqlite = app.database_url.starts_with("sqlite:");
    let (off, on) = if sqlite {
        ("DROP TRIGGER IF EXISTS audit_events_no_update", "SELECT 1")
    } else {
        (
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
            "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only",
        )
    };
    sqlx::query(off).execute(pool).await.unwrap();
    if sqlite {
        sqlx::query("DROP TRIGGER IF EXISTS audit_events_no_delete")
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query(sql).execute(pool).await.unwrap();
    sqlx::query(on).execute(pool).await.unwrap();
}

/// The chain check as the service finds it, once the page has shown the same.
async fn check(app: &TestApp, client: &reqwest::Client) -> ChainCheck {
    let html = page_html(app, client, &[("verify", "1")]).await.unwrap();
    let found = audit::verify_chain(&app.state.db, &workspace_of(app).await.to_string())
        .await
        .unwrap();
    assert!(html.contains(&found.summary()), "{html}");
    let role = if matches!(found, ChainCheck::Intact { .. }) {
        "role=\"status\""
    } else {
        "role=\"alert\""
    };
    assert!(html.contains(role), "{html}");
    found
}

#[tokio::test]
async fn the_chain_names_the_first_event_edited_or_removed_in_the_database() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    seed_events(&app, 10).await;
    let ChainCheck::Intact { events, head } = check(&app, &owner).await else {
        panic!("a fresh log is intact");
    };
    assert_eq!(events, 11, "setup's event and ten more");
    let (stored_head,): (String,) = sqlx::query_as("SELECT hash FROM audit_events WHERE seq = 11")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(head, stored_head);

    tamper(
        &app,
        "UPDATE audit_events SET detail = 'nothing to see' WHERE seq = 7",
    )
    .await;
    assert_eq!(
        check(&app, &owner).await,
        ChainCheck::Broken {
            seq: 7,
            reason: "it was changed after it was recorded".into()
        }
    );
    tamper(&app, "DELETE FROM audit_events WHERE seq = 4").await;
    let ChainCheck::Broken { seq, reason } = check(&app, &owner).await else {
        panic!("a removed event breaks the chain");
    };
    assert_eq!(seq, 4);
    assert!(reason.contains("missing"), "{reason}");
}

#[tokio::test]
async fn the_chain_finds_a_cut_tail_and_an_event_slipped_in_without_a_hash() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    seed_events(&app, 5).await;
    tamper(&app, "DELETE FROM audit_events WHERE seq = 6").await;
    let ChainCheck::Broken { seq, reason } = check(&app, &owner).await else {
        panic!("a cut tail breaks the chain");
    };
    assert_eq!(seq, 6);
    assert!(reason.contains("later events are missing"), "{reason}");

    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let ws = workspace_of(&app).await;
    sqlx::query(
        "INSERT INTO audit_events (id, workspace_id, action, created_at) VALUES ('forged', $1, 'key.created', 0)",
    )
    .bind(ws.to_string())
    .execute(app.state.db.pool())
    .await
    .unwrap();
    // Start-up seals only what predates the chain: the forged row stays out.
    assert_eq!(
        keyward_core::store::audit_chain::seal_unchained(&app.state.db)
            .await
            .unwrap(),
        0
    );
    let ChainCheck::Broken { reason, .. } = check(&app, &owner).await else {
        panic!("an event outside the chain is reported");
    };
    assert!(reason.contains("outside the chain"), "{reason}");
}

#[tokio::test]
async fn events_recorded_before_the_chain_are_sealed_into_it_once() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let ws = workspace_of(&app).await;
    let pool = app.state.db.pool();
    for (id, at) in [("old-1", 10), ("old-2", 20)] {
        sqlx::query(
            "INSERT INTO audit_events (id, workspace_id, action, target, created_at) VALUES ($1, $2, 'key.created', 'key:x', $3)",
        )
        .bind(id)
        .bind(ws.to_string())
        .bind(at)
        .execute(pool)
        .await
        .unwrap();
    }
    // What the migration that began the chain leaves when events exist.
    sqlx::query("INSERT INTO audit_chain_unsealed (pending) VALUES (1)")
        .execute(pool)
        .await
        .unwrap();
    let sealed = keyward_core::store::audit_chain::seal_unchained(&app.state.db)
        .await
        .unwrap();
    assert_eq!(sealed, 2);
    assert!(matches!(
        check(&app, &owner).await,
        ChainCheck::Intact { events: 3, .. }
    ));
    assert_eq!(app.count("audit_chain_unsealed").await, 0);
    // Sealed rows are as append-only as any other.
    let edit = sqlx::query("UPDATE audit_events SET detail = 'x' WHERE id = 'old-1'")
        .execute(pool)
        .await;
    assert!(edit.is_err());
}
