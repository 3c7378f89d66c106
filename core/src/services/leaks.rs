//! Leaked secrets end at once: anyone may report strings (a secret scanner, a stranger who
//! found one in a public repository), and every one that is a working Keyward secret is
//! revoked and audited as reported leaked; a key's owner (or whoever may revoke it) marks a
//! key leaked from the console with the same effect on its whole lineage.

use crate::error::AppResult;
use crate::security::crypto::ServerSecret;
use crate::services::audit;
use crate::services::keys::{self, Lookup};
use crate::store::db::Db;
use domain::access::Principal;
use domain::audit::AuditAction;
use domain::authorization::{decide, Action};
use domain::ids::ApiKeyId;

/// At most this many strings in one report.
pub const MAX_REPORTED: usize = 100;
/// Longer strings are not secrets of ours and are not looked at.
pub const MAX_LENGTH: usize = 1_024;

/// What a report revoked: how many of its strings were working secrets. Never told to the
/// reporter; the caller logs it.
pub async fn report(
    db: &Db,
    pepper: &ServerSecret,
    reported: &[String],
    address: &str,
) -> AppResult<usize> {
    let mut revoked = 0;
    for candidate in reported.iter().take(MAX_REPORTED) {
        // Malformed strings and wrong checksums are refused here without a lookup.
        let Lookup::Ok(found) = keys::authenticate(db, pepper, candidate.trim()).await? else {
            continue;
        };
        let key = &found.key;
        let now = crate::now();
        let mut tx = db.write_credentials().await?;
        // Exactly the row whose secret leaked (a rotated-out secret still in its grace, or
        // the key itself): its successor's secret did not leak.
        let ended = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1, revoked_reason = 'Reported leaked', revoked_change = $3 \
             WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(key.id)
        .bind(tx.change())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended == 0 {
            continue;
        }
        audit::record(
            &mut tx,
            audit::Event {
                workspace: Some(key.workspace_id),
                target: format!("key:{}", key.key_id),
                detail: "Reported leaked through /api/v1/leaks; revoked".into(),
                address,
                ..audit::Event::new(AuditAction::KeyLeaked)
            },
        )
        .await?;
        leaked_hook(&mut tx, key, "reported").await?;
        keys::revoked_hook(&mut tx, key, &key.key_id, "Reported leaked").await?;
        tx.commit().await?;
        revoked += 1;
    }
    Ok(revoked)
}

/// Marks the key `id` leaked: revokes it and every rotated-out secret of it still in its
/// grace (any of them may have leaked with it), audited as leaked and as revoked.
pub async fn mark_leaked(db: &Db, by: &Principal, id: ApiKeyId) -> AppResult<keys::KeyRecord> {
    let key = keys::get(db, by.workspace, id).await?;
    decide(by, Action::RevokeKey(key.facts()))?;
    let mut tx = db.write_credentials().await?;
    keys::revoke_in(&mut tx, by, &key, "Marked as leaked", crate::now()).await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::KeyLeaked,
            format!("key:{}", key.key_id),
            "Marked as leaked in the console; revoked".into(),
        ),
    )
    .await?;
    leaked_hook(&mut tx, &key, "marked").await?;
    tx.commit().await?;
    Ok(key)
}

/// Queues the `key.leaked` webhook event of `key`, `how` it became known (`reported` or
/// `marked`).
async fn leaked_hook(
    tx: &mut crate::store::db::Tx,
    key: &keys::KeyRecord,
    how: &str,
) -> AppResult<()> {
    crate::services::notifications::about_key(
        tx,
        key.workspace_id,
        key.owner_id,
        &key.key_id,
        "key.leaked",
        &format!(
            "Key {} ({}) was {how} as leaked and revoked: replace it wherever it was used.",
            key.name, key.key_id
        ),
    )
    .await?;
    crate::services::webhooks::enqueue(
        tx,
        key.workspace_id,
        domain::webhooks::Event::KeyLeaked,
        serde_json::json!({
            "key_id": key.key_id,
            "name": key.name,
            "owner": key.owner_email,
            "how": how,
        }),
    )
    .await
}
