//! Settings → Webhooks' plain form posts: "Add webhook" answers with the signing secret, once
//! (a page of its own, like a new key's secret), and "Delete webhook" goes back to the list.

use crate::console_forms::{failure, field, page, reveal_once, Member, Reveal};
use app::request::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use domain::webhooks::WEBHOOKS_PAGE;
use keyward_core::services::webhooks::{self, AllowInternal};

/// `POST /settings/webhooks/add`.
pub async fn add(
    State(state): State<AppState>,
    Member(actor): Member,
    axum::Extension(allow): axum::Extension<AllowInternal>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let events: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "events")
        .map(|(_, v)| v.clone())
        .collect();
    let added = async {
        app::request::auth::meets(&actor, "webhooks_page")?;
        webhooks::create(
            &state.db,
            &actor.principal(),
            &field(&fields, "url"),
            &events,
            allow,
        )
        .await
    }
    .await;
    match added {
        Ok((_, secret)) => {
            let mut res = page(StatusCode::OK, &reveal(&secret));
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            &failure(&e.to_string(), WEBHOOKS_PAGE),
        ),
    }
}

/// The signing secret, shown once with the same rules as a key's secret.
fn reveal(secret: &str) -> String {
    reveal_once(&Reveal {
        title: "Copy your webhook signing secret",
        warning: "This secret will not be shown again. Your receiver checks each delivery's Keyward-Signature header with it.",
        about: "Webhook signing secret",
        label: "Signing secret",
        secret,
        done: WEBHOOKS_PAGE,
    })
}

/// `POST /settings/webhooks/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let deleted = async {
        app::request::auth::meets(&actor, "webhooks_page")?;
        webhooks::delete(&state.db, &actor.principal(), field(&fields, "id").trim()).await
    }
    .await;
    match deleted {
        Ok(()) => Redirect::to(WEBHOOKS_PAGE).into_response(),
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            &failure(&e.to_string(), WEBHOOKS_PAGE),
        ),
    }
}
