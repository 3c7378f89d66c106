//! The key list's filters and cursor as they travel in a URL query, so that a filtered view
//! of any page can be bookmarked and shared, and works without JavaScript.

use crate::model::KeyStatus;
use serde::{Deserialize, Serialize};

/// Counting stops here: the list says "1,000+ keys" rather than count a million rows on
/// every view.
pub const COUNT_CAP: u64 = 1_000;

/// Which keys of the application scope a listing shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeFilter {
    /// Keys not limited to an application.
    WholeWorkspace,
    /// Keys limited to this application (its id).
    Application(crate::ids::ApplicationId),
}

/// Where a page starts: after or before a key of the listing (its public key id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cursor {
    After(String),
    Before(String),
}

/// The filters and cursor of one view of the key list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyQuery {
    pub status: Option<KeyStatus>,
    /// The owner's email address.
    pub owner: Option<String>,
    pub scope: Option<ScopeFilter>,
    /// Part of the key's name, any case.
    pub name: Option<String>,
    /// Keys that expire before this day (`YYYY-MM-DD`, UTC).
    pub expires_before: Option<String>,
    /// Keys last used before this day, or never (`YYYY-MM-DD`, UTC): the stale ones.
    pub used_before: Option<String>,
    pub cursor: Option<Cursor>,
}

/// The URL query parameter names, one place for the page, its links and its forms.
pub mod param {
    pub const STATUS: &str = "status";
    pub const OWNER: &str = "owner";
    pub const APPLICATION: &str = "application";
    pub const NAME: &str = "q";
    pub const EXPIRES_BEFORE: &str = "expires_before";
    pub const USED_BEFORE: &str = "used_before";
    pub const AFTER: &str = "after";
    pub const BEFORE: &str = "before";
}

impl KeyQuery {
    /// Reads a view from its URL parameters (`get` looks one up); empty values are absent.
    /// Unknown statuses and malformed cursors are refused with a message for the person.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Result<KeyQuery, String> {
        let value = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let status = match value(param::STATUS) {
            None => None,
            Some(s) => Some(
                [
                    KeyStatus::Active,
                    KeyStatus::ExpiringSoon,
                    KeyStatus::Expired,
                    KeyStatus::Revoked,
                ]
                .into_iter()
                .find(|k| k.id() == s)
                .ok_or_else(|| format!("Unknown status \"{s}\"."))?,
            ),
        };
        let scope = match value(param::APPLICATION).as_deref() {
            None => None,
            Some("-") => Some(ScopeFilter::WholeWorkspace),
            Some(a) => Some(ScopeFilter::Application(
                crate::ids::ApplicationId::parse(a)
                    .map_err(|_| "Unknown application.".to_string())?,
            )),
        };
        let cursor = match (value(param::AFTER), value(param::BEFORE)) {
            (Some(_), Some(_)) => {
                return Err("Give either \"after\" or \"before\", not both.".into())
            }
            (Some(a), None) => Some(Cursor::After(cursor_value(a)?)),
            (None, Some(b)) => Some(Cursor::Before(cursor_value(b)?)),
            (None, None) => None,
        };
        let name = value(param::NAME);
        if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err("The name search is too long.".into());
        }
        let day = |p: &str, label: &str| match value(p) {
            Some(d) if day_start(&d).is_none() => {
                Err(format!("{label} must be a date like 2027-01-31."))
            }
            other => Ok(other),
        };
        Ok(KeyQuery {
            status,
            owner: value(param::OWNER),
            scope,
            name,
            expires_before: day(param::EXPIRES_BEFORE, "Expires before")?,
            used_before: day(param::USED_BEFORE, "Last used before")?,
            cursor,
        })
    }

    /// The URL parameters of this view (filters, then the cursor).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(s) = self.status {
            out.push((param::STATUS, s.id().to_string()));
        }
        if let Some(o) = &self.owner {
            out.push((param::OWNER, o.clone()));
        }
        match &self.scope {
            Some(ScopeFilter::WholeWorkspace) => out.push((param::APPLICATION, "-".into())),
            Some(ScopeFilter::Application(a)) => out.push((param::APPLICATION, a.to_string())),
            None => {}
        }
        if let Some(n) = &self.name {
            out.push((param::NAME, n.clone()));
        }
        if let Some(d) = &self.expires_before {
            out.push((param::EXPIRES_BEFORE, d.clone()));
        }
        if let Some(d) = &self.used_before {
            out.push((param::USED_BEFORE, d.clone()));
        }
        match &self.cursor {
            Some(Cursor::After(c)) => out.push((param::AFTER, c.clone())),
            Some(Cursor::Before(c)) => out.push((param::BEFORE, c.clone())),
            None => {}
        }
        out
    }

    /// This view's filters starting at `cursor`.
    pub fn at(&self, cursor: Option<Cursor>) -> KeyQuery {
        KeyQuery {
            cursor,
            ..self.clone()
        }
    }

    /// Whether any filter narrows the list.
    pub fn filtered(&self) -> bool {
        self.status.is_some()
            || self.owner.is_some()
            || self.scope.is_some()
            || self.name.is_some()
            || self.expires_before.is_some()
            || self.used_before.is_some()
    }

    /// `/settings/api-keys` with this view's parameters and `extra` ones (for example
    /// `revoke=ID`), encoded.
    pub fn href(&self, extra: &[(&str, &str)]) -> String {
        crate::paging::link("/settings/api-keys", &self.params(), extra)
    }
}

/// The first second (UTC) of a `YYYY-MM-DD` day.
pub fn day_start(day: &str) -> Option<i64> {
    crate::dates::parse_date_end_of_day(day).map(|end| end - 86_399)
}

/// A cursor is a public key id: short and plain, so a forged one is refused before a query.
fn cursor_value(s: String) -> Result<String, String> {
    if s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err(crate::paging::INVALID_CURSOR.into())
    }
}

/// How many keys a view holds, counted up to [`COUNT_CAP`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyCount {
    pub counted: u64,
    /// More than [`COUNT_CAP`] keys match.
    pub more: bool,
}

impl KeyCount {
    pub fn label(self) -> String {
        let n = group_thousands(self.counted);
        match (self.more, self.counted) {
            (true, _) => format!("{n}+ keys"),
            (false, 1) => "1 key".into(),
            (false, _) => format!("{n} keys"),
        }
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<KeyQuery, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        KeyQuery::from_params(|k| map.get(k).cloned())
    }

    #[test]
    fn a_view_survives_its_own_link() {
        let q = parse(&[
            ("status", "expiring"),
            ("owner", "ana+ops@example.com"),
            ("application", "-"),
            ("q", "deploy bot"),
            ("after", "AbCd1234"),
        ])
        .unwrap();
        assert_eq!(q.status, Some(KeyStatus::ExpiringSoon));
        assert_eq!(q.scope, Some(ScopeFilter::WholeWorkspace));
        assert_eq!(q.cursor, Some(Cursor::After("AbCd1234".into())));
        let href = q.href(&[("revoke", "x y")]);
        assert_eq!(
            href,
            "/settings/api-keys?status=expiring&owner=ana%2Bops%40example.com&application=-\
             &q=deploy%20bot&after=AbCd1234&revoke=x%20y"
        );
        assert_eq!(parse(&[]).unwrap(), KeyQuery::default());
        let stale = parse(&[
            ("used_before", "2026-01-01"),
            ("expires_before", "2027-01-31"),
        ])
        .unwrap();
        assert!(stale.filtered());
        assert_eq!(
            stale.href(&[]),
            "/settings/api-keys?expires_before=2027-01-31&used_before=2026-01-01"
        );
        assert_eq!(day_start("2026-01-01"), Some(1_767_225_600));
        assert!(!parse(&[("status", " ")]).unwrap().filtered());
    }

    #[test]
    fn bad_views_are_refused_with_a_reason() {
        assert!(parse(&[("status", "sleeping")])
            .unwrap_err()
            .contains("Unknown status"));
        assert!(parse(&[("after", "a"), ("before", "b")]).is_err());
        assert!(parse(&[("after", "'; DROP TABLE")])
            .unwrap_err()
            .contains("not valid"));
        assert!(parse(&[("q", &"x".repeat(201))]).is_err());
        assert!(parse(&[("used_before", "last year")])
            .unwrap_err()
            .contains("Last used before must be a date"));
    }

    #[test]
    fn counts_read_like_people_write_them() {
        let c = |counted, more| KeyCount { counted, more }.label();
        assert_eq!(c(1, false), "1 key");
        assert_eq!(c(0, false), "0 keys");
        assert_eq!(c(1234, false), "1,234 keys");
        assert_eq!(c(10_000, true), "10,000+ keys");
        assert_eq!(c(COUNT_CAP, true), "1,000+ keys");
    }
}
