//! "Narrow permissions": a key's permissions, which its requests of the last 30 days needed,
//! and the form that takes the rest away. Rendered on the server only, like the bulk
//! revocation: a focused step that works without JavaScript and adds nothing to the bundle.

use leptos::prelude::*;

/// Where the dialog is read (`?key=ID`) and the narrowing posted.
pub const NARROW_PATH: &str = "/settings/api-keys/narrow";

/// One permission the key holds.
pub struct PermissionLine {
    pub id: &'static str,
    /// "Used …" with the last time, or "Not used in the last N days".
    pub used: Option<String>,
}

/// What the dialog shows.
pub struct NarrowPage {
    pub key_row: String,
    pub name: String,
    pub prefix: String,
    pub lines: Vec<PermissionLine>,
    pub days: i64,
    /// The viewer may narrow (not only look).
    pub may_narrow: bool,
}

pub fn narrow_html(p: NarrowPage) -> String {
    let unused = p.lines.iter().filter(|l| l.used.is_none()).count();
    let days = p.days;
    let summary = match unused {
        0 => format!("Every permission was needed in the last {days} days: nothing to narrow."),
        1 => format!("1 permission was not needed in the last {days} days."),
        n => format!("{n} permissions were not needed in the last {days} days."),
    };
    let may_narrow = p.may_narrow;
    let rows = p
        .lines
        .iter()
        .map(|l| {
            let used = l.used.clone();
            let status = used
                .clone()
                .unwrap_or_else(|| format!("Not used in the last {days} days"));
            view! {
                <tr>
                    <td>{may_narrow.then(|| view! {
                        <input type="checkbox" name="keep" value=l.id checked=used.is_some() id=format!("keep-{}", l.id) />
                    })}</td>
                    <th scope="row"><label for=format!("keep-{}", l.id)><code>{l.id}</code></label></th>
                    <td>{status}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="narrow-title" aria-describedby="narrow-summary">
            <h2 id="narrow-title">"Narrow permissions"</h2>
            <p class="sub">{p.name.clone()} " · " <code>{p.prefix.clone()}</code></p>
            <p id="narrow-summary">{summary}</p>
            <form method="post" action=NARROW_PATH class="stack">
                <input type="hidden" name="key" value=p.key_row.clone() />
                <div class="table-wrap">
                <table>
                    <caption class="visually-hidden">"Permissions of this key"</caption>
                    <thead><tr><th scope="col">"Keep"</th><th scope="col">"Permission"</th><th scope="col">"Use"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                </div>
                {may_narrow.then(|| view! {
                    <p class="hint">"Unchecked permissions are removed. The secret stays the same; calls that needed them are refused from now on."</p>
                    <button type="submit" class="danger">"Narrow key"</button>
                })}
            </form>
            <p><a href="/settings/api-keys">"Cancel"</a></p>
        </div>
    }
    .to_html()
}

/// The outcome of a narrowing.
pub fn narrowed_html(name: &str, removed: &[String]) -> String {
    view! {
        <h1>"Key narrowed"</h1>
        <p role="status">{format!("{name} no longer holds {}.", removed.join(", "))}</p>
        <p><a class="button" href="/settings/api-keys">"Back to API Keys"</a></p>
    }
    .to_html()
}
