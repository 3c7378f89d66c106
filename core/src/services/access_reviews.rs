//! Access reviews: a reviewer starts one, and every key live at that moment becomes an item
//! that its owner (or a reviewer) confirms as still needed, with a note, or revokes. Items keep
//! what their key was at the start, so the evidence shows what was reviewed; the keys nobody
//! confirmed are revoked through the bulk revocation's preview ([`unconfirmed`]), and the
//! review is closed. Pages read items in keyset pages; nothing loads a whole review.

use crate::error::{AppError, AppResult};
use crate::services::audit;
use crate::services::keys::{self, KeyRecord, SELECT_KEYS_OVER_PAGE};
use crate::store::clause::{Bind, Clause};
use crate::store::db::{Db, Tx};
use crate::store::paging::{direction, finish, Page};
use domain::access::Principal;
use domain::access_review::{Decision, Show};
use domain::audit::AuditAction;
use domain::authorization::{decide, Action};
use domain::ids::{AccessReviewId, ApiKeyId, ApplicationId, UserId, WorkspaceId};
use domain::model::KeyStatus;

/// The longest note kept with a decision.
pub const NOTE_MAX: usize = 500;

/// One review, its people named by email (by id once their account is gone).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Review {
    pub id: AccessReviewId,
    pub started_by: String,
    pub started_at: i64,
    pub closed_by: Option<String>,
    pub closed_at: Option<i64>,
}

impl Review {
    pub fn open(&self) -> bool {
        self.closed_at.is_none()
    }
}

/// How far a review has come, over the items the viewer sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: i64,
    pub kept: i64,
    pub revoked: i64,
}

impl Progress {
    /// Items nobody decided on yet (some of their keys may have ended elsewhere meanwhile).
    pub fn undecided(&self) -> i64 {
        self.total - self.kept - self.revoked
    }
}

/// One key of a review: what it was at the start, the decision, and what the key is now.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Item {
    pub key_row_id: ApiKeyId,
    pub key_id: String,
    pub kind: String,
    pub name: String,
    pub owner_id: UserId,
    pub owner_email: String,
    pub purpose: String,
    pub permissions: String,
    pub application_id: Option<ApplicationId>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub decision: Option<String>,
    pub note: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    /// The key now (all `None` and `present == 0` once it was deleted).
    pub revoked_now: Option<i64>,
    pub rotated_now: Option<i64>,
    pub expires_now: Option<i64>,
    pub present: i64,
}

impl Item {
    pub fn decision(&self) -> Option<Decision> {
        self.decision.as_deref().and_then(Decision::parse)
    }

    /// The key's state now; `None` once it was deleted (with its application or agent).
    pub fn status(&self, now: i64) -> Option<KeyStatus> {
        (self.present != 0).then(|| {
            if self.revoked_now.is_some() {
                KeyStatus::Revoked
            } else if self.rotated_now.is_some() {
                KeyStatus::RotatedOut
            } else if self.expires_now.is_some_and(|e| e <= now) {
                KeyStatus::Expired
            } else {
                KeyStatus::Active
            }
        })
    }
}

const SELECT_REVIEW: &str = "SELECT r.id, COALESCE(s.email, r.started_by) AS started_by, \
    r.started_at, COALESCE(c.email, r.closed_by) AS closed_by, r.closed_at \
    FROM access_reviews r LEFT JOIN users s ON s.id = r.started_by \
    LEFT JOIN users c ON c.id = r.closed_by";

/// An item's columns over a page of `access_review_items` rows (`{page}`), with its key now.
const SELECT_ITEMS_OVER_PAGE: &str = "SELECT i.key_row_id, i.key_id, i.kind, i.name, \
    i.owner_id, i.owner_email, i.purpose, i.permissions, i.application_id, i.expires_at, \
    i.last_used_at, i.decision, i.note, COALESCE(d.email, i.decided_by) AS decided_by, \
    i.decided_at, k.revoked_at AS revoked_now, k.rotated_at AS rotated_now, \
    k.expires_at AS expires_now, CASE WHEN k.id IS NULL THEN 0 ELSE 1 END AS present \
    FROM ({page}) i LEFT JOIN api_keys k ON k.id = i.key_row_id \
    LEFT JOIN users d ON d.id = i.decided_by";

/// Starts a review of every live key of `by`'s workspace; one review is open at a time.
/// Returns the review and how many keys it holds.
pub async fn start(db: &Db, by: &Principal, now: i64) -> AppResult<(AccessReviewId, u64)> {
    decide(by, Action::RunAccessReview)?;
    let ws = by.workspace.to_string();
    let id = AccessReviewId::random();
    let mut tx = db.write().await?;
    let open: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM access_reviews WHERE workspace_id = $1 AND closed_at IS NULL",
    )
    .bind(&ws)
    .fetch_optional(&mut *tx)
    .await?;
    if open.is_some() {
        return Err(AppError::Conflict(
            "An access review is already open in this workspace: finish and close it first.".into(),
        ));
    }
    sqlx::query(
        "INSERT INTO access_reviews (id, workspace_id, started_by, started_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.to_string())
    .bind(&ws)
    .bind(by.user.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let added = sqlx::query(
        "INSERT INTO access_review_items (review_id, key_row_id, key_id, kind, name, owner_id, \
         owner_email, purpose, permissions, application_id, expires_at, last_used_at) \
         SELECT $1, k.id, k.key_id, k.kind, k.name, k.owner_id, u.email, k.purpose, k.permissions, \
         k.application_id, k.expires_at, k.last_used_at \
         FROM api_keys k JOIN users u ON u.id = k.owner_id \
         WHERE k.workspace_id = $2 AND k.revoked_at IS NULL AND k.rotated_at IS NULL \
         AND (k.expires_at IS NULL OR k.expires_at > $3)",
    )
    .bind(id.to_string())
    .bind(&ws)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("UPDATE access_reviews SET total = $1 WHERE id = $2")
        .bind(added as i64)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::AccessReviewStarted,
            format!("access_review:{id}"),
            format!("{added} live keys to review"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((id, added))
}

/// The workspace's open review, if one is.
pub async fn open(db: &Db, ws: WorkspaceId) -> AppResult<Option<Review>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT_REVIEW} WHERE r.workspace_id = $1 AND r.closed_at IS NULL"
    ))
    .bind(ws.to_string())
    .fetch_optional(db.pool())
    .await?)
}

/// One review of workspace `ws`.
pub async fn get(db: &Db, ws: WorkspaceId, id: AccessReviewId) -> AppResult<Review> {
    sqlx::query_as(&format!(
        "{SELECT_REVIEW} WHERE r.workspace_id = $1 AND r.id = $2"
    ))
    .bind(ws.to_string())
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)
}

/// The workspace's latest reviews, newest first.
pub async fn history(db: &Db, ws: WorkspaceId, limit: usize) -> AppResult<Vec<Review>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT_REVIEW} WHERE r.workspace_id = $1 ORDER BY r.started_at DESC, r.id DESC LIMIT {limit}"
    ))
    .bind(ws.to_string())
    .fetch_all(db.pool())
    .await?)
}

/// The items of `review` that `viewer` sees: every key for a reviewer, else their own.
fn visible(viewer: &Principal, review: AccessReviewId) -> Clause {
    let mut w = Clause::default();
    let r = w.bind(Bind::Text(review.to_string()));
    w.and(format!("i.review_id = {r}"));
    w.visible_to("i", viewer);
    w
}

/// How far `review` has come over what `viewer` sees: for a reviewer, the review's own
/// counters (kept with every decision, so a review of any size is read in one row); for a
/// member, one grouped count over the items of their keys.
pub async fn progress(db: &Db, viewer: &Principal, review: AccessReviewId) -> AppResult<Progress> {
    if decide(viewer, Action::RunAccessReview).is_ok() {
        let (total, kept, revoked): (i64, i64, i64) = sqlx::query_as(
            "SELECT total, kept, revoked FROM access_reviews WHERE id = $1 AND workspace_id = $2",
        )
        .bind(review)
        .bind(viewer.workspace.to_string())
        .fetch_optional(db.pool())
        .await?
        .ok_or(AppError::NotFound)?;
        return Ok(Progress {
            total,
            kept,
            revoked,
        });
    }
    let w = visible(viewer, review);
    let counts: Vec<(Option<String>, i64)> = w
        .apply(sqlx::query_as(&format!(
            "SELECT i.decision, COUNT(*) FROM access_review_items i WHERE {} GROUP BY i.decision",
            w.sql()
        )))
        .fetch_all(db.pool())
        .await?;
    let mut p = Progress::default();
    for (decision, n) in counts {
        p.total += n;
        match decision.as_deref().and_then(Decision::parse) {
            Some(Decision::Keep) => p.kept += n,
            Some(Decision::Revoke) => p.revoked += n,
            None => {}
        }
    }
    Ok(p)
}

/// One page of `review`'s items that `viewer` sees and `show` selects, in name order, at a
/// key id `cursor` (going back when its flag is set). A cursor not in the review is refused.
pub async fn items(
    db: &Db,
    viewer: &Principal,
    review: AccessReviewId,
    show: Show,
    cursor: Option<&(String, bool)>,
    limit: usize,
) -> AppResult<Page<Item, String>> {
    let mut w = visible(viewer, review);
    match show {
        Show::All => {}
        Show::Undecided => w.and("i.decision IS NULL".into()),
        Show::Decided(d) => {
            let p = w.bind(Bind::Text(d.id().into()));
            w.and(format!("i.decision = {p}"));
        }
    }
    let backwards = cursor.is_some_and(|(_, back)| *back);
    let (cmp, order) = direction(true, backwards);
    if let Some((key_id, _)) = cursor {
        let at: Option<(String,)> = sqlx::query_as(
            "SELECT name FROM access_review_items WHERE review_id = $1 AND key_id = $2",
        )
        .bind(review)
        .bind(key_id)
        .fetch_optional(db.pool())
        .await?;
        let (name,) = at.ok_or_else(|| AppError::invalid(domain::paging::INVALID_CURSOR))?;
        let (n, k) = (w.bind(Bind::Text(name)), w.bind(Bind::Text(key_id.clone())));
        // A row value, so both databases read the index from the cursor on.
        w.and(format!("(i.name, i.key_id) {cmp} ({n}, {k})"));
    }
    let page = format!(
        "SELECT * FROM access_review_items i WHERE {} ORDER BY i.name {order}, i.key_id {order} LIMIT {}",
        w.sql(),
        limit + 1
    );
    let sql = format!(
        "{} ORDER BY i.name {order}, i.key_id {order}",
        SELECT_ITEMS_OVER_PAGE.replace("{page}", &page)
    );
    let rows: Vec<Item> = w.apply(sqlx::query_as(&sql)).fetch_all(db.pool()).await?;
    Ok(finish(rows, limit, backwards, cursor.is_some(), |i| {
        i.key_id.clone()
    }))
}

/// The open review `id` of `by`'s workspace; a closed one takes no more decisions.
async fn open_review(db: &Db, by: &Principal, id: AccessReviewId) -> AppResult<Review> {
    let review = get(db, by.workspace, id).await?;
    if !review.open() {
        return Err(AppError::Conflict(
            "This access review is closed: its decisions are final.".into(),
        ));
    }
    Ok(review)
}

/// The item of `key` in `review` and the key as it is now, when `by` may decide on it.
async fn decidable(
    db: &Db,
    by: &Principal,
    review: AccessReviewId,
    key: ApiKeyId,
) -> AppResult<KeyRecord> {
    let item: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT decision FROM access_review_items WHERE review_id = $1 AND key_row_id = $2",
    )
    .bind(review)
    .bind(key.to_string())
    .fetch_optional(db.pool())
    .await?;
    let Some((decision,)) = item else {
        return Err(AppError::NotFound);
    };
    let record = keys::get(db, by.workspace, key).await?;
    decide(by, Action::ConfirmKey(record.facts()))?;
    if decision.as_deref() == Some(Decision::Revoke.id()) {
        return Err(AppError::Conflict(format!(
            "{} was already revoked in this review.",
            record.name
        )));
    }
    let status = record.status(crate::now());
    if !status.usable() {
        return Err(AppError::Conflict(format!(
            "{} is {} already: nothing is left to decide.",
            record.name,
            status.label().to_lowercase()
        )));
    }
    Ok(record)
}

/// Records `decision` on `key` in the open review `review`, with `note`: "still needed"
/// keeps the key (the note must say why); "revoke" revokes it (and its lineage) in the same
/// transaction. Either is decided by whoever may revoke the key.
pub async fn decide_key(
    db: &Db,
    by: &Principal,
    review: AccessReviewId,
    key: ApiKeyId,
    decision: Decision,
    note: &str,
) -> AppResult<KeyRecord> {
    let note: String = note.trim().chars().take(NOTE_MAX).collect();
    if decision == Decision::Keep && note.is_empty() {
        return Err(AppError::invalid(
            "Say why the key is still needed: the note is the review's evidence.",
        ));
    }
    open_review(db, by, review).await?;
    let record = decidable(db, by, review, key).await?;
    let now = crate::now();
    let mut tx = match decision {
        Decision::Keep => db.write().await?,
        Decision::Revoke => db.write_credentials().await?,
    };
    match decision {
        Decision::Keep => {
            audit::record(
                &mut tx,
                audit::event(
                    by,
                    AuditAction::AccessReviewKeyConfirmed,
                    format!("key:{}", record.key_id),
                    format!("access_review:{review}; {note}"),
                ),
            )
            .await?
        }
        Decision::Revoke => {
            let reason = format!("Access review: {note}");
            keys::revoke_in(&mut tx, by, &record, reason.trim_end_matches(": "), now).await?
        }
    }
    let decided = record_decisions(
        &mut tx,
        by,
        review,
        &[record.id],
        decision,
        &note,
        now,
        false,
    )
    .await?;
    if decided == 0 {
        // Closed or revoked in this review between the check and this transaction.
        return Err(AppError::Conflict(
            "The review changed meanwhile; reload it and decide again.".into(),
        ));
    }
    tx.commit().await?;
    Ok(record)
}

/// Writes `decision` on the items of `keys` in the open review `review`: on undecided items,
/// and (unless `undecided_only`) on those kept so far (a kept key may still be revoked, or
/// its note changed); never on one revoked in it. Keeps the review's counters in step and
/// returns how many items it wrote.
#[allow(clippy::too_many_arguments)]
async fn record_decisions(
    tx: &mut Tx,
    by: &Principal,
    review: AccessReviewId,
    keys: &[ApiKeyId],
    decision: Decision,
    note: &str,
    now: i64,
    undecided_only: bool,
) -> AppResult<u64> {
    // Each transition by itself: its count moves the counters.
    let mut from_undecided = 0;
    let mut from_kept = 0;
    for chunk in keys.chunks(500) {
        let places: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 6)).collect();
        let froms: &[Option<Decision>] = if undecided_only {
            &[None]
        } else {
            &[None, Some(Decision::Keep)]
        };
        for from in froms {
            let was = match from {
                None => "decision IS NULL".to_string(),
                Some(d) => format!("decision = '{}'", d.id()),
            };
            let sql = format!(
                "UPDATE access_review_items SET decision = $1, note = $2, decided_by = $3, decided_at = $4 \
                 WHERE review_id = $5 AND {was} \
                 AND EXISTS (SELECT 1 FROM access_reviews r WHERE r.id = $5 AND r.closed_at IS NULL) \
                 AND key_row_id IN ({})",
                places.join(", ")
            );
            let mut q = sqlx::query(&sql)
                .bind(decision.id())
                .bind(note)
                .bind(by.user.to_string())
                .bind(now)
                .bind(review);
            for k in chunk {
                q = q.bind(*k);
            }
            let n = q.execute(&mut **tx).await?.rows_affected() as i64;
            match from {
                None => from_undecided += n,
                Some(_) => from_kept += n,
            }
        }
    }
    let (kept, revoked) = match decision {
        Decision::Keep => (from_undecided, 0),
        Decision::Revoke => (-from_kept, from_undecided + from_kept),
    };
    if kept != 0 || revoked != 0 {
        sqlx::query(
            "UPDATE access_reviews SET kept = kept + $1, revoked = revoked + $2 WHERE id = $3",
        )
        .bind(kept)
        .bind(revoked)
        .bind(review)
        .execute(&mut **tx)
        .await?;
    }
    Ok((from_undecided + from_kept) as u64)
}

/// The undecided keys of the open review `review` that still work and that `viewer` may
/// revoke, in the review's order, at most `limit` (and whether more remain).
pub async fn unconfirmed(
    db: &Db,
    viewer: &Principal,
    review: AccessReviewId,
    limit: usize,
    now: i64,
) -> AppResult<(Vec<KeyRecord>, bool)> {
    open_review(db, viewer, review).await?;
    decide(viewer, Action::RunAccessReview)?;
    let mut w = visible(viewer, review);
    let now_p = w.bind(Bind::Int(now));
    w.and(format!(
        "i.decision IS NULL AND k.revoked_at IS NULL AND k.rotated_at IS NULL \
         AND (k.expires_at IS NULL OR k.expires_at > {now_p})"
    ));
    let page = format!(
        "SELECT k.* FROM access_review_items i JOIN api_keys k ON k.id = i.key_row_id \
         WHERE {} ORDER BY i.name, i.key_id LIMIT {}",
        w.sql(),
        limit + 1
    );
    let mut keys: Vec<KeyRecord> = w
        .apply(sqlx::query_as(&format!(
            "{} ORDER BY k.name, k.key_id",
            SELECT_KEYS_OVER_PAGE.replace("{page}", &page)
        )))
        .fetch_all(db.pool())
        .await?;
    let more = keys.len() > limit;
    keys.truncate(limit);
    Ok((keys, more))
}

/// Marks `keys`, revoked by a bulk revocation of the unconfirmed keys of `review`, as
/// revoked in it, in that revocation's transaction. A review closed meanwhile refuses it.
pub(crate) async fn revoked_unconfirmed(
    tx: &mut Tx,
    by: &Principal,
    review: AccessReviewId,
    keys: &[ApiKeyId],
    reason: &str,
    now: i64,
) -> AppResult<()> {
    let note = format!("Not confirmed during the review. {reason}");
    let written = record_decisions(
        tx,
        by,
        review,
        keys,
        Decision::Revoke,
        note.trim_end(),
        now,
        true,
    )
    .await?;
    if written as usize != keys.len() {
        return Err(AppError::Conflict(
            "The review changed since the preview (closed, or keys decided meanwhile). Nothing was revoked: preview again."
                .into(),
        ));
    }
    Ok(())
}

/// Closes the open review `review`: its decisions become final, and a new review may start.
pub async fn close(db: &Db, by: &Principal, review: AccessReviewId) -> AppResult<Progress> {
    decide(by, Action::RunAccessReview)?;
    open_review(db, by, review).await?;
    let progress = progress(db, by, review).await?;
    let mut tx = db.write().await?;
    let done = sqlx::query(
        "UPDATE access_reviews SET closed_at = $1, closed_by = $2 \
         WHERE id = $3 AND workspace_id = $4 AND closed_at IS NULL",
    )
    .bind(crate::now())
    .bind(by.user.to_string())
    .bind(review)
    .bind(by.workspace.to_string())
    .execute(&mut *tx)
    .await?;
    crate::store::db::changed(done)?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::AccessReviewClosed,
            format!("access_review:{review}"),
            format!(
                "{} keys: {} still needed, {} revoked, {} undecided",
                progress.total,
                progress.kept,
                progress.revoked,
                progress.undecided()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(progress)
}

/// Whether `viewer` may read `review`'s evidence: reviewers only.
pub async fn evidence_of(db: &Db, viewer: &Principal, review: AccessReviewId) -> AppResult<Review> {
    decide(viewer, Action::RunAccessReview)?;
    get(db, viewer.workspace, review).await
}
