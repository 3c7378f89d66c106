//! The console's server functions and what each requires, declared once next to the machine
//! API's [`super::routes::ROUTES`]. Every server function is a public HTTP endpoint: the
//! console's gate (`ssr::auth::require_for`) reads its requirement here, and the test that
//! walks every registered server function reads the same table, so none can exist without a
//! declared requirement. Deny by default: a name missing here is refused.

use super::permissions::Permission as P;

/// Who may call a server function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: signing in and out, first-run setup, accepting an invitation link.
    Public,
    /// Any signed-in member (the service decides about the object it acts on).
    Member,
    /// A signed-in member whose role holds these permissions.
    Needs(&'static [P]),
    /// A signed-in instance admin.
    InstanceAdmin,
}

/// One server function, by the name Leptos registers it under.
#[derive(Clone, Copy, Debug)]
pub struct ConsoleFunction {
    pub name: &'static str,
    pub access: Access,
}

const fn function(name: &'static str, access: Access) -> ConsoleFunction {
    ConsoleFunction { name, access }
}

use Access::*;

/// The table, one row per server function.
pub static CONSOLE_FUNCTIONS: &[ConsoleFunction] = &[
    function("account_sessions", Member),
    function("change_password", Member),
    function("sign_out_session", Member),
    function("sign_out_other_sessions", Member),
    function("keys_page", Member),
    function("create_key", Member),
    function("revoke_key", Member),
    function("rotate_key", Member),
    function("list_applications", Needs(&[P::APPLICATIONS_READ])),
    function("create_application", Needs(&[P::APPLICATIONS_WRITE])),
    function("rename_application", Needs(&[P::APPLICATIONS_WRITE])),
    function("delete_application", Needs(&[P::APPLICATIONS_WRITE])),
    function("create_agent", Needs(&[P::AGENTS_WRITE])),
    function("preview_deletion", Needs(&[P::APPLICATIONS_READ])),
    function("delete_agent", Needs(&[P::AGENTS_WRITE])),
    function("instance_page", InstanceAdmin),
    function("save_instance_settings", InstanceAdmin),
    function("key_activity", Member),
    function("set_body_logging", Member),
    function("login", Public),
    function("logout", Public),
    function("accept_invitation", Public),
    function("members_page", Needs(&[P::MEMBERS_READ])),
    function("invite_member", Needs(&[P::MEMBERS_WRITE])),
    function("change_member_role", Needs(&[P::MEMBERS_WRITE])),
    function("cancel_invitation", Needs(&[P::MEMBERS_WRITE])),
    function("remove_member", Needs(&[P::MEMBERS_WRITE])),
    function("get_policy", Member),
    function("save_policy", Needs(&[P::MEMBERS_WRITE, P::KEYS_WRITE])),
    function("setup", Public),
    function("current_viewer", Member),
    function("switch_workspace", Member),
    function("accept_workspace_invitation", Member),
    function("decline_workspace_invitation", Member),
    function("create_workspace", Member),
    function("test_credential", Member),
    function("test_credential_page", Member),
    function("inspect_key", Member),
    // Any member; each page it renders is checked against [`FRAGMENTS`].
    function("page_fragment", Member),
];

/// The read-only pages rendered on the server as one fragment of HTML (by `page_fragment`),
/// and what each requires. Their form posts check the same requirement by the same name.
pub static FRAGMENTS: &[ConsoleFunction] = &[
    function("audit_page", Needs(&[P::AUDIT_READ])),
    function("key_review", Needs(&[P::KEYS_READ])),
    // Every member: owners confirm their own keys; the service decides the rest.
    function("access_reviews_page", Member),
    function("webhooks_page", Needs(&[P::KEYS_READ, P::KEYS_WRITE])),
    function("notifications_page", Member),
    // Every member reads the policy; "Save policy" checks `save_policy`'s requirement.
    function("security_page", Member),
    // Every member; the service shows a key's activity to whom may see the key.
    function("key_activity_page", Member),
    // Every member; the service describes only a key the member may see.
    function("key_report", Member),
    // Every member; the list shows each the keys they may see (as `keys_page`).
    function("keys_list", Member),
    function("instance_settings_page", InstanceAdmin),
];

/// What `name` (a server function or a fragment page) requires; `None` for a name that is
/// not declared (and so refused).
pub fn access_of(name: &str) -> Option<Access> {
    CONSOLE_FUNCTIONS
        .iter()
        .chain(FRAGMENTS)
        .find(|f| f.name == name)
        .map(|f| f.access)
}

/// The fragment page named `name`, by its declared name.
pub fn fragment(name: &str) -> Option<&'static str> {
    FRAGMENTS.iter().find(|f| f.name == name).map(|f| f.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_declared_once() {
        let mut names: Vec<&str> = CONSOLE_FUNCTIONS
            .iter()
            .chain(FRAGMENTS)
            .map(|f| f.name)
            .collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before);
        assert_eq!(access_of("keys_page"), Some(Member));
        assert_eq!(access_of("no_such_function"), None);
    }
}
