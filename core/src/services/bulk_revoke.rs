//! Revoking the keys a filter of the key list (or a finding of the key review) matches, in
//! two steps: a preview that lists
//! exactly which keys would go (and how much each was used lately), then the revocation of
//! exactly that previewed set — never a filter evaluated again — in one transaction.

use crate::error::{AppError, AppResult};
use crate::services::access_reviews;
use crate::services::audit;
use crate::services::key_list;
use crate::services::keys::{self, KeyRecord};
use crate::services::review;
use crate::store::db::Db;
use domain::access::Principal;
use domain::audit::AuditAction;
use domain::authorization::{decide, Action};
use domain::ids::{AccessReviewId, ApiKeyId};
use domain::key_listing::KeyQuery;
use domain::review::Finding;

/// At most this many keys go in one bulk revocation: a larger set is narrowed by filters first.
pub const BULK_LIMIT: usize = 1_000;

/// How far back a preview counts each key's requests.
pub const RECENT_DAYS: i64 = 7;

/// One key a bulk revocation would end, with its allowed requests of the last
/// [`RECENT_DAYS`] days.
#[derive(Debug)]
pub struct Candidate {
    pub key: KeyRecord,
    pub recent_requests: i64,
}

/// What a filter's bulk revocation would do.
#[derive(Debug)]
pub struct Preview {
    pub keys: Vec<Candidate>,
    /// Live keys the filter matches that the viewer sees but may not revoke.
    pub not_yours: usize,
    /// More than [`BULK_LIMIT`] keys match: nothing is offered until the filter narrows.
    pub too_many: bool,
    /// More keys remain after these (a review's unconfirmed keys go [`BULK_LIMIT`] at a time).
    pub more_after: bool,
}

/// What a bulk revocation selects: the key list's filters, a finding of the key review, or
/// the keys nobody confirmed in an open access review (by its id).
#[derive(Clone, Debug)]
pub enum Selection {
    Filters(KeyQuery),
    Finding(Finding),
    Unconfirmed(AccessReviewId),
}

/// The live keys of `selection` that `viewer` may revoke. A key list without a filter is
/// refused: "every key" is not a filter.
pub async fn preview(
    db: &Db,
    viewer: &Principal,
    selection: &Selection,
    now: i64,
) -> AppResult<Preview> {
    let mut more_after = false;
    let (keys, too_many) = match selection {
        Selection::Filters(query) => {
            if !query.filtered() {
                return Err(AppError::invalid(
                    "Choose at least one filter: a bulk revocation ends the keys a filter matches.",
                ));
            }
            let page = key_list::page(db, viewer, &query.at(None), BULK_LIMIT, now).await?;
            (page.keys, page.next.is_some())
        }
        Selection::Finding(finding) => {
            let page = review::page(db, viewer, *finding, None, BULK_LIMIT, now).await?;
            let keys = page.keys.into_iter().map(|r| r.key).collect();
            (keys, page.next.is_some())
        }
        Selection::Unconfirmed(review) => {
            let (keys, more) =
                access_reviews::unconfirmed(db, viewer, *review, BULK_LIMIT, now).await?;
            more_after = more;
            (keys, false)
        }
    };
    let (mine, not_yours): (Vec<KeyRecord>, Vec<KeyRecord>) = keys
        .into_iter()
        .filter(|k| k.status(now).usable())
        .partition(|k| decide(viewer, Action::RevokeKey(k.facts())).is_ok());
    let counts = recent_requests(db, &mine, now).await?;
    Ok(Preview {
        keys: mine
            .into_iter()
            .zip(counts)
            .map(|(key, recent_requests)| Candidate {
                key,
                recent_requests,
            })
            .collect(),
        not_yours: not_yours.len(),
        too_many,
        more_after,
    })
}

/// Each key's allowed requests since [`RECENT_DAYS`] days ago, in `keys`' order: one grouped
/// read of the access log's (key, time) index.
async fn recent_requests(db: &Db, keys: &[KeyRecord], now: i64) -> AppResult<Vec<i64>> {
    let mut counts = std::collections::HashMap::new();
    for chunk in keys.chunks(500) {
        let places: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT key_row_id, COUNT(*) FROM key_access_log WHERE at > $1 AND key_row_id IN ({}) \
             GROUP BY key_row_id",
            places.join(", ")
        );
        let mut q = sqlx::query_as::<_, (ApiKeyId, i64)>(&sql).bind(now - RECENT_DAYS * 86_400);
        for k in chunk {
            q = q.bind(k.id);
        }
        counts.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(keys
        .iter()
        .map(|k| counts.get(&k.id).copied().unwrap_or(0))
        .collect())
}

/// Revokes exactly the previewed keys `ids` (the preview showed `previewed` of them), each with
/// its lineage and audit event, and one event for the operation naming `filter` (the
/// `selection` as a URL query) and `reason`; a review's unconfirmed keys are marked revoked in
/// it. All or nothing: when a previewed key changed since (revoked, expired, gone, or no
/// longer one `by` may revoke), nothing is revoked and the answer names what changed.
pub async fn revoke(
    db: &Db,
    by: &Principal,
    ids: &[String],
    previewed: usize,
    selection: &Selection,
    filter: &str,
    reason: String,
) -> AppResult<usize> {
    let mut wanted: Vec<ApiKeyId> = Vec::with_capacity(ids.len());
    for id in ids {
        let id = ApiKeyId::parse(id)
            .map_err(|_| AppError::invalid("The previewed list is not valid; preview again."))?;
        if !wanted.contains(&id) {
            wanted.push(id);
        }
    }
    if wanted.is_empty() || wanted.len() != previewed || wanted.len() > BULK_LIMIT {
        return Err(AppError::invalid(
            "The previewed list is not valid; preview again.",
        ));
    }
    let now = crate::now();
    let mut changed = Vec::new();
    let mut keys = Vec::with_capacity(wanted.len());
    for id in wanted {
        match keys::get(db, by.workspace, id).await {
            Err(AppError::NotFound) => changed.push(format!("a key no longer exists ({id})")),
            Err(e) => return Err(e),
            Ok(key) if decide(by, Action::RevokeKey(key.facts())).is_err() => {
                changed.push(format!("you may no longer revoke {}", key.name))
            }
            Ok(key) if !key.status(now).usable() => changed.push(format!(
                "{} is already {}",
                key.name,
                key.status(now).label().to_lowercase()
            )),
            Ok(key) => keys.push(key),
        }
    }
    if !changed.is_empty() {
        return Err(changed_since(&changed));
    }
    let mut tx = db.write_credentials().await?;
    for key in &keys {
        match keys::revoke_in(&mut tx, by, key, &reason, now).await {
            // Revoked between the check and this transaction.
            Err(AppError::Conflict(_)) => {
                return Err(changed_since(&[format!(
                    "{} was revoked meanwhile",
                    key.name
                )]))
            }
            other => other?,
        }
    }
    if let Selection::Unconfirmed(review) = selection {
        let ids: Vec<ApiKeyId> = keys.iter().map(|k| k.id).collect();
        access_reviews::revoked_unconfirmed(&mut tx, by, *review, &ids, &reason, now).await?;
    }
    let detail = format!("{} keys matching {filter}; {reason}", keys.len());
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::KeysBulkRevoked,
            format!("workspace:{}", by.workspace),
            detail.trim_end_matches("; ").to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(keys.len())
}

fn changed_since(what: &[String]) -> AppError {
    AppError::Conflict(format!(
        "The keys changed since the preview ({}). Nothing was revoked: preview again.",
        what.join("; ")
    ))
}
