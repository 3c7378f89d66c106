//! Settings → Security: the workspace's key policy.

use crate::components::ActionError;
use crate::error::ConsoleError;
use domain::model::Policy;
use leptos::prelude::*;
use leptos_meta::Title;

#[server]
pub async fn get_policy() -> Result<Policy, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("get_policy").await?;
    Ok(workspaces::policy(&app_state().db, actor.workspace_id).await?)
}

/// Owners and admins (`members:write` and `keys:write`) set the policy.
#[server]
pub async fn save_policy(
    max_lifetime_days: String,
    allow_never_expiring: Option<String>,
    allow_service_keys: Option<String>,
    allow_agent_keys: Option<String>,
    legacy_transports: Option<String>,
    rate_limit_per_minute: String,
    allow_import: Option<String>,
) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::error::AppError;
    use keyward_core::services::workspaces;
    let actor = auth::require_for("save_policy").await?;
    let max = max_lifetime_days.trim();
    let policy = Policy {
        max_lifetime_days: if max.is_empty() {
            None
        } else {
            Some(
                max.parse()
                    .map_err(|_| AppError::invalid("Maximum lifetime must be a number of days."))?,
            )
        },
        allow_never_expiring: allow_never_expiring.is_some(),
        allow_service_keys: allow_service_keys.is_some(),
        allow_agent_keys: allow_agent_keys.is_some(),
        legacy_transports: legacy_transports.is_some(),
        allow_import: allow_import.is_some(),
        rate_limit_per_minute: rate_limit_per_minute
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("Rate limit must be a number."))?,
    };
    Ok(workspaces::set_policy(&app_state().db, &actor.principal(), &policy).await?)
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let save = ServerAction::<SavePolicy>::new();
    let policy = Resource::new(move || save.version().get(), |_| get_policy());
    view! {
        <Title text="Security" />
        <h1>"Security"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match policy.await {
                    Err(e) => view! { <p class="error" role="alert">{e.message.clone()}</p> }.into_any(),
                    Ok(p) => view! {
                        <ActionForm action=save attr:class="card stack" attr:aria-label="Key policy">
                            <label>"Maximum key lifetime (days)"
                                <input type="number" name="max_lifetime_days" min="1" max="3650" value=p.max_lifetime_days.map(|d| d.to_string()).unwrap_or_default() /></label>
                            <label class="choice"><input type="checkbox" name="allow_never_expiring" checked=p.allow_never_expiring />"Allow keys that never expire"</label>
                            <label class="choice"><input type="checkbox" name="allow_service_keys" checked=p.allow_service_keys />"Allow service keys"</label>
                            <label class="choice"><input type="checkbox" name="allow_agent_keys" checked=p.allow_agent_keys />"Allow agent keys"</label>
                            <label class="choice"><input type="checkbox" name="legacy_transports" checked=p.legacy_transports />
                                "Accept legacy transports (X-ApiKey header, key query or form field, API_Key JSON property)"</label>
                            <label class="choice"><input type="checkbox" name="allow_import" checked=p.allow_import />"Allow importing existing keys"</label>
                            <label>"Requests per minute per key" <input type="number" name="rate_limit_per_minute" min="1" max="100000" value=p.rate_limit_per_minute.to_string() /></label>
                            <a href="/settings/rate-limits" rel="external">"Rate limits by pool and route class"</a>
                            <ActionError action=save />
                            <button type="submit">"Save policy"</button>
                        </ActionForm>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
