//! The append-only audit log. Every state change writes its event in the same transaction.

use super::db::Tx;
use super::error::AppError;
use uuid::Uuid;

/// One event. Never holds a secret: keys are named by their public key id.
#[derive(Debug, Default)]
pub struct Event<'a> {
    pub workspace: Option<Uuid>,
    pub actor_user: Option<Uuid>,
    /// The public key id of the key that acted, when a key did.
    pub actor_key: Option<&'a str>,
    pub action: &'a str,
    pub target: String,
    pub detail: String,
    pub address: &'a str,
}

/// Records `e` in the transaction of the change it describes. Every audited change may alter
/// what a credential can do, so it also invalidates verified keys on every instance.
pub async fn record(tx: &mut Tx, e: Event<'_>) -> Result<(), AppError> {
    tx.touches_credentials().await?;
    sqlx::query(
        "INSERT INTO audit_events (id, workspace_id, actor_user_id, actor_key_id, action, target, detail, address, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(Uuid::new_v4().to_string())
    .bind(e.workspace.map(|w| w.to_string()))
    .bind(e.actor_user.map(|u| u.to_string()))
    .bind(e.actor_key.map(str::to_string))
    .bind(e.action)
    .bind(e.target)
    .bind(e.detail)
    .bind(e.address)
    .bind(super::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One stored event, for tests and the audit page.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct StoredEvent {
    pub actor_user_id: Option<String>,
    pub actor_key_id: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub address: String,
    pub created_at: i64,
}

/// The newest events of a workspace first.
pub async fn list(
    db: &super::db::Db,
    workspace: Uuid,
    limit: i64,
) -> Result<Vec<StoredEvent>, AppError> {
    Ok(sqlx::query_as(
        "SELECT actor_user_id, actor_key_id, action, target, detail, address, created_at FROM audit_events \
         WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(workspace.to_string())
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}
