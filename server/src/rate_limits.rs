//! `GET` and `POST /settings/rate-limits`: the workspace's rate limits per pool and route
//! class, read by any member and changed by those who may change the policy.

use crate::console_forms::{answer, Member};
use app::pages::rate_limits::{form_html, saved_html, RATE_LIMITS_PATH};
use app::request::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use domain::limits::{LimitClass, Limits, Pool};
use keyward_core::error::AppError;
use keyward_core::services::rate_limits;

pub async fn show(State(state): State<AppState>, Member(actor): Member) -> Response {
    let shown = async {
        app::request::auth::meets(&actor, "get_policy")?;
        let editable = app::request::auth::meets(&actor, "save_policy").is_ok();
        let limits = rate_limits::limits(&state.db, actor.workspace_id).await?;
        Ok::<_, AppError>(form_html(&limits, editable))
    }
    .await;
    answer(shown, "/settings/security")
}

pub async fn save(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let saved = async {
        app::request::auth::meets(&actor, "save_policy")?;
        let limits = parse(&fields)?;
        rate_limits::set_limits(&state.db, &actor.principal(), &limits).await?;
        Ok::<_, AppError>(saved_html(&limits))
    }
    .await;
    answer(saved, RATE_LIMITS_PATH)
}

/// The posted table: one `pool.class` field per cell, empty for no limit.
fn parse(fields: &[(String, String)]) -> Result<Limits, AppError> {
    let mut limits = Limits::per_key(1);
    for pool in Pool::ALL {
        for class in LimitClass::ALL {
            let name = format!("{}.{}", pool.id(), class.id());
            let value = crate::console_forms::field(fields, &name);
            let value = value.trim();
            let n = if value.is_empty() {
                None
            } else {
                Some(value.parse::<u32>().map_err(|_| {
                    AppError::invalid(format!(
                        "The {} limit for {} routes must be a whole number of requests per minute.",
                        pool.id(),
                        class.id()
                    ))
                })?)
            };
            limits.set(pool, class, n);
        }
    }
    Ok(limits)
}
