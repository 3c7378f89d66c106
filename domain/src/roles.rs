//! Roles and the fixed permission set of each.

use super::permissions::{Permission as P, PermissionSet};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A member's role in a workspace, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Developer,
    Auditor,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Admin,
        Role::Developer,
        Role::Auditor,
        Role::Viewer,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Developer => "developer",
            Role::Auditor => "auditor",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Developer => "Developer",
            Role::Auditor => "Auditor",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(id: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.id() == id)
            .ok_or_else(|| UnknownRole(id.chars().take(32).collect()))
    }

    /// The permissions this role grants.
    pub fn permissions(self) -> PermissionSet {
        match self {
            // Owner and admin differ only in workspace-level powers, not in permissions.
            Role::Owner | Role::Admin => PermissionSet::all(),
            Role::Developer => [
                P::APPLICATIONS_READ,
                P::APPLICATIONS_WRITE,
                P::BUILDS_READ,
                P::BUILDS_WRITE,
                P::AGENTS_READ,
                P::AGENTS_WRITE,
                P::MEMBERS_READ,
            ]
            .into_iter()
            .collect(),
            Role::Auditor => PermissionSet::all_reads(),
            Role::Viewer => [P::APPLICATIONS_READ, P::BUILDS_READ].into_iter().collect(),
        }
    }

    /// Auditors may revoke any key for incident response without holding `keys:write`.
    pub fn may_revoke_any_key(self) -> bool {
        self.permissions().contains(P::KEYS_WRITE) || self == Role::Auditor
    }

    /// Whether a member with this role may give `other` to someone (never above one's own).
    pub fn may_assign(self, other: Role) -> bool {
        self.permissions().contains(P::MEMBERS_WRITE)
            && (self == Role::Owner || other != Role::Owner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_permission_table() {
        let ids = |r: Role| r.permissions().ids().join(" ");
        assert_eq!(Role::Owner.permissions().len(), 12);
        assert_eq!(Role::Admin.permissions().len(), 12);
        assert_eq!(
            ids(Role::Developer),
            "applications:read applications:write builds:read builds:write agents:read agents:write members:read"
        );
        assert_eq!(
            ids(Role::Auditor),
            "applications:read builds:read agents:read members:read keys:read audit:read"
        );
        assert_eq!(ids(Role::Viewer), "applications:read builds:read");
    }

    #[test]
    fn who_may_assign_what() {
        assert!(Role::Owner.may_assign(Role::Owner));
        assert!(Role::Admin.may_assign(Role::Admin));
        assert!(!Role::Admin.may_assign(Role::Owner));
        assert!(!Role::Developer.may_assign(Role::Viewer));
        assert!(Role::Auditor.may_revoke_any_key());
        assert!(!Role::Developer.may_revoke_any_key());
    }

    #[test]
    fn roles_parse_by_id_only() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.id()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::parse("Owner").is_err());
    }
}
