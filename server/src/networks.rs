//! `GET` and `POST /settings/api-keys/networks`: a key's allowed networks, changed.

use crate::console_forms::{answer, field, KeyParam, Member};
use app::pages::networks::{form_html, saved_html, NETWORKS_PATH};
use app::request::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use domain::authorization::{decide, Action};
use keyward_core::error::AppError;
use keyward_core::services::keys;

pub async fn show(
    State(state): State<AppState>,
    Member(actor): Member,
    Query(which): Query<KeyParam>,
) -> Response {
    let shown = async {
        app::request::auth::meets(&actor, "key_activity")?;
        let key = keys::get(&state.db, actor.workspace_id, which.id()?).await?;
        decide(&actor.principal(), Action::SetNetworks(key.facts()))?;
        Ok::<_, AppError>(form_html(
            &key.id.to_string(),
            &key.name,
            &key.networks().ranges(),
        ))
    }
    .await;
    answer(shown, "/settings/api-keys")
}

pub async fn save(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let which = KeyParam {
        key: field(&fields, "key"),
    };
    let saved = async {
        app::request::auth::meets(&actor, "key_activity")?;
        let networks = domain::network::Allowlist::parse(&field(&fields, "allowed_networks"))
            .map_err(|e| domain::validate::InvalidInput::in_field("Allowed networks", e))?;
        let key = keys::set_networks(&state.db, &actor.principal(), which.id()?, &networks).await?;
        Ok::<_, AppError>(saved_html(&key.name, &networks.ranges()))
    }
    .await;
    answer(saved, &format!("{NETWORKS_PATH}?key={}", which.key))
}
