//! `GET` and `POST /settings/api-keys/bulk-revoke`: the key list's "Revoke matching keys" (and
//! the key review's, for a finding), a preview of exactly which keys match now, then the
//! revocation of that set.

use crate::console_forms::{failure, page, Member};
use app::pages::bulk_revoke::{preview_html, revoked_html, PreviewPage, PreviewRow};
use app::request::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use domain::key_listing::KeyQuery;
use domain::review::Finding;
use keyward_core::services::bulk_revoke::{self, Selection};

/// What a URL query selects: an access review's unconfirmed keys (`review=`), a review
/// finding (`finding=`), else the key list's filters without a cursor.
fn selection_of(search: &str) -> Result<Selection, String> {
    let params = domain::paging::QueryParams::parse(search);
    let get = |name: &str| params.get(name);
    if let Some(review) = get("review") {
        return domain::ids::AccessReviewId::parse(&review)
            .map(Selection::Unconfirmed)
            .map_err(|_| "That review does not exist.".to_string());
    }
    if let Some(finding) = get("finding") {
        return Finding::parse(Some(&finding)).map(Selection::Finding);
    }
    KeyQuery::from_params(get).map(|q| Selection::Filters(q.at(None)))
}

/// Where the selection is shown: the key list under its filters, the review's finding, or
/// the access review's undecided keys; and that page's name.
fn list_of(selection: &Selection) -> (String, &'static str) {
    match selection {
        Selection::Filters(query) => (query.href(&[]), "Back to API Keys"),
        Selection::Finding(f) => (
            domain::paging::link(domain::review::REVIEW_PAGE, &[], &[("finding", f.id())]),
            "Back to the key review",
        ),
        Selection::Unconfirmed(review) => (
            domain::access_review::ReviewQuery {
                review: Some(*review),
                show: domain::access_review::Show::Undecided,
                cursor: None,
            }
            .href(),
            "Back to the access review",
        ),
    }
}

/// The selection as a URL query (without `?`), as the operation's audit event names it.
fn filter_of(selection: &Selection) -> String {
    match selection {
        Selection::Unconfirmed(review) => format!("review={review}"),
        other => list_of(other)
            .0
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .to_string(),
    }
}

pub async fn preview(
    State(state): State<AppState>,
    Member(actor): Member,
    RawQuery(raw): RawQuery,
) -> Response {
    let shown = async {
        app::request::auth::meets(&actor, "revoke_key")?;
        let selection = selection_of(&raw.unwrap_or_default())
            .map_err(keyward_core::error::AppError::invalid)?;
        let now = keyward_core::now();
        let found = bulk_revoke::preview(&state.db, &actor.principal(), &selection, now).await?;
        let (back, _) = list_of(&selection);
        let filter = filter_of(&selection);
        let (heading, selected) = match &selection {
            Selection::Unconfirmed(_) => (
                "Revoke unconfirmed keys",
                "The keys of the access review that nobody confirmed as still needed".to_string(),
            ),
            _ => ("Revoke matching keys", format!("Keys matching {filter}")),
        };
        Ok::<_, keyward_core::error::AppError>(preview_html(PreviewPage {
            heading,
            selected,
            filter,
            back,
            rows: found
                .keys
                .into_iter()
                .map(|c| PreviewRow {
                    id: c.key.id.to_string(),
                    name: c.key.name.clone(),
                    prefix: c.key.to_row(now).prefix,
                    owner: c.key.owner_email.clone(),
                    recent_requests: c.recent_requests,
                })
                .collect(),
            not_yours: found.not_yours,
            too_many: found.too_many,
            more_after: found.more_after,
            limit: bulk_revoke::BULK_LIMIT,
            recent_days: bulk_revoke::RECENT_DAYS,
        }))
    }
    .await;
    match shown {
        Ok(body) => no_store(page(StatusCode::OK, &body)),
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            &failure(&e.to_string(), "/settings/api-keys"),
        ),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let one = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let filter = one("filter");
    let selection = selection_of(&filter);
    let (back, back_label) = selection
        .as_ref()
        .map(list_of)
        .unwrap_or_else(|_| ("/settings/api-keys".into(), "Back to API Keys"));
    let done = async {
        app::request::auth::meets(&actor, "revoke_key")?;
        let selection = selection.map_err(keyward_core::error::AppError::invalid)?;
        let ids: Vec<String> = fields
            .iter()
            .filter(|(k, _)| k == "id")
            .map(|(_, v)| v.clone())
            .collect();
        let previewed = one("count").parse().unwrap_or(0);
        let reason: String = one("reason").chars().take(200).collect();
        bulk_revoke::revoke(
            &state.db,
            &actor.principal(),
            &ids,
            previewed,
            &selection,
            &filter_of(&selection),
            reason,
        )
        .await
    }
    .await;
    match done {
        Ok(count) => page(StatusCode::OK, &revoked_html(count, &back, back_label)),
        Err(e) => {
            let again = format!("{}?{filter}", app::pages::bulk_revoke::BULK_REVOKE_PATH);
            page(StatusCode::CONFLICT, &failure(&e.to_string(), &again))
        }
    }
}

fn no_store(mut res: Response) -> Response {
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}
