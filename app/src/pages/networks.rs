//! A key's "Allowed networks", changed after its creation: a focused server-rendered step,
//! like narrowing, that works without JavaScript and adds nothing to the bundle.

use leptos::prelude::*;

/// Where the form is read (`?key=ID`) and posted.
pub const NETWORKS_PATH: &str = "/settings/api-keys/networks";

/// The form for the key `key_row`, named `name`, with its ranges now (one per line).
pub fn form_html(key_row: &str, name: &str, ranges: &[String]) -> String {
    view! {
        <h1>{format!("Allowed networks of {name}")}</h1>
        <form method="post" action=NETWORKS_PATH class="stack" aria-label="Allowed networks">
            <input type="hidden" name="key" value=key_row.to_string() />
            <label>"Allowed networks"
                <textarea name="allowed_networks" rows="4">{ranges.join("\n")}</textarea>
            </label>
            <p class="hint">"One IPv4 or IPv6 range per line (CIDR); requests from elsewhere are refused at once. Empty: anywhere."</p>
            <button type="submit">"Save networks"</button>
        </form>
        <p><a href="/settings/api-keys">"Cancel"</a></p>
    }
    .to_html()
}

/// The outcome.
pub fn saved_html(name: &str, ranges: &[String]) -> String {
    let text = if ranges.is_empty() {
        format!("{name} may be used from anywhere.")
    } else {
        format!("{name} may be used only from {}.", ranges.join(", "))
    };
    view! {
        <h1>"Networks saved"</h1>
        <p role="status">{text}</p>
        <p><a class="button" href="/settings/api-keys">"Back to API Keys"</a></p>
    }
    .to_html()
}
