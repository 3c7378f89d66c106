//! The append-only audit log. Every state change writes its event in the same transaction.

use crate::error::AppError;
use crate::store::db::Tx;
use domain::access::Principal;
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

/// An event done by `by` in its workspace: the member, and the key when one acted.
pub fn event<'a>(by: &'a Principal, action: &'a str, target: String, detail: String) -> Event<'a> {
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

/// Records `e` in the transaction of the change it describes. Recording an event invalidates
/// nothing: a change to what a credential may do says so when it opens its transaction
/// ([`crate::store::db::Db::write_credentials`]).
pub async fn record(tx: &mut Tx, e: Event<'_>) -> Result<(), AppError> {
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
    .bind(crate::now())
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
    db: &crate::store::db::Db,
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
