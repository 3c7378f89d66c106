//! The one authorization gate. Pure: every server function, every machine route and the
//! credential tester call [`authorize`], so what the tester reports is what the API does.

use super::permissions::{Permission, PermissionSet};
use crate::ids::{ApplicationId, UserId, WorkspaceId};
use serde::{Deserialize, Serialize};

/// Who is calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrincipalKind {
    /// A person: browser session or user JWT.
    User,
    /// A service key.
    Service,
    /// An agent key, bound to one agent of one application.
    Agent,
}

impl PrincipalKind {
    pub fn id(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Service => "service",
            PrincipalKind::Agent => "agent",
        }
    }
}

/// What a credential holds at the moment of the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub kind: PrincipalKind,
    /// Effective permissions: the key's ∩ its owner's current role.
    pub permissions: PermissionSet,
    /// A key limited to one application. Agent keys are always limited to their agent's.
    pub application: Option<ApplicationId>,
}

/// Who acts, as every service sees it: a member (browser session or user token) or a key
/// acting for its owner. Built only by the authentication code (console sessions, the
/// machine API's gate); services take it and never read a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The person: the signed-in member, or the owner of the key.
    pub user: UserId,
    pub workspace: WorkspaceId,
    /// The member's role as of this request; `None` when a key acts (it has its grant only).
    pub role: Option<super::roles::Role>,
    pub grant: Grant,
    /// The public key id of the key that acts, when a key does.
    pub key_id: Option<String>,
    /// The client address, for the audit log.
    pub address: String,
}

impl Principal {
    /// A member acting with the permissions of `role`.
    pub fn member(
        user: UserId,
        workspace: WorkspaceId,
        role: super::roles::Role,
        address: String,
    ) -> Principal {
        Principal {
            user,
            workspace,
            role: Some(role),
            grant: Grant {
                kind: PrincipalKind::User,
                permissions: role.permissions(),
                application: None,
            },
            key_id: None,
            address,
        }
    }

    /// The instance's operator at the command line, reading `workspace`: nobody in it (no
    /// member, no key) and holding every permission — for the command line's reads, such as
    /// an audit export. Its writes are audited as the command line's, not as this principal.
    pub fn operator(workspace: WorkspaceId) -> Principal {
        Principal::member(
            UserId::NOBODY,
            workspace,
            super::roles::Role::Owner,
            "cli".into(),
        )
    }
}

/// What a route or server function demands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub principals: &'static [PrincipalKind],
    pub permissions: &'static [Permission],
    /// Agent keys must be bound to the application the request targets.
    pub agent_binding: bool,
}

/// Any principal, no permission: valid credentials suffice.
pub const ANY_PRINCIPAL: &[PrincipalKind] = &[
    PrincipalKind::User,
    PrincipalKind::Service,
    PrincipalKind::Agent,
];
/// People only, never keys: keys cannot manage keys.
pub const USERS_ONLY: &[PrincipalKind] = &[PrincipalKind::User];
pub const USERS_AND_SERVICES: &[PrincipalKind] = &[PrincipalKind::User, PrincipalKind::Service];

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    WrongPrincipal {
        allowed: Vec<PrincipalKind>,
    },
    MissingPermissions(Vec<Permission>),
    /// The key is limited to another application.
    ApplicationOutOfScope,
    /// The route requires an agent bound to the target application.
    AgentNotBound,
}

impl Refusal {
    pub fn explain(&self) -> String {
        match self {
            Refusal::WrongPrincipal { allowed } => format!(
                "Only {} credentials may call this.",
                allowed
                    .iter()
                    .map(|k| k.id())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Refusal::MissingPermissions(missing) => format!(
                "Missing permission {}.",
                missing
                    .iter()
                    .map(|p| p.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Refusal::ApplicationOutOfScope => "The key is limited to another application.".into(),
            Refusal::AgentNotBound => "The agent key is bound to another application.".into(),
        }
    }
}

/// Decides whether `grant` may do what `requirement` demands, on `target` (the application
/// the request addresses, when it addresses one). Deny by default.
pub fn authorize(
    grant: &Grant,
    requirement: &Requirement,
    target: Option<ApplicationId>,
) -> Result<(), Refusal> {
    if !requirement.principals.contains(&grant.kind) {
        return Err(Refusal::WrongPrincipal {
            allowed: requirement.principals.to_vec(),
        });
    }
    let missing: Vec<Permission> = requirement
        .permissions
        .iter()
        .copied()
        .filter(|p| !grant.permissions.contains(*p))
        .collect();
    if !missing.is_empty() {
        return Err(Refusal::MissingPermissions(missing));
    }
    if let (Some(scope), Some(target)) = (grant.application, target) {
        if scope != target {
            return Err(
                if requirement.agent_binding && grant.kind == PrincipalKind::Agent {
                    Refusal::AgentNotBound
                } else {
                    Refusal::ApplicationOutOfScope
                },
            );
        }
    }
    if requirement.agent_binding
        && grant.kind == PrincipalKind::Agent
        && grant.application.is_none()
    {
        return Err(Refusal::AgentNotBound);
    }
    Ok(())
}

/// A signed-in member acting in their current workspace, with their role as of this request.
/// The console's authentication resolves it from a session; services take its [`Principal`].
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: UserId,
    pub email: String,
    pub workspace_id: WorkspaceId,
    pub role: crate::roles::Role,
    pub address: String,
}

impl Actor {
    /// The member as every service sees them.
    pub fn principal(&self) -> Principal {
        Principal::member(
            self.user_id,
            self.workspace_id,
            self.role,
            self.address.clone(),
        )
    }

    pub fn grant(&self) -> Grant {
        self.principal().grant
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission as P;
    use PrincipalKind::*;

    const READ_APPS: Requirement = Requirement {
        principals: ANY_PRINCIPAL,
        permissions: &[P::APPLICATIONS_READ],
        agent_binding: false,
    };
    const WRITE_CONTENT: Requirement = Requirement {
        principals: ANY_PRINCIPAL,
        permissions: &[P::APPLICATIONS_WRITE],
        agent_binding: true,
    };
    const USER_ONLY: Requirement = Requirement {
        principals: USERS_ONLY,
        permissions: &[],
        agent_binding: false,
    };

    fn grant(kind: PrincipalKind, perms: &[Permission], app: Option<u128>) -> Grant {
        Grant {
            kind,
            permissions: perms.iter().copied().collect(),
            application: app.map(ApplicationId::from_u128),
        }
    }

    #[test]
    fn decision_table() {
        let a = Some(ApplicationId::from_u128(1));
        let b = Some(ApplicationId::from_u128(2));
        let rw = [P::APPLICATIONS_READ, P::APPLICATIONS_WRITE];
        type Case = (
            &'static str,
            Grant,
            Requirement,
            Option<ApplicationId>,
            Result<(), Refusal>,
        );
        let cases: Vec<Case> = vec![
            (
                "user with permission",
                grant(User, &rw, None),
                READ_APPS,
                None,
                Ok(()),
            ),
            (
                "nothing granted",
                grant(Service, &[], None),
                READ_APPS,
                None,
                Err(Refusal::MissingPermissions(vec![P::APPLICATIONS_READ])),
            ),
            (
                "service key on a user route",
                grant(Service, &rw, None),
                USER_ONLY,
                None,
                Err(Refusal::WrongPrincipal {
                    allowed: vec![User],
                }),
            ),
            (
                "scoped key on its application",
                grant(Service, &rw, Some(1)),
                READ_APPS,
                a,
                Ok(()),
            ),
            (
                "scoped key on another application",
                grant(Service, &rw, Some(1)),
                READ_APPS,
                b,
                Err(Refusal::ApplicationOutOfScope),
            ),
            (
                "bound agent on its application",
                grant(Agent, &rw, Some(1)),
                WRITE_CONTENT,
                a,
                Ok(()),
            ),
            (
                "agent bound elsewhere",
                grant(Agent, &rw, Some(1)),
                WRITE_CONTENT,
                b,
                Err(Refusal::AgentNotBound),
            ),
            (
                "unbound agent",
                grant(Agent, &rw, None),
                WRITE_CONTENT,
                a,
                Err(Refusal::AgentNotBound),
            ),
            (
                "service key needs no binding",
                grant(Service, &rw, None),
                WRITE_CONTENT,
                a,
                Ok(()),
            ),
            (
                "binding does not excuse a missing permission",
                grant(Agent, &[P::APPLICATIONS_READ], Some(1)),
                WRITE_CONTENT,
                a,
                Err(Refusal::MissingPermissions(vec![P::APPLICATIONS_WRITE])),
            ),
        ];
        for (name, g, req, target, expected) in cases {
            assert_eq!(authorize(&g, &req, target), expected, "{name}");
        }
    }

    #[test]
    fn refusals_explain_what_is_missing() {
        let r = Refusal::MissingPermissions(vec![P::KEYS_READ]);
        assert_eq!(r.explain(), "Missing permission keys:read.");
    }
}
