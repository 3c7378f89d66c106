//! Settings → Security → "Rate limits": requests per minute for each pool (key, application,
//! workspace) and route class. A focused server-rendered page, like the allowed networks: it
//! works without JavaScript and adds nothing to the bundle.

use domain::limits::{LimitClass, Limits, Pool, MAX_PER_MINUTE};
use leptos::prelude::*;

/// Where the page is read and its form posted.
pub const RATE_LIMITS_PATH: &str = "/settings/rate-limits";

/// What each class covers, for the table's column headers.
fn class_label(c: LimitClass) -> &'static str {
    match c {
        LimitClass::Default => "Reads (default)",
        LimitClass::Write => "Writes",
        LimitClass::Verify => "Key verification",
    }
}

fn pool_label(p: Pool) -> &'static str {
    match p {
        Pool::Key => "Per key",
        Pool::Application => "Per application",
        Pool::Workspace => "Per workspace",
    }
}

/// The limits as a table of number fields; read-only for members who may not change them.
pub fn form_html(limits: &Limits, editable: bool) -> String {
    let rows =
        Pool::ALL
            .into_iter()
            .map(|pool| {
                let cells = LimitClass::ALL
                .into_iter()
                .map(|class| {
                    let name = format!("{}.{}", pool.id(), class.id());
                    let label = format!(
                        "Requests per minute {} to {} routes",
                        pool_label(pool).to_lowercase(),
                        class.id()
                    );
                    let value = limits.get(pool, class).map(|n| n.to_string()).unwrap_or_default();
                    let required = (pool, class) == (Pool::Key, LimitClass::Default);
                    view! {
                        <td><input type="number" name=name min="1" max=MAX_PER_MINUTE.to_string()
                            aria-label=label value=value required=required disabled=!editable
                            placeholder=if required { "" } else { "No limit" } /></td>
                    }
                })
                .collect_view();
                view! { <tr><th scope="row">{pool_label(pool)}</th>{cells}</tr> }
            })
            .collect_view();
    view! {
        <h1>"Rate limits"</h1>
        <p class="hint">"Requests per minute a key's calls may make, counted per key, per application (the key's, or the one a route names) and per workspace, for each class of route. A call counts against every pool with a limit for its class and is refused with 429 by the first exhausted one. Empty: no limit. A narrower pool may not allow more than a wider one."</p>
        <form method="post" action=RATE_LIMITS_PATH class="stack" aria-label="Rate limits">
            <div class="table-wrap">
            <table>
                <caption>"Requests per minute"</caption>
                <thead><tr><th scope="col">"Pool"</th>
                    {LimitClass::ALL.into_iter().map(|c| view! { <th scope="col">{class_label(c)}</th> }).collect_view()}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
            {editable.then(|| view! { <button type="submit">"Save limits"</button> })}
        </form>
        <p><a href="/settings/security">"Back to security"</a></p>
    }
    .to_html()
}

/// The outcome.
pub fn saved_html(limits: &Limits) -> String {
    view! {
        <h1>"Rate limits saved"</h1>
        <p role="status">{format!("Limits now in effect: key.default={} {}", limits.get(Pool::Key, LimitClass::Default).unwrap_or_default(), limits.to_storage())}</p>
        <p><a class="button" href=RATE_LIMITS_PATH>"Back to rate limits"</a></p>
    }
    .to_html()
}
