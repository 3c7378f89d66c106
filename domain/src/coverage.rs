//! Route coverage: what a grant reaches in the route table, computed with the same gate the
//! middleware uses.

use super::access::{authorize, Grant};
use super::routes::ROUTES;
use serde::{Deserialize, Serialize};

/// One route of the table and whether a grant reaches it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageLine {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub principals: Vec<String>,
    pub permissions: Vec<String>,
    pub agent_binding: bool,
    /// The route's rate limit class, and for a key the limits that count its requests.
    pub limit: String,
    pub allowed: bool,
    /// Why it is refused, or a limit on where it is allowed.
    pub reason: String,
}

/// Every declared route, allowed or refused for `grant`, and why.
pub fn coverage(grant: &Grant) -> Vec<CoverageLine> {
    ROUTES
        .iter()
        .map(|r| {
            let decision = authorize(grant, &r.requirement, None);
            let reason = match (&decision, grant.application) {
                (Err(refusal), _) => refusal.explain(),
                (Ok(()), Some(app)) if r.targets_application => {
                    format!("Only for application {app}.")
                }
                (Ok(()), _) => String::new(),
            };
            CoverageLine {
                method: r.method.as_str().into(),
                path: r.path.into(),
                summary: r.summary.into(),
                principals: r
                    .requirement
                    .principals
                    .iter()
                    .map(|p| p.id().to_string())
                    .collect(),
                permissions: r
                    .requirement
                    .permissions
                    .iter()
                    .map(|p| p.id().to_string())
                    .collect(),
                agent_binding: r.requirement.agent_binding,
                limit: r.limit.id().into(),
                allowed: decision.is_ok(),
                reason,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::PrincipalKind;
    use crate::permissions::PermissionSet;

    #[test]
    fn a_read_only_service_key_reaches_reads_and_not_writes_or_user_routes() {
        let grant = Grant {
            kind: PrincipalKind::Service,
            permissions: PermissionSet::parse_list(["applications:read"]).unwrap(),
            application: None,
        };
        let lines = coverage(&grant);
        assert_eq!(lines.len(), ROUTES.len());
        let find = |m: &str, p: &str| lines.iter().find(|l| l.method == m && l.path == p).unwrap();
        assert!(find("GET", "/api/v1/me").allowed);
        assert!(find("GET", "/api/v1/application/tokens").allowed);
        let write = find("POST", "/api/v1/applications");
        assert!(!write.allowed);
        assert_eq!(write.reason, "Missing permission applications:write.");
        assert_eq!(
            find("GET", "/api/v1/user/keys").reason,
            "Only user credentials may call this."
        );
    }
}
