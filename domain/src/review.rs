//! The key review: what makes a key worth a reviewer's look, one finding per view of
//! `/settings/api-keys/review`.

use serde::{Deserialize, Serialize};

/// Why a key is listed for review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Finding {
    Unused90,
    NeverUsed,
    Unused30,
    Expiring,
    NoExpiry,
    NoPurpose,
    OwnerDemoted,
    UnusedPermissions,
    OwnerLeft,
    Imported,
}

impl Finding {
    /// Every finding, in the order the review offers them.
    pub const ALL: [Finding; 10] = [
        Finding::Unused90,
        Finding::NeverUsed,
        Finding::Unused30,
        Finding::Expiring,
        Finding::NoExpiry,
        Finding::NoPurpose,
        Finding::OwnerDemoted,
        Finding::UnusedPermissions,
        Finding::OwnerLeft,
        Finding::Imported,
    ];

    /// The URL parameter value.
    pub fn id(self) -> &'static str {
        match self {
            Finding::Unused90 => "unused_90",
            Finding::NeverUsed => "never_used",
            Finding::Unused30 => "unused_30",
            Finding::Expiring => "expiring",
            Finding::NoExpiry => "no_expiry",
            Finding::NoPurpose => "no_purpose",
            Finding::OwnerDemoted => "owner_demoted",
            Finding::UnusedPermissions => "unused_permissions",
            Finding::OwnerLeft => "owner_left",
            Finding::Imported => "imported",
        }
    }

    /// What the review says of a key with this finding.
    pub fn label(self) -> &'static str {
        match self {
            Finding::Unused90 => "Unused for 90 days",
            Finding::NeverUsed => "Never used (created over a week ago)",
            Finding::Unused30 => "Unused for 30 days",
            Finding::Expiring => "Expires within 14 days",
            Finding::NoExpiry => "Never expires",
            Finding::NoPurpose => "No purpose given",
            Finding::OwnerDemoted => "Owner's role no longer covers it",
            Finding::UnusedPermissions => "Holds permissions it has not used in 30 days",
            Finding::OwnerLeft => "Owner left the workspace",
            Finding::Imported => {
                "Imported secret (made outside Keyward: rotate to a generated one)"
            }
        }
    }

    /// The finding a URL names; none named is the first.
    pub fn parse(id: Option<&str>) -> Result<Finding, String> {
        match id.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Finding::ALL[0]),
            Some(id) => Finding::ALL
                .into_iter()
                .find(|f| f.id() == id)
                .ok_or_else(|| format!("Unknown finding \"{id}\".")),
        }
    }
}

/// Where the review lives.
pub const REVIEW_PAGE: &str = "/settings/api-keys/review";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_read_back_from_their_ids() {
        for f in Finding::ALL {
            assert_eq!(Finding::parse(Some(f.id())), Ok(f));
        }
        assert_eq!(Finding::parse(None), Ok(Finding::Unused90));
        assert!(Finding::parse(Some("stale")).is_err());
    }
}
