//! The audit log's vocabulary: the one catalog of actions an event can record, the shape of
//! an event as the console and the API show it, and a view of the log (its filters and
//! cursor) as it travels in a URL query, so a filtered view can be bookmarked and exported.

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($($variant:ident => $id:literal,)*) => {
        /// Everything an audit event can record, one catalog: the filter offers these, and an
        /// action outside it is refused rather than matched against nothing.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditAction { $($variant,)* }

        impl AuditAction {
            /// Every action, in the catalog's order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The action's stored and displayed name, `noun.verb`.
            pub fn id(self) -> &'static str {
                match self { $(AuditAction::$variant => $id,)* }
            }
        }
    };
}

actions! {
    WorkspaceCreated => "workspace.created",
    PolicyChanged => "policy.changed",
    SessionSignedIn => "session.signed_in",
    SessionSignInFailed => "session.sign_in_failed",
    PasswordChanged => "account.password_changed",
    MemberInvited => "member.invited",
    InvitationAccepted => "member.invitation_accepted",
    InvitationDeclined => "member.invitation_declined",
    InvitationCancelled => "member.invitation_cancelled",
    MemberRoleChanged => "member.role_changed",
    MemberRemoved => "member.removed",
    KeyCreated => "key.created",
    KeyImported => "key.imported",
    KeyRotated => "key.rotated",
    KeyRotationCompleted => "key.rotation_completed",
    KeyRevoked => "key.revoked",
    KeyLeaked => "key.leaked",
    KeyNewAddress => "key.new_address",
    KeysBulkRevoked => "key.bulk_revoked",
    KeyNarrowed => "key.narrowed",
    KeyNetworksChanged => "key.networks_changed",
    KeyBodyLogging => "key.body_logging",
    CredentialTested => "credential.tested",
    WebhookAdded => "webhook.added",
    WebhookDeleted => "webhook.deleted",
    AccessReviewStarted => "access_review.started",
    AccessReviewKeyConfirmed => "access_review.key_confirmed",
    AccessReviewClosed => "access_review.closed",
    ApplicationCreated => "application.created",
    ApplicationRenamed => "application.renamed",
    ApplicationContentChanged => "application.content_changed",
    ApplicationDeleted => "application.deleted",
    AgentCreated => "agent.created",
    AgentDeleted => "agent.deleted",
    InstanceSettingsChanged => "instance.settings_changed",
    InstanceAdminGranted => "instance.admin_granted",
}

impl AuditAction {
    pub fn parse(id: &str) -> Option<AuditAction> {
        AuditAction::ALL.iter().copied().find(|a| a.id() == id)
    }
}

/// One event as the console, the API and the exports show it. `hash` chains it to the event
/// before it in its workspace (`previous_hash`), so an export can be checked on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    /// The event's place in its workspace's log: 1, 2, 3, … without gaps.
    pub seq: i64,
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    /// The member who acted (their email; their id when the account is gone), if one did.
    pub actor: Option<String>,
    /// The public key id of the key that acted, when a key did.
    pub actor_key: Option<String>,
    pub action: String,
    /// What the event is about, `kind:id` (`key:AbCd1234`, `user:…`, `application:…`).
    pub target: String,
    pub detail: String,
    pub address: String,
    pub previous_hash: String,
    pub hash: String,
}

/// What checking a workspace's chain found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ChainCheck {
    /// Every event is where the chain says, unchanged: `events` of them, the last hashing to
    /// `head` (worth writing down elsewhere: a later check must reach it again).
    Intact { events: i64, head: String },
    /// The first event that does not fit, by its place, and why.
    Broken { seq: i64, reason: String },
}

impl ChainCheck {
    /// The sentence the console and the CLI show.
    pub fn summary(&self) -> String {
        match self {
            ChainCheck::Intact { events, head } => {
                format!("Audit log intact: {events} events, head {head}.")
            }
            ChainCheck::Broken { seq, reason } => {
                format!("Audit log broken at event {seq}: {reason}.")
            }
        }
    }
}

/// The URL query parameter names, one place for the page, its links, the exports and the API.
pub mod param {
    pub const ACTOR: &str = "actor";
    pub const ACTION: &str = "action";
    pub const TARGET: &str = "target";
    pub const FROM: &str = "from";
    pub const TO: &str = "to";
    pub const AFTER: &str = "after";
    pub const BEFORE: &str = "before";
}

/// Who acted: a member by email, or a key by its public key id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorFilter {
    Member(String),
    Key(String),
}

/// Where a page starts: after (older than) or before (newer than) an event's place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cursor {
    After(i64),
    Before(i64),
}

/// The filters and cursor of one view of the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<ActorFilter>,
    pub action: Option<AuditAction>,
    /// A target exactly as events name it (`key:AbCd1234`).
    pub target: Option<String>,
    /// The first day (`YYYY-MM-DD`, UTC) and the last day, both included.
    pub from: Option<String>,
    pub to: Option<String>,
    pub cursor: Option<Cursor>,
}

impl AuditQuery {
    /// Reads a view from its URL parameters (`get` looks one up); empty values are absent.
    /// Unknown actions, unreadable or reversed dates and cursors made for another view are
    /// refused with a message for the person.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Result<AuditQuery, String> {
        let value = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let actor = value(param::ACTOR).map(|a| {
            if a.contains('@') {
                ActorFilter::Member(a.to_lowercase())
            } else {
                ActorFilter::Key(a)
            }
        });
        if let Some(ActorFilter::Key(k)) = &actor {
            if !(k.len() <= 16 && k.chars().all(|c| c.is_ascii_alphanumeric())) {
                return Err("Actor must be a member's email or a key id.".into());
            }
        }
        let action = match value(param::ACTION) {
            None => None,
            Some(a) => {
                Some(AuditAction::parse(&a).ok_or_else(|| format!("Unknown action \"{a}\"."))?)
            }
        };
        let target = value(param::TARGET);
        if target.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err("The target is too long.".into());
        }
        let day = |p: &str, label: &str| match value(p) {
            Some(d) if crate::key_listing::day_start(&d).is_none() => {
                Err(format!("{label} must be a date like 2027-01-31."))
            }
            other => Ok(other),
        };
        let mut query = AuditQuery {
            actor,
            action,
            target,
            from: day(param::FROM, "From")?,
            to: day(param::TO, "To")?,
            cursor: None,
        };
        if let (Some(from), Some(to)) = (query.since(), query.until()) {
            if from > to {
                return Err("\"From\" is after \"To\": give the earlier day first.".into());
            }
        }
        let read = |c: &str| query.read_cursor(c).ok_or(crate::paging::INVALID_CURSOR);
        query.cursor = match (value(param::AFTER), value(param::BEFORE)) {
            (Some(_), Some(_)) => return Err(crate::paging::INVALID_CURSOR.into()),
            (Some(a), None) => Some(Cursor::After(read(&a)?)),
            (None, Some(b)) => Some(Cursor::Before(read(&b)?)),
            (None, None) => None,
        };
        Ok(query)
    }

    /// The first second the view covers, if bounded.
    pub fn since(&self) -> Option<i64> {
        self.from.as_deref().and_then(crate::key_listing::day_start)
    }

    /// The last second the view covers, if bounded.
    pub fn until(&self) -> Option<i64> {
        self.to
            .as_deref()
            .and_then(crate::dates::parse_date_end_of_day)
    }

    /// The URL parameters of this view's filters (without its cursor).
    pub fn filter_params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match &self.actor {
            Some(ActorFilter::Member(m)) => out.push((param::ACTOR, m.clone())),
            Some(ActorFilter::Key(k)) => out.push((param::ACTOR, k.clone())),
            None => {}
        }
        if let Some(a) = self.action {
            out.push((param::ACTION, a.id().to_string()));
        }
        let plain = [
            (param::TARGET, &self.target),
            (param::FROM, &self.from),
            (param::TO, &self.to),
        ];
        for (name, v) in plain {
            if let Some(v) = v {
                out.push((name, v.clone()));
            }
        }
        out
    }

    /// The cursor of the event at `seq` in this view: the place, and a short mark of the
    /// filters, so a cursor carried over to another view is refused rather than misread.
    pub fn cursor_at(&self, seq: i64) -> String {
        format!("{seq}-{:08x}", self.mark())
    }

    fn read_cursor(&self, cursor: &str) -> Option<i64> {
        let (seq, mark) = cursor.split_once('-')?;
        let seq: i64 = seq.parse().ok().filter(|s| *s > 0)?;
        (u32::from_str_radix(mark, 16).ok()? == self.mark() && mark.len() == 8).then_some(seq)
    }

    /// CRC32 of the filters: not a secret, only a mismatch detector.
    fn mark(&self) -> u32 {
        let mut h = crc32fast::Hasher::new();
        for (k, v) in self.filter_params() {
            h.update(k.as_bytes());
            h.update(&[0]);
            h.update(v.as_bytes());
            h.update(&[0]);
        }
        h.finalize()
    }

    /// Whether any filter narrows the log.
    pub fn filtered(&self) -> bool {
        !self.filter_params().is_empty()
    }

    /// `base` with this view's filters, its cursor and `extra` parameters, encoded.
    pub fn href(&self, base: &str, extra: &[(&str, &str)]) -> String {
        let mut pairs = self.filter_params();
        match self.cursor {
            Some(Cursor::After(s)) => pairs.push((param::AFTER, self.cursor_at(s))),
            Some(Cursor::Before(s)) => pairs.push((param::BEFORE, self.cursor_at(s))),
            None => {}
        }
        crate::paging::link(base, &pairs, extra)
    }

    /// This view's filters starting at `cursor`.
    pub fn at(&self, cursor: Option<Cursor>) -> AuditQuery {
        AuditQuery {
            cursor,
            ..self.clone()
        }
    }
}

/// Where the console shows the audit log.
pub const AUDIT_PAGE: &str = "/settings/audit";
/// Where the filtered log downloads as CSV and as JSON Lines.
pub const EXPORT_CSV: &str = "/settings/audit/export.csv";
pub const EXPORT_JSONL: &str = "/settings/audit/export.jsonl";

/// The audit log's view of everything about `target` (`key:…`, `user:…`, `application:…`).
pub fn events_of(target: &str) -> String {
    crate::paging::link(AUDIT_PAGE, &[], &[(param::TARGET, target)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<AuditQuery, String> {
        AuditQuery::from_params(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn every_action_reads_back_from_its_id() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.id()), Some(*a));
        }
        let mut ids: Vec<_> = AuditAction::ALL.iter().map(|a| a.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), AuditAction::ALL.len());
    }

    #[test]
    fn filters_read_from_the_url_and_bad_ones_are_named() {
        let q = query(&[
            ("actor", "Ann@Example.com"),
            ("action", "key.revoked"),
            ("from", "2027-01-01"),
            ("to", "2027-01-31"),
        ])
        .unwrap();
        assert_eq!(q.actor, Some(ActorFilter::Member("ann@example.com".into())));
        assert_eq!(q.action, Some(AuditAction::KeyRevoked));
        assert_eq!(q.until().unwrap() - q.since().unwrap(), 31 * 86_400 - 1);
        assert_eq!(
            query(&[("actor", "AbCd1234")]).unwrap().actor,
            Some(ActorFilter::Key("AbCd1234".into()))
        );
        assert_eq!(
            query(&[("action", "key.stolen")]),
            Err("Unknown action \"key.stolen\".".into())
        );
        assert!(query(&[("from", "yesterday")])
            .unwrap_err()
            .contains("From"));
        assert!(query(&[("from", "2027-02-01"), ("to", "2027-01-01")])
            .unwrap_err()
            .contains("after"));
        assert!(query(&[("actor", "a b")]).is_err());
    }

    #[test]
    fn a_cursor_belongs_to_the_view_that_made_it() {
        let revoked = query(&[("action", "key.revoked")]).unwrap();
        let cursor = revoked.cursor_at(42);
        let again = query(&[("action", "key.revoked"), ("after", &cursor)]).unwrap();
        assert_eq!(again.cursor, Some(Cursor::After(42)));
        assert_eq!(
            again.href(AUDIT_PAGE, &[]),
            format!("/settings/audit?action=key.revoked&after={cursor}")
        );
        // The same place under other filters, a forged place, two cursors: refused.
        let other = query(&[("action", "key.created"), ("after", &cursor)]);
        assert_eq!(other, Err(crate::paging::INVALID_CURSOR.into()));
        assert!(query(&[("after", "42")]).is_err());
        assert!(query(&[("after", "-1-00000000")]).is_err());
        let plain = AuditQuery::default().cursor_at(7);
        assert!(query(&[("after", &plain), ("before", &plain)]).is_err());
        assert_eq!(
            query(&[("before", &plain)]).unwrap().cursor,
            Some(Cursor::Before(7))
        );
    }

    #[test]
    fn a_target_links_to_its_events() {
        assert_eq!(
            events_of("key:AbCd1234"),
            "/settings/audit?target=key%3AAbCd1234"
        );
    }
}
