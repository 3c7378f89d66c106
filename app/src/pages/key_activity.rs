//! A key's activity: its newest requests from the access log (and their bodies while body
//! logging is on), with the switch for body logging.

use crate::components::server_fragment;
use crate::error::ConsoleError;
use domain::model::{AccessEntry, KeyRow, RefusalEntry};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What the activity page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyActivityData {
    pub key: KeyRow,
    /// A page of the key's requests, newest first.
    pub entries: Vec<AccessEntry>,
    /// Where the next (older) and previous (newer) pages of requests start.
    pub older: Option<String>,
    pub newer: Option<String>,
    /// Refused requests made with the key's id (coalesced per minute, reason and address).
    pub refusals: Vec<RefusalEntry>,
    /// Whether the viewer may flip body logging: on is the owner's decision, off also
    /// anyone's with `keys:write`.
    pub may_change: bool,
    /// The viewer reads the audit log: the key links to the events about it.
    pub audit_log: bool,
    /// For a revoked key: on how many instances the revocation is in effect.
    pub revocation: Option<String>,
}

/// A page of the requests made with a key the member may see: the newest, or those after
/// (older than) or before (newer than) a position of its log (`AT.ID`).
#[server]
pub async fn key_activity(
    id: String,
    after: Option<String>,
    before: Option<String>,
) -> Result<KeyActivityData, ConsoleError> {
    use crate::request::auth;
    let actor = auth::require_for("key_activity").await?;
    Ok(activity_data(&actor.principal(), &id, after, before).await?)
}

/// What the activity page shows `viewer` of the key `id` (a page of its log after or before
/// a position).
#[cfg(feature = "ssr")]
async fn activity_data(
    viewer: &domain::access::Principal,
    id: &str,
    after: Option<String>,
    before: Option<String>,
) -> Result<KeyActivityData, keyward_core::error::AppError> {
    use crate::request::state::app_state;
    use domain::paging::PAGE_SIZE;
    use keyward_core::error::AppError;
    use keyward_core::services::keys;
    let id = domain::ids::Id::parse(id)?;
    let cursor =
        domain::paging::cursor(after, before, keys::parse_log_cursor).map_err(AppError::invalid)?;
    let keys::Activity {
        key,
        entries,
        refusals,
    } = keys::activity(&app_state().db, viewer, id, cursor, PAGE_SIZE).await?;
    let row = key.to_row_for(viewer, keyward_core::now());
    // The switch flips the current setting: may the viewer flip it that way?
    let may_change = key.revoked_at.is_none()
        && if row.log_bodies {
            row.abilities.disable_body_logging
        } else {
            row.abilities.enable_body_logging
        };
    let audit_log =
        domain::authorization::decide(viewer, domain::authorization::Action::ReadAudit).is_ok();
    let revocation = match key.revoked_change {
        Some(change) => Some(
            keyward_core::services::propagation::effect(
                &app_state().db,
                change,
                keyward_core::now_ms(),
            )
            .await?
            .describe(),
        ),
        None => None,
    };
    Ok(KeyActivityData {
        revocation,
        audit_log,
        key: row,
        entries: entries.rows,
        older: entries.next,
        newer: entries.previous,
        refusals,
        may_change,
    })
}

/// Turns body logging on (one's own keys) or off (also anyone's with `keys:write`).
#[server]
pub async fn set_body_logging(id: String, enabled: bool) -> Result<(), ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::keys;
    let actor = auth::require_for("set_body_logging").await?;
    let id = domain::ids::Id::parse(&id)?;
    Ok(keys::set_body_logging(&app_state().db, &actor.principal(), id, enabled).await?)
}

/// Where the page lives.
pub const ACTIVITY_PAGE: &str = "/settings/api-keys/activity";

/// Rendered on the server as one fragment: the browser holds none of its code. "Turn on body
/// logging" is a plain form post to [`SetBodyLogging`], which comes back to the page.
#[component]
pub fn KeyActivityPage() -> impl IntoView {
    view! {
        <Title text="Key activity" />
        <p><a href="/settings/api-keys">"← API Keys"</a></p>
        {server_fragment("key_activity_page", ("/settings/api-keys", "Back to API Keys"))}
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod rendered {
    use super::*;
    use crate::components::{when, Pager};
    use domain::access::Principal;
    use keyward_core::error::AppError;
    use leptos::server_fn::ServerFn;

    /// The activity page of the key the URL query `search` names (`key`, `outcome`, `after`,
    /// `before`), for `viewer`.
    pub async fn html(viewer: &Principal, search: &str) -> Result<String, AppError> {
        let params = domain::paging::QueryParams::parse(search);
        let key = params.get("key").unwrap_or_default();
        let outcome = params.get("outcome").unwrap_or_default();
        let activity =
            activity_data(viewer, &key, params.get("after"), params.get("before")).await?;
        Ok(activity_view(activity, outcome).to_html())
    }

    fn activity_view(activity: KeyActivityData, outcome: String) -> impl IntoView {
        let KeyActivityData {
            key,
            entries,
            older,
            newer,
            refusals,
            may_change,
            audit_log,
            revocation,
        } = activity;
        let page_link = |cursor: Option<String>, param: &str| {
            cursor.map(|c| {
                let mut href = format!("/settings/api-keys/activity?key={}", key.id);
                if !outcome.is_empty() {
                    href.push_str(&format!("&outcome={outcome}"));
                }
                format!("{href}&{param}={c}")
            })
        };
        let (older, newer) = (page_link(older, "after"), page_link(newer, "before"));
        let show_allowed = outcome != "refused";
        let show_refused = outcome != "allowed";
        let filter_link = |value: &str, label: &'static str| {
            let href = if value.is_empty() {
                format!("/settings/api-keys/activity?key={}", key.id)
            } else {
                format!("/settings/api-keys/activity?key={}&outcome={value}", key.id)
            };
            let current = (outcome == value).then_some("page");
            view! { <a href=href aria-current=current>{label}</a> }
        };
        let filters = view! {
            <nav class="filters" aria-label="Outcome">
                {filter_link("", "All requests")} " · " {filter_link("allowed", "Allowed")} " · " {filter_link("refused", "Refused")}
            </nav>
        };
        let logging = key.log_bodies;
        let switch = may_change.then(|| {
            view! {
                <form method="post" action=SetBodyLogging::url() class="row">
                    <input type="hidden" name="id" value=key.id.to_string() />
                    <input type="hidden" name="enabled" value=(!logging).to_string() />
                    <button type="submit" class="secondary">
                        {if logging { "Turn off body logging" } else { "Turn on body logging" }}
                    </button>
                </form>
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
            {revocation.map(|r| view! { <p>"Revocation: " {r}</p> })}
            {audit_log.then(|| view! { <p><a href=domain::audit::events_of(&format!("key:{}", key.key_id))>"Audit events of this key"</a></p> })}
            {filters}
            {show_refused.then(|| view! { <RefusalTable refusals=refusals.clone() /> })}
            {show_allowed.then(|| view! {
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
            <Pager label="Pages of requests" previous=newer next=older />
            })}
        }
    }

    /// Refused requests of the key: probing with a stolen or revoked secret shows here.
    #[component]
    fn RefusalTable(refusals: Vec<RefusalEntry>) -> impl IntoView {
        let empty = refusals.is_empty();
        view! {
            <h2>"Refused requests"</h2>
            <div class="table-wrap">
            <table class="activity refusals">
                <caption class="visually-hidden">"Requests refused for this key"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Minute"</th><th scope="col">"Request"</th><th scope="col">"Status"</th>
                        <th scope="col">"Reason"</th><th scope="col">"Count"</th><th scope="col">"Address"</th>
                    </tr>
                </thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan="6" class="empty">"No refused requests recorded."</td></tr> })}
                    {refusals.into_iter().map(|r| view! {
                        <tr>
                            <td>{when(Some(r.minute))}</td>
                            <td><code>{format!("{} {}", r.method, r.route)}</code></td>
                            <td>{r.status}</td>
                            <td>{r.reason}</td>
                            <td>{r.count}</td>
                            <td>{r.address}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        }
    }
}
