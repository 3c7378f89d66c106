//! Settings → Audit log: every event of the workspace, filtered and paged in the URL, exported
//! as the filtered view, and the hash chain checked on demand.
//!
//! The page is read-only and its controls are plain links and GET forms, so its content is
//! rendered on the server and arrives as one fragment of HTML: the browser's bundle holds the
//! frame that asks for it, not the table, the filters or the data's shape.

use crate::components::server_fragment;
use domain::audit::AUDIT_PAGE;
use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
pub use rendered::{page_data, AuditPageData};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Title text="Audit log" />
        <h1>"Audit log"</h1>
        <p class="hint">"Every change in this workspace, who made it and from where. Each event is chained to the one before it, so an edited or missing event is found."</p>
        {server_fragment("audit_page", (AUDIT_PAGE, "Show the whole log"))}
    }
}

/// The page's data and its HTML, made on the server only.
#[cfg(feature = "ssr")]
pub(crate) mod rendered {
    use crate::components::{when, Pager};
    use domain::audit::{
        param, AuditAction, AuditEvent, AuditQuery, ChainCheck, Cursor, AUDIT_PAGE, EXPORT_CSV,
        EXPORT_JSONL,
    };
    use leptos::prelude::*;

    /// What the audit page shows, its links made.
    #[derive(Clone, Debug, PartialEq)]
    pub struct AuditPageData {
        /// The view's filters as URL parameters, without its cursor.
        pub filters: Vec<(String, String)>,
        pub events: Vec<AuditEvent>,
        /// Links to the next (older) and previous (newer) pages.
        pub next: Option<String>,
        pub previous: Option<String>,
        /// The filtered view as CSV and as JSON Lines.
        pub export_csv: String,
        pub export_jsonl: String,
        /// The chain check, when the page was asked for one (`verify=1`): whether the chain
        /// holds, and the sentence that says so.
        pub check: Option<(bool, String)>,
        /// The catalog's actions, for the Action filter.
        pub actions: Vec<String>,
    }

    /// One page of `viewer`'s workspace log under the filters and cursor of the URL query
    /// `search`; with `verify=1`, the chain's check too.
    pub async fn page_data(
        db: &keyward_core::store::db::Db,
        viewer: &domain::access::Principal,
        search: &str,
    ) -> Result<AuditPageData, keyward_core::error::AppError> {
        use domain::paging::PAGE_SIZE;
        use keyward_core::error::AppError;
        use keyward_core::services::audit;
        let params = domain::paging::QueryParams::parse(search);
        let get = |name: &str| params.get(name);
        let query = AuditQuery::from_params(get).map_err(AppError::invalid)?;
        let page = audit::page(db, viewer, &query, PAGE_SIZE).await?;
        let check = match get("verify").as_deref() {
            Some("1") => Some(audit::verify(db, viewer).await?),
            _ => None,
        };
        let link = |cursor: Option<Cursor>| cursor.map(|c| query.at(Some(c)).href(AUDIT_PAGE, &[]));
        let whole = query.at(None);
        Ok(AuditPageData {
            next: link(page.next.map(Cursor::After)),
            previous: link(page.previous.map(Cursor::Before)),
            events: page.events,
            check: check.map(|c| (matches!(c, ChainCheck::Intact { .. }), c.summary())),
            export_csv: whole.href(EXPORT_CSV, &[]),
            export_jsonl: whole.href(EXPORT_JSONL, &[]),
            filters: whole
                .filter_params()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            actions: AuditAction::ALL
                .iter()
                .map(|a| a.id().to_string())
                .collect(),
        })
    }

    /// The page's content as HTML.
    pub fn html(data: AuditPageData) -> String {
        view! { <AuditView page=data /> }.to_html()
    }

    #[component]
    fn AuditView(page: AuditPageData) -> impl IntoView {
        let AuditPageData {
            filters,
            events,
            next,
            previous,
            export_csv,
            export_jsonl,
            check,
            actions,
        } = page;
        let check = check.map(|(intact, summary)| {
            let (class, role) = if intact {
                ("notice", "status")
            } else {
                ("error", "alert")
            };
            view! { <p class=class role=role>{summary}</p> }
        });
        let filtered = !filters.is_empty();
        view! {
            <AuditFilters filters=filters.clone() actions />
            <div class="row">
                <a href=export_csv download="audit.csv">"Export CSV"</a>
                <a href=export_jsonl download="audit.jsonl">"Export JSON Lines"</a>
                // A plain GET form: the check runs with or without JavaScript, and keeps the view.
                <form method="get" action=AUDIT_PAGE class="inline">
                    {filters.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                    <input type="hidden" name="verify" value="1" />
                    <button type="submit" class="secondary">"Verify integrity"</button>
                </form>
            </div>
            {check}
            <AuditTable events filtered />
            <Pager label="Pages of events" previous next />
        }
    }

    /// The filters: a plain GET form, so a filtered view is a URL that works without JavaScript,
    /// can be bookmarked, and is what the exports export.
    #[component]
    fn AuditFilters(filters: Vec<(String, String)>, actions: Vec<String>) -> impl IntoView {
        let filtered = !filters.is_empty();
        let value = move |name: &str| {
            filters
                .iter()
                .find(|(k, _)| k == name)
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
                        {actions.into_iter().map(|a| view! { <option value=a.clone() selected=a == action>{a.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <label>"Target" <input type="text" name=param::TARGET placeholder="key:AbCd1234" value=value(param::TARGET) /></label>
                <label>"From" <input type="date" name=param::FROM value=value(param::FROM) /></label>
                <label>"To" <input type="date" name=param::TO value=value(param::TO) /></label>
                <div class="row">
                    <button type="submit" class="secondary">"Filter"</button>
                    {filtered.then(|| view! { <a href=AUDIT_PAGE>"Clear filters"</a> })}
                </div>
            </form>
        }
    }

    #[component]
    fn AuditTable(events: Vec<AuditEvent>, filtered: bool) -> impl IntoView {
        // Each actor and target links to the view of its events.
        let narrowed = |name: &'static str, value: &str| {
            domain::paging::link(AUDIT_PAGE, &[], &[(name, value)])
        };
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
}
