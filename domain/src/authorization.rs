//! Object-level authorization: who may do what to *this* key, application or agent.
//!
//! [`super::access::authorize`] decides whether a principal may call a route or server
//! function at all; [`decide`] then decides, below the route, whether it may act on the one
//! object it addresses. Every service asks here, and the console shows a control only where
//! the server's answer from here is yes, so no page recomputes a rule.

use super::access::Principal;
use super::permissions::Permission;
use super::roles::Role;
use crate::ids::{ApplicationId, UserId};
use serde::{Deserialize, Serialize};

/// What the rules need to know of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyFacts {
    pub owner: UserId,
    pub application: Option<ApplicationId>,
}

/// An action together with the object it acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See a key's metadata and activity.
    SeeKey(KeyFacts),
    /// Revoke a key (and every predecessor of it still inside its grace period).
    RevokeKey(KeyFacts),
    /// Rotate a key: issues a new secret of it, so this is the owner's alone.
    RotateKey(KeyFacts),
    /// Take permissions away from a key (no new secret): the owner, or `keys:write`. Never an
    /// auditor's on others' keys: it changes what a key can do.
    NarrowKey(KeyFacts),
    /// Change the networks a key may be used from (it can widen what the key reaches, so the
    /// same rule as narrowing: the owner, or `keys:write`).
    SetNetworks(KeyFacts),
    /// Turn body logging on (`enable`) or off for a key.
    SetBodyLogging { key: KeyFacts, enable: bool },
    /// Delete an application; its `live_keys` would be revoked with it.
    DeleteApplication {
        application: ApplicationId,
        live_keys: u64,
    },
    /// Delete an agent of `application`; its `live_keys` would be revoked with it.
    DeleteAgent {
        application: ApplicationId,
        live_keys: u64,
    },
    /// Invite someone to the workspace with `role`.
    Invite { role: Role },
    /// Change a member's role `from` one `to` another.
    ChangeRole { from: Role, to: Role },
    /// Remove a member who has `role` (their keys are revoked with them).
    RemoveMember { role: Role },
    /// Read (and export, and check) the workspace's audit log.
    ReadAudit,
    /// Start or close an access review of the workspace's keys, see every key in it and
    /// export its evidence.
    RunAccessReview,
    /// Confirm in an access review that a key is still needed.
    ConfirmKey(KeyFacts),
    /// Add, see or delete the workspace's webhooks (their deliveries name every key).
    ManageWebhooks,
}

/// Why an action on an object is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Denial {
    /// The object does not exist for this principal (answered as "not found").
    Hidden,
    /// The principal sees the object but may not do this; the text says why.
    Forbidden(String),
}

/// Decides whether `who` may perform `action`. Pure and deny by default.
///
/// The rules (DESIGN.md, "Trust rules"):
/// - every member sees, rotates and revokes their own keys; `keys:read` sees every key;
/// - `keys:write` (and the auditor role, for incident response) revokes anyone's key;
/// - **only a key's owner ever sees a secret of it**: nobody else rotates it;
/// - turning body logging *on* is the owner's decision; `keys:write` may turn it off;
/// - deleting an application or agent revokes the keys that depend on it, so with live keys
///   it needs `keys:write` as well: it is no back door to revoking others' keys;
/// - a key limited to one application reaches no other application's objects;
/// - members are managed by members (never by a key) whose role may give the roles involved:
///   `members:write`, and only owners give, take or remove the owner role;
/// - the audit log is the workspace's: `audit:read`, and no key limited to one application;
/// - access reviews are run by members who read every key and the audit log (`keys:read` and
///   `audit:read`: owners, admins, auditors); a key is confirmed by whoever may revoke it.
pub fn decide(who: &Principal, action: Action) -> Result<(), Denial> {
    let holds = |p: Permission| who.grant.permissions.contains(p);
    let sees = |key: &KeyFacts| key.owner == who.user || holds(Permission::KEYS_READ);
    let own = |key: &KeyFacts| key.owner == who.user;
    let in_scope = |app: Option<ApplicationId>| match (who.grant.application, app) {
        (Some(scope), Some(app)) => scope == app,
        (Some(_), None) => false,
        (None, _) => true,
    };
    match action {
        Action::SeeKey(key) => (sees(&key) && in_scope_of_key(who, &key))
            .then_some(())
            .ok_or(Denial::Hidden),
        Action::RevokeKey(key) => {
            decide(who, Action::SeeKey(key))?;
            let responder = who.role == Some(Role::Auditor);
            if own(&key) || holds(Permission::KEYS_WRITE) || responder {
                Ok(())
            } else {
                Err(Denial::Forbidden(
                    "You may only change your own keys.".into(),
                ))
            }
        }
        Action::RotateKey(key) => {
            decide(who, Action::SeeKey(key))?;
            if own(&key) {
                Ok(())
            } else {
                Err(Denial::Forbidden(
                    "You may only change your own keys this way: rotating issues a new secret, \
                     and only a key's owner ever sees its secrets. Revoke it instead, or ask its owner."
                        .into(),
                ))
            }
        }
        Action::NarrowKey(key) => {
            decide(who, Action::SeeKey(key))?;
            if own(&key) || holds(Permission::KEYS_WRITE) {
                Ok(())
            } else {
                Err(Denial::Forbidden(
                    "Only the key's owner or a member with keys:write may narrow it.".into(),
                ))
            }
        }
        Action::SetNetworks(key) => decide(who, Action::NarrowKey(key)).map_err(|d| match d {
            Denial::Forbidden(_) => Denial::Forbidden(
                "Only the key's owner or a member with keys:write may change its networks.".into(),
            ),
            hidden => hidden,
        }),
        Action::SetBodyLogging { key, enable } => {
            decide(who, Action::SeeKey(key))?;
            match (own(&key), enable, holds(Permission::KEYS_WRITE)) {
                (true, _, _) | (false, false, true) => Ok(()),
                (false, true, true) => Err(Denial::Forbidden(
                    "Only the key's owner may turn body logging on; you may turn it off.".into(),
                )),
                (false, _, false) => Err(Denial::Forbidden(
                    "You may only change your own keys.".into(),
                )),
            }
        }
        Action::DeleteApplication {
            application,
            live_keys,
        } => depend_on(who, in_scope(Some(application)), live_keys, "application"),
        Action::DeleteAgent {
            application,
            live_keys,
        } => depend_on(who, in_scope(Some(application)), live_keys, "agent"),
        Action::Invite { role } => assigns(who, &[role], || {
            format!("Your role cannot give the {} role.", role.id())
        }),
        Action::ChangeRole { from, to } => assigns(who, &[from, to], || {
            "Only owners can change who is an owner.".into()
        }),
        Action::RemoveMember { role } => {
            assigns(who, &[role], || "Only owners can remove an owner.".into())
        }
        Action::ReadAudit => match (holds(Permission::AUDIT_READ), who.grant.application) {
            (true, None) => Ok(()),
            (true, Some(_)) => Err(Denial::Forbidden(
                "A key limited to one application cannot read the workspace's audit log.".into(),
            )),
            (false, _) => Err(Denial::Forbidden(
                "Reading the audit log needs audit:read.".into(),
            )),
        },
        Action::RunAccessReview => {
            let reviewer = who.key_id.is_none()
                && who.grant.application.is_none()
                && holds(Permission::KEYS_READ)
                && holds(Permission::AUDIT_READ);
            reviewer.then_some(()).ok_or_else(|| {
                Denial::Forbidden("Running an access review needs keys:read and audit:read.".into())
            })
        }
        Action::ConfirmKey(key) => decide(who, Action::RevokeKey(key)),
        Action::ManageWebhooks => {
            let may = who.key_id.is_none()
                && who.grant.application.is_none()
                && holds(Permission::KEYS_WRITE)
                && holds(Permission::KEYS_READ);
            may.then_some(()).ok_or_else(|| {
                Denial::Forbidden("Managing webhooks needs keys:read and keys:write.".into())
            })
        }
    }
}

/// Whether `who` is a member whose role may give every role of `roles`.
fn assigns(who: &Principal, roles: &[Role], why: impl FnOnce() -> String) -> Result<(), Denial> {
    let may = who.key_id.is_none()
        && who
            .role
            .is_some_and(|mine| roles.iter().all(|r| mine.may_assign(*r)));
    may.then_some(()).ok_or_else(|| Denial::Forbidden(why()))
}

/// The keys `who` may see ([`Action::SeeKey`]) as a listing asks the database for them, so a
/// list is a query and never "load all, then filter".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyVisibility {
    /// Only keys owned by this user; `None`: any owner.
    pub owner: Option<UserId>,
    /// Only keys limited to this application; `None`: any scope.
    pub application: Option<ApplicationId>,
}

impl KeyVisibility {
    pub fn of(who: &Principal) -> KeyVisibility {
        KeyVisibility {
            owner: (!who.grant.permissions.contains(Permission::KEYS_READ)).then_some(who.user),
            application: who.grant.application,
        }
    }

    /// Whether a key is inside this visibility: the same answer as [`decide`] on `SeeKey`.
    pub fn covers(self, key: &KeyFacts) -> bool {
        self.owner.is_none_or(|o| o == key.owner)
            && self.application.is_none_or(|a| key.application == Some(a))
    }
}

/// A key principal limited to one application sees only keys of that application.
fn in_scope_of_key(who: &Principal, key: &KeyFacts) -> bool {
    who.grant.application.is_none() || who.grant.application == key.application
}

fn depend_on(who: &Principal, in_scope: bool, live_keys: u64, what: &str) -> Result<(), Denial> {
    if !in_scope {
        return Err(Denial::Hidden);
    }
    if live_keys == 0 || who.grant.permissions.contains(Permission::KEYS_WRITE) {
        return Ok(());
    }
    let keys = if live_keys == 1 {
        "1 live key depends".to_string()
    } else {
        format!("{live_keys} live keys depend")
    };
    Err(Denial::Forbidden(format!(
        "{keys} on this {what}. Deleting it would revoke them, which needs keys:write: \
         ask an admin, or have their owners revoke them first."
    )))
}

/// What the console may offer on one key row, from [`decide`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAbilities {
    pub revoke: bool,
    pub rotate: bool,
    #[serde(default)]
    pub narrow: bool,
    pub enable_body_logging: bool,
    pub disable_body_logging: bool,
}

impl KeyAbilities {
    pub fn of(who: &Principal, key: KeyFacts) -> KeyAbilities {
        let may = |a| decide(who, a).is_ok();
        KeyAbilities {
            revoke: may(Action::RevokeKey(key)),
            rotate: may(Action::RotateKey(key)),
            narrow: may(Action::NarrowKey(key)),
            enable_body_logging: may(Action::SetBodyLogging { key, enable: true }),
            disable_body_logging: may(Action::SetBodyLogging { key, enable: false }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Grant, PrincipalKind};
    use crate::ids::WorkspaceId;
    use crate::permissions::PermissionSet;

    const ME: UserId = UserId::from_u128(1);
    const OTHER: UserId = UserId::from_u128(2);
    const APP_A: ApplicationId = ApplicationId::from_u128(10);
    const APP_B: ApplicationId = ApplicationId::from_u128(11);
    const WORKSPACE: WorkspaceId = WorkspaceId::from_u128(100);

    fn member(role: Role) -> Principal {
        Principal::member(ME, WORKSPACE, role, String::new())
    }

    fn service_key(perms: &[Permission], scope: Option<ApplicationId>) -> Principal {
        let mut p = Principal::member(ME, WORKSPACE, Role::Owner, String::new());
        p.role = None;
        p.key_id = Some("AbCd1234".into());
        p.grant = Grant {
            kind: PrincipalKind::Service,
            permissions: perms.iter().copied().collect::<PermissionSet>(),
            application: scope,
        };
        p
    }

    fn key(owner: UserId) -> KeyFacts {
        KeyFacts {
            owner,
            application: None,
        }
    }

    fn forbidden(r: Result<(), Denial>) -> bool {
        matches!(r, Err(Denial::Forbidden(_)))
    }

    #[test]
    fn who_may_do_what_to_a_key() {
        use Role::*;
        let theirs = key(OTHER);
        let mine = key(ME);
        // (role, action, expected: Ok / Hidden / Forbidden)
        #[derive(Debug, PartialEq)]
        enum E {
            Ok,
            Hidden,
            Forbidden,
        }
        let cases: Vec<(Role, Action, E)> = vec![
            (Viewer, Action::SeeKey(mine), E::Ok),
            (Viewer, Action::RotateKey(mine), E::Ok),
            (Viewer, Action::RevokeKey(mine), E::Ok),
            (Viewer, Action::SeeKey(theirs), E::Hidden),
            (Developer, Action::RevokeKey(theirs), E::Hidden),
            (Developer, Action::RotateKey(theirs), E::Hidden),
            (Auditor, Action::SeeKey(theirs), E::Ok),
            (Auditor, Action::RevokeKey(theirs), E::Ok),
            (Auditor, Action::RotateKey(theirs), E::Forbidden),
            (Admin, Action::RevokeKey(theirs), E::Ok),
            // Only the owner ever sees a secret of a key: not even an owner of the workspace.
            (Admin, Action::RotateKey(theirs), E::Forbidden),
            (Owner, Action::RotateKey(theirs), E::Forbidden),
            (Owner, Action::RotateKey(mine), E::Ok),
            // Narrowing changes what a key can do: owners of the key and keys:write only.
            (Viewer, Action::NarrowKey(mine), E::Ok),
            (Admin, Action::NarrowKey(theirs), E::Ok),
            (Auditor, Action::NarrowKey(theirs), E::Forbidden),
            (Developer, Action::NarrowKey(theirs), E::Hidden),
            (
                Admin,
                Action::SetBodyLogging {
                    key: theirs,
                    enable: true,
                },
                E::Forbidden,
            ),
            (
                Admin,
                Action::SetBodyLogging {
                    key: theirs,
                    enable: false,
                },
                E::Ok,
            ),
            (
                Auditor,
                Action::SetBodyLogging {
                    key: theirs,
                    enable: false,
                },
                E::Forbidden,
            ),
            (
                Viewer,
                Action::SetBodyLogging {
                    key: mine,
                    enable: true,
                },
                E::Ok,
            ),
        ];
        for (role, action, expected) in cases {
            let got = match decide(&member(role), action) {
                Ok(()) => E::Ok,
                Err(Denial::Hidden) => E::Hidden,
                Err(Denial::Forbidden(_)) => E::Forbidden,
            };
            assert_eq!(got, expected, "{role:?} {action:?}");
        }
    }

    #[test]
    fn deleting_what_keys_depend_on_needs_keys_write() {
        let delete = |live_keys| Action::DeleteApplication {
            application: APP_A,
            live_keys,
        };
        assert_eq!(decide(&member(Role::Developer), delete(0)), Ok(()));
        let refused = decide(&member(Role::Developer), delete(3));
        assert_eq!(
            refused,
            Err(Denial::Forbidden(
                "3 live keys depend on this application. Deleting it would revoke them, which \
                 needs keys:write: ask an admin, or have their owners revoke them first."
                    .into()
            ))
        );
        assert_eq!(decide(&member(Role::Admin), delete(3)), Ok(()));
        let writer = service_key(&[Permission::APPLICATIONS_WRITE], None);
        assert!(forbidden(decide(&writer, delete(1))));
        assert_eq!(decide(&writer, delete(0)), Ok(()));
        let agent = Action::DeleteAgent {
            application: APP_A,
            live_keys: 1,
        };
        assert!(forbidden(decide(&member(Role::Developer), agent)));
    }

    #[test]
    fn a_key_limited_to_one_application_reaches_nothing_else() {
        let scoped = service_key(
            &[Permission::APPLICATIONS_WRITE, Permission::KEYS_WRITE],
            Some(APP_A),
        );
        let delete = |application| Action::DeleteApplication {
            application,
            live_keys: 0,
        };
        assert_eq!(decide(&scoped, delete(APP_A)), Ok(()));
        assert_eq!(decide(&scoped, delete(APP_B)), Err(Denial::Hidden));
        let elsewhere = KeyFacts {
            owner: OTHER,
            application: Some(APP_B),
        };
        assert_eq!(
            decide(&scoped, Action::RevokeKey(elsewhere)),
            Err(Denial::Hidden)
        );
    }

    #[test]
    fn the_audit_log_is_read_with_audit_read_across_the_workspace() {
        use Role::*;
        for (role, may) in [
            (Owner, true),
            (Admin, true),
            (Auditor, true),
            (Developer, false),
            (Viewer, false),
        ] {
            assert_eq!(
                decide(&member(role), Action::ReadAudit).is_ok(),
                may,
                "{role:?}"
            );
        }
        let reader = service_key(&[Permission::AUDIT_READ], None);
        assert_eq!(decide(&reader, Action::ReadAudit), Ok(()));
        let scoped = service_key(&[Permission::AUDIT_READ], Some(APP_A));
        assert!(forbidden(decide(&scoped, Action::ReadAudit)));
        assert!(forbidden(decide(
            &service_key(&[Permission::KEYS_READ], None),
            Action::ReadAudit
        )));
    }

    #[test]
    fn members_are_managed_within_ones_own_role() {
        use Role::*;
        let roles = [Owner, Admin, Developer, Auditor, Viewer];
        for mine in roles {
            let who = member(mine);
            for role in roles {
                let may = mine.permissions().contains(Permission::MEMBERS_WRITE)
                    && (mine == Owner || role != Owner);
                assert_eq!(
                    decide(&who, Action::Invite { role }).is_ok(),
                    may,
                    "{mine} invites {role}"
                );
                assert_eq!(
                    decide(&who, Action::RemoveMember { role }).is_ok(),
                    may,
                    "{mine} removes {role}"
                );
                for to in roles {
                    let both = may && (mine == Owner || to != Owner);
                    assert_eq!(
                        decide(&who, Action::ChangeRole { from: role, to }).is_ok(),
                        both,
                        "{mine} changes {role} to {to}"
                    );
                }
            }
        }
        assert!(forbidden(decide(
            &member(Admin),
            Action::ChangeRole {
                from: Owner,
                to: Admin
            }
        )));
        // A key never manages members, whatever it holds.
        let key = service_key(&[Permission::MEMBERS_WRITE], None);
        assert!(forbidden(decide(&key, Action::Invite { role: Viewer })));
        assert!(forbidden(decide(
            &key,
            Action::RemoveMember { role: Viewer }
        )));
    }

    #[test]
    fn abilities_follow_the_decision() {
        let admin = member(Role::Admin);
        let theirs = KeyAbilities::of(&admin, key(OTHER));
        assert_eq!(
            theirs,
            KeyAbilities {
                revoke: true,
                rotate: false,
                narrow: true,
                enable_body_logging: false,
                disable_body_logging: true,
            }
        );
        let mine = KeyAbilities::of(&member(Role::Viewer), key(ME));
        assert!(mine.revoke && mine.rotate && mine.narrow && mine.enable_body_logging);
        assert!(!KeyAbilities::of(&member(Role::Auditor), key(OTHER)).narrow);
        // Networks follow the narrowing rule: owner or keys:write, never an auditor.
        for role in [Role::Viewer, Role::Auditor, Role::Admin] {
            let who = member(role);
            assert_eq!(
                decide(&who, Action::SetNetworks(key(OTHER))).is_ok(),
                decide(&who, Action::NarrowKey(key(OTHER))).is_ok()
            );
        }
        assert!(decide(&member(Role::Viewer), Action::SetNetworks(key(ME))).is_ok());
    }

    #[test]
    fn access_reviews_are_run_by_reviewers_and_keys_confirmed_by_who_may_revoke_them() {
        use Role::*;
        let runs = |who: &Principal| decide(who, Action::RunAccessReview).is_ok();
        for (role, expected) in [
            (Owner, true),
            (Admin, true),
            (Auditor, true),
            (Developer, false),
            (Viewer, false),
        ] {
            assert_eq!(runs(&member(role)), expected, "{role:?}");
        }
        // Never a key, even one holding both permissions.
        let both = [Permission::KEYS_READ, Permission::AUDIT_READ];
        assert!(!runs(&service_key(&both, None)));
        let confirms = |who: &Principal, k| decide(who, Action::ConfirmKey(k));
        assert!(confirms(&member(Viewer), key(ME)).is_ok());
        assert_eq!(
            confirms(&member(Viewer), key(OTHER)),
            Err(Denial::Hidden),
            "a key one cannot see is not found"
        );
        assert!(confirms(&member(Auditor), key(OTHER)).is_ok());
        assert!(confirms(&member(Admin), key(OTHER)).is_ok());
        let manages = |who: &Principal| decide(who, Action::ManageWebhooks).is_ok();
        assert!(manages(&member(Owner)) && manages(&member(Admin)));
        assert!(!manages(&member(Auditor)) && !manages(&member(Developer)));
        assert!(!manages(&service_key(
            &[Permission::KEYS_READ, Permission::KEYS_WRITE],
            None
        )));
    }

    #[test]
    fn a_listing_sees_exactly_what_decide_lets_one_see() {
        let principals = [
            member(Role::Viewer),
            member(Role::Auditor),
            member(Role::Owner),
            service_key(&[Permission::KEYS_READ], Some(APP_A)),
            service_key(&[Permission::KEYS_READ], None),
            service_key(&[Permission::APPLICATIONS_READ], Some(APP_B)),
        ];
        for who in &principals {
            for owner in [ME, OTHER] {
                for application in [None, Some(APP_A), Some(APP_B)] {
                    let k = KeyFacts { owner, application };
                    assert_eq!(
                        KeyVisibility::of(who).covers(&k),
                        decide(who, Action::SeeKey(k)).is_ok(),
                        "{who:?} {k:?}"
                    );
                }
            }
        }
    }
}
