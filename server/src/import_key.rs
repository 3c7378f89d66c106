//! `GET` and `POST /settings/api-keys/import`: importing an existing secret as a key of the
//! signed-in member. The secret is never shown back, logged or kept: only its digest.

use crate::console_forms::{answer, create_form, field, Member};
use app::pages::import_key::{form_html, imported_html, turned_off_html, IMPORT_PATH};
use app::request::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use keyward_core::error::AppError;
use keyward_core::services::{keys, workspaces};

pub async fn show(State(state): State<AppState>, Member(actor): Member) -> Response {
    let shown = async {
        app::request::auth::meets(&actor, "create_key")?;
        let policy = workspaces::policy(&state.db, actor.workspace_id).await?;
        if !policy.allow_import {
            return Ok(turned_off_html());
        }
        let applications = workspaces::applications(&state.db, actor.workspace_id).await?;
        Ok::<_, AppError>(form_html(
            &applications,
            actor.role,
            policy.allow_never_expiring,
        ))
    }
    .await;
    answer(shown, "/settings/api-keys")
}

pub async fn import(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let imported = async {
        // What creating a key declares, from the same table.
        app::request::auth::meets(&actor, "create_key")?;
        let new = keys::parse_create_form(&create_form(&fields), actor.role)?;
        let key = keys::import(
            &state.db,
            &state.secret,
            &actor.principal(),
            new,
            &field(&fields, "existing_secret"),
        )
        .await?;
        Ok::<_, AppError>(imported_html(&key))
    }
    .await;
    answer(imported, IMPORT_PATH)
}
