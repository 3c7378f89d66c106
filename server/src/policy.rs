//! `POST /settings/security/policy`: the workspace's key policy saved from its plain form
//! (owners and admins, as the `save_policy` server function declares), then back to the page.

use crate::console_forms::{answer, field, Member};
use app::pages::security::PolicyForm;
use app::request::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use keyward_core::error::AppError;
use keyward_core::services::workspaces;

pub async fn save(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let saved = async {
        app::request::auth::meets(&actor, "save_policy")?;
        let on = |name: &str| fields.iter().any(|(k, _)| k == name);
        let policy = PolicyForm {
            max_lifetime_days: &field(&fields, "max_lifetime_days"),
            allow_never_expiring: on("allow_never_expiring"),
            allow_service_keys: on("allow_service_keys"),
            allow_agent_keys: on("allow_agent_keys"),
            legacy_transports: on("legacy_transports"),
            rate_limit_per_minute: &field(&fields, "rate_limit_per_minute"),
            allow_import: on("allow_import"),
        }
        .read()?;
        workspaces::set_policy(&state.db, &actor.principal(), &policy).await
    }
    .await;
    match saved {
        Ok(()) => Redirect::to("/settings/security?saved=1").into_response(),
        Err(e) => answer(Err::<String, AppError>(e), "/settings/security"),
    }
}
