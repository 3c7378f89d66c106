//! The console's notifications: what a key's owner and the workspace's admins should know
//! about it (expiring, expired, leaked), written in the transaction of what caused them, one
//! row per recipient, unread until the recipient opens the page.

use crate::error::AppResult;
use crate::store::db::{Db, Tx};
use domain::ids::{NotificationId, UserId, WorkspaceId};

/// Notifications shown on the page, newest first.
pub const SHOWN: usize = 50;

/// One notification.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Notification {
    pub kind: String,
    pub text: String,
    pub key_id: Option<String>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// Tells the owner `owner` of the key `key_id` and every owner and admin of `workspace`,
/// once each, `text` (of `kind`: `key.expiring`, `key.expired`, `key.leaked`).
pub async fn about_key(
    tx: &mut Tx,
    workspace: WorkspaceId,
    owner: UserId,
    key_id: &str,
    kind: &str,
    text: &str,
) -> AppResult<()> {
    let recipients: Vec<(String,)> = sqlx::query_as(
        "SELECT user_id FROM memberships WHERE workspace_id = $1 \
         AND (user_id = $2 OR role IN ('owner', 'admin'))",
    )
    .bind(workspace.to_string())
    .bind(owner)
    .fetch_all(&mut **tx)
    .await?;
    let now = crate::now();
    for (user,) in recipients {
        sqlx::query(
            "INSERT INTO notifications (id, user_id, workspace_id, kind, text, key_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(NotificationId::ordered())
        .bind(user)
        .bind(workspace.to_string())
        .bind(kind)
        .bind(text)
        .bind(key_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// How many notifications `user` has not read in `workspace`.
pub async fn unread(db: &Db, user: UserId, workspace: WorkspaceId) -> AppResult<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND workspace_id = $2 AND read_at IS NULL",
    )
    .bind(user.to_string())
    .bind(workspace.to_string())
    .fetch_one(db.pool())
    .await?;
    Ok(n)
}

/// `user`'s latest notifications in `workspace`, newest first.
pub async fn latest(db: &Db, user: UserId, workspace: WorkspaceId) -> AppResult<Vec<Notification>> {
    Ok(sqlx::query_as(&format!(
        "SELECT kind, text, key_id, created_at, read_at FROM notifications \
         WHERE user_id = $1 AND workspace_id = $2 ORDER BY created_at DESC, id DESC LIMIT {SHOWN}"
    ))
    .bind(user.to_string())
    .bind(workspace.to_string())
    .fetch_all(db.pool())
    .await?)
}

/// Marks everything `user` has in `workspace` as read.
pub async fn mark_read(db: &Db, user: UserId, workspace: WorkspaceId) -> AppResult<()> {
    let mut tx = db.write().await?;
    sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND workspace_id = $3 AND read_at IS NULL",
    )
    .bind(crate::now())
    .bind(user.to_string())
    .bind(workspace.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
