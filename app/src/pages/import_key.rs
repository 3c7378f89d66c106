//! "Import existing key": the create form with an "Existing secret" field, for a secret made
//! elsewhere (migrating integrations without touching every client on day one). A focused
//! server-rendered page that works without JavaScript and adds nothing to the bundle; no
//! reveal follows, since the member already holds the secret.

use domain::model::{ApplicationRow, KeyRow};
use domain::permissions::Permission;
use domain::roles::Role;
use leptos::prelude::*;

/// Where the form is read and posted.
pub const IMPORT_PATH: &str = "/settings/api-keys/import";

/// The form, for a member of `role` in a workspace with `applications`; `allow_never` offers
/// "Never" as the expiration.
pub fn form_html(applications: &[ApplicationRow], role: Role, allow_never: bool) -> String {
    let held = role.permissions();
    let permissions = Permission::all()
        .map(|p| {
            let above = !held.contains(p);
            view! {
                <label class="choice"><input type="checkbox" name="permissions" value=p.id() disabled=above />
                    <code>{p.id()}</code>
                    {above.then(|| view! { <span class="sub">" — above your role"</span> })}</label>
            }
        })
        .collect_view();
    let apps = applications
        .iter()
        .map(|a| view! { <option value=a.id.to_string()>{a.name.clone()}</option> })
        .collect_view();
    let agents = applications
        .iter()
        .flat_map(|a| {
            a.agents.iter().map(move |g| {
                view! { <option value=g.id.to_string()>{format!("{} ({})", g.name, a.name)}</option> }
            })
        })
        .collect_view();
    view! {
        <h1>"Import existing key"</h1>
        <p class="hint">"Bring a secret your clients already use: Keyward keeps only its digest and checks it like any key. It must be 32 to 256 printable characters, long and random (at least 128 bits by Keyward's estimate), and not a Keyward secret."</p>
        <form method="post" action=IMPORT_PATH class="stack" aria-label="Import existing key" autocomplete="off">
            <label>"Name" <input name="name" required maxlength="100" /></label>
            <label>"Purpose" <input name="purpose" maxlength="500" /></label>
            <fieldset><legend>"Principal"</legend>
                <label class="choice"><input type="radio" name="principal" value="service" checked=true />"Service"</label>
                <label class="choice"><input type="radio" name="principal" value="agent" />"Agent"</label>
            </fieldset>
            <label>"Application" <select name="application_id"><option value="">"Whole workspace"</option>{apps}</select></label>
            <label>"Agent" <select name="agent_id"><option value="">"None (service keys)"</option>{agents}</select></label>
            <input type="hidden" name="preset" value="custom" />
            <fieldset><legend>"Permissions"</legend>{permissions}</fieldset>
            <label>"Expiration" <select name="expiration">
                <option value="7">"7 days"</option>
                <option value="30" selected=true>"30 days"</option>
                <option value="60">"60 days"</option>
                <option value="90">"90 days"</option>
                <option value="custom">"Custom date"</option>
                {allow_never.then(|| view! { <option value="never">"Never"</option> })}
            </select></label>
            <label>"Expires on" <input type="date" name="expires_on" /></label>
            <label>"Allowed networks" <textarea name="allowed_networks" rows="3"></textarea></label>
            <label>"Existing secret" <input type="password" name="existing_secret" required minlength="32" maxlength="256" autocomplete="off" spellcheck="false" /></label>
            <button type="submit">"Import key"</button>
        </form>
        <p><a href="/settings/api-keys">"Cancel"</a></p>
    }
    .to_html()
}

/// Importing is turned off by the workspace's policy.
pub fn turned_off_html() -> String {
    view! {
        <h1>"Import existing key"</h1>
        <p role="status">"This workspace does not allow importing keys. An owner or admin can turn it on under Settings → Security (\"Allow importing existing keys\")."</p>
        <p><a href="/settings/api-keys">"Back to API Keys"</a></p>
    }
    .to_html()
}

/// The outcome: the key, never its secret.
pub fn imported_html(key: &KeyRow) -> String {
    view! {
        <h1>"Key imported"</h1>
        <p role="status">{format!("{} is imported as key {}. Its secret works as it did; Keyward keeps only its digest.", key.name, key.key_id)}</p>
        <p><a class="button" href="/settings/api-keys">"Back to API Keys"</a></p>
    }
    .to_html()
}
