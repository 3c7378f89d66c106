//! Least privilege from observed use: which of a key's permissions its requests actually
//! needed, from the routes it called (as its access log names them) and what the route table
//! says each route requires.

use crate::permissions::{Permission, PermissionSet};
use crate::routes::ROUTES;

/// How far back "used" looks.
pub const OBSERVATION_DAYS: i64 = 30;

/// One granted permission and when a request last needed it (`None`: not in the window).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermissionUse {
    pub permission: Permission,
    pub last_needed: Option<i64>,
}

/// For each permission of `granted`, the latest time one of `called` — (method, route
/// template, last called) — required it. Routes no longer in the table are ignored.
pub fn observed<'a>(
    granted: PermissionSet,
    called: impl IntoIterator<Item = (&'a str, &'a str, i64)>,
) -> Vec<PermissionUse> {
    let mut uses: Vec<PermissionUse> = granted
        .iter()
        .map(|permission| PermissionUse {
            permission,
            last_needed: None,
        })
        .collect();
    for (method, route, at) in called {
        let Some(r) = ROUTES
            .iter()
            .find(|r| r.path == route && r.method.as_str() == method)
        else {
            continue;
        };
        for u in uses
            .iter_mut()
            .filter(|u| r.requirement.permissions.contains(&u.permission))
        {
            u.last_needed = Some(u.last_needed.map_or(at, |t| t.max(at)));
        }
    }
    uses
}

/// The permissions of `uses` some request needed.
pub fn used(uses: &[PermissionUse]) -> PermissionSet {
    uses.iter()
        .filter(|u| u.last_needed.is_some())
        .map(|u| u.permission)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::Permission as P;

    #[test]
    fn a_permission_counts_as_used_when_a_called_route_required_it() {
        let granted: PermissionSet = [P::APPLICATIONS_READ, P::APPLICATIONS_WRITE, P::KEYS_READ]
            .into_iter()
            .collect();
        let uses = observed(
            granted,
            [
                ("GET", "/api/v1/applications", 10),
                ("GET", "/api/v1/applications/{id}", 30),
                ("GET", "/api/v1/me", 40),
                ("GET", "/api/v1/no-longer-a-route", 50),
            ],
        );
        assert_eq!(
            uses,
            vec![
                PermissionUse {
                    permission: P::APPLICATIONS_READ,
                    last_needed: Some(30)
                },
                PermissionUse {
                    permission: P::APPLICATIONS_WRITE,
                    last_needed: None
                },
                PermissionUse {
                    permission: P::KEYS_READ,
                    last_needed: None
                },
            ]
        );
        assert_eq!(used(&uses), [P::APPLICATIONS_READ].into_iter().collect());
    }
}
