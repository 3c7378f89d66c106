//! The instance: who administers it (instance admins; the first owner is one) and whether
//! members other than them may create workspaces (off by default). Accounts belong to their
//! holder, so nobody gets to mint workspaces to squat addresses unless an admin allows it.

use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Event};
use crate::store::db::Db;
use domain::audit::AuditAction;
use domain::ids::UserId;
use domain::model::InstanceSettings;
use domain::validate::Email;

pub async fn is_admin(db: &Db, user: UserId) -> AppResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT instance_admin FROM users WHERE id = $1")
        .bind(user.to_string())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some_and(|(a,)| a != 0))
}

/// `Forbidden` unless `user` is an instance admin.
pub async fn require_admin(db: &Db, user: UserId) -> AppResult<()> {
    if is_admin(db, user).await? {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only instance admins may do this.".into(),
        ))
    }
}

pub async fn settings(db: &Db) -> AppResult<InstanceSettings> {
    let (members_create_workspaces,): (i64,) =
        sqlx::query_as("SELECT members_create_workspaces FROM instance_settings WHERE id = 1")
            .fetch_one(db.pool())
            .await?;
    Ok(InstanceSettings {
        members_create_workspaces: members_create_workspaces != 0,
    })
}

/// Whether `user` may create a workspace: an instance admin, or anyone where admins allow it.
pub async fn may_create_workspace(db: &Db, user: UserId) -> AppResult<bool> {
    Ok(is_admin(db, user).await? || settings(db).await?.members_create_workspaces)
}

/// Saves the instance settings (instance admins only), audited at the instance level.
pub async fn save_settings(
    db: &Db,
    by: UserId,
    settings: &InstanceSettings,
    address: &str,
) -> AppResult<()> {
    require_admin(db, by).await?;
    let mut tx = db.write().await?;
    sqlx::query("UPDATE instance_settings SET members_create_workspaces = $1 WHERE id = 1")
        .bind(i64::from(settings.members_create_workspaces))
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Event {
            actor_user: Some(by),
            target: "instance".into(),
            detail: format!(
                "members may create workspaces: {}",
                settings.members_create_workspaces
            ),
            address,
            ..Event::new(AuditAction::InstanceSettingsChanged)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The instance admins' emails.
pub async fn admins(db: &Db) -> AppResult<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT email FROM users WHERE instance_admin <> 0 ORDER BY email")
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// Makes the account of `email` an instance admin (`keyward admin grant`), audited as "cli".
pub async fn grant(db: &Db, email: &Email, address: &str) -> AppResult<()> {
    let mut tx = db.write().await?;
    let row: Option<(String,)> =
        sqlx::query_as("UPDATE users SET instance_admin = 1 WHERE email = $1 RETURNING id")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let Some((user,)) = row else {
        return Err(AppError::invalid(format!(
            "No account has the address {email}."
        )));
    };
    audit::record(
        &mut tx,
        Event {
            target: format!("user:{user}"),
            detail: email.to_string(),
            address,
            ..Event::new(AuditAction::InstanceAdminGranted)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
