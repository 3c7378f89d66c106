//! What the instance's operator does at the command line (`keyward keys …`, `keyward members
//! list`, `keyward backup`), against the configured database and across every workspace.
//! The operator is nobody in any workspace: what they change is audited with the address
//! `cli` and no member, and takes effect on running instances through the same credential
//! change feed as any other revocation.

use crate::error::{AppError, AppResult};
use crate::services::audit;
use crate::services::keys::{self, KeyRecord, SELECT_KEYS_OVER_PAGE};
use crate::store::db::{Backend, Db};
use domain::audit::AuditAction;

/// The address the command line's audit events carry.
pub const CLI: &str = "cli";

/// Keys of every workspace in creation order, `limit` after the key `after` (its created
/// time and row id): the pages `keyward keys list` prints as it reads them.
pub async fn keys_page(
    db: &Db,
    after: Option<(i64, String)>,
    limit: usize,
) -> AppResult<Vec<KeyRecord>> {
    let (created, id) = after.unwrap_or((i64::MIN, String::new()));
    let page = format!(
        "SELECT * FROM api_keys WHERE (created_at, id) > ($1, $2) \
         ORDER BY created_at, id LIMIT {limit}"
    );
    Ok(sqlx::query_as(&format!(
        "{} ORDER BY k.created_at, k.id",
        SELECT_KEYS_OVER_PAGE.replace("{page}", &page)
    ))
    .bind(created)
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

/// The key with this public key id, in whichever workspace.
pub async fn key(db: &Db, key_id: &str) -> AppResult<KeyRecord> {
    keys::by_key_id(db, key_id.trim())
        .await?
        .ok_or(AppError::NotFound)
}

/// Revokes `key` and its rotated-out secrets still in grace, audited as the command line's:
/// the key ids revoked.
async fn revoke_record(db: &Db, key: &KeyRecord, reason: &str) -> AppResult<Vec<String>> {
    let now = crate::now();
    let mut tx = db.write_credentials().await?;
    let revoked = keys::end_lineage(&mut tx, key.workspace_id, None, key, reason, now).await?;
    for (row, key_id) in &revoked {
        audit::record(
            &mut tx,
            audit::Event {
                workspace: Some(key.workspace_id),
                target: format!("key:{key_id}"),
                detail: keys::lineage_detail(key, *row, reason),
                address: CLI,
                ..audit::Event::new(AuditAction::KeyRevoked)
            },
        )
        .await?;
        keys::revoked_hook(&mut tx, key, key_id, reason).await?;
    }
    tx.commit().await?;
    Ok(revoked.into_iter().map(|(_, key_id)| key_id).collect())
}

/// `keyward keys revoke KEY_ID`; without a reason, the command line is named as one.
pub async fn revoke(db: &Db, key_id: &str, reason: &str) -> AppResult<Vec<String>> {
    let key = key(db, key_id).await?;
    let reason = match reason.trim() {
        "" => "Revoked from the command line",
        given => given,
    };
    revoke_record(db, &key, reason).await
}

/// `keyward keys revoke-all --owner EMAIL`: every live key the account owns, in every
/// workspace; the key ids revoked.
pub async fn revoke_all(db: &Db, owner: &str, reason: &str) -> AppResult<Vec<String>> {
    let owner: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(owner.trim().to_lowercase())
        .fetch_optional(db.pool())
        .await?;
    let Some((owner,)) = owner else {
        return Err(AppError::NotFound);
    };
    let live: Vec<(String,)> = sqlx::query_as(
        "SELECT key_id FROM api_keys WHERE owner_id = $1 AND revoked_at IS NULL ORDER BY created_at",
    )
    .bind(owner)
    .fetch_all(db.pool())
    .await?;
    let mut revoked = Vec::new();
    for (key_id,) in live {
        match revoke(db, &key_id, reason).await {
            Ok(ids) => revoked.extend(ids),
            // Revoked with its successor's lineage a moment ago.
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(revoked)
}

/// One membership: workspace, email, role, since.
#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct MemberLine {
    pub workspace_id: String,
    pub workspace: String,
    pub email: String,
    pub role: String,
    pub since: i64,
}

/// Every membership of every workspace, by workspace then email.
pub async fn members(db: &Db) -> AppResult<Vec<MemberLine>> {
    Ok(sqlx::query_as(
        "SELECT w.id AS workspace_id, w.name AS workspace, u.email, m.role, m.created_at AS since \
         FROM memberships m JOIN users u ON u.id = m.user_id JOIN workspaces w ON w.id = m.workspace_id \
         ORDER BY w.name, w.id, u.email",
    )
    .fetch_all(db.pool())
    .await?)
}

/// `keyward backup PATH`: a consistent copy of the SQLite database while it runs (`VACUUM
/// INTO`); PostgreSQL is backed up with its own tools.
pub async fn backup(db: &Db, path: &str) -> AppResult<()> {
    if db.backend() == Backend::Postgres {
        return Err(AppError::invalid(
            "This instance runs on PostgreSQL: back it up with pg_dump (see the README).",
        ));
    }
    if std::path::Path::new(path).exists() {
        return Err(AppError::invalid(format!(
            "{path} exists already: choose a new file."
        )));
    }
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(db.pool())
        .await?;
    Ok(())
}
