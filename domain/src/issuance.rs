//! The workspace policy for keys, and the one check every issuance of a secret passes:
//! creation, rotation and (later) import alike (DESIGN.md: "Policy holds at every issuance").

use super::dates::{format_date, DAY};
use super::secret::KeyKind;
use serde::{Deserialize, Serialize};

/// Workspace policy for keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Longest allowed key lifetime in days; `None` for no maximum.
    pub max_lifetime_days: Option<i64>,
    pub allow_never_expiring: bool,
    pub allow_service_keys: bool,
    pub allow_agent_keys: bool,
    /// `X-ApiKey`, `key` query or form field, `API_Key` JSON property.
    pub legacy_transports: bool,
    pub rate_limit_per_minute: i64,
    /// Members may import existing secrets (off by default).
    #[serde(default)]
    pub allow_import: bool,
}

/// Why the policy refuses to issue a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuanceRefusal {
    /// The principal kind is turned off (a forbidden action, not bad input).
    PrincipalNotAllowed(&'static str),
    /// The expiry does not fit; the message says what would.
    Expiry(String),
}

impl IssuanceRefusal {
    pub fn message(&self) -> &str {
        match self {
            IssuanceRefusal::PrincipalNotAllowed(m) => m,
            IssuanceRefusal::Expiry(m) => m,
        }
    }
}

impl Policy {
    /// The latest expiry a secret issued at `now` may have; `None` when there is no maximum.
    pub fn latest_expiry(&self, now: i64) -> Option<i64> {
        self.max_lifetime_days.map(|d| now + d * DAY)
    }

    /// Whether a secret of `kind` expiring at `expires_at` (`None`: never) may be issued now.
    pub fn check_issuance(
        &self,
        kind: KeyKind,
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<(), IssuanceRefusal> {
        match kind {
            KeyKind::Service if !self.allow_service_keys => {
                return Err(IssuanceRefusal::PrincipalNotAllowed(
                    "This workspace does not allow service keys.",
                ))
            }
            KeyKind::Agent if !self.allow_agent_keys => {
                return Err(IssuanceRefusal::PrincipalNotAllowed(
                    "This workspace does not allow agent keys.",
                ))
            }
            _ => {}
        }
        let latest = self.latest_expiry(now);
        match expires_at {
            None if !self.allow_never_expiring => Err(IssuanceRefusal::Expiry(match latest {
                Some(l) => format!(
                    "This workspace requires keys to expire: choose an expiry on or before {}.",
                    format_date(l)
                ),
                None => "This workspace requires keys to expire.".into(),
            })),
            Some(t) if t <= now => Err(IssuanceRefusal::Expiry(
                "The expiration must be in the future.".into(),
            )),
            Some(t) if latest.is_some_and(|l| t > l) => Err(IssuanceRefusal::Expiry(format!(
                "This workspace allows keys to live at most {} days: choose an expiry on or before {}.",
                self.max_lifetime_days.unwrap_or_default(),
                format_date(latest.unwrap_or_default())
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max: Option<i64>, never: bool) -> Policy {
        Policy {
            max_lifetime_days: max,
            allow_never_expiring: never,
            allow_service_keys: true,
            allow_agent_keys: false,
            legacy_transports: false,
            rate_limit_per_minute: 60,
            allow_import: false,
        }
    }

    #[test]
    fn issuance_follows_the_policy() {
        let now = 1_800_000_000;
        let p = policy(Some(30), false);
        assert_eq!(
            p.check_issuance(KeyKind::Service, Some(now + 30 * DAY), now),
            Ok(())
        );
        let long = p.check_issuance(KeyKind::Service, Some(now + 31 * DAY), now);
        assert!(
            matches!(&long, Err(IssuanceRefusal::Expiry(m)) if m.contains("at most 30 days") && m.contains(&format_date(now + 30 * DAY))),
            "{long:?}"
        );
        let never = p.check_issuance(KeyKind::Service, None, now);
        assert!(
            matches!(&never, Err(IssuanceRefusal::Expiry(m)) if m.contains("requires keys to expire")),
            "{never:?}"
        );
        assert!(matches!(
            p.check_issuance(KeyKind::Agent, Some(now + DAY), now),
            Err(IssuanceRefusal::PrincipalNotAllowed(_))
        ));
        assert!(matches!(
            p.check_issuance(KeyKind::Service, Some(now), now),
            Err(IssuanceRefusal::Expiry(_))
        ));
        assert_eq!(
            policy(None, true).check_issuance(KeyKind::Service, None, now),
            Ok(())
        );
    }
}
