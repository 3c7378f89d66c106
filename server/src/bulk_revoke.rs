//! `GET` and `POST /settings/api-keys/bulk-revoke`: the key list's "Revoke matching keys", a
//! preview of exactly which keys its filters match now, then the revocation of that set.

use crate::console_forms::{failure, page, Member};
use app::pages::bulk_revoke::{preview_html, revoked_html, PreviewPage, PreviewRow};
use app::request::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use domain::key_listing::KeyQuery;
use keyward_core::services::bulk_revoke;

/// The key list's filters in a URL query, without a cursor.
fn filters_of(search: &str) -> Result<KeyQuery, String> {
    let pairs = domain::paging::query_pairs(search);
    KeyQuery::from_params(|name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .map(|q| q.at(None))
}

/// The key list under `query`'s filters.
fn list_of(query: &KeyQuery) -> String {
    query.href(&[])
}

pub async fn preview(
    State(state): State<AppState>,
    Member(actor): Member,
    RawQuery(raw): RawQuery,
) -> Response {
    let shown = async {
        app::request::auth::meets(&actor, "revoke_key")?;
        let query =
            filters_of(&raw.unwrap_or_default()).map_err(keyward_core::error::AppError::invalid)?;
        let now = keyward_core::now();
        let found = bulk_revoke::preview(&state.db, &actor.principal(), &query, now).await?;
        let back = list_of(&query);
        Ok::<_, keyward_core::error::AppError>(preview_html(PreviewPage {
            filter: back
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or("")
                .to_string(),
            back,
            rows: found
                .keys
                .into_iter()
                .map(|c| PreviewRow {
                    id: c.key.id.as_str().to_string(),
                    name: c.key.name.clone(),
                    prefix: c.key.to_row(now).prefix,
                    owner: c.key.owner_email.clone(),
                    recent_requests: c.recent_requests,
                })
                .collect(),
            not_yours: found.not_yours,
            too_many: found.too_many,
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
    let back = filters_of(&filter)
        .map(|q| list_of(&q))
        .unwrap_or_else(|_| "/settings/api-keys".into());
    let done = async {
        app::request::auth::meets(&actor, "revoke_key")?;
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
            &filter,
            reason,
        )
        .await
    }
    .await;
    match done {
        Ok(count) => page(StatusCode::OK, &revoked_html(count, &back)),
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
