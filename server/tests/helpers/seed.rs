//! Keys in bulk, written straight into the database in large multi-row inserts (not through
//! the API), so a test or a benchmark has a big workspace in seconds. Shared by the tests and
//! the benchmarks.

#![allow(dead_code)] // each user takes what it needs

use domain::secret::{self, KeyId, KeyKind};
use keyward_core::security::crypto::ServerSecret;
use keyward_core::store::db::Db;

const COLUMNS: &str = "id, key_id, workspace_id, owner_id, kind, name, purpose, application_id, \
                       permissions, digest, created_at";

/// Inserts rows `from..to` of `api_keys`, `row(n)` giving the values after the row id.
async fn insert_keys(db: &Db, from: usize, to: usize, row: impl Fn(usize) -> String) {
    let batch = 500;
    let mut added = from;
    while added < to {
        let rows = batch.min(to - added);
        let mut tx = db.write().await.unwrap();
        let mut sql = format!("INSERT INTO api_keys ({COLUMNS}) VALUES ");
        for n in added..added + rows {
            if n > added {
                sql.push(',');
            }
            sql.push_str(&format!("('{}', {})", uuid::Uuid::new_v4(), row(n)));
        }
        // Not prepared: a statement this size would sit in the connection's statement cache.
        sqlx::raw_sql(&sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        added += rows;
    }
}

/// Adds keys numbered `from..to` owned by `owner` in `workspace`: key ids `b0000000`…, names
/// `bulk N`, created at second N (so the list's order is the numbering), every other one
/// limited to `application` when given. Their digests match no secret.
pub async fn add_keys(
    db: &Db,
    workspace: &str,
    owner: &str,
    application: Option<&str>,
    from: usize,
    to: usize,
) {
    insert_keys(db, from, to, |n| {
        let scope = match application {
            Some(a) if n % 2 == 1 => format!("'{a}'"),
            _ => "NULL".to_string(),
        };
        // Key ids are 8 base62 characters; these never collide with a generated one in
        // practice.
        format!(
            "'b{n:07}', '{workspace}', '{owner}', 'service', 'bulk {n}', '', {scope}, \
             'applications:read', '{n:064x}', {n}"
        )
    })
    .await;
}

/// The secret of live key number `n` (see [`add_live_keys`]): well-formed, with its checksum.
pub fn live_secret(n: usize) -> String {
    let key_id = KeyId::parse(&format!("c{n:07}")).expect("8 base62 characters");
    secret::assemble(KeyKind::Service, &key_id, &format!("{n:032}"))
}

/// Adds working keys numbered `from..to` (key ids `c0000000`…, secrets from [`live_secret`],
/// their digests under `pepper`), never expiring.
pub async fn add_live_keys(
    db: &Db,
    pepper: &ServerSecret,
    workspace: &str,
    owner: &str,
    from: usize,
    to: usize,
) {
    insert_keys(db, from, to, |n| {
        let digest = pepper.digest(&live_secret(n));
        format!(
            "'c{n:07}', '{workspace}', '{owner}', 'service', 'live {n}', '', NULL, \
             'applications:read', '{digest}', {n}"
        )
    })
    .await;
}

/// Appends `count` audit events to `workspace`'s chain after its head, each by `actor`, one
/// a second up to now: every tenth a `key.revoked` of `key:b{N}`, the rest
/// `application.renamed`. They are chained as the server chains them, so a check passes.
pub async fn add_audit_events(db: &Db, workspace: &str, actor: &str, count: usize) {
    use keyward_core::store::audit_chain::{hash, ChainedRow, GENESIS};
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_heads WHERE chain = $1")
            .bind(workspace)
            .fetch_optional(db.pool())
            .await
            .unwrap();
    let (mut seq, mut previous) = head.unwrap_or((0, GENESIS.to_string()));
    let first_second = keyward_core::now() - count as i64;
    let mut added = 0;
    while added < count {
        let rows = 500.min(count - added);
        let mut tx = db.write().await.unwrap();
        let mut sql = String::from(
            "INSERT INTO audit_events (id, workspace_id, actor_user_id, action, target, detail, \
             address, created_at, seq, previous_hash, hash) VALUES ",
        );
        for n in added..added + rows {
            let (action, target) = if n % 10 == 0 {
                ("key.revoked", format!("key:b{n:07}"))
            } else {
                ("application.renamed", format!("application:{}", n % 100))
            };
            let row = ChainedRow {
                id: uuid::Uuid::new_v4().to_string(),
                workspace_id: Some(workspace.to_string()),
                actor_user_id: Some(actor.to_string()),
                actor_key_id: None,
                action: action.into(),
                target,
                detail: format!("seeded {n}"),
                address: String::new(),
                created_at: first_second + n as i64,
            };
            seq += 1;
            let own = hash(&row, seq, &previous);
            if n > added {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{}', '{workspace}', '{actor}', '{action}', '{}', '{}', '', {}, {seq}, '{previous}', '{own}')",
                row.id, row.target, row.detail, row.created_at
            ));
            previous = own;
        }
        sqlx::raw_sql(&sql).execute(&mut *tx).await.unwrap();
        sqlx::query(
            "INSERT INTO audit_chain_heads (chain, seq, hash) VALUES ($1, $2, $3) \
             ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        )
        .bind(workspace)
        .bind(seq)
        .bind(&previous)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        added += rows;
    }
}
