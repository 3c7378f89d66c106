//! The credential tester: paste a secret, see what it is and what it can really do.

use crate::components::server_fragment;
use crate::error::ConsoleError;
use domain::model::CredentialReport;
use leptos::prelude::*;
use leptos_meta::Title;

/// Longest input the tester reads; anything longer is not a secret of ours.
#[cfg(feature = "ssr")]
const MAX_INPUT: usize = 4096;

/// Tests one member may run per minute: the tester checks secrets, so it must not become a
/// way to guess them.
#[cfg(feature = "ssr")]
const TESTS_PER_MINUTE: u32 = 30;

/// Where the tester's form posts without JavaScript: the answer is a page with the report.
pub const REPORT_PATH: &str = "/settings/api-keys/test/report";

/// Tests a secret. Possession of the secret is the authority, so any signed-in member may;
/// rate limited per user, audited by key id, never stored or echoed.
#[server]
pub async fn test_credential(secret: String) -> Result<CredentialReport, ConsoleError> {
    let actor = crate::request::auth::require_for("test_credential").await?;
    Ok(run_test(&crate::request::state::app_state(), &actor, &secret).await?)
}

/// The test behind [`test_credential`] and the plain form post: the member's rate limit, the
/// test itself, its audit entry.
#[cfg(feature = "ssr")]
pub async fn run_test(
    state: &crate::request::state::AppState,
    actor: &crate::request::auth::Actor,
    secret: &str,
) -> Result<CredentialReport, keyward_core::error::AppError> {
    use keyward_core::error::AppError;
    use keyward_core::services::tester;
    let now = keyward_core::now();
    let limit = state
        .tester_limiter
        .check(&actor.user_id.to_string(), TESTS_PER_MINUTE, now);
    if !limit.allowed {
        return Err(AppError::TooManyRequests {
            retry_after: limit.reset,
        });
    }
    let report = if secret.len() > MAX_INPUT {
        tester::test_secret(state.tester(), "", false, None)
            .await
            .map(|mut r| {
                r.code = "MALFORMED".into();
                r.message = format!(
                    "The input is {} bytes long; Keyward secrets are 57 characters.",
                    secret.len()
                );
                r
            })?
    } else {
        tester::test_secret(state.tester(), secret, true, Some(actor.workspace_id)).await?
    };
    tester::audit_test(&state.db, &actor.principal(), secret, &report).await?;
    Ok(report)
}

/// Describes one visible key of the workspace without its secret.
#[server]
pub async fn inspect_key(id: String) -> Result<CredentialReport, ConsoleError> {
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::services::keys;
    use keyward_core::services::tester;
    let actor = auth::require_for("inspect_key").await?;
    let state = app_state();
    let id = domain::ids::Id::parse(&id)?;
    let key = keys::authorized(
        &state.db,
        &actor.principal(),
        id,
        domain::authorization::Action::SeeKey,
    )
    .await?;
    Ok(tester::inspect_key(&state.db, key).await?)
}

/// Tests a secret as [`test_credential`] does and answers the sentence a screen reader
/// announces and the report as HTML: the report is rendered on the server, so the browser holds
/// none of its code.
#[server]
pub async fn test_credential_page(secret: String) -> Result<(String, String), ConsoleError> {
    let report = test_credential(secret).await?;
    let verdict = if report.valid {
        "Valid credential"
    } else {
        "Refused"
    };
    let said = format!("{verdict}: {}", report.message);
    Ok((said, rendered::report(report)))
}

/// The page: the tester's form (an island), and a key from the list described by the server.
#[component]
pub fn TesterPage() -> impl IntoView {
    view! {
        <Title text="Credential tester" />
        <h1>"Credential tester"</h1>
        <p class="hint">"Paste a secret to see whose it is, what it may do, which API routes it reaches and why, and to try it against the live API. The secret is sent only in this request's body and is never stored."</p>
        <TesterForm />
        // `?key=ID`: a key from the list, described without its secret.
        {server_fragment("key_report", ("/settings/api-keys/test", "Back to the tester"))}
    }
}

/// The form and the report of the secret it tested: the secret stays in this island.
#[island]
fn TesterForm() -> impl IntoView {
    let test = ServerAction::<TestCredentialPage>::new();
    let secret = RwSignal::new(String::new());
    // The verdict is said without moving focus, so another secret can be pasted at once.
    crate::components::announce_success(test, |(said, _): &(String, String)| said.clone());
    view! {
        // Without JavaScript the form posts to a plain handler that answers with the report's
        // page; hydrated, it goes to the server function.
        <form class="card stack" aria-label="Test a credential" method="post" action=REPORT_PATH
            on:submit=move |ev| { ev.prevent_default(); test.dispatch(TestCredentialPage { secret: secret.get_untracked() }); }>
            <label>"Credential secret" <input type="password" name="secret" autocomplete="off" spellcheck="false"
                on:input=move |ev| secret.set(event_target_value(&ev)) /></label>
            <button type="submit">"Test credential"</button>
        </form>
        {move || match test.value().get() {
            Some(Ok((_, html))) => Some(view! { <div inner_html=html></div> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="error" role="alert">{e.message.clone()}</p> }.into_any()),
            None => None,
        }}
    }
}

/// The report, rendered on the server.
#[cfg(feature = "ssr")]
pub mod rendered {
    use super::*;
    use crate::components::when;
    use domain::access::Principal;
    use keyward_core::error::AppError;

    /// The report of a tested secret, as HTML.
    pub fn report(report: CredentialReport) -> String {
        view! { <Report report /> }.to_html()
    }

    /// The page the plain form post answers with: the report and the way back.
    pub fn report_page(report: CredentialReport) -> String {
        view! {
            <h1>"Credential tester"</h1>
            <Report report />
            <p><a href="/settings/api-keys/test">"Test another credential"</a></p>
        }
        .to_html()
    }

    /// The key the URL query `search` names (`key`), described for `viewer` without its
    /// secret; nothing when the query names none.
    pub async fn inspected(viewer: &Principal, search: &str) -> Result<String, AppError> {
        use crate::request::state::app_state;
        use keyward_core::services::{keys, tester};
        let Some(id) = domain::paging::QueryParams::parse(search)
            .get("key")
            .filter(|k| !k.is_empty())
        else {
            return Ok(String::new());
        };
        let id = domain::ids::Id::parse(&id)?;
        let db = &app_state().db;
        let key = keys::authorized(db, viewer, id, domain::authorization::Action::SeeKey).await?;
        let report = tester::inspect_key(db, key).await?;
        Ok(view! {
            <p class="hint">"Showing a key from the list without its secret: no smoke tests."</p>
            <Report report />
        }
        .to_html())
    }

    #[component]
    fn Report(report: CredentialReport) -> impl IntoView {
        let observed = report.use_observed;
        let verdict_class = if report.valid {
            "verdict ok"
        } else {
            "verdict bad"
        };
        view! {
            <section class="report" aria-label="Report">
                <h2 class=verdict_class role="status">{if report.valid { "Valid credential" } else { "Refused" }} " — " <code>{report.code.clone()}</code></h2>
                <p>{report.message.clone()}</p>
                {report.prefix.clone().map(|p| view! { <p>"Key " <code>{p}</code></p> })}
                {report.principal.clone().map(|p| view! {
                    <section aria-label="Observed principal">
                        <h3>"Observed principal"</h3>
                        <dl class="facts">
                            <dt>"Principal"</dt><dd>{p.kind.clone()} {p.agent.clone().map(|a| format!(" (agent {a})"))}</dd>
                            <dt>"Key name"</dt><dd>{p.key_name.clone()}</dd>
                            <dt>"Owner"</dt><dd>{p.owner_email.clone()} {p.owner_role.map(|r| format!(" ({})", r.label()))}</dd>
                            <dt>"Workspace"</dt><dd><code>{p.workspace_id.to_string()}</code></dd>
                            <dt>"Scope"</dt><dd>{p.application.clone().map(|a| format!("Application {a}")).unwrap_or_else(|| "Whole workspace".into())}</dd>
                            <dt>"Status"</dt><dd>{p.status.label()}</dd>
                            <dt>"Created"</dt><dd>{when(Some(p.created_at))}</dd>
                            <dt>"Expires"</dt><dd>{p.expires_at.map(|e| when(Some(e))).unwrap_or_else(|| "Never".into())}</dd>
                            <dt>"Allowed networks"</dt><dd>{if p.allowed_networks.is_empty() { "Anywhere".to_string() } else { p.allowed_networks.join(", ") }}</dd>
                            <dt>"Last used"</dt><dd>{when(p.last_used_at)}</dd>
                        </dl>
                    </section>
                })}
                {(!report.permissions.is_empty()).then(|| view! {
                    <section aria-label="Permissions">
                        <h3>"Permissions"</h3>
                        <div class="table-wrap">
                        <table>
                            <thead><tr><th scope="col">"Permission"</th><th scope="col">"Effective"</th>
                                {observed.then(|| view! { <th scope="col">"Needed in 30 days"</th> })}
                                <th scope="col">"Description"</th></tr></thead>
                            <tbody>{report.permissions.iter().map(|p| view! {
                                <tr class:dropped=p.dropped>
                                    <th scope="row"><code>{p.id.clone()}</code></th>
                                    <td>{if p.effective { "Yes" } else if p.dropped { "No — dropped: the owner's role no longer grants it" } else { "No" }}</td>
                                    {observed.then(|| view! { <td>{p.last_needed.map(|t| when(Some(t)).into_any()).unwrap_or_else(|| "No — a candidate to narrow".into_any())}</td> })}
                                    <td>{p.description.clone()}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        </div>
                    </section>
                })}
                {(!report.coverage.is_empty()).then(|| view! {
                    <section aria-label="Route coverage">
                        <h3>"Route coverage"</h3>
                        <div class="table-wrap">
                        <table>
                            <thead><tr><th scope="col">"Route"</th><th scope="col">"Requires"</th><th scope="col">"Result"</th><th scope="col">"Why"</th></tr></thead>
                            <tbody>{report.coverage.iter().map(|c| view! {
                                <tr class=if c.allowed { "allowed" } else { "refused" }>
                                    <th scope="row"><code>{format!("{} {}", c.method, c.path)}</code></th>
                                    <td>{c.principals.join(", ")} {(!c.permissions.is_empty()).then(|| format!(" · {}", c.permissions.join(", ")))}
                                        {c.agent_binding.then_some(" · agent binding")} {format!(" · rate limit: {}", c.limit)}</td>
                                    <td>{if c.allowed { "Allowed" } else { "Refused" }}</td>
                                    <td>{c.reason.clone()}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        </div>
                    </section>
                })}
                {(!report.smoke.is_empty()).then(|| view! {
                    <section aria-label="Smoke tests">
                        <h3>"Smoke tests"</h3>
                        <div class="table-wrap">
                        <table>
                            <thead><tr><th scope="col">"Request"</th><th scope="col">"Expected"</th><th scope="col">"Observed"</th><th scope="col">"Latency"</th><th scope="col">"Result"</th></tr></thead>
                            <tbody>{report.smoke.iter().map(|s| view! {
                                <tr class=if s.passed() { "pass" } else { "mismatch" }>
                                    <th scope="row"><code>{format!("{} {}", s.method, s.path)}</code></th>
                                    <td>{s.expected}</td><td>{s.observed}</td><td>{format!("{} ms", s.latency_ms)}</td>
                                    <td>{if s.passed() { "Pass" } else { "Mismatch" }}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        </div>
                    </section>
                })}
            </section>
        }
    }
}
