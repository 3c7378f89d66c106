//! The bulk revocation's two pages, the preview and the outcome, rendered on the server only:
//! a focused confirmation that works the same with or without JavaScript and adds nothing to
//! what the browser downloads. The key list's "Revoke matching keys" leads here.

use leptos::prelude::*;

/// Where the preview is read (GET, the key list's filters) and the revocation posted.
pub const BULK_REVOKE_PATH: &str = "/settings/api-keys/bulk-revoke";

/// One key of a preview.
pub struct PreviewRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub owner: String,
    pub recent_requests: i64,
}

/// What the preview shows.
pub struct PreviewPage {
    /// The page's title: "Revoke matching keys", or "Revoke unconfirmed keys" for a review.
    pub heading: &'static str,
    /// What was selected, in a sentence.
    pub selected: String,
    /// The filters, as the key list's URL query (without `?`).
    pub filter: String,
    /// The key list under the same filters.
    pub back: String,
    pub rows: Vec<PreviewRow>,
    /// Matching live keys the viewer sees but may not revoke.
    pub not_yours: usize,
    pub too_many: bool,
    /// More keys remain after these: revoke these, then preview again.
    pub more_after: bool,
    pub limit: usize,
    pub recent_days: i64,
}

/// The preview: exactly which keys "Revoke N keys" would end, and the form that ends them.
pub fn preview_html(p: PreviewPage) -> String {
    let n = p.rows.len();
    let button = if n == 1 {
        "Revoke 1 key".to_string()
    } else {
        format!("Revoke {n} keys")
    };
    let notes = (p.not_yours > 0).then(|| {
        view! { <p class="hint">{format!("{} more matching keys are not yours to revoke and are left alone.", p.not_yours)}</p> }
    });
    let more = p.more_after.then(|| {
        view! { <p class="hint">{format!("More keys remain after these {}: revoke these, then preview again.", p.limit)}</p> }
    });
    let body = if p.too_many {
        view! {
            <p class="error" role="alert">{format!("More than {} keys match these filters. Narrow them to revoke in bulk.", p.limit)}</p>
        }
        .into_any()
    } else if n == 0 {
        view! { <p class="empty">"No live keys you may revoke match these filters."</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap">
            <table>
                <caption>"Keys to revoke"</caption>
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Owner"</th>
                    <th scope="col">{format!("Requests ({} days)", p.recent_days)}</th>
                </tr></thead>
                <tbody>
                    {p.rows.iter().map(|r| view! {
                        <tr><th scope="row">{r.name.clone()}</th><td><code>{r.prefix.clone()}</code></td>
                        <td>{r.owner.clone()}</td><td>{r.recent_requests}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <form method="post" action=BULK_REVOKE_PATH class="stack" aria-label="Revoke matching keys">
                {p.rows.iter().map(|r| view! { <input type="hidden" name="id" value=r.id.clone() /> }).collect_view()}
                <input type="hidden" name="count" value=n.to_string() />
                <input type="hidden" name="filter" value=p.filter.clone() />
                <label>"Reason" <input type="text" name="reason" maxlength="200" /></label>
                <p class="warning">"Their secrets stop working at once, with every rotated-out secret still in its grace period. This cannot be undone."</p>
                <button type="submit" class="danger">{button}</button>
            </form>
        }
        .into_any()
    };
    view! {
        <h1>{p.heading}</h1>
        <p>{p.selected.clone()} ", as they are now. Exactly these are revoked, not what matches later."</p>
        {notes}
        {more}
        {body}
        <p><a href=p.back>"Cancel"</a></p>
    }
    .to_html()
}

/// The outcome of a revocation, and the way back (`back`, named `back_label`).
pub fn revoked_html(count: usize, back: &str, back_label: &'static str) -> String {
    let text = if count == 1 {
        "1 key was revoked.".to_string()
    } else {
        format!("{count} keys were revoked.")
    };
    view! {
        <h1>"Keys revoked"</h1>
        <p role="status">{text}</p>
        <p><a class="button" href=back.to_string()>{back_label}</a></p>
    }
    .to_html()
}
