//! Settings → Audit log: every event of the workspace, filtered and paged in the URL, exported
//! as the filtered view, and the hash chain checked on demand.

// The page's server function takes one argument per URL parameter of the view.
#![allow(clippy::too_many_arguments)]

use crate::components::{when, Pager};
use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use domain::audit::Cursor;
use domain::audit::{
    param, AuditAction, AuditEvent, AuditQuery, ChainCheck, AUDIT_PAGE, EXPORT_CSV, EXPORT_JSONL,
};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What the audit page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPageData {
    pub query: AuditQuery,
    pub events: Vec<AuditEvent>,
    /// Links to the next (older) and previous (newer) pages.
    pub next: Option<String>,
    pub previous: Option<String>,
    /// The chain check, when the page was asked for one (`verify=1`).
    pub check: Option<ChainCheck>,
}

/// One page of the workspace's audit log under the filters and cursor of the page's URL
/// (see [`domain::audit::param`]); with `verify`, the chain's check as well.
#[server]
pub async fn audit_page(
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
    before: Option<String>,
    verify: Option<String>,
) -> Result<AuditPageData, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use domain::paging::PAGE_SIZE;
    use keyward_core::error::AppError;
    use keyward_core::services::audit;
    let member = auth::require_for("audit_page").await?;
    let viewer = member.principal();
    let query = AuditQuery::from_params(|name| match name {
        param::ACTOR => actor.clone(),
        param::ACTION => action.clone(),
        param::TARGET => target.clone(),
        param::FROM => from.clone(),
        param::TO => to.clone(),
        param::AFTER => after.clone(),
        param::BEFORE => before.clone(),
        _ => None,
    })
    .map_err(AppError::invalid)?;
    let db = &app_state().db;
    let page = audit::page(db, &viewer, &query, PAGE_SIZE).await?;
    let check = match verify.as_deref() {
        Some("1") => Some(audit::verify(db, &viewer).await?),
        _ => None,
    };
    let link = |cursor: Option<Cursor>| cursor.map(|c| query.at(Some(c)).href(AUDIT_PAGE, &[]));
    Ok(AuditPageData {
        next: link(page.next.map(Cursor::After)),
        previous: link(page.previous.map(Cursor::Before)),
        events: page.events,
        check,
        query,
    })
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let page = Resource::new(
        move || query.get(),
        |params| {
            let get = |name: &str| params.get(name);
            audit_page(
                get(param::ACTOR),
                get(param::ACTION),
                get(param::TARGET),
                get(param::FROM),
                get(param::TO),
                get(param::AFTER),
                get(param::BEFORE),
                get("verify"),
            )
        },
    );
    view! {
        <Title text="Audit log" />
        <h1>"Audit log"</h1>
        <p class="hint">"Every change in this workspace, who made it and from where. Each event is chained to the one before it, so an edited or missing event is found."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! {
                        <p class="error" role="alert">{e.message.clone()}</p>
                        <p><a href=AUDIT_PAGE>"Show the whole log"</a></p>
                    }.into_any(),
                    Ok(p) => view! { <AuditView page=p /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AuditView(page: AuditPageData) -> impl IntoView {
    let AuditPageData {
        query,
        events,
        next,
        previous,
        check,
    } = page;
    let whole = query.at(None);
    let (csv, jsonl) = (whole.href(EXPORT_CSV, &[]), whole.href(EXPORT_JSONL, &[]));
    let check = check.map(|c| {
        let (class, role) = match c {
            ChainCheck::Intact { .. } => ("notice", "status"),
            ChainCheck::Broken { .. } => ("error", "alert"),
        };
        view! { <p class=class role=role>{c.summary()}</p> }
    });
    view! {
        <AuditFilters query=whole.clone() />
        <div class="row">
            <a href=csv download="audit.csv">"Export CSV"</a>
            <a href=jsonl download="audit.jsonl">"Export JSON Lines"</a>
            // A plain GET form: the check runs with or without JavaScript, and keeps the view.
            <form method="get" action=AUDIT_PAGE class="inline">
                {whole.filter_params().into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                <input type="hidden" name="verify" value="1" />
                <button type="submit" class="secondary">"Verify integrity"</button>
            </form>
        </div>
        {check}
        <AuditTable events filtered=whole.filtered() />
        <Pager label="Pages of events" previous next />
    }
}

/// The filters: a plain GET form, so a filtered view is a URL that works without JavaScript,
/// can be bookmarked, and is what the exports export.
#[component]
fn AuditFilters(query: AuditQuery) -> impl IntoView {
    let params = query.filter_params();
    let value = move |name: &str| {
        params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let action = value(param::ACTION);
    view! {
        <form class="filters" role="search" aria-label="Filter events" method="get" action=AUDIT_PAGE>
            <label>"Actor" <input type="text" name=param::ACTOR placeholder="Email or key id" value=value(param::ACTOR) /></label>
            <div class="field"><label for="field-action">"Action"</label>
                <select id="field-action" name=param::ACTION>
                    <option value="">"Any"</option>
                    {AuditAction::ALL.iter().map(|a| view! { <option value=a.id() selected=a.id() == action>{a.id()}</option> }).collect_view()}
                </select>
            </div>
            <label>"Target" <input type="text" name=param::TARGET placeholder="key:AbCd1234" value=value(param::TARGET) /></label>
            <label>"From" <input type="date" name=param::FROM value=value(param::FROM) /></label>
            <label>"To" <input type="date" name=param::TO value=value(param::TO) /></label>
            <div class="row">
                <button type="submit" class="secondary">"Filter"</button>
                {query.filtered().then(|| view! { <a href=AUDIT_PAGE>"Clear filters"</a> })}
            </div>
        </form>
    }
}

#[component]
fn AuditTable(events: Vec<AuditEvent>, filtered: bool) -> impl IntoView {
    // Each actor and target links to the view of its events.
    let narrowed =
        |name: &'static str, value: &str| AuditQuery::default().href(AUDIT_PAGE, &[(name, value)]);
    view! {
        <div class="table-wrap">
        <table class="audit">
            <caption class="visually-hidden">"Audit events"</caption>
            <thead>
                <tr>
                    <th scope="col">"Time"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                    <th scope="col">"Target"</th><th scope="col">"Detail"</th><th scope="col">"Address"</th>
                </tr>
            </thead>
            <tbody>
                {events.is_empty().then(|| {
                    let text = if filtered { "No events match these filters." } else { "No events recorded yet." };
                    view! { <tr><td colspan="6" class="empty">{text}</td></tr> }
                })}
                {events.into_iter().map(|e| view! {
                    <tr>
                        <td>{when(Some(e.at))}</td>
                        <td>
                            {e.actor.clone().map(|a| view! { <a href=narrowed(param::ACTOR, &a)>{a.clone()}</a> })}
                            {e.actor_key.clone().map(|k| view! { " " <span class="sub">"key " <a href=narrowed(param::ACTOR, &k)><code>{k.clone()}</code></a></span> })}
                        </td>
                        <td><code>{e.action.clone()}</code></td>
                        <td><a href=narrowed(param::TARGET, &e.target)><code>{e.target.clone()}</code></a></td>
                        <td>{e.detail.clone()}</td>
                        <td>{e.address.clone()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}
