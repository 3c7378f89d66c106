//! The machine API's one route table. The middleware enforces it, the router is built from
//! it, the OpenAPI document and the console's API reference render it, and the credential
//! tester computes route coverage from it.

use super::access::{Requirement, ANY_PRINCIPAL, USERS_AND_SERVICES, USERS_ONLY};
use super::limits::LimitClass;
use super::permissions::Permission as P;
use serde::{Deserialize, Serialize};

/// Every machine route, by name. The server matches on this exhaustively, so a route cannot
/// be declared without a handler nor served without a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RouteId {
    Me,
    MeCoverage,
    ApplicationsList,
    ApplicationsCreate,
    ApplicationRead,
    ApplicationUpdate,
    ApplicationDelete,
    ApplicationContentPut,
    ApplicationTokens,
    ApplicationAgentsByUuid,
    AgentsCreate,
    KeysVerify,
    AuthToken,
    UserKeysList,
    UserKeysCreate,
    UserKeysImport,
    UserKeyRotate,
    UserKeyRevoke,
    AuditList,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// One declared route.
#[derive(Clone, Copy, Debug)]
pub struct MachineRoute {
    pub id: RouteId,
    pub method: Method,
    /// Axum / OpenAPI path template, `{id}` for an application id.
    pub path: &'static str,
    pub summary: &'static str,
    pub requirement: Requirement,
    /// The `{id}` / `{uuid}` path parameter names an application the key must be scoped to.
    pub targets_application: bool,
    /// Takes a JSON body (415 without `application/json`).
    pub json_body: bool,
    /// Which of the workspace's rate limits count it: reads by default, every other method
    /// as a write, unless declared otherwise.
    pub limit: LimitClass,
}

impl MachineRoute {
    /// Safe to call in a smoke test: reads only, no path parameter to invent.
    pub fn smoke_testable(&self) -> bool {
        self.method == Method::Get && !self.path.contains('{')
    }
}

const fn route(
    id: RouteId,
    method: Method,
    path: &'static str,
    summary: &'static str,
    principals: &'static [super::access::PrincipalKind],
    permissions: &'static [P],
) -> MachineRoute {
    MachineRoute {
        id,
        method,
        path,
        summary,
        requirement: Requirement {
            principals,
            permissions,
            agent_binding: false,
        },
        targets_application: false,
        json_body: matches!(method, Method::Post | Method::Put | Method::Patch),
        limit: match method {
            Method::Get => LimitClass::Default,
            _ => LimitClass::Write,
        },
    }
}

const fn limited_as(mut r: MachineRoute, class: LimitClass) -> MachineRoute {
    r.limit = class;
    r
}

const fn on_application(mut r: MachineRoute) -> MachineRoute {
    r.targets_application = true;
    r
}

const fn agent_bound(mut r: MachineRoute) -> MachineRoute {
    r.requirement.agent_binding = true;
    r
}

const fn no_body(mut r: MachineRoute) -> MachineRoute {
    r.json_body = false;
    r
}

use Method::*;
use RouteId::*;

/// The table. Order is the order of the API reference.
pub static ROUTES: &[MachineRoute] = &[
    route(
        Me,
        Get,
        "/api/v1/me",
        "Who am I: principal, key, workspace, effective permissions, expiry",
        ANY_PRINCIPAL,
        &[],
    ),
    route(
        MeCoverage,
        Get,
        "/api/v1/me/coverage",
        "My principal, permissions and which routes I reach, and why",
        ANY_PRINCIPAL,
        &[],
    ),
    route(
        ApplicationsList,
        Get,
        "/api/v1/applications",
        "List applications",
        ANY_PRINCIPAL,
        &[P::APPLICATIONS_READ],
    ),
    route(
        ApplicationsCreate,
        Post,
        "/api/v1/applications",
        "Create an application",
        USERS_AND_SERVICES,
        &[P::APPLICATIONS_WRITE],
    ),
    on_application(route(
        ApplicationRead,
        Get,
        "/api/v1/applications/{id}",
        "Read an application",
        ANY_PRINCIPAL,
        &[P::APPLICATIONS_READ],
    )),
    on_application(route(
        ApplicationUpdate,
        Patch,
        "/api/v1/applications/{id}",
        "Rename an application",
        USERS_AND_SERVICES,
        &[P::APPLICATIONS_WRITE],
    )),
    no_body(on_application(route(
        ApplicationDelete,
        Delete,
        "/api/v1/applications/{id}",
        "Delete an application",
        USERS_AND_SERVICES,
        &[P::APPLICATIONS_WRITE],
    ))),
    agent_bound(on_application(route(
        ApplicationContentPut,
        Put,
        "/api/v1/applications/{id}/content",
        "Replace an application's content (agent keys: bound to it)",
        ANY_PRINCIPAL,
        &[P::APPLICATIONS_WRITE],
    ))),
    route(
        ApplicationTokens,
        Get,
        "/api/v1/application/tokens",
        "Public metadata of the keys scoped to applications (paginated)",
        ANY_PRINCIPAL,
        &[P::APPLICATIONS_READ],
    ),
    on_application(route(
        ApplicationAgentsByUuid,
        Get,
        "/api/v1/application/{uuid}/agents",
        "List an application's agents",
        ANY_PRINCIPAL,
        &[P::APPLICATIONS_READ],
    )),
    on_application(route(
        AgentsCreate,
        Post,
        "/api/v1/applications/{id}/agents",
        "Register an agent of an application",
        USERS_AND_SERVICES,
        &[P::AGENTS_WRITE],
    )),
    limited_as(
        route(
            KeysVerify,
            Post,
            "/api/v1/keys/verify",
            "Verify a secret against required permissions (for other backends)",
            USERS_AND_SERVICES,
            &[P::KEYS_READ],
        ),
        LimitClass::Verify,
    ),
    no_body(route(
        AuthToken,
        Post,
        "/api/v1/auth/token",
        "Issue a short-lived user token for the signed-in session",
        USERS_ONLY,
        &[],
    )),
    route(
        UserKeysList,
        Get,
        "/api/v1/user/keys",
        "List my own API keys",
        USERS_ONLY,
        &[],
    ),
    route(
        UserKeysCreate,
        Post,
        "/api/v1/user/keys",
        "Create an API key of my own (capped at my role)",
        USERS_ONLY,
        &[],
    ),
    route(
        UserKeysImport,
        Post,
        "/api/v1/user/keys/import",
        "Import an existing secret as an API key of my own (where the workspace allows it)",
        USERS_ONLY,
        &[],
    ),
    route(
        UserKeyRotate,
        Post,
        "/api/v1/user/keys/{key_id}/rotate",
        "Rotate one of my API keys",
        USERS_ONLY,
        &[],
    ),
    route(
        AuditList,
        Get,
        "/api/v1/audit",
        "Read the workspace's audit log, newest first, filtered (paginated)",
        USERS_AND_SERVICES,
        &[P::AUDIT_READ],
    ),
    no_body(route(
        UserKeyRevoke,
        Delete,
        "/api/v1/user/keys/{key_id}",
        "Revoke one of my API keys",
        USERS_ONLY,
        &[],
    )),
];

/// Looks a route up by name.
pub fn route_by_id(id: RouteId) -> &'static MachineRoute {
    ROUTES
        .iter()
        .find(|r| r.id == id)
        .expect("every RouteId is declared in ROUTES")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_route_is_declared_once_and_under_v1() {
        let mut seen = HashSet::new();
        for r in ROUTES {
            assert!(r.path.starts_with("/api/v1/"), "{}", r.path);
            assert!(
                seen.insert((r.method, r.path)),
                "duplicate {} {}",
                r.method.as_str(),
                r.path
            );
            assert_eq!(route_by_id(r.id).path, r.path);
        }
        let ids: HashSet<_> = ROUTES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), ROUTES.len());
    }

    #[test]
    fn every_change_is_limited_as_a_write_or_stricter() {
        for r in ROUTES {
            let expected = match (r.id, r.method) {
                (KeysVerify, _) => LimitClass::Verify,
                (_, Get) => LimitClass::Default,
                _ => LimitClass::Write,
            };
            assert_eq!(r.limit, expected, "{}", r.path);
        }
    }

    #[test]
    fn keys_can_never_manage_keys() {
        for r in ROUTES
            .iter()
            .filter(|r| r.path.starts_with("/api/v1/user/") || r.id == AuthToken)
        {
            assert_eq!(r.requirement.principals, USERS_ONLY, "{}", r.path);
        }
    }

    #[test]
    fn the_buildspace_reads_keep_their_paths_and_permission() {
        for id in [ApplicationTokens, ApplicationAgentsByUuid] {
            assert_eq!(
                route_by_id(id).requirement.permissions,
                &[P::APPLICATIONS_READ]
            );
        }
        assert_eq!(
            route_by_id(ApplicationTokens).path,
            "/api/v1/application/tokens"
        );
    }
}
