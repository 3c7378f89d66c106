//! How audit rows are chained: each workspace's events (and the instance's, chain `''`) take
//! consecutive places, and each row's hash covers its fields, its place and the hash of the
//! row before it. Plain SHA-256, not keyed: anyone holding an export can check it without
//! the server's secret. Rewriting the whole chain from an edited row on is what it cannot
//! stop on its own; the head hash that a check reports, written down elsewhere, catches that.

use crate::security::crypto::hex;
use crate::store::db::{Db, Tx};
use sha2::{Digest, Sha256};

/// The "previous hash" of a chain's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The stored fields of one event, as the hash covers them.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ChainedRow {
    pub id: String,
    pub workspace_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_key_id: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub address: String,
    pub created_at: i64,
}

/// The chain a row belongs to: its workspace, or `''` for the instance's own events.
pub fn chain_of(workspace: Option<&str>) -> &str {
    workspace.unwrap_or("")
}

/// The hash of `row` at place `seq` after `previous`: SHA-256 (hex) over every field, each
/// prefixed by its length so no two rows encode alike.
pub fn hash(row: &ChainedRow, seq: i64, previous: &str) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    let created = row.created_at.to_string();
    let fields: [&str; 11] = [
        chain_of(row.workspace_id.as_deref()),
        &seq,
        &row.id,
        &created,
        row.actor_user_id.as_deref().unwrap_or(""),
        row.actor_key_id.as_deref().unwrap_or(""),
        &row.action,
        &row.target,
        &row.detail,
        &row.address,
        previous,
    ];
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex(&h.finalize())
}

/// Takes the next place of `row`'s chain and returns it with the row's previous and own
/// hash. The head's row stays locked until `tx` ends, so concurrent writers of one workspace
/// chain one after another (on SQLite, `BEGIN IMMEDIATE` already orders them).
pub async fn link(tx: &mut Tx, row: &ChainedRow) -> Result<(i64, String, String), sqlx::Error> {
    let chain = chain_of(row.workspace_id.as_deref());
    // On conflict the returned hash is still the previous event's: it is replaced below.
    let (seq, previous): (i64, String) = sqlx::query_as(
        "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ($1, 1, $2) \
         ON CONFLICT (chain) DO UPDATE SET seq = audit_chain_heads.seq + 1 RETURNING seq, hash",
    )
    .bind(chain)
    .bind(GENESIS)
    .fetch_one(&mut **tx)
    .await?;
    let own = hash(row, seq, &previous);
    sqlx::query("UPDATE audit_chain_heads SET hash = $1 WHERE chain = $2")
        .bind(&own)
        .bind(chain)
        .execute(&mut **tx)
        .await?;
    Ok((seq, previous, own))
}

/// Chains the events recorded before the chain existed, oldest first, once: the migration
/// that began the chain left a row in `audit_chain_unsealed` when there were any. Returns how
/// many it sealed. Rows written without a hash afterwards stay out, for the check to report.
pub async fn seal_unchained(db: &Db) -> Result<u64, sqlx::Error> {
    let mut tx = db.write().await?;
    let pending: Option<(i64,)> = sqlx::query_as("SELECT pending FROM audit_chain_unsealed")
        .fetch_optional(&mut *tx)
        .await?;
    if pending.is_none() {
        return Ok(0);
    }
    let mut sealed = 0;
    loop {
        // A thousand at a time: each batch's rows leave the `hash IS NULL` set.
        let rows: Vec<ChainedRow> = sqlx::query_as(
            "SELECT id, workspace_id, actor_user_id, actor_key_id, action, target, detail, address, created_at \
             FROM audit_events WHERE hash IS NULL ORDER BY created_at, id LIMIT 1000",
        )
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let (seq, previous, own) = link(&mut tx, row).await?;
            sqlx::query(
                "UPDATE audit_events SET seq = $1, previous_hash = $2, hash = $3 WHERE id = $4",
            )
            .bind(seq)
            .bind(previous)
            .bind(own)
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        }
        sealed += rows.len() as u64;
    }
    sqlx::query("DELETE FROM audit_chain_unsealed")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ChainedRow {
        ChainedRow {
            id: "e1".into(),
            workspace_id: Some("w".into()),
            actor_user_id: None,
            actor_key_id: None,
            action: "key.created".into(),
            target: "key:a".into(),
            detail: "b".into(),
            address: String::new(),
            created_at: 1,
        }
    }

    #[test]
    fn every_field_and_the_place_change_the_hash() {
        let base = hash(&row(), 1, GENESIS);
        assert_eq!(base.len(), 64);
        assert_eq!(base, hash(&row(), 1, GENESIS));
        assert_ne!(base, hash(&row(), 2, GENESIS));
        assert_ne!(base, hash(&row(), 1, &base));
        // Moving a character from one field to the next is a different row.
        let shifted = ChainedRow {
            target: "key:ab".into(),
            detail: String::new(),
            ..row()
        };
        assert_ne!(base, hash(&shifted, 1, GENESIS));
        let instance = ChainedRow {
            workspace_id: None,
            ..row()
        };
        assert_ne!(base, hash(&instance, 1, GENESIS));
    }
}
