//! What server functions send to the browser. Plain data; never a secret except in
//! [`NewSecret`], the one type that carries a plaintext secret, once.

use crate::ids::{AgentId, ApiKeyId, ApplicationId, InvitationId, UserId, WorkspaceId};
use crate::permissions::PermissionSet;
use crate::roles::Role;
use crate::secret::KeyKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The signed-in person and their current workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub email: String,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: Role,
    pub workspaces: Vec<WorkspaceSummary>,
    /// Failed sign-ins on the account before this session began (0: none to report).
    #[serde(default)]
    pub failed_sign_ins_before: i64,
    /// The account administers the instance.
    #[serde(default)]
    pub instance_admin: bool,
    /// The account may create workspaces.
    #[serde(default)]
    pub may_create_workspaces: bool,
    /// Invitations to other workspaces waiting for this account's answer.
    #[serde(default)]
    pub invitations: Vec<PendingInvitation>,
    /// Notifications not yet read in this workspace.
    #[serde(default)]
    pub unread_notifications: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: WorkspaceId,
    pub name: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
    pub joined_at: i64,
    pub invitation_pending: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationRow {
    pub id: ApplicationId,
    pub name: String,
    pub created_at: i64,
    pub agents: Vec<AgentRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentRow {
    pub id: AgentId,
    pub application_id: ApplicationId,
    pub name: String,
    pub description: String,
}

/// A key's state as lists show it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    ExpiringSoon,
    Expired,
    Revoked,
    /// Replaced by a rotation; may still work until its grace period ends.
    RotatedOut,
}

impl KeyStatus {
    pub fn label(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::ExpiringSoon => "Expiring soon",
            KeyStatus::Expired => "Expired",
            KeyStatus::Revoked => "Revoked",
            KeyStatus::RotatedOut => "Rotated out",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::ExpiringSoon => "expiring",
            KeyStatus::Expired => "expired",
            KeyStatus::Revoked => "revoked",
            KeyStatus::RotatedOut => "rotated",
        }
    }

    /// Whether a secret of a key in this state is accepted.
    pub fn usable(self) -> bool {
        matches!(self, KeyStatus::Active | KeyStatus::ExpiringSoon)
    }
}

/// The rotation grace (in seconds) that lasts until the new secret is first used, at most
/// [`FIRST_USE_GRACE_MAX`] seconds.
pub const GRACE_UNTIL_FIRST_USE: i64 = -1;
/// The longest a rotated-out secret waits for its successor's first use: 7 days.
pub const FIRST_USE_GRACE_MAX: i64 = 7 * 86_400;

/// A key's public metadata.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: ApiKeyId,
    pub key_id: String,
    /// `kw_svc_<key id>`: never the secret.
    pub prefix: String,
    pub name: String,
    pub purpose: String,
    pub kind: KeyKind,
    pub owner_email: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub owner_id: UserId,
    pub application: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub application_id: Option<ApplicationId>,
    pub agent: Option<String>,
    pub permissions: PermissionSet,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    pub status: KeyStatus,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    /// After a rotation: the previous secret works until then.
    pub previous_grace_until: Option<i64>,
    /// The previous secret stops as soon as this one is first used (at the latest at
    /// `previous_grace_until`).
    #[serde(default)]
    pub previous_until_first_use: bool,
    /// After a rotation: when the previous secret was last used.
    pub previous_last_used_at: Option<i64>,
    pub rotated_at: Option<i64>,
    /// Request and response bodies made with this key are logged.
    pub log_bodies: bool,
    /// The networks the key may be used from (CIDR); empty: anywhere.
    #[serde(default)]
    pub allowed_networks: Vec<String>,
    /// After a rotation, while the previous secret still works: the predecessor's row id,
    /// so it can be revoked on its own ("Revoke now").
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub previous_id: Option<ApiKeyId>,
    /// The secret was imported rather than generated by Keyward.
    #[serde(default)]
    pub imported: bool,
    /// What the viewer may do to this key, decided by the server.
    #[serde(default)]
    pub abilities: crate::authorization::KeyAbilities,
}

/// What deleting an application or agent would revoke, shown before anyone confirms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletionPreview {
    /// The live keys the viewer may see.
    pub keys: Vec<DependentKey>,
    /// Live keys of other members the viewer may not see, counted.
    pub others: u64,
    /// Why the viewer may not delete it, when they may not.
    pub refusal: Option<String>,
}

impl DeletionPreview {
    pub fn live_keys(&self) -> u64 {
        self.keys.len() as u64 + self.others
    }
}

/// Instance-wide settings (instance admins decide).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceSettings {
    /// Members who are not instance admins may create workspaces (off by default).
    pub members_create_workspaces: bool,
}

/// An invitation waiting for the signed-in account to accept or decline it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: InvitationId,
    pub workspace_name: String,
    pub role: Role,
}

/// One of a member's own sessions, named by its public handle (never its id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub handle: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub address: String,
    pub user_agent: String,
    /// The session this list was asked from.
    pub current: bool,
}

/// A live key that deleting an application or agent would revoke.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DependentKey {
    pub key_id: String,
    pub name: String,
    pub owner_email: String,
}

/// One request made with a key, from its access log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// The log row's number: with `at`, where a page of the log starts.
    pub id: i64,
    pub at: i64,
    pub method: String,
    /// The route template, never the raw path.
    pub route: String,
    pub status: i64,
    pub latency_ms: i64,
    pub address: String,
    pub user_agent: String,
    /// Only while body logging is on: redacted and capped.
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// Refused requests of a key in one minute from one address, for one reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefusalEntry {
    /// The start of the minute (Unix seconds).
    pub minute: i64,
    pub method: String,
    pub route: String,
    pub status: i64,
    /// `EXPIRED`, `REVOKED`, `ROTATED_OUT`, `INVALID_SECRET`, `FORBIDDEN`, `RATE_LIMITED`, …
    pub reason: String,
    pub address: String,
    pub count: i64,
}

/// The plaintext secret of a new or rotated key: returned once, never stored. Its `Debug`
/// prints nothing of it and it cannot be cloned.
// Clone only because Leptos actions keep their last value; nothing else copies it.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct NewSecret {
    pub key: KeyRow,
    secret: String,
}

impl NewSecret {
    pub fn new(key: KeyRow, secret: String) -> NewSecret {
        NewSecret { key, secret }
    }

    pub fn expose(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSecret")
            .field("key", &self.key.key_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

pub use crate::issuance::Policy;

/// The create form as the browser sends it. The server resolves the preset and parses all.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateKeyForm {
    pub name: String,
    pub purpose: String,
    /// `service` or `agent`.
    pub principal: String,
    /// Empty for the whole workspace.
    pub application_id: String,
    pub agent_id: String,
    /// `full`, `read` or `custom`.
    pub preset: String,
    pub permissions: Vec<String>,
    /// `7`, `30`, `60`, `90`, `custom` or `never`.
    pub expiration: String,
    pub expires_on: String,
    /// Log request and response bodies made with the key (off unless asked for).
    pub log_bodies: bool,
    /// CIDR ranges the key may be used from, one per line; empty: anywhere.
    pub allowed_networks: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_secret_debug_is_redacted() {
        let row: KeyRow = serde_json::from_value(serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000001", "key_id": "AbCd1234", "prefix": "kw_svc_AbCd1234", "name": "n", "purpose": "",
            "kind": "Service", "owner_email": "a@b.c", "owner_id": "00000000-0000-0000-0000-000000000002", "application": null,
            "application_id": null, "agent": null, "permissions": [], "created_at": 0, "expires_at": null,
            "last_used_at": null, "last_used_ip": null, "status": "Active", "revoked_at": null,
            "revoked_reason": null, "previous_grace_until": null, "previous_last_used_at": null, "rotated_at": null,
            "log_bodies": false
        }))
        .unwrap();
        let s = NewSecret::new(row, "kw_svc_AbCd1234_supersecretvalue".into());
        let debug = format!("{s:?}");
        assert!(!debug.contains("supersecret"), "{debug}");
        assert!(debug.contains("AbCd1234"));
    }
}

/// What the credential tester found out about a secret or a key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialReport {
    /// Whether the credential is accepted right now.
    pub valid: bool,
    /// `VALID`, `MALFORMED`, `NOT_FOUND`, `EXPIRED`, `REVOKED`, `ROTATED_OUT`.
    pub code: String,
    pub message: String,
    /// `kw_svc_<key id>` when the input was well formed; never the secret.
    pub prefix: Option<String>,
    pub principal: Option<PrincipalReport>,
    pub permissions: Vec<PermissionLine>,
    /// The permissions' `last_needed` were looked up (a key of the tester's own workspace).
    #[serde(default)]
    pub use_observed: bool,
    pub coverage: Vec<crate::coverage::CoverageLine>,
    /// Empty when no secret was given (a key inspected from the list).
    pub smoke: Vec<SmokeLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrincipalReport {
    pub kind: String,
    pub key_name: String,
    pub agent: Option<String>,
    pub owner_email: String,
    pub owner_role: Option<Role>,
    pub workspace_id: WorkspaceId,
    pub application: Option<String>,
    pub status: KeyStatus,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The networks the key may be used from (CIDR); empty: anywhere.
    #[serde(default)]
    pub allowed_networks: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PermissionLine {
    pub id: String,
    pub description: String,
    pub attached: bool,
    pub effective: bool,
    /// Attached, but the owner's role no longer grants it.
    pub dropped: bool,
    /// When a request of the key last needed it within the observation window (looked up
    /// only where the report says `use_observed`).
    #[serde(default)]
    pub last_needed: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmokeLine {
    pub method: String,
    pub path: String,
    pub expected: u16,
    /// 0 when the request failed to complete.
    pub observed: u16,
    pub latency_ms: u64,
}

impl SmokeLine {
    pub fn passed(&self) -> bool {
        self.expected == self.observed
    }
}
