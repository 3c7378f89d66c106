//! "Mark as leaked": the confirmation and its outcome, rendered on the server only, like the
//! narrowing: a focused step that works without JavaScript and adds nothing to the bundle.

use leptos::prelude::*;

/// Where the confirmation is read (`?key=ID`) and the marking posted.
pub const LEAKED_PATH: &str = "/settings/api-keys/leaked";

/// The confirmation for the key `key_row`, named `name` (`prefix`).
pub fn confirm_html(key_row: &str, name: &str, prefix: &str) -> String {
    view! {
        <h1>{format!("Mark {name} as leaked?")}</h1>
        <p><code>{prefix.to_string()}</code></p>
        <form method="post" action=LEAKED_PATH class="stack" aria-label="Mark as leaked">
            <input type="hidden" name="key" value=key_row.to_string() />
            <p class="warning">"The key and every rotated-out secret of it still in its grace period stop working at once, everywhere. The audit log records it as leaked. This cannot be undone: create or rotate a key for whatever used it."</p>
            <button type="submit" class="danger">"Mark as leaked"</button>
        </form>
        <p><a href="/settings/api-keys">"Cancel"</a></p>
    }
    .to_html()
}

/// The outcome.
pub fn marked_html(name: &str) -> String {
    view! {
        <h1>"Key marked as leaked"</h1>
        <p role="status">{format!("{name} was revoked as leaked.")}</p>
        <p><a class="button" href="/settings/api-keys">"Back to API Keys"</a></p>
    }
    .to_html()
}
