//! The API reference, rendered from the route table.

use domain::routes::ROUTES;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ReferencePage() -> impl IntoView {
    view! {
        <Title text="API reference" />
        <h1>"API reference"</h1>
        <p class="hint">"Send a key in the " <code>"X-Keyward-Api-Token"</code> " header (or " <code>"Authorization: Bearer"</code>
            "). The machine-readable contract is at " <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> "."</p>
        <div class="table-wrap">
        <table>
            <thead><tr><th scope="col">"Route"</th><th scope="col">"Summary"</th><th scope="col">"Principals"</th><th scope="col">"Permissions"</th></tr></thead>
            <tbody>
                {ROUTES.iter().map(|r| view! {
                    <tr>
                        <th scope="row"><code>{format!("{} {}", r.method.as_str(), r.path)}</code></th>
                        <td>{r.summary}</td>
                        <td>{r.requirement.principals.iter().map(|p| p.id()).collect::<Vec<_>>().join(", ")}
                            {r.requirement.agent_binding.then_some(" (agents: bound only)")}</td>
                        <td>{r.requirement.permissions.iter().map(|p| p.id()).collect::<Vec<_>>().join(", ")}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}
