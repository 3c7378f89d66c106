//! Key bookkeeping off the hot path: each authenticated request becomes an access-log row
//! and a "last used" update, each refused request of a stored key a coalesced refusal row, queued in a bounded channel and written in batches. When the
//! queue is full an entry is dropped rather than slowing a request. Rows older than the
//! retention period are pruned hourly. Bookkeeping commits do not wait for the disk
//! ([`Db::write_bookkeeping`]): a power cut may take its last moments, never a revocation.

use crate::services::keys::KeyRecord;
use crate::store::db::Db;
use domain::ids::ApiKeyId;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Entries waiting to be written (a few megabytes); beyond this they are dropped.
const QUEUE: usize = 50_000;
/// Entries written per transaction. Each commit wakes the database thread and writes the
/// log, so the writer commits a few times a second, not per request.
const BATCH: usize = 5_000;
/// How long entries gather before a write.
const WINDOW: Duration = Duration::from_millis(200);

/// One request made with a key. Holds no header values but the user agent (truncated).
#[derive(Clone, Debug)]
pub struct Access {
    pub key: Arc<KeyRecord>,
    pub at: i64,
    pub method: &'static str,
    /// The route template, never the raw path (which may carry a `key` parameter).
    pub route: &'static str,
    pub status: u16,
    pub latency_ms: u64,
    pub address: Option<IpAddr>,
    pub user_agent: String,
    /// Only for keys that log bodies: already redacted and capped.
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// One refused request of a stored key (named by its public key id: the writer resolves it,
/// so the request path does no lookup for it). Never the secret.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub key_id: String,
    pub at: i64,
    /// `EXPIRED`, `REVOKED`, `ROTATED_OUT`, `INVALID_SECRET`, `FORBIDDEN`, `RATE_LIMITED`, …
    pub reason: &'static str,
    pub status: u16,
    pub method: &'static str,
    pub route: &'static str,
    pub address: Option<IpAddr>,
}

/// Refusals waiting to be written; beyond this they are dropped.
const REFUSAL_QUEUE: usize = 10_000;

#[derive(Clone, Debug)]
pub struct UsageRecorder {
    tx: mpsc::Sender<Access>,
    refusals: mpsc::Sender<Refusal>,
    /// Entries dropped because their queue was full: for `/metrics`.
    dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl UsageRecorder {
    /// Starts the writer task, and the pruner when `retention_days` is not 0.
    pub fn start(db: Db, retention_days: u32) -> UsageRecorder {
        if retention_days > 0 {
            tokio::spawn(prune_periodically(db.clone(), retention_days));
        }
        let refusals = start_refusal_writer(db.clone());
        let (tx, mut rx) = mpsc::channel::<Access>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            let mut known = std::collections::HashSet::new();
            // Woken by the first entry after a quiet spell; then the window lets the queue
            // fill without waking this task for every request. Under steady load the writer
            // still waits a window between commits unless a whole batch is already queued:
            // writing whatever arrived during the last commit would mean many small
            // transactions, each a round of thread hand-offs, locks and a statement to parse.
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                loop {
                    if rx.len() + batch.len() < BATCH {
                        tokio::time::sleep(WINDOW).await;
                    }
                    let room = BATCH - batch.len();
                    if room > 0 && !rx.is_empty() {
                        rx.recv_many(&mut batch, room).await;
                    }
                    if let Err(e) = write(&db, &batch).await {
                        tracing::warn!(error = %e, entries = batch.len(), "could not record key use");
                    }
                    if let Err(e) = crate::services::sites::learn(&db, &batch, &mut known).await {
                        tracing::warn!(error = %e, "could not learn where keys are used from");
                    }
                    batch.clear();
                    if rx.is_empty() {
                        break;
                    }
                }
            }
        });
        UsageRecorder {
            tx,
            refusals,
            dropped: Default::default(),
        }
    }

    pub fn record(&self, access: Access) {
        if self.tx.try_send(access).is_err() {
            self.drop_one();
        }
    }

    /// Queues a refused request for its key's log; dropped when the queue is full, so a flood
    /// never slows the requests it refuses.
    pub fn record_refusal(&self, refusal: Refusal) {
        if self.refusals.try_send(refusal).is_err() {
            self.drop_one();
        }
    }

    fn drop_one(&self) {
        self.dropped
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Entries waiting to be written now, and entries dropped so far.
    pub fn stats(&self) -> (usize, u64) {
        let waiting = (self.tx.max_capacity() - self.tx.capacity())
            + (self.refusals.max_capacity() - self.refusals.capacity());
        (
            waiting,
            self.dropped.load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}

/// Writes refusals every batch window, coalesced per key, minute, reason and address.
fn start_refusal_writer(db: Db) -> mpsc::Sender<Refusal> {
    let (tx, mut rx) = mpsc::channel::<Refusal>(REFUSAL_QUEUE);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(REFUSAL_QUEUE);
        while rx.recv_many(&mut batch, REFUSAL_QUEUE).await > 0 {
            tokio::time::sleep(WINDOW).await;
            let room = REFUSAL_QUEUE - batch.len();
            if room > 0 && !rx.is_empty() {
                rx.recv_many(&mut batch, room).await;
            }
            if let Err(e) = write_refusals(&db, &batch).await {
                tracing::warn!(error = %e, entries = batch.len(), "could not record refusals");
            }
            batch.clear();
        }
    });
    tx
}

/// One coalesced refusal row: (key id, minute, reason, address).
type RefusalKey<'a> = (&'a str, i64, &'static str, String);

async fn write_refusals(db: &Db, batch: &[Refusal]) -> Result<(), crate::error::AppError> {
    let mut rows: std::collections::HashMap<RefusalKey<'_>, (i64, &Refusal)> =
        std::collections::HashMap::new();
    for r in batch {
        let key = (
            r.key_id.as_str(),
            r.at - r.at.rem_euclid(60),
            r.reason,
            address_text(r.address),
        );
        rows.entry(key).or_insert((0, r)).0 += 1;
    }
    let mut tx = db.write_bookkeeping().await?;
    for ((key_id, minute, reason, address), (count, r)) in &rows {
        // Resolved here, off the request path; an unknown key id inserts nothing.
        sqlx::query(
            "INSERT INTO key_refusals (key_row_id, minute, reason, address, method, route, status, count) \
             SELECT id, $2, $3, $4, $5, $6, $7, $8 FROM api_keys WHERE key_id = $1 \
             ON CONFLICT (key_row_id, minute, reason, address) DO UPDATE SET \
             count = key_refusals.count + excluded.count, method = excluded.method, \
             route = excluded.route, status = excluded.status",
        )
        .bind(*key_id)
        .bind(*minute)
        .bind(*reason)
        .bind(address.as_str())
        .bind(r.method)
        .bind(r.route)
        .bind(i64::from(r.status))
        .bind(*count)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Rows per INSERT statement: 5,000 parameters stays below both databases' limits
/// (32,766 and 65,535).
const ROWS_PER_STATEMENT: usize = 500;
const COLUMNS: usize = 10;

/// The text of an address as the log stores it.
fn address_text(address: Option<IpAddr>) -> String {
    address.map(|a| a.to_string()).unwrap_or_default()
}

/// A multi-row INSERT of `rows` access-log rows for SQLite, with anonymous `?` parameters: it
/// looks a numbered one up in a list as long as the statement's parameters, which would
/// make binding a long insert quadratic.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO key_access_log (key_row_id, at, method, route, status, latency_ms, address, user_agent, request_body, response_body) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql
}

/// SQLite: multi-row inserts of [`ROWS_PER_STATEMENT`] rows.
async fn insert_values(
    tx: &mut crate::store::db::Tx,
    batch: &[Access],
    addresses: &[&str],
) -> Result<(), crate::error::AppError> {
    for (chunk, addresses) in batch
        .chunks(ROWS_PER_STATEMENT)
        .zip(addresses.chunks(ROWS_PER_STATEMENT))
    {
        let sql = insert_sql(chunk.len());
        // Only the full-size statement stays prepared: one for every batch size would fill
        // the connection's statement cache with large compiled inserts.
        let mut query = sqlx::query(&sql).persistent(chunk.len() == ROWS_PER_STATEMENT);
        for (a, address) in chunk.iter().zip(addresses) {
            query = query
                .bind(a.key.id)
                .bind(a.at)
                .bind(a.method)
                .bind(a.route)
                .bind(i64::from(a.status))
                .bind(a.latency_ms as i64)
                .bind(*address)
                .bind(a.user_agent.as_str())
                .bind(a.request_body.as_deref())
                .bind(a.response_body.as_deref());
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Writes a batch: its access-log rows and each key's latest use, in one transaction.
async fn write(db: &Db, batch: &[Access]) -> Result<(), crate::error::AppError> {
    // Each distinct address is written out once per batch, not once per row.
    let mut texts = std::collections::HashMap::new();
    for a in batch {
        texts
            .entry(a.address)
            .or_insert_with(|| address_text(a.address));
    }
    let addresses: Vec<&str> = batch.iter().map(|a| texts[&a.address].as_str()).collect();
    // The latest use of each key.
    let mut latest = std::collections::HashMap::new();
    for (a, address) in batch.iter().zip(&addresses) {
        let seen = latest.entry(a.key.id).or_insert((a.at, *address));
        if a.at >= seen.0 {
            *seen = (a.at, *address);
        }
    }
    let latest: Vec<(ApiKeyId, i64, &str)> = latest
        .into_iter()
        .map(|(id, (at, address))| (id, at, address))
        .collect();
    let routes = routes_used(batch);
    if let Some(pg) = db.copy_pool() {
        return write_postgres(pg, batch, &addresses, &latest, &routes).await;
    }
    let mut tx = db.write_bookkeeping().await?;
    insert_values(&mut tx, batch, &addresses).await?;
    crate::services::keys::record_use(&mut tx, &latest).await?;
    for chunk in routes.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(${}, ${}, ${}, ${})",
                    4 * i + 1,
                    4 * i + 2,
                    4 * i + 3,
                    4 * i + 4
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO key_route_use (key_row_id, method, route, last_at) VALUES {} \
             ON CONFLICT (key_row_id, method, route) DO UPDATE SET last_at = MAX(last_at, excluded.last_at)",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql).persistent(false);
        for (id, method, route, at) in chunk {
            query = query.bind(*id).bind(*method).bind(*route).bind(*at);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Each (key, method, route) of a batch once, with its latest time: the rows of
/// `key_route_use` the batch moves.
fn routes_used(batch: &[Access]) -> Vec<(ApiKeyId, &'static str, &'static str, i64)> {
    let mut latest = std::collections::HashMap::new();
    for a in batch {
        let at = latest.entry((a.key.id, a.method, a.route)).or_insert(a.at);
        *at = (*at).max(a.at);
    }
    latest
        .into_iter()
        .map(|((id, method, route), at)| (id, method, route, at))
        .collect()
}

/// PostgreSQL: the rows stream in with `COPY` (no statement to parse or plan per row), the
/// last uses in one `UPDATE … FROM UNNEST`; the commit does not wait for the disk (as on
/// SQLite, bookkeeping may lose its last moments to a crash, never a revocation or audit row).
async fn write_postgres(
    pg: &sqlx::PgPool,
    batch: &[Access],
    addresses: &[&str],
    latest: &[(ApiKeyId, i64, &str)],
    routes: &[(ApiKeyId, &'static str, &'static str, i64)],
) -> Result<(), crate::error::AppError> {
    let mut rows = String::with_capacity(batch.len() * 160);
    for (a, address) in batch.iter().zip(addresses) {
        let status = a.status.to_string();
        let latency = a.latency_ms.to_string();
        let at = a.at.to_string();
        let key = a.key.id.to_string();
        let fields = [
            Some(key.as_str()),
            Some(at.as_str()),
            Some(a.method),
            Some(a.route),
            Some(status.as_str()),
            Some(latency.as_str()),
            Some(*address),
            Some(a.user_agent.as_str()),
            a.request_body.as_deref(),
            a.response_body.as_deref(),
        ];
        for (i, field) in fields.into_iter().enumerate() {
            if i > 0 {
                rows.push('\t');
            }
            copy_field(&mut rows, field);
        }
        rows.push('\n');
    }
    let mut tx = pg.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    let mut copy = tx
        .copy_in_raw(
            "COPY key_access_log (key_row_id, at, method, route, status, latency_ms, address, \
             user_agent, request_body, response_body) FROM STDIN",
        )
        .await?;
    copy.send(rows.as_bytes()).await?;
    copy.finish().await?;
    let (ids, (ats, ips)): (Vec<String>, (Vec<i64>, Vec<&str>)) = latest
        .iter()
        .map(|(id, at, ip)| (id.to_string(), (*at, *ip)))
        .unzip();
    sqlx::query(
        "UPDATE api_keys k SET last_used_at = u.at, last_used_ip = u.ip \
         FROM UNNEST($1::text[], $2::bigint[], $3::text[]) AS u(id, at, ip) \
         WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at <= u.at)",
    )
    .bind(ids)
    .bind(ats)
    .bind(ips)
    .execute(&mut *tx)
    .await?;
    let mut columns: (Vec<String>, Vec<&str>, Vec<&str>, Vec<i64>) = Default::default();
    for (id, method, route, at) in routes {
        columns.0.push(id.to_string());
        columns.1.push(method);
        columns.2.push(route);
        columns.3.push(*at);
    }
    sqlx::query(
        "INSERT INTO key_route_use (key_row_id, method, route, last_at) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[]) \
         ON CONFLICT (key_row_id, method, route) \
         DO UPDATE SET last_at = GREATEST(key_route_use.last_at, excluded.last_at)",
    )
    .bind(columns.0)
    .bind(columns.1)
    .bind(columns.2)
    .bind(columns.3)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One field of `COPY`'s text format: `\N` for none; backslash, tab, newline and carriage
/// return escaped.
fn copy_field(out: &mut String, field: Option<&str>) {
    let Some(value) = field else {
        out.push_str("\\N");
        return;
    };
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// How often old access-log rows are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);
/// Rows deleted per transaction, so the log writer is never held up for long.
const PRUNE_CHUNK: i64 = 5_000;

async fn prune_periodically(db: Db, retention_days: u32) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    loop {
        every.tick().await;
        let before = crate::now() - i64::from(retention_days) * 86_400;
        match prune(&db, before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "pruned the key access log"),
            Err(e) => tracing::warn!(error = %e, "could not prune the key access log"),
        }
    }
}

/// Deletes access-log rows (and their bodies) and refusals recorded before `before` (Unix
/// seconds); returns how many access-log rows went.
///
/// Rows are appended in time order, so the first row still to keep, in id order, bounds
/// what goes: finding it reads only the rows about to be deleted, and needs no index on
/// the time column that every append would pay for.
pub async fn prune(db: &Db, before: i64) -> Result<u64, crate::error::AppError> {
    use sqlx::Row;
    let keep_from: i64 = sqlx::query(
        "SELECT COALESCE(
            (SELECT id FROM key_access_log WHERE at >= $1 ORDER BY id LIMIT 1),
            (SELECT MAX(id) + 1 FROM key_access_log),
            0)",
    )
    .bind(before)
    .fetch_one(db.pool())
    .await?
    .try_get(0)?;
    let mut deleted = 0;
    loop {
        let mut tx = db.write_bookkeeping().await?;
        let n = sqlx::query(
            "DELETE FROM key_access_log WHERE id IN
                (SELECT id FROM key_access_log WHERE id < $1 ORDER BY id LIMIT $2)",
        )
        .bind(keep_from)
        .bind(PRUNE_CHUNK)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        deleted += n;
        if n < PRUNE_CHUNK as u64 {
            // Refusals go with them; coalesced per minute, they are few: one statement.
            let mut tx = db.write_bookkeeping().await?;
            sqlx::query("DELETE FROM key_refusals WHERE minute < $1")
                .bind(before)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(deleted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::copy_field;

    #[test]
    fn copy_fields_keep_their_text() {
        let mut out = String::new();
        copy_field(&mut out, Some("a\tb\\c\nd\re"));
        out.push('|');
        copy_field(&mut out, None);
        assert_eq!(out, "a\\tb\\\\c\\nd\\re|\\N");
    }
}
