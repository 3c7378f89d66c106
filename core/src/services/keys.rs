//! API keys: create (capped at the creator's role), list, revoke, rotate, and authenticate a
//! presented secret. Only the peppered digest of a secret is stored.

use crate::error::{AppError, AppResult};
use crate::security::crypto::{digests_match, random_bytes, ServerSecret};
use crate::services::audit;
use crate::store::db::Db;
use crate::store::key_cache;
use domain::access::{Grant, Principal, PrincipalKind};
use domain::audit::AuditAction;
use domain::authorization::{decide, Action, KeyAbilities, KeyFacts};
use domain::dates::DAY;
use domain::ids::{AgentId, ApiKeyId, ApplicationId, UserId, WorkspaceId};
use domain::model::{AccessEntry, KeyRow, KeyStatus, NewSecret, RefusalEntry};
use domain::permissions::PermissionSet;
use domain::roles::Role;
use domain::secret::{self, display_prefix, KeyId, KeyKind, MalformedSecret};
use domain::validate::{InvalidInput, Name};
use std::sync::Arc;

/// Keys expiring within this many seconds show as "expiring soon".
pub const EXPIRING_SOON: i64 = 7 * DAY;

/// A validated request for a new key.
#[derive(Clone, Debug)]
pub struct NewKey {
    pub name: Name,
    pub purpose: String,
    pub kind: KeyKind,
    pub application: Option<ApplicationId>,
    /// Required for agent keys: the agent they are bound to.
    pub agent: Option<AgentId>,
    pub permissions: PermissionSet,
    pub expires_at: Option<i64>,
    /// Log request and response bodies made with the key (redacted, capped).
    pub log_bodies: bool,
    /// Where the key may be used from; empty: anywhere.
    pub networks: domain::network::Allowlist,
}

/// How long a new key lives, as chosen in the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiration {
    Days(i64),
    Until(i64),
    Never,
}

impl Expiration {
    /// Parses the form's choice: `7`, `30`, `60`, `90`, `custom` (with a date) or `never`.
    pub fn parse(choice: &str, custom_date: &str) -> AppResult<Expiration> {
        match choice.trim() {
            "7" | "30" | "60" | "90" => {
                Ok(Expiration::Days(choice.trim().parse().expect("digits")))
            }
            "never" => Ok(Expiration::Never),
            "custom" => domain::dates::parse_date_end_of_day(custom_date)
                .map(Expiration::Until)
                .ok_or_else(|| AppError::invalid("Expires on must be a date like 2027-01-31.")),
            _ => Err(AppError::invalid("Choose an expiration.")),
        }
    }

    /// [`Expiration::parse`], where an empty or `keep` choice means "keep what it was".
    pub fn parse_optional(choice: &str, custom_date: &str) -> AppResult<Option<Expiration>> {
        match choice.trim() {
            "" | "keep" => Ok(None),
            _ => Expiration::parse(choice, custom_date).map(Some),
        }
    }

    pub fn at(self, now: i64) -> Option<i64> {
        match self {
            Expiration::Days(d) => Some(now + d * DAY),
            Expiration::Until(t) => Some(t),
            Expiration::Never => None,
        }
    }
}

/// Stored keys remembered briefly for machine requests.
pub type KeyCache = key_cache::KeyCache<KeyRecord>;

/// A stored key, with the names lists show.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRecord {
    pub id: ApiKeyId,
    pub key_id: String,
    pub workspace_id: WorkspaceId,
    #[sqlx(try_from = "String")]
    pub kind: KeyKind,
    pub name: String,
    pub purpose: String,
    pub owner_id: UserId,
    pub owner_email: String,
    pub application_id: Option<ApplicationId>,
    pub application_name: Option<String>,
    pub agent_id: Option<AgentId>,
    pub agent_name: Option<String>,
    pub permissions: String,
    pub digest: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    /// The numbered credential change that revoked it ([`crate::services::propagation`]).
    pub revoked_change: Option<i64>,
    pub rotated_at: Option<i64>,
    pub grace_until: Option<i64>,
    /// The predecessor this key replaced by rotation.
    pub rotated_from: Option<ApiKeyId>,
    /// While the predecessor's secret still works (not revoked, inside its grace).
    pub previous_grace_until: Option<i64>,
    /// The predecessor's grace ends at this key's first use (1) rather than at a time (0).
    pub previous_until_first_use: i64,
    pub previous_last_used_at: Option<i64>,
    pub rate_limit_per_minute: Option<i64>,
    pub workspace_rate_limit: i64,
    /// The workspace's other limits, per pool and class (see [`Self::limits`]).
    pub workspace_rate_limits: String,
    pub workspace_legacy_transports: i64,
    /// Whether request and response bodies made with this key are logged.
    pub log_bodies: i64,
    /// The owner's current role in the key's workspace; `None` once they left it.
    pub owner_role: Option<String>,
    /// The networks the key may be used from (see [`Self::networks`]).
    pub allowed_networks: String,
    /// The secret was imported (1), not generated: it has no key id or checksum in it.
    pub imported: i64,
    /// `permissions` parsed, once per record: a remembered key is checked on every request.
    #[sqlx(skip)]
    pub(crate) parsed_permissions: std::sync::OnceLock<PermissionSet>,
    /// `allowed_networks` parsed, once per record, for the same reason.
    #[sqlx(skip)]
    pub(crate) parsed_networks: std::sync::OnceLock<domain::network::Allowlist>,
    /// The limits parsed, once per record, for the same reason.
    #[sqlx(skip)]
    pub(crate) parsed_limits: std::sync::OnceLock<domain::limits::Limits>,
    /// The machine API's "who am I" answer for this key, rendered once per record by the
    /// server: it depends on the record alone (the owner's role included), and a changed key
    /// is a new record.
    #[sqlx(skip)]
    pub whoami: std::sync::OnceLock<bytes::Bytes>,
}

/// A key's columns and what decorates them (owner, application, agent, predecessor), over a
/// source of `api_keys` rows named `k`.
macro_rules! select_keys_over {
    ($source:literal) => {
        concat!("SELECT k.id, k.key_id, k.workspace_id, k.kind, k.name, k.purpose, k.owner_id, \
    u.email AS owner_email, k.application_id, a.name AS application_name, k.agent_id, g.name AS agent_name, \
    k.permissions, k.digest, k.created_at, k.expires_at, k.last_used_at, k.last_used_ip, k.revoked_at, \
    k.revoked_reason, k.revoked_change, k.rotated_at, k.grace_until, k.rotated_from, \
    CASE WHEN p.revoked_at IS NULL THEN p.grace_until END AS previous_grace_until, \
    COALESCE(p.grace_until_first_use, 0) AS previous_until_first_use, \
    p.last_used_at AS previous_last_used_at, k.rate_limit_per_minute, \
    w.rate_limit_per_minute AS workspace_rate_limit, w.rate_limits AS workspace_rate_limits, \
    w.legacy_transports AS workspace_legacy_transports, \
    k.log_bodies, m.role AS owner_role, k.allowed_networks, k.imported \
    FROM ", $source, " k JOIN users u ON u.id = k.owner_id JOIN workspaces w ON w.id = k.workspace_id \
    LEFT JOIN memberships m ON m.workspace_id = k.workspace_id AND m.user_id = k.owner_id \
    LEFT JOIN applications a ON a.id = k.application_id \
    LEFT JOIN agents g ON g.id = k.agent_id \
    LEFT JOIN api_keys p ON p.id = k.rotated_from")
    };
}

pub(super) const SELECT_KEYS: &str = select_keys_over!("api_keys");

/// The same over a page picked first (`{page}`: a subquery of `api_keys` rows): a list chooses
/// its rows from an index alone, and only those rows are decorated, so no join can lead the
/// planner away from the index order.
pub(crate) const SELECT_KEYS_OVER_PAGE: &str = select_keys_over!("({page})");

impl KeyRecord {
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    pub fn permissions(&self) -> PermissionSet {
        *self
            .parsed_permissions
            .get_or_init(|| PermissionSet::from_storage(&self.permissions))
    }

    /// Whether this key's predecessor still works and stops at this key's first use.
    pub fn awaits_first_use(&self, now: i64) -> bool {
        self.previous_until_first_use != 0 && self.previous_grace_until.is_some_and(|g| g > now)
    }

    /// Where the key may be used from.
    pub fn networks(&self) -> &domain::network::Allowlist {
        self.parsed_networks
            .get_or_init(|| domain::network::Allowlist::from_storage(&self.allowed_networks))
    }

    /// The rate limits its requests count against: the workspace's, with the key's own
    /// per-minute limit (where one is set) in place of the workspace's per-key default.
    pub fn limits(&self) -> &domain::limits::Limits {
        self.parsed_limits.get_or_init(|| {
            domain::limits::Limits::from_storage(
                self.rate_limit_per_minute
                    .unwrap_or(self.workspace_rate_limit),
                &self.workspace_rate_limits,
            )
        })
    }

    /// What the authorization rules need to know of this key.
    pub fn facts(&self) -> KeyFacts {
        KeyFacts {
            owner: self.owner_id,
            application: self.application_id,
        }
    }

    /// [`Self::to_row`] with what `viewer` may do to the key, decided in one place.
    pub fn to_row_for(&self, viewer: &Principal, now: i64) -> KeyRow {
        let mut row = self.to_row(now);
        row.abilities = KeyAbilities::of(viewer, self.facts());
        row
    }

    pub fn status(&self, now: i64) -> KeyStatus {
        if self.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if self.rotated_at.is_some() {
            KeyStatus::RotatedOut
        } else if self.expires_at.is_some_and(|e| e <= now) {
            KeyStatus::Expired
        } else if self.expires_at.is_some_and(|e| e - now <= EXPIRING_SOON) {
            KeyStatus::ExpiringSoon
        } else {
            KeyStatus::Active
        }
    }

    pub fn to_row(&self, now: i64) -> KeyRow {
        let kind = self.kind();
        KeyRow {
            id: self.id,
            key_id: self.key_id.clone(),
            // An imported secret does not start with our prefix: its key id stands alone.
            prefix: match KeyId::parse(&self.key_id) {
                Some(_) if self.imported != 0 => self.key_id.clone(),
                Some(k) => display_prefix(kind, &k),
                None => String::new(),
            },
            name: self.name.clone(),
            purpose: self.purpose.clone(),
            kind,
            owner_email: self.owner_email.clone(),
            owner_id: self.owner_id,
            application: self.application_name.clone(),
            application_id: self.application_id,
            agent: self.agent_name.clone(),
            permissions: self.permissions(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            last_used_ip: self.last_used_ip.clone(),
            status: self.status(now),
            revoked_at: self.revoked_at,
            revoked_reason: self.revoked_reason.clone(),
            previous_grace_until: self.previous_grace_until.filter(|g| *g > now),
            previous_id: self
                .rotated_from
                .filter(|_| self.previous_grace_until.is_some_and(|g| g > now)),
            previous_last_used_at: self.previous_last_used_at,
            previous_until_first_use: self.awaits_first_use(now),
            rotated_at: self.rotated_at,
            log_bodies: self.log_bodies != 0,
            allowed_networks: self.networks().ranges(),
            imported: self.imported != 0,
            abilities: KeyAbilities::default(),
        }
    }
}

/// Creates a key owned by `by`. Refuses permissions above the creator's role, agents and
/// applications of other workspaces, and what the workspace policy forbids.
pub async fn create(
    db: &Db,
    pepper: &ServerSecret,
    by: &Principal,
    new: NewKey,
) -> AppResult<NewSecret> {
    let now = crate::now();
    check_new_key(db, by, &new, now).await?;
    let mut tx = db.write_credentials().await?;
    let (id, key_id, plaintext) = insert_key(&mut tx, pepper, by, &new, None, now, None).await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::KeyCreated,
            format!("key:{key_id}"),
            format!(
                "{} key \"{}\" with {}",
                new.kind.id(),
                new.name.as_str(),
                new.permissions.to_storage()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(NewSecret::new(
        get(db, by.workspace, id).await?.to_row_for(by, now),
        plaintext,
    ))
}

/// Imports `existing`, a secret made elsewhere, as a key owned by `by`: capped and checked
/// like any new key, allowed only where the workspace policy turns importing on, and only for
/// a value [`domain::import::check`] accepts that is not already a secret here (refused with
/// the same answer as any unusable value). Only its digest is kept; nothing reveals it again.
pub async fn import(
    db: &Db,
    pepper: &ServerSecret,
    by: &Principal,
    new: NewKey,
    existing: &str,
) -> AppResult<KeyRow> {
    let unusable = || {
        AppError::from(InvalidInput::in_field(
            "Existing secret",
            domain::import::UNUSABLE,
        ))
    };
    domain::import::check(existing).map_err(|_| unusable())?;
    let now = crate::now();
    if !check_new_key(db, by, &new, now).await?.allow_import {
        return Err(AppError::Forbidden(
            "This workspace does not allow importing keys: an owner or admin can turn it on under Settings → Security.".into(),
        ));
    }
    let mut tx = db.write_credentials().await?;
    let taken: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM api_keys WHERE digest = $1")
        .bind(pepper.digest(existing))
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(unusable());
    }
    // A concurrent import of the same secret meets the unique index: the same answer.
    let (id, key_id, _) = insert_key(&mut tx, pepper, by, &new, None, now, Some(existing))
        .await
        .map_err(|e| match e {
            AppError::Conflict(_) => unusable(),
            other => other,
        })?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::KeyImported,
            format!("key:{key_id}"),
            format!(
                "{} key \"{}\" with {} (imported secret)",
                new.kind.id(),
                new.name.as_str(),
                new.permissions.to_storage()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(get(db, by.workspace, id).await?.to_row_for(by, now))
}

async fn check_new_key(
    db: &Db,
    by: &Principal,
    new: &NewKey,
    now: i64,
) -> AppResult<domain::model::Policy> {
    let above = new.permissions.minus(by.grant.permissions);
    if !above.is_empty() {
        return Err(AppError::Forbidden(format!(
            "Your role ({}) does not hold {}; a key cannot exceed the account that makes it.",
            by.role.map(|r| r.id()).unwrap_or("key"),
            above.ids().join(", ")
        )));
    }
    if new.permissions.is_empty() {
        return Err(AppError::invalid("Choose at least one permission."));
    }
    let policy = crate::services::workspaces::policy(db, by.workspace).await?;
    policy.check_issuance(new.kind, new.expires_at, now)?;
    if let Some(app) = new.application {
        crate::services::workspaces::application(db, by.workspace, app)
            .await
            .map_err(|_| AppError::invalid("Unknown application."))?;
    }
    match (new.kind, new.agent) {
        (KeyKind::Agent, None) => {
            return Err(AppError::invalid("An agent key must be bound to an agent."))
        }
        (KeyKind::Service, Some(_)) => {
            return Err(AppError::invalid("Only agent keys are bound to an agent."))
        }
        (KeyKind::Agent, Some(agent)) => {
            let row: Option<(String,)> = sqlx::query_as(
                "SELECT application_id FROM agents WHERE id = $1 AND workspace_id = $2",
            )
            .bind(agent.to_string())
            .bind(by.workspace.to_string())
            .fetch_optional(db.pool())
            .await?;
            let Some((agent_app,)) = row else {
                return Err(AppError::invalid("Unknown agent."));
            };
            if new.application.map(|a| a.to_string()) != Some(agent_app) {
                return Err(AppError::invalid(
                    "The agent belongs to another application.",
                ));
            }
        }
        (KeyKind::Service, None) => {}
    }
    Ok(policy)
}

/// Inserts a key row owned by `owner` with a fresh secret, or with `existing` (an imported
/// one); returns (row id, key id, plaintext).
async fn insert_key(
    tx: &mut crate::store::db::Tx,
    pepper: &ServerSecret,
    owner: &Principal,
    new: &NewKey,
    rotated_from: Option<ApiKeyId>,
    now: i64,
    existing: Option<&str>,
) -> AppResult<(ApiKeyId, String, String)> {
    // Time-ordered, so keys created in the same second still list in creation order.
    let id = ApiKeyId::ordered();
    let key_id = KeyId::parse(&secret::base62_from_random(
        random_bytes(64).into_iter(),
        secret::KEY_ID_LEN,
    ))
    .ok_or_else(|| AppError::Internal("key id generation".into()))?;
    // 64 random bytes leave ~62 after rejection sampling: always enough for 32 characters.
    let random = secret::base62_from_random(random_bytes(64).into_iter(), secret::RANDOM_LEN);
    if random.len() != secret::RANDOM_LEN {
        return Err(AppError::Internal("not enough randomness".into()));
    }
    let plaintext = match existing {
        Some(s) => s.to_owned(),
        None => secret::assemble(new.kind, &key_id, &random),
    };
    sqlx::query(
        "INSERT INTO api_keys (id, key_id, workspace_id, owner_id, kind, name, purpose, application_id, agent_id, \
         permissions, digest, created_at, expires_at, rotated_from, log_bodies, allowed_networks, imported) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(id.to_string())
    .bind(key_id.as_str())
    .bind(owner.workspace.to_string())
    .bind(owner.user.to_string())
    .bind(new.kind.id())
    .bind(new.name.as_str())
    .bind(&new.purpose)
    .bind(new.application.map(|a| a.to_string()))
    .bind(new.agent.map(|a| a.to_string()))
    .bind(new.permissions.to_storage())
    .bind(pepper.digest(&plaintext))
    .bind(now)
    .bind(new.expires_at)
    .bind(rotated_from)
    .bind(i64::from(new.log_bodies))
    .bind(new.networks.to_storage())
    .bind(i64::from(existing.is_some()))
    .execute(&mut **tx)
    .await?;
    Ok((id, key_id.to_string(), plaintext))
}

/// One key of a workspace by row id; other workspaces' keys are `NotFound`.
pub async fn get(db: &Db, ws: WorkspaceId, id: ApiKeyId) -> AppResult<KeyRecord> {
    sqlx::query_as(&format!(
        "{SELECT_KEYS} WHERE k.id = $1 AND k.workspace_id = $2"
    ))
    .bind(id.to_string())
    .bind(ws.to_string())
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)
}

/// One key of a workspace by its public key id (one indexed read).
pub async fn get_by_key_id(db: &Db, ws: WorkspaceId, key_id: &str) -> AppResult<KeyRecord> {
    sqlx::query_as(&format!(
        "{SELECT_KEYS} WHERE k.key_id = $1 AND k.workspace_id = $2"
    ))
    .bind(key_id)
    .bind(ws.to_string())
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)
}

/// `owner`'s own keys in a workspace (not those replaced by a rotation), newest first: one
/// indexed query, not the workspace's keys.
pub async fn owned_by(db: &Db, ws: WorkspaceId, owner: UserId) -> AppResult<Vec<KeyRecord>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT_KEYS} WHERE k.workspace_id = $1 AND k.owner_id = $2 AND k.rotated_at IS NULL \
         ORDER BY k.created_at DESC, k.id"
    ))
    .bind(ws.to_string())
    .bind(owner.to_string())
    .fetch_all(db.pool())
    .await?)
}

/// One page of the keys limited to an application (to `scope` when given), newest first,
/// after the key whose public id is `after`: a keyset page read in the database, never the
/// workspace's keys. The next cursor is given when more rows follow. An `after` that is not
/// a key of this listing is `Invalid`.
pub async fn page_scoped_to_applications(
    db: &Db,
    ws: WorkspaceId,
    scope: Option<ApplicationId>,
    after: Option<&str>,
    limit: usize,
) -> AppResult<(Vec<KeyRecord>, Option<String>)> {
    let scope = scope.map(|s| s.to_string());
    let listed = "k.workspace_id = $1 AND k.application_id IS NOT NULL \
                  AND ($2 IS NULL OR k.application_id = $2)";
    // The first page starts after a key newer than any.
    let (created, id) = match after {
        None => (i64::MAX, String::new()),
        Some(cursor) => {
            let row: Option<(i64, String)> = sqlx::query_as(&format!(
                "SELECT k.created_at, k.id FROM api_keys k WHERE {listed} AND k.key_id = $3"
            ))
            .bind(ws.to_string())
            .bind(scope.as_deref())
            .bind(cursor)
            .fetch_optional(db.pool())
            .await?;
            row.ok_or_else(|| AppError::invalid("cursor is not a key id of this listing."))?
        }
    };
    let page = format!(
        "SELECT * FROM api_keys k WHERE {listed} \
         AND (k.created_at < $3 OR (k.created_at = $3 AND k.id < $4)) \
         ORDER BY k.created_at DESC, k.id DESC LIMIT $5"
    );
    let rows: Vec<KeyRecord> = sqlx::query_as(&format!(
        "{} ORDER BY k.created_at DESC, k.id DESC",
        SELECT_KEYS_OVER_PAGE.replace("{page}", &page)
    ))
    .bind(ws.to_string())
    .bind(scope.as_deref())
    .bind(created)
    .bind(&id)
    .bind(limit as i64 + 1)
    .fetch_all(db.pool())
    .await?;
    let page =
        crate::store::paging::finish(rows, limit, false, after.is_some(), |k| k.key_id.clone());
    Ok((page.rows, page.next))
}

/// The key `id` of `by`'s workspace, once [`decide`] allows `action` on it.
pub async fn authorized(
    db: &Db,
    by: &Principal,
    id: ApiKeyId,
    action: impl FnOnce(KeyFacts) -> Action,
) -> AppResult<KeyRecord> {
    let key = get(db, by.workspace, id).await?;
    decide(by, action(key.facts()))?;
    Ok(key)
}

/// Revokes a key at once, durably, with its audit event in the same transaction, and with it
/// every predecessor of its lineage whose secret still works (inside its rotation grace): a
/// revocation ends every secret of the key, not only the newest.
pub async fn revoke(db: &Db, by: &Principal, id: ApiKeyId, reason: String) -> AppResult<()> {
    let key = authorized(db, by, id, Action::RevokeKey).await?;
    let mut tx = db.write_credentials().await?;
    revoke_in(&mut tx, by, &key, &reason, crate::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the grace of `key`'s predecessor where it was to last until `key`'s first use: the
/// gate calls it when `key`'s secret authenticates while the predecessor still works. The
/// write invalidates every instance's verified keys, so the old secret stops everywhere at
/// once. Returns whether this call ended it (a concurrent first request may have).
pub async fn switched_over(db: &Db, key: &KeyRecord, address: &str) -> AppResult<bool> {
    let Some(previous) = key.rotated_from else {
        return Ok(false);
    };
    let now = crate::now();
    let mut tx = db.write_credentials().await?;
    let ended: Option<(String,)> = sqlx::query_as(
        "UPDATE api_keys SET grace_until = $1 WHERE id = $2 AND workspace_id = $3 \
         AND grace_until_first_use = 1 AND revoked_at IS NULL AND grace_until > $1 \
         RETURNING key_id",
    )
    .bind(now)
    .bind(previous)
    .bind(key.workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((previous_key_id,)) = ended else {
        return Ok(false);
    };
    crate::services::webhooks::enqueue(
        &mut tx,
        key.workspace_id,
        domain::webhooks::Event::KeyRotationCompleted,
        serde_json::json!({
            "key_id": key.key_id,
            "name": key.name,
            "previous_key_id": previous_key_id,
        }),
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event {
            workspace: Some(key.workspace_id),
            target: format!("key:{previous_key_id}"),
            detail: format!(
                "the new secret key:{} was first used; this secret stopped",
                key.key_id
            ),
            address,
            ..audit::Event::new(AuditAction::KeyRotationCompleted)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Revokes `key` and its predecessors still inside their grace in `tx`, without auditing:
/// the rows revoked, `(row id, key id)`. A key revoked meanwhile is a conflict.
pub(crate) async fn end_lineage(
    tx: &mut crate::store::db::Tx,
    workspace: WorkspaceId,
    by: Option<UserId>,
    key: &KeyRecord,
    reason: &str,
    now: i64,
) -> AppResult<Vec<(ApiKeyId, String)>> {
    // Workspace-scoped in the same statement: the rows must still be in it and live.
    let revoked: Vec<(ApiKeyId, String)> = sqlx::query_as(
        "WITH RECURSIVE lineage(id, rotated_from) AS ( \
           SELECT id, rotated_from FROM api_keys WHERE id = $1 AND workspace_id = $2 \
           UNION ALL \
           SELECT k.id, k.rotated_from FROM api_keys k JOIN lineage l ON k.id = l.rotated_from \
         ) \
         UPDATE api_keys SET revoked_at = $3, revoked_by = $4, revoked_reason = $5, revoked_change = $6 \
         WHERE workspace_id = $2 AND revoked_at IS NULL AND id IN (SELECT id FROM lineage) \
           AND (id = $1 OR grace_until > $3) \
         RETURNING id, key_id",
    )
    .bind(key.id)
    .bind(workspace.to_string())
    .bind(now)
    .bind(by.map(|u| u.to_string()))
    .bind(reason)
    .bind(tx.change())
    .fetch_all(&mut **tx)
    .await?;
    if revoked.is_empty() {
        return Err(AppError::Conflict("This key is already revoked.".into()));
    }
    Ok(revoked)
}

/// Revokes `key` and its predecessors still inside their grace in `tx`, each with its audit
/// event; a key revoked meanwhile is a conflict. The caller has decided `by` may.
pub(crate) async fn revoke_in(
    tx: &mut crate::store::db::Tx,
    by: &Principal,
    key: &KeyRecord,
    reason: &str,
    now: i64,
) -> AppResult<()> {
    let revoked = end_lineage(tx, by.workspace, Some(by.user), key, reason, now).await?;
    for (row, key_id) in &revoked {
        let detail = lineage_detail(key, *row, reason);
        audit::record(
            tx,
            audit::event(by, AuditAction::KeyRevoked, format!("key:{key_id}"), detail),
        )
        .await?;
        revoked_hook(tx, key, key_id, reason).await?;
    }
    Ok(())
}

/// Queues the `key.revoked` webhook event of the row `key_id` of `key`'s lineage.
pub(crate) async fn revoked_hook(
    tx: &mut crate::store::db::Tx,
    key: &KeyRecord,
    key_id: &str,
    reason: &str,
) -> AppResult<()> {
    crate::services::webhooks::enqueue(
        tx,
        key.workspace_id,
        domain::webhooks::Event::KeyRevoked,
        serde_json::json!({
            "key_id": key_id,
            "name": key.name,
            "owner": key.owner_email,
            "reason": reason,
        }),
    )
    .await
}

/// What a revocation's audit event says of the row `row` of `key`'s lineage.
pub(crate) fn lineage_detail(key: &KeyRecord, row: ApiKeyId, reason: &str) -> String {
    if row == key.id {
        reason.to_string()
    } else {
        format!("{reason} (previous secret of key:{})", key.key_id)
            .trim_start()
            .to_string()
    }
}

/// Sets the networks the live key `id` may be used from (an empty list: anywhere), at once
/// on every instance, audited with the new list.
pub async fn set_networks(
    db: &Db,
    by: &Principal,
    id: ApiKeyId,
    networks: &domain::network::Allowlist,
) -> AppResult<KeyRecord> {
    let key = authorized(db, by, id, Action::SetNetworks).await?;
    let mut tx = db.write_credentials().await?;
    let result = sqlx::query(
        "UPDATE api_keys SET allowed_networks = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL",
    )
    .bind(networks.to_storage())
    .bind(key.id)
    .bind(by.workspace.to_string())
    .execute(&mut *tx)
    .await?;
    crate::store::db::changed(result)?;
    let detail = if networks.is_empty() {
        "anywhere".to_string()
    } else {
        networks.ranges().join(" ")
    };
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::KeyNetworksChanged,
            format!("key:{}", key.key_id),
            detail,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// Turns body logging on (the owner's decision) or off (also anyone with `keys:write`).
pub async fn set_body_logging(
    db: &Db,
    by: &Principal,
    id: ApiKeyId,
    enabled: bool,
) -> AppResult<()> {
    let key = authorized(db, by, id, |key| Action::SetBodyLogging {
        key,
        enable: enabled,
    })
    .await?;
    let mut tx = db.write_credentials().await?;
    let result = sqlx::query(
        "UPDATE api_keys SET log_bodies = $1 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL",
    )
    .bind(i64::from(enabled))
    .bind(key.id)
    .bind(by.workspace.to_string())
    .execute(&mut *tx)
    .await?;
    crate::store::db::changed(result)?;
    let detail = if enabled { "on" } else { "off" };
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::KeyBodyLogging,
            format!("key:{}", key.key_id),
            detail.into(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Entries of a key's access log shown at most.
pub const ACTIVITY_LIMIT: i64 = 100;

/// A key's activity: a page of its uses and its newest refused requests.
#[derive(Debug)]
pub struct Activity {
    pub key: KeyRecord,
    pub entries: crate::store::paging::Page<AccessEntry, String>,
    pub refusals: Vec<RefusalEntry>,
}

/// A position in a key's access log: `AT.ID` of a row.
pub fn parse_log_cursor(cursor: &str) -> Option<(i64, i64)> {
    let (at, id) = cursor.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// A row of `key_access_log`: the domain type stays free of storage.
#[derive(sqlx::FromRow)]
struct AccessRow {
    id: i64,
    at: i64,
    method: String,
    route: String,
    status: i64,
    latency_ms: i64,
    address: String,
    user_agent: String,
    request_body: Option<String>,
    response_body: Option<String>,
}

impl From<AccessRow> for AccessEntry {
    fn from(r: AccessRow) -> Self {
        AccessEntry {
            id: r.id,
            at: r.at,
            method: r.method,
            route: r.route,
            status: r.status,
            latency_ms: r.latency_ms,
            address: r.address,
            user_agent: r.user_agent,
            request_body: r.request_body,
            response_body: r.response_body,
        }
    }
}

/// A row of `key_refusals`.
#[derive(sqlx::FromRow)]
struct RefusalRow {
    minute: i64,
    method: String,
    route: String,
    status: i64,
    reason: String,
    address: String,
    count: i64,
}

impl From<RefusalRow> for RefusalEntry {
    fn from(r: RefusalRow) -> Self {
        RefusalEntry {
            minute: r.minute,
            method: r.method,
            route: r.route,
            status: r.status,
            reason: r.reason,
            address: r.address,
            count: r.count,
        }
    }
}

/// The uses and newest refusals of a key `viewer` may see (their own, or any with
/// `keys:read`): a keyset page of its access log, newest first, from `cursor` (a position
/// and whether to go back to newer rows).
pub async fn activity(
    db: &Db,
    viewer: &Principal,
    id: ApiKeyId,
    cursor: Option<((i64, i64), bool)>,
    limit: usize,
) -> AppResult<Activity> {
    let key = authorized(db, viewer, id, Action::SeeKey).await?;
    let refusals = sqlx::query_as::<_, RefusalRow>(
        "SELECT minute, method, route, status, reason, address, count FROM key_refusals \
         WHERE key_row_id = $1 ORDER BY minute DESC, reason, address LIMIT $2",
    )
    .bind(key.id)
    .bind(ACTIVITY_LIMIT)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(RefusalEntry::from)
    .collect();
    let backwards = matches!(cursor, Some((_, true)));
    let (op, order) = crate::store::paging::direction(false, backwards);
    let ((at, row), from_cursor) = match cursor {
        Some((position, _)) => (position, true),
        None => ((i64::MAX, i64::MAX), false),
    };
    let rows: Vec<AccessEntry> = sqlx::query_as::<_, AccessRow>(&format!(
        "SELECT id, at, method, route, status, latency_ms, address, user_agent, request_body, response_body \
         FROM key_access_log WHERE key_row_id = $1 AND (at {op} $2 OR (at = $2 AND id {op} $3)) \
         ORDER BY at {order}, id {order} LIMIT $4"
    ))
    .bind(key.id)
    .bind(at)
    .bind(row)
    .bind(limit as i64 + 1)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(AccessEntry::from)
    .collect();
    let entries =
        crate::store::paging::finish(rows, limit, backwards, from_cursor, |e: &AccessEntry| {
            format!("{}.{}", e.at, e.id)
        });
    Ok(Activity {
        key,
        entries,
        refusals,
    })
}

/// Grace periods a rotation may leave the old secret working for.
pub const GRACE_CHOICES: [i64; 5] = [
    0,
    3600,
    24 * 3600,
    7 * DAY,
    domain::model::GRACE_UNTIL_FIRST_USE,
];

/// Issues a new secret with the same settings; the old one works for `grace` more seconds.
/// Only the key's owner may rotate it (it reveals a secret). The successor is an issuance
/// like any other: it must fit the workspace policy as it is now. Its expiry is `expiration`
/// when given, else the old lifetime's length counted from now; when that no longer fits,
/// the refusal names the latest expiry the policy allows.
pub async fn rotate(
    db: &Db,
    pepper: &ServerSecret,
    by: &Principal,
    id: ApiKeyId,
    grace: i64,
    expiration: Option<Expiration>,
) -> AppResult<NewSecret> {
    if !GRACE_CHOICES.contains(&grace) {
        return Err(AppError::invalid(
            "Choose a grace period: now, 1 hour, 24 hours, 7 days, or until the new secret is first used.",
        ));
    }
    let key = authorized(db, by, id, Action::RotateKey).await?;
    let now = crate::now();
    if !key.status(now).usable() {
        return Err(AppError::Conflict(format!(
            "A {} key cannot be rotated.",
            key.status(now).label().to_lowercase()
        )));
    }
    let expires_at = match expiration {
        Some(e) => e.at(now),
        None => key.expires_at.map(|e| now + (e - key.created_at).max(DAY)),
    };
    let new = NewKey {
        name: Name::parse("Name", &key.name)?,
        purpose: key.purpose.clone(),
        kind: key.kind(),
        application: key.application_id,
        agent: key.agent_id,
        permissions: key.permissions(),
        expires_at,
        log_bodies: key.log_bodies != 0,
        networks: key.networks().clone(),
    };
    crate::services::workspaces::policy(db, by.workspace)
        .await?
        .check_issuance(new.kind, new.expires_at, now)
        .map_err(|refusal| match refusal {
            domain::issuance::IssuanceRefusal::Expiry(m) => AppError::invalid(format!(
                "The new secret would not fit the workspace policy. {m}"
            )),
            other => other.into(),
        })?;
    let until_first_use = grace == domain::model::GRACE_UNTIL_FIRST_USE;
    let grace = if until_first_use {
        domain::model::FIRST_USE_GRACE_MAX
    } else {
        grace
    };
    let mut tx = db.write_credentials().await?;
    let result = sqlx::query(
        "UPDATE api_keys SET rotated_at = $1, grace_until = $2, grace_until_first_use = $5 \
         WHERE id = $3 AND workspace_id = $4 AND rotated_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(now + grace)
    .bind(key.id)
    .bind(by.workspace.to_string())
    .bind(i64::from(until_first_use))
    .execute(&mut *tx)
    .await?;
    if result.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "This key was already rotated or revoked.".into(),
        ));
    }
    let (new_id, new_key_id, plaintext) =
        insert_key(&mut tx, pepper, by, &new, Some(key.id), now, None).await?;
    audit::record(
        &mut tx,
        audit::event(
            by,
            AuditAction::KeyRotated,
            format!("key:{}", key.key_id),
            if until_first_use {
                format!("replaced by key:{new_key_id}; old secret works until the new one is first used, at most {grace} s")
            } else {
                format!("replaced by key:{new_key_id}; old secret works for {grace} s")
            },
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(NewSecret::new(
        get(db, by.workspace, new_id).await?.to_row_for(by, now),
        plaintext,
    ))
}

/// Why a presented secret was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// Refused without any lookup.
    Malformed(MalformedSecret),
    /// No stored digest matches: the generic answer.
    Unknown,
    Expired,
    Revoked,
    RotatedOut,
}

impl AuthFailure {
    pub fn code(self) -> &'static str {
        match self {
            AuthFailure::Malformed(_) => "MALFORMED",
            AuthFailure::Unknown => "NOT_FOUND",
            AuthFailure::Expired => "EXPIRED",
            AuthFailure::Revoked => "REVOKED",
            AuthFailure::RotatedOut => "ROTATED_OUT",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            AuthFailure::Malformed(m) => m.explain(),
            AuthFailure::Unknown => "The credential is not valid.",
            AuthFailure::Expired => "The key has expired.",
            AuthFailure::Revoked => "The key has been revoked.",
            AuthFailure::RotatedOut => "The key was rotated and its grace period has ended.",
        }
    }
}

/// A secret that matched a stored key, with what it may do right now.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub key: Arc<KeyRecord>,
    /// The owner's current role in the key's workspace.
    pub owner_role: Role,
    pub grant: Grant,
    /// Attached permissions the owner's role no longer grants.
    pub dropped: PermissionSet,
}

/// Where an authentication attempt stands after the lookup: the key when the digest matched.
pub enum Lookup {
    Ok(Authenticated),
    Refused(AuthFailure, Option<Arc<KeyRecord>>),
}

/// Authenticates a presented secret against the database. Malformed secrets are refused
/// before any lookup; the specific reason (expired, revoked, rotated out) is given only once
/// the digest matched.
pub async fn authenticate(db: &Db, pepper: &ServerSecret, presented: &str) -> AppResult<Lookup> {
    authenticate_with(db, None, pepper, presented).await
}

/// [`authenticate`], reading the stored key through `cache` when one is given.
pub async fn authenticate_with(
    db: &Db,
    cache: Option<&KeyCache>,
    pepper: &ServerSecret,
    presented: &str,
) -> AppResult<Lookup> {
    let parts = match secret::parse(presented) {
        Ok(parts) => parts,
        // Not ours, but shaped like an imported secret: one indexed read by its digest.
        Err(MalformedSecret::NotKeyward) if domain::import::has_shape(presented) => {
            return imported(db, cache, pepper, presented).await;
        }
        Err(m) => return Ok(Lookup::Refused(AuthFailure::Malformed(m), None)),
    };
    let fetch = || by_key_id(db, parts.key_id.as_str());
    let key = match cache {
        Some(cache) => cache.get_or_fetch(parts.key_id.as_str(), fetch).await?,
        None => fetch().await?.map(Arc::new),
    };
    let Some(key) = key else {
        return Ok(Lookup::Refused(AuthFailure::Unknown, None));
    };
    Ok(evaluate(
        key,
        pepper.digest_hex(presented).as_str(),
        parts.kind,
        crate::now(),
    ))
}

/// Authenticates a secret that may have been imported: found by its digest (remembered under
/// the digest, which no key id can equal), or unknown.
async fn imported(
    db: &Db,
    cache: Option<&KeyCache>,
    pepper: &ServerSecret,
    presented: &str,
) -> AppResult<Lookup> {
    let digest = pepper.digest_hex(presented);
    let fetch = || async {
        sqlx::query_as(&format!(
            "{SELECT_KEYS} WHERE k.digest = $1 AND k.imported = 1"
        ))
        .bind(digest.as_str())
        .fetch_optional(db.pool())
        .await
    };
    let key = match cache {
        Some(cache) => cache.get_or_fetch(digest.as_str(), fetch).await?,
        None => fetch().await?.map(Arc::new),
    };
    let Some(key) = key else {
        return Ok(Lookup::Refused(AuthFailure::Unknown, None));
    };
    let kind = key.kind();
    Ok(evaluate(key, digest.as_str(), kind, crate::now()))
}

/// The stored key with this public key id, with its owner's current role.
pub(crate) async fn by_key_id(db: &Db, key_id: &str) -> AppResult<Option<KeyRecord>> {
    Ok(
        sqlx::query_as(&format!("{SELECT_KEYS} WHERE k.key_id = $1"))
            .bind(key_id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// What a presented secret (by its digest and kind) may do with a stored key at `now`.
fn evaluate(key: Arc<KeyRecord>, digest: &str, kind: KeyKind, now: i64) -> Lookup {
    if !digests_match(digest, &key.digest) || key.kind() != kind {
        return Lookup::Refused(AuthFailure::Unknown, None);
    }
    let failure = if key.revoked_at.is_some() {
        Some(AuthFailure::Revoked)
    } else if key.expires_at.is_some_and(|e| e <= now) {
        Some(AuthFailure::Expired)
    } else if key.grace_until.is_some_and(|g| g <= now) {
        Some(AuthFailure::RotatedOut)
    } else {
        None
    };
    if let Some(f) = failure {
        return Lookup::Refused(f, Some(key));
    }
    // Read in the same query as the key: the owner's role as of this request.
    let Some(owner_role) = key.owner_role.as_deref().and_then(|r| Role::parse(r).ok()) else {
        // The owner left the workspace; their keys were revoked with them.
        return Lookup::Refused(AuthFailure::Revoked, Some(key));
    };
    Lookup::Ok(Authenticated::new(key, owner_role))
}

impl Authenticated {
    /// What `key` may do while its owner holds `owner_role`: its permissions ∩ the role's.
    pub fn new(key: Arc<KeyRecord>, owner_role: Role) -> Authenticated {
        let attached = key.permissions();
        let effective = attached.intersect(owner_role.permissions());
        let grant = Grant {
            kind: match key.kind() {
                KeyKind::Service => PrincipalKind::Service,
                KeyKind::Agent => PrincipalKind::Agent,
            },
            permissions: effective,
            application: key.application_id,
        };
        Authenticated {
            dropped: attached.minus(effective),
            owner_role,
            grant,
            key,
        }
    }
}

/// Records when and from where keys were last used (the bookkeeping queue calls this with a
/// batch, inside its transaction).
pub async fn record_use(
    tx: &mut crate::store::db::Tx,
    uses: &[(ApiKeyId, i64, &str)],
) -> AppResult<()> {
    for (id, at, address) in uses {
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $1, last_used_ip = $2 WHERE id = $3 AND (last_used_at IS NULL OR last_used_at <= $1)",
        )
        .bind(at)
        .bind(address)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Parses the create form into a validated request.
pub fn parse_create_form(form: &domain::model::CreateKeyForm, role: Role) -> AppResult<NewKey> {
    use domain::validate::optional_text;
    fn id<T>(field: &str, s: &str) -> Result<Option<domain::ids::Id<T>>, AppError> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        domain::ids::Id::parse(s)
            .map(Some)
            .map_err(|_| AppError::invalid(format!("Unknown {field}.")))
    }
    let kind = KeyKind::parse(&form.principal)
        .ok_or_else(|| AppError::invalid("Choose Service or Agent."))?;
    let permissions = match form.preset.as_str() {
        "full" => role.permissions(),
        "read" => role.permissions().intersect(PermissionSet::all_reads()),
        "custom" | "" => PermissionSet::parse_list(form.permissions.iter().map(String::as_str))
            .map_err(AppError::invalid)?,
        _ => return Err(AppError::invalid("Unknown preset.")),
    };
    let expiration = Expiration::parse(&form.expiration, &form.expires_on)?;
    Ok(NewKey {
        name: Name::parse("Name", &form.name)?,
        purpose: optional_text("Purpose", &form.purpose)?,
        kind,
        application: id("application", &form.application_id)?,
        agent: if kind == KeyKind::Agent {
            id("agent", &form.agent_id)?
        } else {
            None
        },
        permissions,
        expires_at: expiration.at(crate::now()),
        log_bodies: form.log_bodies,
        networks: domain::network::Allowlist::parse(&form.allowed_networks)
            .map_err(|e| domain::validate::InvalidInput::in_field("Allowed networks", e))?,
    })
}
