//! Settings → Notifications: what the signed-in member should know about keys (expiring,
//! expired, leaked), newest first. Rendered on the server as one fragment; "Mark all as read"
//! is a plain form post (`server/src/notifications.rs`).

use crate::components::server_fragment;
use leptos::prelude::*;
use leptos_meta::Title;

/// Where the page lives.
pub const NOTIFICATIONS_PAGE: &str = "/settings/notifications";
/// Where "Mark all as read" posts.
pub const READ_PATH: &str = "/settings/notifications/read";

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! {
        <Title text="Notifications" />
        <h1>"Notifications"</h1>
        {server_fragment("notifications_page", (NOTIFICATIONS_PAGE, "Back to notifications"))}
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod rendered {
    use super::READ_PATH;
    use crate::components::when;
    use keyward_core::error::AppError;
    use keyward_core::services::notifications;
    use keyward_core::store::db::Db;
    use leptos::prelude::*;

    pub async fn html(
        db: &Db,
        user: domain::ids::UserId,
        workspace: domain::ids::WorkspaceId,
    ) -> Result<String, AppError> {
        let shown = notifications::latest(db, user, workspace).await?;
        let unread = shown.iter().filter(|n| n.read_at.is_none()).count();
        let empty = shown.is_empty();
        let items = shown
            .into_iter()
            .map(|n| {
                let class = if n.read_at.is_none() { "unread" } else { "read" };
                let state = n.read_at.is_none().then_some("New: ");
                view! {
                    <li class=class>
                        <strong>{state}</strong>{n.text.clone()}
                        <span class="sub">{when(Some(n.created_at))} " · " <code>{n.kind.clone()}</code></span>
                    </li>
                }
            })
            .collect_view();
        Ok(view! {
            {(unread > 0).then(|| view! {
                <form method="post" action=READ_PATH class="inline">
                    <button type="submit" class="secondary">"Mark all as read"</button>
                </form>
            })}
            {empty.then(|| view! { <p class="empty">"Nothing to report: keys that expire soon, expired or leaked show here."</p> })}
            <ul class="notifications" aria-label="Notifications">{items}</ul>
        }
        .to_html())
    }
}
