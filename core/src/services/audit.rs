//! The append-only audit log. Every state change writes its event in the same transaction;
//! each event is chained to the one before it in its workspace ([`crate::store::audit_chain`]),
//! and reviewers read it in filtered keyset pages, export it, and check the chain.

use crate::error::AppResult;
use crate::store::audit_chain::{self, ChainedRow, GENESIS};
use crate::store::clause::{Bind, Clause};
use crate::store::db::{Db, Tx};
use domain::access::Principal;
use domain::audit::{ActorFilter, AuditAction, AuditEvent, AuditQuery, ChainCheck, Cursor};
use domain::authorization::{decide, Action};
use domain::ids::{UserId, WorkspaceId};
use uuid::Uuid;

/// One event. Never holds a secret: keys are named by their public key id.
#[derive(Debug)]
pub struct Event<'a> {
    pub workspace: Option<WorkspaceId>,
    pub actor_user: Option<UserId>,
    /// The public key id of the key that acted, when a key did.
    pub actor_key: Option<&'a str>,
    pub action: AuditAction,
    pub target: String,
    pub detail: String,
    pub address: &'a str,
}

impl Event<'_> {
    /// An event of `action` with nothing else said: no workspace, actor, target or address.
    pub fn new(action: AuditAction) -> Self {
        Event {
            workspace: None,
            actor_user: None,
            actor_key: None,
            action,
            target: String::new(),
            detail: String::new(),
            address: "",
        }
    }
}

/// An event done by `by` in its workspace: the member, and the key when one acted.
pub fn event<'a>(
    by: &'a Principal,
    action: AuditAction,
    target: String,
    detail: String,
) -> Event<'a> {
    Event {
        workspace: Some(by.workspace),
        actor_user: Some(by.user),
        actor_key: by.key_id.as_deref(),
        action,
        target,
        detail,
        address: &by.address,
    }
}

/// Records `e` in the transaction of the change it describes, at the next place of its
/// workspace's chain. Recording an event invalidates nothing: a change to what a credential
/// may do says so when it opens its transaction ([`Db::write_credentials`]).
pub async fn record(tx: &mut Tx, e: Event<'_>) -> AppResult<()> {
    let row = ChainedRow {
        id: Uuid::new_v4().to_string(),
        workspace_id: e.workspace.map(|w| w.to_string()),
        actor_user_id: e.actor_user.map(|u| u.to_string()),
        actor_key_id: e.actor_key.map(str::to_string),
        action: e.action.id().to_string(),
        target: e.target,
        detail: e.detail,
        address: e.address.to_string(),
        created_at: crate::now(),
    };
    let (seq, previous, hash) = audit_chain::link(tx, &row).await?;
    sqlx::query(
        "INSERT INTO audit_events (id, workspace_id, actor_user_id, actor_key_id, action, target, detail, \
         address, created_at, seq, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(row.id)
    .bind(row.workspace_id)
    .bind(row.actor_user_id)
    .bind(row.actor_key_id)
    .bind(row.action)
    .bind(row.target)
    .bind(row.detail)
    .bind(row.address)
    .bind(row.created_at)
    .bind(seq)
    .bind(previous)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A page of the log, newest first, and the places of the pages beside it.
#[derive(Debug)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Where the next (older) page starts, when there is one.
    pub next: Option<i64>,
    /// Where the previous (newer) page ends, when there is one.
    pub previous: Option<i64>,
}

/// A stored event with the actor's email beside it.
#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    id: String,
    created_at: i64,
    actor_email: Option<String>,
    actor_user_id: Option<String>,
    actor_key_id: Option<String>,
    action: String,
    target: String,
    detail: String,
    address: String,
    /// Empty on a row written outside the chain (the check names it).
    previous_hash: Option<String>,
    hash: Option<String>,
}

impl From<EventRow> for AuditEvent {
    fn from(r: EventRow) -> Self {
        AuditEvent {
            seq: r.seq,
            id: r.id,
            at: r.created_at,
            actor: r.actor_email.or(r.actor_user_id),
            actor_key: r.actor_key_id,
            action: r.action,
            target: r.target,
            detail: r.detail,
            address: r.address,
            previous_hash: r.previous_hash.unwrap_or_default(),
            hash: r.hash.unwrap_or_default(),
        }
    }
}

/// One page of the view `query` of `viewer`'s workspace log: `limit` events past its cursor.
/// Every filter is an equality or range on an indexed column in the log's order, so a page
/// costs the same at a million events as at ten.
pub async fn page(
    db: &Db,
    viewer: &Principal,
    query: &AuditQuery,
    limit: usize,
) -> AppResult<AuditPage> {
    let (sql, w) = prepare(viewer, query, limit)?;
    let rows: Vec<AuditEvent> = w
        .apply(sqlx::query_as::<_, EventRow>(&sql))
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(AuditEvent::from)
        .collect();
    let backwards = matches!(query.cursor, Some(Cursor::Before(_)));
    let page = crate::store::paging::finish(
        rows,
        limit,
        backwards,
        query.cursor.is_some(),
        |e: &AuditEvent| e.seq,
    );
    Ok(AuditPage {
        events: page.rows,
        next: page.next,
        previous: page.previous,
    })
}

/// The plan of a page's query, for the test that holds every view to an index.
pub async fn plan(db: &Db, viewer: &Principal, query: &AuditQuery) -> AppResult<Vec<String>> {
    let (sql, w) = prepare(viewer, query, domain::paging::PAGE_SIZE)?;
    Ok(w.explain(db, &sql).await?)
}

/// A page's query and its binds, once `viewer` may read the log.
fn prepare(viewer: &Principal, query: &AuditQuery, limit: usize) -> AppResult<(String, Clause)> {
    decide(viewer, Action::ReadAudit)?;
    let mut w = Clause::default();
    let ws = w.bind(Bind::Text(viewer.workspace.to_string()));
    w.and(format!("e.workspace_id = {ws}"));
    match &query.actor {
        Some(ActorFilter::Member(email)) => {
            let p = w.bind(Bind::Text(email.clone()));
            w.and(format!(
                "e.actor_user_id = (SELECT id FROM users WHERE email = {p})"
            ));
        }
        Some(ActorFilter::Key(key_id)) => {
            let p = w.bind(Bind::Text(key_id.clone()));
            w.and(format!("e.actor_key_id = {p}"));
        }
        None => {}
    }
    if let Some(action) = query.action {
        let p = w.bind(Bind::Text(action.id().to_string()));
        w.and(format!("e.action = {p}"));
    }
    if let Some(target) = &query.target {
        let p = w.bind(Bind::Text(target.clone()));
        w.and(format!("e.target = {p}"));
    }
    if let Some(since) = query.since() {
        let p = w.bind(Bind::Int(since));
        w.and(format!("e.created_at >= {p}"));
    }
    if let Some(until) = query.until() {
        let p = w.bind(Bind::Int(until));
        w.and(format!("e.created_at <= {p}"));
    }
    let backwards = matches!(query.cursor, Some(Cursor::Before(_)));
    let (op, order) = crate::store::paging::direction(false, backwards);
    if let Some(Cursor::After(seq) | Cursor::Before(seq)) = query.cursor {
        let p = w.bind(Bind::Int(seq));
        w.and(format!("e.seq {op} {p}"));
    }
    let sql = format!(
        "SELECT COALESCE(e.seq, 0) AS seq, e.id, e.created_at, u.email AS actor_email, e.actor_user_id, \
         e.actor_key_id, e.action, e.target, e.detail, e.address, e.previous_hash, e.hash \
         FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id \
         WHERE {} ORDER BY e.seq {order} LIMIT {}",
        w.sql(),
        limit + 1
    );
    Ok((sql, w))
}

/// Checks `viewer`'s workspace chain.
pub async fn verify(db: &Db, viewer: &Principal) -> AppResult<ChainCheck> {
    decide(viewer, Action::ReadAudit)?;
    verify_chain(db, &viewer.workspace.to_string()).await
}

/// Every chain the database holds: workspace ids, and `''` for the instance's own events.
pub async fn chains(db: &Db) -> AppResult<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT chain FROM audit_chain_heads ORDER BY chain")
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// How many events a check reads at a time: memory stays flat whatever the log's length.
const VERIFY_BATCH: i64 = 1_000;

/// Walks chain `chain` from its first place to its head, recomputing every hash, and names
/// the first event that does not fit: a missing place, a row that does not follow the one
/// before it, a row changed after it was written, rows past the head or outside the chain.
pub async fn verify_chain(db: &Db, chain: &str) -> AppResult<ChainCheck> {
    let in_chain = if chain.is_empty() {
        "workspace_id IS NULL AND $1 = ''"
    } else {
        "workspace_id = $1"
    };
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_heads WHERE chain = $1")
            .bind(chain)
            .fetch_optional(db.pool())
            .await?;
    let (head_seq, head_hash) = head.unwrap_or((0, GENESIS.to_string()));
    let (outside,): (i64,) = sqlx::query_as(&format!(
        "SELECT COUNT(*) FROM audit_events WHERE {in_chain} AND hash IS NULL"
    ))
    .bind(chain)
    .fetch_one(db.pool())
    .await?;
    if outside > 0 {
        return Ok(broken(
            0,
            format!("{outside} event(s) were written outside the chain"),
        ));
    }
    let (mut last, mut previous) = (0i64, GENESIS.to_string());
    loop {
        let rows: Vec<(i64, String, String, ChainedRow)> = sqlx::query_as::<_, LinkRow>(&format!(
            "SELECT seq, previous_hash, hash, id, workspace_id, actor_user_id, actor_key_id, action, \
             target, detail, address, created_at FROM audit_events \
             WHERE {in_chain} AND seq > $2 ORDER BY seq LIMIT $3"
        ))
        .bind(chain)
        .bind(last)
        .bind(VERIFY_BATCH)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(LinkRow::split)
        .collect();
        if rows.is_empty() {
            break;
        }
        for (seq, stored_previous, stored_hash, row) in rows {
            if seq != last + 1 {
                return Ok(broken(
                    last + 1,
                    format!("it is missing (the next event found is {seq})"),
                ));
            }
            if seq > head_seq {
                return Ok(broken(seq, "it lies past the chain's head".into()));
            }
            if stored_previous != previous {
                return Ok(broken(seq, "it does not follow the event before it".into()));
            }
            if audit_chain::hash(&row, seq, &previous) != stored_hash {
                return Ok(broken(seq, "it was changed after it was recorded".into()));
            }
            (last, previous) = (seq, stored_hash);
        }
    }
    if last != head_seq || previous != head_hash {
        return Ok(broken(
            last + 1,
            format!(
                "the chain ends at event {last} but its head is at {head_seq}: later events are missing"
            ),
        ));
    }
    Ok(ChainCheck::Intact {
        events: last,
        head: head_hash,
    })
}

fn broken(seq: i64, reason: String) -> ChainCheck {
    ChainCheck::Broken { seq, reason }
}

/// A row as the check reads it: its links, then the fields its hash covers.
#[derive(sqlx::FromRow)]
struct LinkRow {
    seq: i64,
    previous_hash: String,
    hash: String,
    #[sqlx(flatten)]
    row: ChainedRow,
}

impl LinkRow {
    fn split(self) -> (i64, String, String, ChainedRow) {
        (self.seq, self.previous_hash, self.hash, self.row)
    }
}
