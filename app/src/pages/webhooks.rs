//! Settings → Webhooks: where the workspace's key events are sent, each delivery with its
//! attempts. Rendered on the server as one fragment, like the audit log; "Add webhook" and
//! "Delete webhook" are plain form posts (`server/src/webhooks.rs`).

use crate::components::server_fragment;
use domain::webhooks::WEBHOOKS_PAGE;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <Title text="Webhooks" />
        <h1>"Webhooks"</h1>
        <p class="hint">"Key events sent to your systems as signed JSON, retried until they are taken."</p>
        {server_fragment("webhooks_page", (WEBHOOKS_PAGE, "Back to webhooks"))}
    }
}

/// The page's HTML, made on the server only.
#[cfg(feature = "ssr")]
pub mod rendered {
    use crate::components::when;
    use domain::access::Principal;
    use domain::webhooks::{Event, ADD_PATH, DELETE_PATH};
    use keyward_core::error::AppError;
    use keyward_core::services::webhooks;
    use keyward_core::store::db::Db;
    use leptos::prelude::*;

    /// Deliveries listed per webhook.
    const SHOWN: usize = 20;

    pub async fn html(db: &Db, viewer: &Principal) -> Result<String, AppError> {
        let hooks = webhooks::list(db, viewer).await?;
        let mut sections = Vec::new();
        for hook in hooks {
            let deliveries = webhooks::deliveries(db, viewer, &hook.id, SHOWN).await?;
            sections.push((hook, deliveries));
        }
        let empty = sections.is_empty();
        let sections = sections
            .into_iter()
            .map(|(hook, deliveries)| {
                let caption = format!("Deliveries to {}", hook.url);
                let none = deliveries.is_empty();
                view! {
                    <section class="card stack" aria-label=hook.url.clone()>
                        <h2><code>{hook.url.clone()}</code></h2>
                        <p class="sub">{format!("Events: {}", hook.events.replace(' ', ", "))} " · added " {when(Some(hook.created_at))}</p>
                        <div class="table-wrap">
                        <table>
                            <caption>{caption}</caption>
                            <thead><tr>
                                <th scope="col">"Time"</th><th scope="col">"Event"</th>
                                <th scope="col">"Status"</th><th scope="col">"Attempts"</th>
                            </tr></thead>
                            <tbody>
                                {none.then(|| view! { <tr><td colspan="4" class="empty">"Nothing sent yet."</td></tr> })}
                                {deliveries.into_iter().map(|d| {
                                    let detail = match (d.last_status, d.last_error.is_empty()) {
                                        (Some(s), true) => format!(" ({s})"),
                                        (_, false) => format!(" ({})", d.last_error),
                                        (None, true) => String::new(),
                                    };
                                    view! {
                                        <tr>
                                            <td>{when(Some(d.created_at))}</td>
                                            <td><code>{d.event.clone()}</code></td>
                                            <td>{format!("{}{detail}", d.state())}</td>
                                            <td>{d.attempts}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                        <form method="post" action=DELETE_PATH class="inline">
                            <input type="hidden" name="id" value=hook.id.clone() />
                            <button type="submit" class="secondary danger">"Delete webhook"</button>
                        </form>
                    </section>
                }
            })
            .collect_view();
        Ok(view! {
            <details class="card">
                <summary>"Add webhook"</summary>
                <form method="post" action=ADD_PATH class="stack" aria-label="Add webhook">
                    <label>"URL" <input type="url" name="url" required placeholder="https://hooks.example.com/keyward" /></label>
                    <fieldset>
                        <legend>"Events"</legend>
                        {Event::ALL.into_iter().map(|e| view! {
                            <label class="choice"><input type="checkbox" name="events" value=e.id() checked=true />{e.id()}</label>
                            <span class="sub">{e.description()}</span>
                        }).collect_view()}
                    </fieldset>
                    <button type="submit">"Add webhook"</button>
                </form>
            </details>
            {empty.then(|| view! { <p class="empty">"No webhooks yet."</p> })}
            {sections}
        }
        .to_html())
    }
}
