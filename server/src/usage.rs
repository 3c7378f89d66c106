//! Key bookkeeping off the hot path: each authenticated request becomes an access-log row
//! and a "last used" update, queued in a bounded channel and written in batches. When the
//! queue is full an entry is dropped rather than slowing a request.

use app::ssr::db::Db;
use std::time::Duration;
use tokio::sync::mpsc;

const QUEUE: usize = 10_000;
const BATCH: usize = 500;

/// One request made with a key. Holds no header values but the user agent (truncated).
#[derive(Clone, Debug)]
pub struct Access {
    pub key_row_id: String,
    pub at: i64,
    pub method: &'static str,
    /// The route template, never the raw path (which may carry a `key` parameter).
    pub route: &'static str,
    pub status: u16,
    pub latency_ms: u64,
    pub address: String,
    pub user_agent: String,
    /// Only for keys that log bodies: already redacted and capped.
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

#[derive(Clone, Debug)]
pub struct UsageRecorder {
    tx: mpsc::Sender<Access>,
}

impl UsageRecorder {
    /// Starts the writer task.
    pub fn start(db: Db) -> UsageRecorder {
        let (tx, mut rx) = mpsc::channel::<Access>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                let Some(first) = rx.recv().await else { break };
                batch.push(first);
                // Gather what else arrives shortly, then write once.
                let deadline = tokio::time::sleep(Duration::from_millis(100));
                tokio::pin!(deadline);
                while batch.len() < BATCH {
                    tokio::select! {
                        item = rx.recv() => match item { Some(i) => batch.push(i), None => break },
                        _ = &mut deadline => break,
                    }
                }
                if let Err(e) = write(&db, &batch).await {
                    tracing::warn!(error = %e, entries = batch.len(), "could not record key use");
                }
                batch.clear();
            }
        });
        UsageRecorder { tx }
    }

    pub fn record(&self, access: Access) {
        let _ = self.tx.try_send(access);
    }
}

/// Rows per INSERT statement: 10 parameters each stays far below both databases' limits.
const ROWS_PER_STATEMENT: usize = 100;

/// Writes a batch: access-log rows in multi-row inserts and each key's latest use, in one
/// transaction.
async fn write(db: &Db, batch: &[Access]) -> Result<(), app::ssr::error::AppError> {
    let mut tx = db.write().await?;
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO key_access_log (key_row_id, at, method, route, status, latency_ms, address, user_agent, request_body, response_body) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            let p = i * 10;
            let placeholders: Vec<String> = (1..=10).map(|n| format!("${}", p + n)).collect();
            sql.push('(');
            sql.push_str(&placeholders.join(", "));
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for a in chunk {
            query = query
                .bind(&a.key_row_id)
                .bind(a.at)
                .bind(a.method)
                .bind(a.route)
                .bind(i64::from(a.status))
                .bind(a.latency_ms as i64)
                .bind(&a.address)
                .bind(&a.user_agent)
                .bind(&a.request_body)
                .bind(&a.response_body);
        }
        query.execute(&mut *tx).await?;
    }
    // The latest use of each key.
    let mut latest: Vec<(String, i64, String)> = batch
        .iter()
        .map(|a| (a.key_row_id.clone(), a.at, a.address.clone()))
        .collect();
    latest.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    latest.dedup_by(|a, b| a.0 == b.0);
    app::ssr::keys::record_use(&mut tx, &latest).await?;
    tx.commit().await?;
    Ok(())
}
