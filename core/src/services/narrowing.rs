//! Least privilege from observed use: which permissions a key's requests of the last
//! [`OBSERVATION_DAYS`] days needed (from `key_route_use`, which the bookkeeping writer keeps,
//! and the route table), and narrowing a key to fewer permissions without a new secret.

use crate::error::{AppError, AppResult};
use crate::services::audit;
use crate::services::keys::{self, KeyRecord};
use crate::store::db::Db;
use domain::access::Principal;
use domain::audit::AuditAction;
use domain::authorization::Action;
use domain::ids::ApiKeyId;
use domain::least_privilege::{observed, PermissionUse, OBSERVATION_DAYS};
use domain::permissions::PermissionSet;

/// A key and what its requests needed of its permissions.
#[derive(Debug)]
pub struct Observation {
    pub key: KeyRecord,
    /// One entry per permission the key holds, in the catalog's order.
    pub uses: Vec<PermissionUse>,
}

/// What `viewer` may learn of a key's use: anyone who sees the key.
pub async fn observe(
    db: &Db,
    viewer: &Principal,
    id: ApiKeyId,
    now: i64,
) -> AppResult<Observation> {
    let key = keys::authorized(db, viewer, id, Action::SeeKey).await?;
    let called: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT method, route, last_at FROM key_route_use WHERE key_row_id = $1 AND last_at > $2",
    )
    .bind(key.id)
    .bind(now - OBSERVATION_DAYS * 86_400)
    .fetch_all(db.pool())
    .await?;
    let uses = observed(
        key.permissions(),
        called
            .iter()
            .map(|(m, r, at)| (m.as_str(), r.as_str(), *at)),
    );
    Ok(Observation { key, uses })
}

/// Takes from a live key every permission but `keep` (which must be some of what it holds):
/// no new secret, effective at once on every instance, audited with what was removed.
/// Returns the removed permissions.
pub async fn narrow(
    db: &Db,
    by: &Principal,
    id: ApiKeyId,
    keep: PermissionSet,
) -> AppResult<PermissionSet> {
    let key = keys::authorized(db, by, id, Action::NarrowKey).await?;
    if !key.status(crate::now()).usable() {
        return Err(AppError::Conflict(
            "Only a live key can be narrowed.".into(),
        ));
    }
    let held = key.permissions();
    if !keep.is_subset_of(held) {
        return Err(AppError::invalid(
            "Narrowing only removes permissions: keep some of those the key holds.",
        ));
    }
    if keep.is_empty() {
        return Err(AppError::invalid(
            "A key keeps at least one permission; revoke it instead.",
        ));
    }
    let removed = held.minus(keep);
    if removed.is_empty() {
        return Err(AppError::invalid("Choose a permission to remove."));
    }
    let mut tx = db.write_credentials().await?;
    // Only if the key is still as it was read: a concurrent change is not overwritten.
    let result = sqlx::query(
        "UPDATE api_keys SET permissions = $1 WHERE id = $2 AND workspace_id = $3 \
         AND revoked_at IS NULL AND permissions = $4",
    )
    .bind(keep.to_storage())
    .bind(key.id)
    .bind(by.workspace.to_string())
    .bind(&key.permissions)
    .execute(&mut *tx)
    .await?;
    if result.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "The key changed meanwhile; look at it again.".into(),
        ));
    }
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::KeyNarrowed,
            format!("key:{}", key.key_id),
            format!(
                "removed {}; kept {}",
                removed.ids().join(" "),
                keep.ids().join(" ")
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(removed)
}
