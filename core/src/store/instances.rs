//! Serving instances: each registers under an id of its own, sends a heartbeat every
//! [`HEARTBEAT_EVERY`], and records which credential changes it applied and when, so a
//! revocation can say on how many instances it is in effect (`services::propagation`).
//! Recording never holds up applying: acknowledgements are queued and written in batches.

use crate::store::db::Db;
use std::time::Duration;
use uuid::Uuid;

/// How often an instance says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// An instance not heard from for this long is silent (its remembered keys, trusted for one
/// second at most, have expired by then whatever it missed).
pub const SILENT_AFTER_MS: i64 = 3_000;
/// Acknowledgements and silent instances are forgotten after a day.
const KEPT_MS: i64 = 24 * 60 * 60 * 1000;

/// Registers this process as a serving instance of `db`: heartbeats, and every credential
/// change it applies from now on acknowledged. Returns the instance's id.
pub fn register(db: &Db) -> Uuid {
    let id = Uuid::new_v4();
    let (sink, mut acks) = tokio::sync::mpsc::unbounded_channel::<(i64, i64)>();
    db.changes().acknowledge_to(sink);
    let started = crate::now_ms();
    let heartbeat_db = db.clone();
    tokio::spawn(async move {
        let db = heartbeat_db;
        let mut every = tokio::time::interval(HEARTBEAT_EVERY);
        let mut pruned_at = 0;
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = db.closed() => return,
            }
            let now = crate::now_ms();
            if let Err(e) = heartbeat(&db, id, started, now).await {
                tracing::warn!(error = %e, "the instance heartbeat could not be written");
            }
            if now - pruned_at >= KEPT_MS / 24 {
                pruned_at = now;
                if let Err(e) = prune(&db, now - KEPT_MS).await {
                    tracing::warn!(error = %e, "old acknowledgements could not be deleted");
                }
            }
        }
    });
    let ack_db = db.clone();
    tokio::spawn(async move {
        let db = ack_db;
        while let Some(first) = acks.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = acks.try_recv() {
                batch.push(more);
            }
            if let Err(e) = acknowledge(&db, id, &batch).await {
                tracing::warn!(error = %e, "credential change acknowledgements could not be written");
            }
        }
    });
    id
}

async fn heartbeat(db: &Db, id: Uuid, started: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO instances (id, started_at_ms, heartbeat_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET heartbeat_at_ms = excluded.heartbeat_at_ms",
    )
    .bind(id.to_string())
    .bind(started)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

async fn acknowledge(db: &Db, id: Uuid, batch: &[(i64, i64)]) -> Result<(), sqlx::Error> {
    let mut tx = db.write_bookkeeping().await?;
    for (change, at) in batch {
        sqlx::query(
            "INSERT INTO change_acks (change, instance_id, applied_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (change, instance_id) DO NOTHING",
        )
        .bind(change)
        .bind(id.to_string())
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

async fn prune(db: &Db, before_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM change_acks WHERE applied_at_ms < $1")
        .bind(before_ms)
        .execute(db.pool())
        .await?;
    sqlx::query("DELETE FROM instances WHERE heartbeat_at_ms < $1")
        .bind(before_ms)
        .execute(db.pool())
        .await?;
    Ok(())
}
