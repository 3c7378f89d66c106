//! `GET` and `POST /settings/api-keys/narrow`: a key's permissions against what its requests
//! needed, and narrowing it to those it keeps.

use crate::console_forms::{answer, KeyParam, Member};
use app::pages::narrow::{narrow_html, narrowed_html, NarrowPage, PermissionLine, NARROW_PATH};
use app::request::state::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use domain::authorization::{decide, Action};
use domain::least_privilege::OBSERVATION_DAYS;
use domain::permissions::PermissionSet;
use keyward_core::error::AppError;
use keyward_core::services::narrowing;

pub async fn show(
    State(state): State<AppState>,
    Member(actor): Member,
    Query(which): Query<KeyParam>,
) -> Response {
    let shown = async {
        app::request::auth::meets(&actor, "key_activity")?;
        let viewer = actor.principal();
        let now = keyward_core::now();
        let seen = narrowing::observe(&state.db, &viewer, which.id()?, now).await?;
        let may_narrow = seen.key.status(now).usable()
            && decide(&viewer, Action::NarrowKey(seen.key.facts())).is_ok();
        Ok::<_, AppError>(narrow_html(NarrowPage {
            key_row: seen.key.id.to_string(),
            name: seen.key.name.clone(),
            prefix: seen.key.to_row(now).prefix,
            lines: seen
                .uses
                .iter()
                .map(|u| PermissionLine {
                    id: u.permission.id(),
                    used: u
                        .last_needed
                        .map(|at| format!("Used, last {}", domain::dates::relative(at, now))),
                })
                .collect(),
            days: OBSERVATION_DAYS,
            may_narrow,
        }))
    }
    .await;
    answer(shown, "/settings/api-keys")
}

pub async fn narrow(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let key = fields
        .iter()
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let done = async {
        app::request::auth::meets(&actor, "key_activity")?;
        let keep = PermissionSet::parse_list(
            fields
                .iter()
                .filter(|(k, _)| k == "keep")
                .map(|(_, v)| v.as_str()),
        )
        .map_err(|e| AppError::invalid(e.to_string()))?;
        let id = KeyParam { key: key.clone() }.id()?;
        let removed = narrowing::narrow(&state.db, &actor.principal(), id, keep).await?;
        let name = keyward_core::services::keys::get(&state.db, actor.workspace_id, id)
            .await?
            .name;
        Ok::<_, AppError>(narrowed_html(&name, &removed.ids()))
    }
    .await;
    answer(done, &format!("{NARROW_PATH}?key={key}"))
}
