//! `POST /settings/notifications/read`: "Mark all as read", then back to the page.

use crate::console_forms::{failure, page, Member};
use app::pages::notifications::NOTIFICATIONS_PAGE;
use app::request::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub async fn mark_read(State(state): State<AppState>, Member(actor): Member) -> Response {
    let done = async {
        app::request::auth::meets(&actor, "notifications_page")?;
        keyward_core::services::notifications::mark_read(
            &state.db,
            actor.user_id,
            actor.workspace_id,
        )
        .await
    }
    .await;
    match done {
        Ok(()) => Redirect::to(NOTIFICATIONS_PAGE).into_response(),
        Err(e) => page(
            StatusCode::BAD_REQUEST,
            &failure(&e.to_string(), NOTIFICATIONS_PAGE),
        ),
    }
}
