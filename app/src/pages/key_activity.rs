//! A key's activity: its newest requests from the access log (and their bodies while body
//! logging is on), with the switch for body logging.

use crate::components::{error_text, when, ActionError};
use crate::model::{AccessEntry, KeyRow};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// What the activity page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyActivityData {
    pub key: KeyRow,
    pub entries: Vec<AccessEntry>,
    /// Whether the viewer may switch body logging (their key, or `keys:write`).
    pub may_change: bool,
}

/// The newest requests made with a key the member may see.
#[server]
pub async fn key_activity(id: String) -> Result<KeyActivityData, ServerFnError> {
    use crate::domain::permissions::Permission;
    use crate::ssr::{auth, error::AppError, keys, state::app_state};
    let actor = auth::require_member().await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let (key, entries) = keys::activity(
        &app_state().db,
        actor.user_id,
        actor.role,
        actor.workspace_id,
        id,
    )
    .await?;
    let may_change = key.revoked_at.is_none()
        && (key.owner() == actor.user_id
            || actor.role.permissions().contains(Permission::KEYS_WRITE));
    Ok(KeyActivityData {
        key: key.to_row(crate::ssr::now()),
        entries,
        may_change,
    })
}

/// Turns body logging on or off for a key: one's own, or anyone's with `keys:write`.
#[server]
pub async fn set_body_logging(id: String, enabled: bool) -> Result<(), ServerFnError> {
    use crate::ssr::{auth, error::AppError, keys, state::app_state};
    let actor = auth::require_member().await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    Ok(keys::set_body_logging(&app_state().db, &keys::KeyActor::of(&actor), id, enabled).await?)
}

#[component]
pub fn KeyActivityPage() -> impl IntoView {
    let toggle = ServerAction::<SetBodyLogging>::new();
    let query = use_query_map();
    let key = move || query.read().get("key").unwrap_or_default();
    let page = Resource::new(
        move || (key(), toggle.version().get()),
        |(key, _)| key_activity(key),
    );
    view! {
        <Title text="Key activity" />
        <p><a href="/settings/api-keys">"← API Keys"</a></p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <h1>"Key activity"</h1><p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                    Ok(a) => view! { <ActivityView activity=a toggle /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ActivityView(activity: KeyActivityData, toggle: ServerAction<SetBodyLogging>) -> impl IntoView {
    let KeyActivityData {
        key,
        entries,
        may_change,
    } = activity;
    let logging = key.log_bodies;
    let switch = may_change.then(|| {
        view! {
            <ActionForm action=toggle attr:class="row">
                <input type="hidden" name="id" value=key.id.clone() />
                <input type="hidden" name="enabled" value=(!logging).to_string() />
                <button type="submit" class="secondary">
                    {if logging { "Turn off body logging" } else { "Turn on body logging" }}
                </button>
            </ActionForm>
            <ActionError action=toggle />
        }
    });
    let empty = entries.is_empty();
    view! {
        <h1>{format!("Activity of \"{}\"", key.name)}</h1>
        <p class="hint">
            <code>{key.prefix.clone()}</code> " · " {key.owner_email.clone()} " · "
            {if logging {
                "Request and response bodies are logged (capped at 4 KiB, credentials redacted)."
            } else {
                "Bodies are not logged."
            }}
        </p>
        {switch}
        <div class="table-wrap">
        <table class="activity">
            <caption class="visually-hidden">"Requests made with this key"</caption>
            <thead>
                <tr>
                    <th scope="col">"Time"</th><th scope="col">"Request"</th><th scope="col">"Status"</th>
                    <th scope="col">"Latency"</th><th scope="col">"Address"</th><th scope="col">"User agent"</th>
                </tr>
            </thead>
            <tbody>
                {empty.then(|| view! { <tr><td colspan="6" class="empty">"No requests recorded yet."</td></tr> })}
                {entries.into_iter().map(|e| view! {
                    <tr>
                        <td>{when(Some(e.at))}</td>
                        <td><code>{format!("{} {}", e.method, e.route)}</code>
                            {e.request_body.clone().filter(|b| !b.is_empty()).map(|b| view! {
                                <details><summary>"Request body"</summary><pre>{b}</pre></details>
                            })}
                            {e.response_body.clone().filter(|b| !b.is_empty()).map(|b| view! {
                                <details><summary>"Response body"</summary><pre>{b}</pre></details>
                            })}
                        </td>
                        <td>{e.status}</td>
                        <td>{format!("{} ms", e.latency_ms)}</td>
                        <td>{e.address.clone()}</td>
                        <td class="sub">{e.user_agent.clone()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}
