//! `GET` and `POST /settings/api-keys/leaked`: a key's "Mark as leaked", confirmed first.

use crate::console_forms::{answer, failure, page, KeyParam, Member};
use app::pages::leaked::{confirm_html, marked_html, LEAKED_PATH};
use app::request::state::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use domain::authorization::{decide, Action};
use keyward_core::error::AppError;
use keyward_core::services::{keys, leaks};

pub async fn confirm(
    State(state): State<AppState>,
    Member(actor): Member,
    Query(which): Query<KeyParam>,
) -> Response {
    let shown = async {
        app::request::auth::meets(&actor, "revoke_key")?;
        let key = keys::get(&state.db, actor.workspace_id, which.id()?).await?;
        decide(&actor.principal(), Action::RevokeKey(key.facts()))?;
        let now = keyward_core::now();
        if !key.status(now).usable() {
            return Err(AppError::Conflict(format!(
                "{} is {} already.",
                key.name,
                key.status(now).label().to_lowercase()
            )));
        }
        Ok(confirm_html(
            &key.id.to_string(),
            &key.name,
            &key.to_row(now).prefix,
        ))
    }
    .await;
    answer(shown, "/settings/api-keys")
}

pub async fn mark(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(which): Form<KeyParam>,
) -> Response {
    let done = async {
        app::request::auth::meets(&actor, "revoke_key")?;
        leaks::mark_leaked(&state.db, &actor.principal(), which.id()?).await
    }
    .await;
    match done {
        Ok(key) => page(StatusCode::OK, &marked_html(&key.name)),
        Err(e) => page(
            StatusCode::CONFLICT,
            &failure(&e.to_string(), &format!("{LEAKED_PATH}?key={}", which.key)),
        ),
    }
}
