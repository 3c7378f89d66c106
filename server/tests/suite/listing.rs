//! The key list pages in the database: keyset pages that skip and repeat nothing while keys
//! arrive and are revoked, filters that are `WHERE` clauses, visibility that holds on every
//! page and cursor, and plans that read an index on a big workspace.

use crate::helpers;
use crate::helpers::{key, rotation};
use app::pages::api_keys::{RevokeKey, RotateKey};
use app::pages::applications::ListApplications;
use app::pages::key_activity::KeyActivity;
use app::pages::members::MembersPage;
use domain::model::CreateKeyForm;

use domain::access::Principal;
use domain::key_listing::KeyQuery;
use domain::roles::Role;
use helpers::*;
use reqwest::Client;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Asks for one view of the key list as `member`, by its URL parameters; a parameter the
/// list does not know fails the test.
async fn ask(app: &TestApp, member: &Client, params: &[(&str, &str)]) -> reqwest::Response {
    let mut args = all_keys();
    for (name, value) in params {
        let field = match *name {
            "status" => &mut args.status,
            "owner" => &mut args.owner,
            "application" => &mut args.application,
            "q" => &mut args.q,
            "expires_before" => &mut args.expires_before,
            "used_before" => &mut args.used_before,
            "after" => &mut args.after,
            "before" => &mut args.before,
            _ => panic!("the key list has no parameter {name}"),
        };
        *field = Some(value.to_string());
    }
    app.send(member, args).await
}

/// One view of the key list.
async fn view(app: &TestApp, member: &Client, params: &[(&str, &str)]) -> Value {
    let res = ask(app, member, params).await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert!(status.is_success(), "keys_page {params:?}: {status} {body}");
    serde_json::from_str(&body).unwrap()
}

/// The refusal a view gets.
async fn refused_view(app: &TestApp, member: &Client, params: &[(&str, &str)]) -> String {
    let res = ask(app, member, params).await;
    assert_eq!(res.status(), 400, "{params:?} should be refused");
    res.text().await.unwrap()
}

/// The id of the test's one workspace.
async fn the_workspace(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT id FROM workspaces")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect()
}

/// The URL parameters of a "Next" or "Previous" link.
fn link_params(href: &Value) -> Vec<(String, String)> {
    let href = href.as_str().expect("a link");
    let url = reqwest::Url::parse(&format!("http://x{href}")).unwrap();
    assert_eq!(url.path(), "/settings/api-keys");
    url.query_pairs().into_owned().collect()
}

async fn follow(app: &TestApp, member: &Client, href: &Value) -> Value {
    let params = link_params(href);
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    view(app, member, &borrowed).await
}

async fn create_named(app: &TestApp, member: &Client, name: &str) -> String {
    let secret = app
        .create_key_secret(member, key(name, &["applications:read"]))
        .await;
    app.key_row_id(&secret).await
}

async fn revoke(app: &TestApp, member: &Client, id: &str) {
    let res = app
        .send(
            member,
            RevokeKey {
                id: id.to_string(),
                reason: "test".into(),
            },
        )
        .await;
    assert!(res.status().is_success(), "revoke: {}", res.status());
}

#[tokio::test]
async fn paging_skips_and_repeats_nothing_while_keys_arrive_and_are_revoked() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let mut ids = Vec::new();
    for i in 0..120 {
        ids.push(create_named(&app, &owner, &format!("key {i:03}")).await);
    }
    let first = view(&app, &owner, &[]).await;
    assert_eq!(first["count"], json!({ "counted": 120, "more": false }));
    assert!(
        first["previous"].is_null(),
        "the first page has no previous page"
    );
    let mut seen: Vec<String> = names(&first);
    assert_eq!(seen.len(), 50);
    assert_eq!(seen[0], "key 119", "newest first");
    let mut page = first.clone();
    let mut round = 0;
    while !page["next"].is_null() {
        // Between pages: new keys arrive (newer than every page) and keys are revoked, both
        // on pages seen and on pages to come.
        for j in 0..3 {
            create_named(&app, &owner, &format!("late {round} {j}")).await;
        }
        revoke(&app, &owner, &ids[round * 7]).await;
        revoke(&app, &owner, &ids[119 - round * 5]).await;
        page = follow(&app, &owner, &page["next"]).await;
        seen.extend(names(&page));
        round += 1;
    }
    assert_eq!(round, 2, "120 keys are three pages of 50");
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a key was repeated: {seen:?}");
    let expected: Vec<String> = (0..120).rev().map(|i| format!("key {i:03}")).collect();
    assert_eq!(seen, expected, "every key once, in order");

    // "Previous" from the second page is the first page again, and now has newer keys before it.
    let second = follow(&app, &owner, &first["next"]).await;
    let back = follow(&app, &owner, &second["previous"]).await;
    assert_eq!(names(&back), names(&first));
    assert!(!back["previous"].is_null(), "the late keys lie before it");
    let newest = follow(&app, &owner, &back["previous"]).await;
    assert_eq!(names(&newest).len(), 6, "the six late keys");
    assert!(newest["previous"].is_null());

    // A key rotated between two pages still marks its place: its successor is new (on top),
    // and the page after it is unchanged.
    let cursor_key = first["keys"][49]["id"].as_str().unwrap().to_string();
    let res = app
        .send(
            &owner,
            RotateKey {
                grace_seconds: 0,
                ..rotation(&cursor_key)
            },
        )
        .await;
    assert!(res.status().is_success(), "rotate: {}", res.status());
    assert_eq!(
        names(&follow(&app, &owner, &first["next"]).await),
        names(&second)
    );
}

#[tokio::test]
async fn filters_select_in_the_database_and_travel_in_the_links() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    let application = app.create_application(&owner, "Billing").await;
    let mut revoked = Vec::new();
    for i in 0..90 {
        let id = create_named(&app, &owner, &format!("deploy {i}")).await;
        if i % 3 == 0 {
            revoke(&app, &owner, &id).await;
            revoked.push(format!("deploy {i}"));
        }
    }
    for i in 0..3 {
        create_named(&app, &dev, &format!("dev script {i}")).await;
    }
    app.create_key_secret(
        &owner,
        CreateKeyForm {
            application_id: application.clone(),
            ..key("billing_100%", &["applications:read"])
        },
    )
    .await;

    // Status: 30 revoked keys, on one page; the filter is carried by the page's links.
    let page = view(&app, &owner, &[("status", "revoked")]).await;
    let mut got = names(&page);
    got.sort();
    revoked.sort();
    assert_eq!(got, revoked);
    let active = view(&app, &owner, &[("status", "active")]).await;
    assert_eq!(active["count"]["counted"], 64, "60 + 3 + 1 live keys");
    let next = follow(&app, &owner, &active["next"]).await;
    assert!(link_params(&active["next"]).contains(&("status".into(), "active".into())));
    assert!(names(&next).iter().all(|n| !revoked.contains(n)));

    // Owner, scope and name search.
    let devs = view(&app, &owner, &[("owner", "DEV@example.com")]).await;
    assert_eq!(
        names(&devs),
        ["dev script 2", "dev script 1", "dev script 0"]
    );
    let scoped = view(&app, &owner, &[("application", &application)]).await;
    assert_eq!(names(&scoped), ["billing_100%"]);
    let workspace_wide = view(&app, &owner, &[("application", "-")]).await;
    assert_eq!(workspace_wide["count"]["counted"], 93);
    // LIKE wildcards in a search match themselves.
    assert_eq!(
        names(&view(&app, &owner, &[("q", "100%")]).await),
        ["billing_100%"]
    );
    assert_eq!(
        view(&app, &owner, &[("q", "_")]).await["count"]["counted"],
        1
    );
    assert_eq!(
        view(&app, &owner, &[("q", "SCRIPT 1")]).await["count"]["counted"],
        1
    );
    let nobody = view(&app, &owner, &[("owner", "nobody@example.com")]).await;
    assert_eq!(nobody["count"]["counted"], 0);

    // A developer sees only their own keys, whatever the filters say; the owner filter is
    // not offered; a cursor at someone else's key is refused, revealing nothing.
    let own = view(&app, &dev, &[]).await;
    assert_eq!(names(&own).len(), 3);
    assert_eq!(own["owners"], json!([]));
    assert_eq!(
        view(&app, &dev, &[("owner", OWNER_EMAIL)]).await["count"]["counted"],
        0
    );
    let owners_key = page["keys"][0]["key_id"].as_str().unwrap().to_string();
    assert!(refused_view(&app, &dev, &[("after", &owners_key)])
        .await
        .contains("not valid"));
    assert!(refused_view(&app, &owner, &[("after", "zzzzzzzz")])
        .await
        .contains("not valid"));
    assert!(refused_view(&app, &owner, &[("status", "sleeping")])
        .await
        .contains("Unknown status"));
    assert!(refused_view(&app, &owner, &[("application", "not-a-uuid")])
        .await
        .contains("Unknown application"));
}

#[tokio::test]
async fn every_view_reads_an_index_on_a_big_workspace() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let application = app.create_application(&owner, "Billing").await;
    let db = &app.state.db;
    let owner_id = app.user_id(OWNER_EMAIL).await;
    let ws = the_workspace(&app).await;
    // Another member's keys, so an owner filter selects a fraction.
    app.add_member("dev@example.com", "developer").await;
    let dev_id = app.user_id("dev@example.com").await;
    seed::add_keys(
        db,
        &ws,
        &owner_id.to_string(),
        Some(&application),
        0,
        20_000,
    )
    .await;
    seed::add_keys(db, &ws, &dev_id.to_string(), None, 20_000, 22_000).await;
    sqlx::query("ANALYZE api_keys")
        .execute(db.pool())
        .await
        .unwrap();

    let ws = domain::ids::WorkspaceId::parse(&ws).unwrap();
    let reviewer = Principal::member(owner_id, ws, Role::Owner, String::new());
    let developer = Principal::member(dev_id, ws, Role::Developer, String::new());
    // A name search ("contains") has no index to read on either database: it walks the
    // listing in order and stops at a page (SQLite), or scans the workspace's keys when the
    // planner expects few matches (PostgreSQL). The README says so.
    let views: Vec<(&Principal, Vec<(&str, String)>)> = vec![
        (&reviewer, vec![]),
        (&reviewer, vec![("status", "active".into())]),
        (&reviewer, vec![("owner", "dev@example.com".into())]),
        (&reviewer, vec![("application", application.clone())]),
        (&reviewer, vec![("application", "-".into())]),
        (&reviewer, vec![("after", "b0010000".into())]),
        (&reviewer, vec![("before", "b0010000".into())]),
        (&developer, vec![]),
        (&developer, vec![("after", "b0021000".into())]),
    ];
    for (who, params) in views {
        let query = KeyQuery::from_params(|name| {
            params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        let plan = keyward_core::services::key_list::plan(db, who, &query, keyward_core::now())
            .await
            .unwrap()
            .join("\n");
        let keys_steps: Vec<&str> = plan
            .lines()
            .filter(|l| l.contains("api_keys k") || l.contains(" k USING") || l.contains("SCAN k"))
            .collect();
        assert!(
            plan.contains("api_keys_listing")
                || plan.contains("api_keys_owner")
                || plan.contains("api_keys_application"),
            "{params:?}: no listing index in\n{plan}"
        );
        for step in keys_steps {
            assert!(
                !step.contains("Seq Scan") && !step.trim_start().starts_with("SCAN k"),
                "{params:?}: the keys table is scanned whole:\n{plan}"
            );
        }
        assert!(
            !plan.contains("TEMP B-TREE FOR ORDER BY") && !plan.contains("Sort Key: k.created_at"),
            "{params:?}: the page is sorted instead of read in index order:\n{plan}"
        );
    }
}

#[tokio::test]
async fn every_audit_view_reads_an_index_on_a_long_log() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let db = &app.state.db;
    let owner_id = app.user_id(OWNER_EMAIL).await;
    let ws = the_workspace(&app).await;
    seed::add_audit_events(db, &ws, &owner_id.to_string(), 20_000).await;
    // The seeded events continue setup's chain as the server would have.
    assert!(matches!(
        keyward_core::services::audit::verify_chain(db, &ws)
            .await
            .unwrap(),
        domain::audit::ChainCheck::Intact { events: 20_001, .. }
    ));
    sqlx::query("ANALYZE audit_events")
        .execute(db.pool())
        .await
        .unwrap();
    let reviewer = Principal::member(
        owner_id,
        domain::ids::WorkspaceId::parse(&ws).unwrap(),
        Role::Owner,
        String::new(),
    );
    let plain = domain::audit::AuditQuery::default();
    let views: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("action", "key.revoked".into())],
        vec![("target", "key:b0001230".into())],
        vec![("actor", OWNER_EMAIL.into())],
        vec![("after", plain.cursor_at(10_000))],
        vec![("before", plain.cursor_at(10_000))],
    ];
    for params in views {
        let query = domain::audit::AuditQuery::from_params(|name| {
            params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        let plan = keyward_core::services::audit::plan(db, &reviewer, &query)
            .await
            .unwrap()
            .join("\n");
        assert!(
            plan.contains("audit_events_"),
            "{params:?}: no audit index in\n{plan}"
        );
        let whole = |l: &str| {
            let l = l.trim_start_matches(|c: char| !c.is_alphabetic());
            l.starts_with("Seq Scan on audit_events")
                || (l.starts_with("SCAN e") && !l.contains("USING"))
        };
        assert!(
            !plan.lines().any(whole),
            "{params:?}: the log is scanned whole:\n{plan}"
        );
        assert!(
            !plan.contains("TEMP B-TREE FOR ORDER BY") && !plan.contains("Sort Key: e.seq"),
            "{params:?}: the page is sorted instead of read in index order:\n{plan}"
        );
    }
}

#[tokio::test]
async fn members_page_in_the_order_they_joined() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let db = &app.state.db;
    let ws = the_workspace(&app).await;
    // 119 more members (joined after the owner), and one pending invitation of an existing
    // account, shown on the first page.
    for i in 0..119 {
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, 'x', 0)",
        )
        .bind(&id)
        .bind(format!("member{i:03}@example.com"))
        .execute(db.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'viewer', $3)",
        )
        .bind(&ws)
        .bind(&id)
        .bind(2_000_000_000_i64 + i)
        .execute(db.pool())
        .await
        .unwrap();
    }
    let emails = |page: &Value| -> Vec<String> {
        page["members"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["invitation_pending"] == false)
            .map(|m| m["email"].as_str().unwrap().to_string())
            .collect()
    };
    let members_view = |params: Vec<(String, String)>| {
        let owner = owner.clone();
        let app = &app;
        async move {
            let (after, before) = cursor_params(params);
            let res = app.send(&owner, MembersPage { after, before }).await;
            assert!(res.status().is_success(), "members_page: {}", res.status());
            res.json::<Value>().await.unwrap()
        }
    };
    let first = members_view(vec![]).await;
    assert_eq!(emails(&first)[0], OWNER_EMAIL);
    assert_eq!(emails(&first).len(), 50);
    assert!(first["previous"].is_null());
    let mut seen = emails(&first);
    let mut page = first.clone();
    while !page["next"].is_null() {
        page = members_view(link_members(&page["next"])).await;
        seen.extend(emails(&page));
    }
    let expected: Vec<String> = std::iter::once(OWNER_EMAIL.to_string())
        .chain((0..119).map(|i| format!("member{i:03}@example.com")))
        .collect();
    assert_eq!(
        seen, expected,
        "every member once, in the order they joined"
    );
    let second = members_view(link_members(&first["next"])).await;
    let back = members_view(link_members(&second["previous"])).await;
    assert_eq!(emails(&back), emails(&first));
    let res = app
        .send(
            &owner,
            MembersPage {
                after: Some("not-a-member".into()),
                before: None,
            },
        )
        .await;
    assert_eq!(res.status(), 400);
}

/// The URL parameters of a members page link.
/// The `after` and `before` cursors of a page's URL parameters; any other parameter fails
/// the test.
fn cursor_params(params: Vec<(impl AsRef<str>, String)>) -> (Option<String>, Option<String>) {
    let (mut after, mut before) = (None, None);
    for (name, value) in params {
        match name.as_ref() {
            "after" => after = Some(value),
            "before" => before = Some(value),
            other => panic!("no cursor parameter {other}"),
        }
    }
    (after, before)
}

fn link_members(href: &Value) -> Vec<(String, String)> {
    let href = href.as_str().expect("a link");
    let url = reqwest::Url::parse(&format!("http://x{href}")).unwrap();
    assert_eq!(url.path(), "/settings/members");
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn a_keys_activity_pages_through_its_log() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(&owner, key("busy", &["applications:read"]))
        .await;
    let id = app.key_row_id(&secret).await;
    for _ in 0..60 {
        assert!(app.works(&secret).await);
    }
    let activity = |params: Vec<(&'static str, String)>| {
        let (app, owner, id) = (&app, owner.clone(), id.clone());
        async move {
            let (after, before) = cursor_params(params);
            let res = app.send(&owner, KeyActivity { id, after, before }).await;
            assert!(res.status().is_success(), "key_activity: {}", res.status());
            res.json::<Value>().await.unwrap()
        }
    };
    let rows = |page: &Value| page["entries"].as_array().unwrap().len();
    let cursor = |href: &Value| href.as_str().unwrap().to_string();
    // The log is written in batches: wait until all 60 requests are in it.
    eventually("the access log has every request", || async {
        let first = activity(vec![]).await;
        if rows(&first) != 50 || first["older"].is_null() {
            return false;
        }
        rows(&activity(vec![("after", cursor(&first["older"]))]).await) == 10
    })
    .await;
    let first = activity(vec![]).await;
    assert!(first["newer"].is_null());
    let older = activity(vec![("after", cursor(&first["older"]))]).await;
    assert_eq!(rows(&older), 10);
    assert!(older["older"].is_null());
    let ids = |page: &Value| -> Vec<i64> {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let mut all = ids(&first);
    all.extend(ids(&older));
    let mut sorted = all.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(all, sorted, "sixty requests, newest first, none twice");
    let back = activity(vec![("before", cursor(&older["newer"]))]).await;
    assert_eq!(ids(&back), ids(&first));
    let res = app
        .send(
            &owner,
            KeyActivity {
                id: id.to_string(),
                after: Some("yesterday".into()),
                before: None,
            },
        )
        .await;
    assert_eq!(res.status(), 400);

    // A key deleted from the database (by an operator: Keyward revokes, it never deletes)
    // takes its log with it, on both databases.
    let logged = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM key_access_log WHERE key_row_id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap()
    };
    assert_eq!(logged().await, 60);
    sqlx::query("DELETE FROM api_keys WHERE id = $1")
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(logged().await, 0);
}

#[tokio::test]
async fn applications_page_by_name_in_the_console_and_the_api() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let db = &app.state.db;
    let ws = the_workspace(&app).await;
    for i in 0..60 {
        sqlx::query(
            "INSERT INTO applications (id, workspace_id, name, created_at) VALUES ($1, $2, $3, 0)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&ws)
        .bind(format!("app {i:02}"))
        .execute(db.pool())
        .await
        .unwrap();
    }
    // An agent of an application on the second page comes with it.
    let (late,): (String,) = sqlx::query_as("SELECT id FROM applications WHERE name = 'app 55'")
        .fetch_one(db.pool())
        .await
        .unwrap();
    app.create_agent(&owner, &late, "runner").await;
    let names = |apps: &Value| -> Vec<String> {
        apps.as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect()
    };
    let expected: Vec<String> = (0..60).map(|i| format!("app {i:02}")).collect();

    // The console: 50, then 10; Previous comes back.
    let console = |after: Option<String>, before: Option<String>| {
        let (app, owner) = (&app, owner.clone());
        async move {
            app.send_json(&owner, ListApplications { after, before })
                .await
        }
    };
    let first = console(None, None).await;
    assert!(first["previous"].is_null());
    let after = first["next"]
        .as_str()
        .unwrap()
        .trim_start_matches("after=")
        .to_string();
    let second = console(Some(after), None).await;
    let mut seen = names(&first["applications"]);
    seen.extend(names(&second["applications"]));
    assert_eq!(seen, expected);
    assert!(second["next"].is_null());
    let runner = &second["applications"].as_array().unwrap()[5];
    assert_eq!(runner["name"], "app 55");
    assert_eq!(runner["agents"][0]["name"], "runner");
    let before = second["previous"]
        .as_str()
        .unwrap()
        .trim_start_matches("before=")
        .to_string();
    let back = console(None, Some(before)).await;
    assert_eq!(names(&back["applications"]), names(&first["applications"]));

    // The machine API: limit and cursor, the same order.
    let key = app
        .create_key_secret(&owner, key("reader", &["applications:read"]))
        .await;
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let res = app
            .route(RouteId::ApplicationsList, &[], &key)
            .query(&[("limit", "25"), ("cursor", &cursor)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        seen.extend(names(&body["applications"]));
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let list = |query: &'static [(&'static str, &'static str)]| {
        let (app, key) = (&app, &key);
        async move {
            app.route(RouteId::ApplicationsList, &[], key)
                .query(query)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // As every listing answers a cursor it did not make.
    assert_eq!(list(&[("cursor", "not-an-id")]).await, 422);
    assert_eq!(list(&[("limit", "0")]).await, 422);
    // Empty parameters are absent ones.
    assert_eq!(list(&[("limit", ""), ("cursor", "")]).await, 200);
}

#[tokio::test]
async fn the_access_log_keeps_what_a_request_sent_exactly() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(&owner, key("odd agent", &["applications:read"]))
        .await;
    let id = app.key_row_id(&secret).await;
    // Tabs and backslashes are what the log's bulk format must escape.
    let agent = "probe\\tool\tv1 \\N";
    let res = app
        .fresh_client()
        .get(app.url("/api/v1/me"))
        .header("x-keyward-api-token", &secret)
        .header("user-agent", agent)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eventually("the request is logged", || async {
        app.key_activity(&owner, &id).await["entries"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    })
    .await;
    let activity = app.key_activity(&owner, &id).await;
    assert_eq!(activity["entries"][0]["user_agent"], agent);
    assert_eq!(activity["entries"][0]["route"], "/api/v1/me");
    assert_eq!(activity["entries"][0]["request_body"], Value::Null);
}

#[tokio::test]
async fn stale_and_expiring_keys_are_filtered_by_date() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let used = app
        .create_key_secret(&owner, key("used today", &["applications:read"]))
        .await;
    app.create_key_secret(&owner, key("never used", &["applications:read"]))
        .await;
    app.create_key_secret(
        &owner,
        CreateKeyForm {
            expiration: "7".into(),
            ..key("short lived", &["applications:read"])
        },
    )
    .await;
    assert!(app.works(&used).await);
    let id = app.key_row_id(&used).await;
    eventually("the use is recorded", || async {
        app.key_activity(&owner, &id).await["key"]["last_used_at"].is_i64()
    })
    .await;
    let day = |offset: i64| domain::dates::format_date(keyward_core::now() + offset * 86_400);
    let mut stale = names(&view(&app, &owner, &[("used_before", &day(0))]).await);
    stale.sort();
    assert_eq!(
        stale,
        ["never used", "short lived"],
        "not used today, or never"
    );
    let soon = view(&app, &owner, &[("expires_before", &day(10))]).await;
    assert_eq!(names(&soon), ["short lived"]);
    let both = view(
        &app,
        &owner,
        &[("expires_before", &day(10)), ("used_before", &day(0))],
    )
    .await;
    assert_eq!(names(&both), ["short lived"]);
    assert!(refused_view(&app, &owner, &[("expires_before", "soon")])
        .await
        .contains("Expires before must be a date"));
}
