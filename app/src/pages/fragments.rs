//! The one server function behind every read-only page rendered on the server (the audit log,
//! the key review, access reviews, webhooks, notifications, the security policy, a key's
//! activity, a key's report in the tester, the instance settings, the key list read again): the
//! page is named, checked against [`domain::console::FRAGMENTS`], and answered as HTML. One
//! caller in the browser's bundle serves them all.

use crate::error::ConsoleError;
use leptos::prelude::*;

/// The content of the fragment page `page` for its URL query `search`, as HTML.
#[server]
pub async fn page_fragment(page: String, search: String) -> Result<String, ConsoleError> {
    use super::{
        access_reviews, api_keys, audit, instance, key_activity, notifications, review, security,
        tester, webhooks,
    };
    use crate::request::auth;
    use crate::request::state::app_state;
    use keyward_core::error::AppError;
    let Some(page) = domain::console::fragment(&page) else {
        return Err(AppError::NotFound.into());
    };
    let member = auth::require_for(page).await?;
    let db = &app_state().db;
    let viewer = member.principal();
    let html = match page {
        "audit_page" => audit::rendered::html(audit::page_data(db, &viewer, &search).await?),
        "key_review" => review::rendered::html(db, &viewer, &search).await?,
        "access_reviews_page" => access_reviews::rendered::html(db, &viewer, &search).await?,
        "webhooks_page" => webhooks::rendered::html(db, &viewer).await?,
        "notifications_page" => {
            notifications::rendered::html(db, member.user_id, member.workspace_id).await?
        }
        "security_page" => {
            let editable = auth::meets(&member, "save_policy").is_ok();
            security::rendered::html(db, member.workspace_id, editable, &search).await?
        }
        "key_activity_page" => key_activity::rendered::html(&viewer, &search).await?,
        "key_report" => tester::rendered::inspected(&viewer, &search).await?,
        "keys_list" => api_keys::list_html(&search).await?,
        "instance_settings_page" => instance::rendered::html(db, member.user_id).await?,
        _ => return Err(AppError::NotFound.into()),
    };
    Ok(html)
}
