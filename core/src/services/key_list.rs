//! The key list: one filtered keyset page read in the database, whatever the workspace's size.
//!
//! Visibility ([`KeyVisibility`]) and every filter are `WHERE` clauses on indexed columns; the
//! order is (created, id) newest first, matching the `api_keys_listing` / `api_keys_owner` /
//! `api_keys_application` indexes; the count stops at [`COUNT_CAP`]. Nothing here loads the
//! workspace's keys to show a few.

use crate::error::{AppError, AppResult};
use crate::services::keys::{KeyRecord, EXPIRING_SOON, SELECT_KEYS_OVER_PAGE};
use crate::store::clause::{Bind, Clause};
use crate::store::db::Db;
use domain::access::Principal;
use domain::authorization::KeyVisibility;
use domain::ids::{ApplicationId, UserId};
use domain::key_listing::{day_start, Cursor, KeyCount, KeyQuery, ScopeFilter, COUNT_CAP};
use domain::model::KeyStatus;

/// One page of a view of the key list.
#[derive(Debug)]
pub struct KeyPage {
    pub keys: Vec<KeyRecord>,
    /// The cursor of the next (older) page, when there is one.
    pub next: Option<Cursor>,
    /// The cursor of the previous (newer) page, when there is one.
    pub previous: Option<Cursor>,
    pub count: KeyCount,
}

/// A view made into SQL: its count and its page.
struct Prepared {
    /// What the view selects, without the cursor (for the count).
    selection: Clause,
    /// The page's rows, picked from an index ([`SELECT_KEYS_OVER_PAGE`] decorates them).
    rows_sql: String,
    /// The page's query and its binds.
    page_sql: String,
    page: Clause,
    /// Paging backwards (before a cursor): rows come oldest first.
    backwards: bool,
    has_cursor: bool,
}

async fn prepare(
    db: &Db,
    viewer: &Principal,
    query: &KeyQuery,
    limit: usize,
    now: i64,
) -> AppResult<Option<Prepared>> {
    let Some(selection) = selection(db, viewer, query, now).await? else {
        return Ok(None);
    };
    let mut page = selection.clone();
    let backwards = matches!(query.cursor, Some(Cursor::Before(_)));
    let (op, order) = crate::store::paging::direction(false, backwards);
    if let Some(Cursor::After(key_id) | Cursor::Before(key_id)) = &query.cursor {
        let (created, id) = position_of(db, viewer, key_id).await?;
        let (c, i) = (page.bind(Bind::Int(created)), page.bind(Bind::Text(id)));
        page.and(format!(
            "(k.created_at {op} {c} OR (k.created_at = {c} AND k.id {op} {i}))"
        ));
    }
    let rows_sql = format!(
        "SELECT * FROM api_keys k WHERE {} ORDER BY k.created_at {order}, k.id {order} LIMIT {}",
        page.sql(),
        limit + 1
    );
    let page_sql = format!(
        "{} ORDER BY k.created_at {order}, k.id {order}",
        SELECT_KEYS_OVER_PAGE.replace("{page}", &rows_sql)
    );
    Ok(Some(Prepared {
        selection,
        rows_sql,
        page_sql,
        page,
        backwards,
        has_cursor: query.cursor.is_some(),
    }))
}

/// The keys `viewer` may see that `query` selects (rotated-out keys show through their
/// successor), `limit` a page, newest first.
pub async fn page(
    db: &Db,
    viewer: &Principal,
    query: &KeyQuery,
    limit: usize,
    now: i64,
) -> AppResult<KeyPage> {
    let Some(view) = prepare(db, viewer, query, limit, now).await? else {
        return Ok(KeyPage {
            keys: Vec::new(),
            next: None,
            previous: None,
            count: KeyCount {
                counted: 0,
                more: false,
            },
        });
    };
    let count = count(db, &view.selection).await?;
    let keys: Vec<KeyRecord> = view
        .page
        .apply(sqlx::query_as(&view.page_sql))
        .fetch_all(db.pool())
        .await?;
    let page = crate::store::paging::finish(keys, limit, view.backwards, view.has_cursor, |k| {
        k.key_id.clone()
    });
    Ok(KeyPage {
        next: page.next.map(Cursor::After),
        previous: page.previous.map(Cursor::Before),
        keys: page.rows,
        count,
    })
}

/// How the database picks a view's page of rows, one line per step (decorating the page is a
/// primary-key read per row; the count reads at most [`COUNT_CAP`] rows, whatever its plan)
/// (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL). For operators checking a slow
/// view, and for the tests that hold every view to an index.
pub async fn plan(
    db: &Db,
    viewer: &Principal,
    query: &KeyQuery,
    now: i64,
) -> AppResult<Vec<String>> {
    let Some(view) = prepare(db, viewer, query, domain::paging::PAGE_SIZE, now).await? else {
        return Ok(Vec::new());
    };
    Ok(view.page.explain(db, &view.rows_sql).await?)
}

/// The clause selecting what `viewer` may see of `query`'s filters; `None` when nothing can
/// match (an owner who has no account).
async fn selection(
    db: &Db,
    viewer: &Principal,
    query: &KeyQuery,
    now: i64,
) -> AppResult<Option<Clause>> {
    let mut w = Clause::default();
    let ws = w.bind(Bind::Text(viewer.workspace.to_string()));
    w.and(format!("k.workspace_id = {ws} AND k.rotated_at IS NULL"));
    let visibility = KeyVisibility::of(viewer);
    let owner = match &query.owner {
        None => None,
        Some(email) => match user_by_email(db, email).await? {
            None => return Ok(None),
            Some(id) => Some(id),
        },
    };
    // Both the viewer's visibility and the filter may name an owner: both must hold.
    for o in [visibility.owner, owner].into_iter().flatten() {
        let p = w.bind(Bind::Text(o.to_string()));
        w.and(format!("k.owner_id = {p}"));
    }
    if let Some(a) = visibility.application {
        let p = w.bind(Bind::Text(a.to_string()));
        w.and(format!("k.application_id = {p}"));
    }
    match &query.scope {
        None => {}
        Some(ScopeFilter::WholeWorkspace) => w.and("k.application_id IS NULL".into()),
        Some(ScopeFilter::Application(a)) => {
            let p = w.bind(Bind::Text(a.to_string()));
            w.and(format!("k.application_id = {p}"));
        }
    }
    if let Some(status) = query.status {
        let now_p = w.bind(Bind::Int(now));
        let soon = w.bind(Bind::Int(now + EXPIRING_SOON));
        w.and(match status {
            KeyStatus::Revoked => "k.revoked_at IS NOT NULL".into(),
            KeyStatus::Expired => format!("k.revoked_at IS NULL AND k.expires_at <= {now_p}"),
            KeyStatus::ExpiringSoon => format!(
                "k.revoked_at IS NULL AND k.expires_at > {now_p} AND k.expires_at <= {soon}"
            ),
            KeyStatus::Active | KeyStatus::RotatedOut => {
                format!("k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > {soon})")
            }
        });
    }
    // Both dates were checked when the view was read.
    if let Some(day) = query.expires_before.as_deref().and_then(day_start) {
        let p = w.bind(Bind::Int(day));
        w.and(format!("k.expires_at < {p}"));
    }
    if let Some(day) = query.used_before.as_deref().and_then(day_start) {
        let p = w.bind(Bind::Int(day));
        w.and(format!("(k.last_used_at IS NULL OR k.last_used_at < {p})"));
    }
    if let Some(name) = &query.name {
        let pattern = format!("%{}%", escape_like(&name.to_lowercase()));
        let p = w.bind(Bind::Text(pattern));
        w.and(format!("LOWER(k.name) LIKE {p} ESCAPE '\\'"));
    }
    Ok(Some(w))
}

/// How many keys the clause selects, counted up to [`COUNT_CAP`] rows of an index.
async fn count(db: &Db, clause: &Clause) -> AppResult<KeyCount> {
    let sql = count_sql(clause);
    let (n,): (i64,) = clause
        .apply(sqlx::query_as(&sql))
        .fetch_one(db.pool())
        .await?;
    let n = n.max(0) as u64;
    Ok(KeyCount {
        counted: n.min(COUNT_CAP),
        more: n > COUNT_CAP,
    })
}

/// Counting in the list's order keeps to the listing index whatever plan the database caches
/// for the statement: a plan made for the average workspace would otherwise scan the whole
/// table for a small one.
fn count_sql(clause: &Clause) -> String {
    format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM api_keys k WHERE {} \
         ORDER BY k.created_at DESC, k.id DESC LIMIT {}) capped",
        clause.sql(),
        COUNT_CAP + 1
    )
}

/// Where a cursor's key sits in the order. The key must be one `viewer` may see, whatever the
/// filters (a key revoked, renamed or rotated between two pages still marks its place);
/// anything else is refused, so a cursor reveals nothing.
pub(crate) async fn position_of(
    db: &Db,
    viewer: &Principal,
    key_id: &str,
) -> AppResult<(i64, String)> {
    let row: Option<(i64, String, UserId, Option<ApplicationId>)> = sqlx::query_as(
        "SELECT created_at, id, owner_id, application_id FROM api_keys \
         WHERE workspace_id = $1 AND key_id = $2",
    )
    .bind(viewer.workspace.to_string())
    .bind(key_id)
    .fetch_optional(db.pool())
    .await?;
    let invalid = || AppError::invalid(domain::paging::INVALID_CURSOR);
    let (created, id, owner, application) = row.ok_or_else(invalid)?;
    let facts = domain::authorization::KeyFacts { owner, application };
    if !KeyVisibility::of(viewer).covers(&facts) {
        return Err(invalid());
    }
    Ok((created, id))
}

async fn user_by_email(db: &Db, email: &str) -> AppResult<Option<UserId>> {
    let row: Option<(UserId,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(email.trim().to_lowercase())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|(id,)| id))
}

/// Escapes `LIKE` wildcards so a search matches them literally.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
