//! Settings → Key review: the keys a reviewer should look at, one finding at a time, each with
//! the action that fits it. Rendered on the server as one fragment, like the audit log.

use crate::components::server_fragment;
use domain::review::REVIEW_PAGE;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn KeyReviewPage() -> impl IntoView {
    view! {
        <Title text="Key review" />
        <h1>"Key review"</h1>
        <p class="hint">"Keys that deserve a look: unused, never expiring, without a purpose, holding more than they use, or outliving their owner's role."</p>
        {server_fragment("key_review", (REVIEW_PAGE, "Start the review again"))}
    }
}

/// The review's HTML, made on the server only.
#[cfg(feature = "ssr")]
pub mod rendered {
    use crate::components::when;
    use domain::access::Principal;
    use domain::authorization::KeyAbilities;
    use domain::key_listing::KeyQuery;
    use domain::paging::link;
    use domain::review::{Finding, REVIEW_PAGE};
    use keyward_core::error::AppError;
    use keyward_core::services::review;
    use keyward_core::store::db::Db;
    use leptos::prelude::*;

    /// The review of `viewer`'s workspace for the URL query `search`.
    pub async fn html(db: &Db, viewer: &Principal, search: &str) -> Result<String, AppError> {
        let params = domain::paging::QueryParams::parse(search);
        let get = |name: &str| params.get(name);
        let finding = Finding::parse(get("finding").as_deref()).map_err(AppError::invalid)?;
        let after = get("after").filter(|a| !a.trim().is_empty());
        let now = keyward_core::now();
        let page = review::page(
            db,
            viewer,
            finding,
            after.as_deref(),
            domain::paging::PAGE_SIZE,
            now,
        )
        .await?;
        let tabs = Finding::ALL
            .into_iter()
            .map(|f| {
                let current = (f == finding).then_some("page");
                view! { <li><a href=link(REVIEW_PAGE, &[], &[("finding", f.id())]) aria-current=current>{f.label()}</a></li> }
            })
            .collect_view();
        let next = page.next.map(|n| {
            link(
                REVIEW_PAGE,
                &[],
                &[("finding", finding.id()), ("after", &n)],
            )
        });
        let empty = page.keys.is_empty();
        let revocable = page
            .keys
            .iter()
            .any(|r| r.key.status(now).usable() && KeyAbilities::of(viewer, r.key.facts()).revoke);
        let rows = page
            .keys
            .into_iter()
            .map(|r| {
                let k = &r.key;
                let abilities = KeyAbilities::of(viewer, k.facts());
                let usable = k.status(now).usable();
                let unused = r.unused.ids().join(" ");
                let narrow = (usable && abilities.narrow && !r.unused.is_empty())
                    .then(|| format!("/settings/api-keys/narrow?key={}", k.id));
                let revoke = (usable && abilities.revoke).then(|| {
                    KeyQuery {
                        name: Some(k.name.clone()),
                        ..KeyQuery::default()
                    }
                    .href(&[("revoke", &k.id.to_string())])
                });
                view! {
                    <tr>
                        <th scope="row">{k.name.clone()} <span class="sub"><code>{k.to_row(now).prefix}</code></span></th>
                        <td>{k.owner_email.clone()}</td>
                        <td>{finding.label()}</td>
                        <td>{k.last_used_at.map(|t| when(Some(t)).into_any()).unwrap_or_else(|| "Never".into_any())}</td>
                        <td><code>{unused}</code></td>
                        <td class="actions">
                            <a href=format!("/settings/api-keys/activity?key={}", k.id)>"Open"</a>
                            {narrow.map(|href| view! { <a href=href>"Narrow"</a> })}
                            {revoke.map(|href| view! { <a class="button danger" role="button" href=href>"Revoke"</a> })}
                        </td>
                    </tr>
                }
            })
            .collect_view();
        Ok(view! {
            <nav class="filters" aria-label="Findings"><ul>{tabs}</ul></nav>
            <div class="table-wrap">
            <table class="review">
                <caption class="visually-hidden">"Keys to review"</caption>
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Owner"</th><th scope="col">"Finding"</th>
                    <th scope="col">"Last used"</th><th scope="col">"Permissions unused"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {empty.then(|| view! { <tr><td colspan="6" class="empty">"No keys with this finding."</td></tr> })}
                    {rows}
                </tbody>
            </table>
            </div>
            // Every key of the finding at once: the same dry run as the key list's.
            {revocable.then(|| view! {
                <details class="bulk">
                    <summary>"Revoke matching keys"</summary>
                    <form method="get" action=crate::pages::bulk_revoke::BULK_REVOKE_PATH class="row">
                        <input type="hidden" name="finding" value=finding.id() />
                        <button type="submit" class="secondary">"Preview"</button>
                    </form>
                </details>
            })}
            <nav class="pager" aria-label="Pages of keys to review">
                {next.map(|href| view! { <a href=href rel="next">"Next"</a> })}
            </nav>
        }
        .to_html())
    }
}
