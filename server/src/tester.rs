//! `POST /settings/api-keys/test/report`: the credential tester as a plain form post, for a
//! browser without JavaScript. The same test as the server function (rate limit, audit); the
//! secret is read from the body, never shown back, logged or kept.

use crate::console_forms::{answer, field, Member};
use app::pages::tester::{rendered, run_test};
use app::request::state::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Form;

pub async fn report(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let shown = async {
        app::request::auth::meets(&actor, "test_credential")?;
        let report = run_test(&state, &actor, &field(&fields, "secret")).await?;
        Ok(rendered::report_page(report))
    }
    .await;
    answer(shown, "/settings/api-keys/test")
}
