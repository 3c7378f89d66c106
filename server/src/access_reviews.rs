//! The access review's plain form posts (start, decide on a key, close) and its evidence
//! exports. Each post answers by going back to `/settings/access-reviews` with what was done,
//! or with a page that says what went wrong; a revocation is confirmed on a page of its own
//! first, so the console needs no script for any of it.

use crate::audit_export::csv_field;
use crate::console_forms::{failure, page, Member};
use app::request::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use domain::access::Principal;
use domain::access_review::{Decision, Show, ACCESS_REVIEWS_PAGE, DECIDE_PATH};
use domain::ids::{AccessReviewId, ApiKeyId};
use futures_util::StreamExt;
use keyward_core::error::AppError;
use keyward_core::services::access_reviews::{self, Item, Review};
use leptos::prelude::*;

/// Items read per page of an evidence export.
const EXPORT_BATCH: usize = 500;

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// Back to the page, saying what was `done` (of review `review`, when named).
fn done(review: Option<&str>, done: &str) -> Response {
    let pairs: Vec<(&'static str, String)> = review
        .map(|r| ("review", r.to_string()))
        .into_iter()
        .chain([("done", done.to_string())])
        .collect();
    Redirect::to(&domain::paging::link(ACCESS_REVIEWS_PAGE, &pairs, &[])).into_response()
}

fn refused(e: AppError) -> Response {
    let status = match e {
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    page(status, &failure(&e.to_string(), ACCESS_REVIEWS_PAGE))
}

/// `POST /settings/access-reviews/start`.
pub async fn start(State(state): State<AppState>, Member(actor): Member) -> Response {
    let started = async {
        app::request::auth::meets(&actor, "access_reviews_page")?;
        access_reviews::start(&state.db, &actor.principal(), keyward_core::now()).await
    }
    .await;
    match started {
        Ok(_) => done(None, "started"),
        Err(e) => refused(e),
    }
}

/// `POST /settings/access-reviews/decide`: "Still needed" (with its note) records the
/// decision; "Revoke" first asks for confirmation (`confirmed=1` then revokes).
pub async fn decide(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let review = field(&fields, "review");
    let decided = async {
        app::request::auth::meets(&actor, "access_reviews_page")?;
        let decision = Decision::parse(&field(&fields, "decision"))
            .ok_or_else(|| AppError::invalid("Choose \"Still needed\" or \"Revoke\"."))?;
        let key = ApiKeyId::parse(&field(&fields, "key"))?;
        let note = field(&fields, "note");
        if decision == Decision::Revoke && field(&fields, "confirmed") != "1" {
            let record =
                keyward_core::services::keys::get(&state.db, actor.workspace_id, key).await?;
            return Ok(Err(confirm_revoke(&review, &record.name, key, &note)));
        }
        let id = AccessReviewId::parse(&review)?;
        access_reviews::decide_key(&state.db, &actor.principal(), id, key, decision, &note).await?;
        Ok(Ok(decision))
    }
    .await;
    match decided {
        Ok(Ok(Decision::Keep)) => done(None, "kept"),
        Ok(Ok(Decision::Revoke)) => done(None, "revoked"),
        Ok(Err(confirmation)) => confirmation,
        Err(e) => refused(e),
    }
}

/// The confirmation a revocation from the review asks for, as the key list's dialog does.
fn confirm_revoke(review: &str, name: &str, key: ApiKeyId, note: &str) -> Response {
    let body = view! {
        <h1>{format!("Revoke {name}?")}</h1>
        <form method="post" action=DECIDE_PATH class="stack" aria-label="Revoke key">
            <input type="hidden" name="review" value=review.to_string() />
            <input type="hidden" name="key" value=key.to_string() />
            <input type="hidden" name="decision" value="revoke" />
            <input type="hidden" name="confirmed" value="1" />
            <label>"Reason" <input type="text" name="note" maxlength="500" value=note.to_string() /></label>
            <p class="warning">"Its secret stops working at once, with every rotated-out secret still in its grace period. This cannot be undone."</p>
            <button type="submit" class="danger">"Revoke key"</button>
        </form>
        <p><a href=ACCESS_REVIEWS_PAGE>"Cancel"</a></p>
    }
    .to_html();
    page(StatusCode::OK, &body)
}

/// `POST /settings/access-reviews/close`.
pub async fn close(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let review = field(&fields, "review");
    let closed = async {
        app::request::auth::meets(&actor, "access_reviews_page")?;
        access_reviews::close(
            &state.db,
            &actor.principal(),
            AccessReviewId::parse(&review)?,
        )
        .await
    }
    .await;
    match closed {
        Ok(_) => done(Some(&review), "closed"),
        Err(e) => refused(e),
    }
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Json,
}

const CSV_HEADER: &str = "key,name,owner,purpose,permissions,application,expires,last_used,\
decision,note,decided_by,decided_at,status_now\r\n";

/// `GET /settings/access-reviews/evidence.csv?review=…`.
pub async fn evidence_csv(state: State<AppState>, member: Member, query: RawQuery) -> Response {
    evidence(state, member, query, Format::Csv).await
}

/// `GET /settings/access-reviews/evidence.json?review=…`: one JSON document, `review` then
/// `items`.
pub async fn evidence_json(state: State<AppState>, member: Member, query: RawQuery) -> Response {
    evidence(state, member, query, Format::Json).await
}

async fn evidence(
    State(state): State<AppState>,
    Member(actor): Member,
    RawQuery(raw): RawQuery,
    format: Format,
) -> Response {
    let viewer = actor.principal();
    let id = domain::paging::QueryParams::parse(&raw.unwrap_or_default())
        .get("review")
        .unwrap_or_default();
    let found = match AccessReviewId::parse(&id) {
        Ok(id) => access_reviews::evidence_of(&state.db, &viewer, id).await,
        Err(e) => Err(e.into()),
    };
    let review = match found {
        Ok(r) => r,
        Err(e) => {
            let e = crate::api::error::ApiError::from(e);
            return (e.status, e.message).into_response();
        }
    };
    let now = keyward_core::now();
    let mut rest = Rest {
        state,
        viewer,
        review: review.id,
        next: None,
        first: true,
        format,
        now,
    };
    // The first page is read before answering, so a failure is an error status.
    let first = match rest.page().await {
        Ok(bytes) => bytes,
        Err(e) => {
            let e = crate::api::error::ApiError::from(e);
            return (e.status, e.message).into_response();
        }
    };
    let mut head = match format {
        Format::Csv => CSV_HEADER.as_bytes().to_vec(),
        Format::Json => json_head(&review),
    };
    head.extend_from_slice(&first);
    if rest.next.is_none() {
        rest.finish(&mut head);
    }
    let body = futures_util::stream::once(async move { Ok(Bytes::from(head)) })
        .chain(futures_util::stream::try_unfold(rest, Rest::more));
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    crate::audit_export::download(
        Body::from_stream(body),
        content_type,
        &format!("keyward-access-review-{}.{extension}", review.id),
    )
}

fn json_head(review: &Review) -> Vec<u8> {
    let head = serde_json::json!({
        "id": review.id,
        "started_at": domain::dates::format_rfc3339(review.started_at),
        "started_by": review.started_by,
        "closed_at": review.closed_at.map(domain::dates::format_rfc3339),
        "closed_by": review.closed_by,
    });
    format!("{{\"review\":{head},\"items\":[").into_bytes()
}

/// The pages of an export, read one at a time as the client takes them.
struct Rest {
    state: AppState,
    viewer: Principal,
    review: AccessReviewId,
    next: Option<String>,
    first: bool,
    format: Format,
    now: i64,
}

impl Rest {
    /// The next page's rows, written.
    async fn page(&mut self) -> Result<Vec<u8>, AppError> {
        let cursor = self.next.take().map(|k| (k, false));
        let page = access_reviews::items(
            &self.state.db,
            &self.viewer,
            self.review,
            Show::All,
            cursor.as_ref(),
            EXPORT_BATCH,
        )
        .await?;
        let mut out = Vec::with_capacity(EXPORT_BATCH * 200);
        for item in &page.rows {
            self.write(&mut out, item);
        }
        self.next = page.next;
        Ok(out)
    }

    async fn more(mut self) -> Result<Option<(Bytes, Rest)>, std::io::Error> {
        if self.next.is_none() {
            return Ok(None);
        }
        let mut out = self.page().await.map_err(|e| {
            tracing::warn!(error = %e, "evidence export stopped");
            std::io::Error::other("the evidence export stopped")
        })?;
        if self.next.is_none() {
            self.finish(&mut out);
        }
        Ok(Some((Bytes::from(out), self)))
    }

    fn finish(&self, out: &mut Vec<u8>) {
        if let Format::Json = self.format {
            out.extend_from_slice(b"]}\n");
        }
    }

    fn write(&mut self, out: &mut Vec<u8>, item: &Item) {
        let time = |t: Option<i64>| t.map(domain::dates::format_rfc3339).unwrap_or_default();
        let permissions = domain::permissions::PermissionSet::from_storage(&item.permissions).ids();
        let decision = item.decision().map(|d| d.id()).unwrap_or("");
        let status = item.status(self.now).map(|s| s.id()).unwrap_or("deleted");
        match self.format {
            Format::Json => {
                if !self.first {
                    out.push(b',');
                }
                let row = serde_json::json!({
                    "key": item.key_id,
                    "name": item.name,
                    "owner": item.owner_email,
                    "purpose": item.purpose,
                    "permissions": permissions,
                    "application": item.application_id,
                    "expires": item.expires_at.map(domain::dates::format_rfc3339),
                    "last_used": item.last_used_at.map(domain::dates::format_rfc3339),
                    "decision": item.decision().map(|d| d.id()),
                    "note": item.note,
                    "decided_by": item.decided_by,
                    "decided_at": item.decided_at.map(domain::dates::format_rfc3339),
                    "status_now": status,
                });
                let _ = serde_json::to_writer(&mut *out, &row);
                out.push(b'\n');
            }
            Format::Csv => {
                let fields = [
                    item.key_id.as_str(),
                    &item.name,
                    &item.owner_email,
                    &item.purpose,
                    &permissions.join(" "),
                    &item
                        .application_id
                        .map(|a| a.to_string())
                        .unwrap_or_default(),
                    &time(item.expires_at),
                    &time(item.last_used_at),
                    decision,
                    &item.note,
                    item.decided_by.as_deref().unwrap_or(""),
                    &time(item.decided_at),
                    status,
                ];
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    csv_field(out, f);
                }
                out.extend_from_slice(b"\r\n");
            }
        }
        self.first = false;
    }
}
