//! Access reviews: campaigns in which each key that was live when the review began is
//! confirmed as still needed (with a note) or revoked, by its owner or a reviewer, until the
//! keys nobody confirmed are revoked in one previewed step and the review is closed. The
//! evidence (key, owner, purpose, permissions, last use, decision, who, when) is exported.

use crate::paging::{cursor, link, QueryParams};

/// The campaign's page.
pub const ACCESS_REVIEWS_PAGE: &str = "/settings/access-reviews";
/// Where "Start review" posts.
pub const START_PATH: &str = "/settings/access-reviews/start";
/// Where a key's "Still needed" or "Revoke" posts.
pub const DECIDE_PATH: &str = "/settings/access-reviews/decide";
/// Where "Close review" posts.
pub const CLOSE_PATH: &str = "/settings/access-reviews/close";
/// The evidence of one review (`review=`), as CSV or JSON.
pub const EVIDENCE_CSV: &str = "/settings/access-reviews/evidence.csv";
pub const EVIDENCE_JSON: &str = "/settings/access-reviews/evidence.json";

/// What was decided of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Still needed: kept, with the note that says why.
    Keep,
    Revoke,
}

impl Decision {
    pub fn id(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Revoke => "revoke",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Keep => "Still needed",
            Decision::Revoke => "Revoked",
        }
    }

    pub fn parse(id: &str) -> Option<Decision> {
        [Decision::Keep, Decision::Revoke]
            .into_iter()
            .find(|d| d.id() == id.trim())
    }
}

/// Which keys of a review a page lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    All,
    Undecided,
    Decided(Decision),
}

impl Show {
    pub const ALL: [Show; 4] = [
        Show::Undecided,
        Show::All,
        Show::Decided(Decision::Keep),
        Show::Decided(Decision::Revoke),
    ];

    pub fn id(self) -> &'static str {
        match self {
            Show::All => "all",
            Show::Undecided => "undecided",
            Show::Decided(d) => d.id(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Show::All => "All keys",
            Show::Undecided => "Awaiting a decision",
            Show::Decided(d) => d.label(),
        }
    }

    /// The filter a URL names; none named is every key.
    pub fn parse(id: Option<&str>) -> Result<Show, String> {
        match id.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Show::All),
            Some(id) => Show::ALL
                .into_iter()
                .find(|s| s.id() == id)
                .ok_or_else(|| format!("Unknown view \"{id}\".")),
        }
    }
}

/// A view of a review's page: which review (the open one when none is named), which keys,
/// and where (a key id, going forward or back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewQuery {
    pub review: Option<crate::ids::AccessReviewId>,
    pub show: Show,
    pub cursor: Option<(String, bool)>,
}

impl ReviewQuery {
    /// The view a URL query asks for; a bad value is named.
    pub fn parse(search: &str) -> Result<ReviewQuery, String> {
        let params = QueryParams::parse(search);
        let review = match params.get("review").as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(
                crate::ids::AccessReviewId::parse(r)
                    .map_err(|_| "That review does not exist.".to_string())?,
            ),
        };
        let show = Show::parse(params.get("show").as_deref())?;
        let key_id = |v: &str| {
            (v.len() == crate::secret::KEY_ID_LEN && v.chars().all(|c| c.is_ascii_alphanumeric()))
                .then(|| v.to_string())
        };
        let cursor = cursor(params.get("after"), params.get("before"), key_id)?;
        Ok(ReviewQuery {
            review,
            show,
            cursor,
        })
    }

    /// The same view at `cursor` (`None`: its first page).
    pub fn at(&self, cursor: Option<(String, bool)>) -> ReviewQuery {
        ReviewQuery {
            cursor,
            ..self.clone()
        }
    }

    /// The view's link.
    pub fn href(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(r) = self.review {
            pairs.push(("review", r.to_string()));
        }
        if self.show != Show::All {
            pairs.push(("show", self.show.id().to_string()));
        }
        match &self.cursor {
            Some((k, false)) => pairs.push(("after", k.clone())),
            Some((k, true)) => pairs.push(("before", k.clone())),
            None => {}
        }
        link(ACCESS_REVIEWS_PAGE, &pairs, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_reads_back_from_its_link() {
        let q = ReviewQuery {
            review: Some(crate::ids::AccessReviewId::from_u128(7)),
            show: Show::Decided(Decision::Keep),
            cursor: Some(("AbCd1234".into(), true)),
        };
        let href = q.href();
        let search = href.split_once('?').unwrap().1;
        assert_eq!(ReviewQuery::parse(search), Ok(q.clone()));
        assert_eq!(ReviewQuery::parse("").unwrap().show, Show::All);
        assert!(!q.at(None).href().contains("before"));
    }

    #[test]
    fn bad_values_are_named() {
        assert_eq!(
            ReviewQuery::parse("show=maybe"),
            Err("Unknown view \"maybe\".".into())
        );
        assert!(ReviewQuery::parse("review=nope").is_err());
        assert_eq!(
            ReviewQuery::parse("after=../etc"),
            Err(crate::paging::INVALID_CURSOR.into())
        );
        assert_eq!(Decision::parse(" keep "), Some(Decision::Keep));
        assert_eq!(Decision::parse("maybe"), None);
    }
}
