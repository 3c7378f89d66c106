//! The credential tester: what a secret is and what it can really do. Reads the same route
//! table and gate as the middleware, then proves it with live requests.

use crate::error::AppResult;
use crate::security::crypto::ServerSecret;
use crate::services::audit;
use crate::services::keys::{self, AuthFailure, Authenticated, KeyRecord, Lookup};
use crate::store::db::Db;
use domain::access::Grant;
use domain::audit::AuditAction;
use domain::coverage::coverage;
use domain::ids::WorkspaceId;
use domain::model::{CredentialReport, PermissionLine, PrincipalReport, SmokeLine};
use domain::permissions::{Permission, PermissionSet};
use domain::routes::ROUTES;
use domain::secret;
use std::time::{Duration, Instant};

/// Header the tester's smoke requests carry so they do not count as the key's use.
pub const SMOKE_HEADER: &str = "x-keyward-smoke-test";

/// The value of [`SMOKE_HEADER`] only this server can produce.
pub fn smoke_token(secret: &ServerSecret) -> String {
    secret.digest("keyward credential tester smoke request")
}

/// What the tester needs of this instance: its database, its server secret, and where its
/// own machine API answers (for the live smoke requests).
#[derive(Clone, Copy)]
pub struct Instance<'a> {
    pub db: &'a Db,
    pub secret: &'a ServerSecret,
    pub self_url: &'a str,
}

/// Tests a presented secret. Never stores, logs or returns it.
/// A key of `viewer_workspace` also shows which permissions its requests needed lately.
pub async fn test_secret(
    state: Instance<'_>,
    presented: &str,
    smoke: bool,
    viewer_workspace: Option<WorkspaceId>,
) -> AppResult<CredentialReport> {
    let prefix = secret::parse(presented).ok().map(|p| p.display_prefix());
    let report = match keys::authenticate(state.db, state.secret, presented).await? {
        Lookup::Ok(auth) => {
            let mut report = report_for_valid(&auth);
            report.prefix = prefix;
            if viewer_workspace == Some(auth.key.workspace_id) {
                observe_use(state.db, &mut report, &auth.key).await?;
            }
            if smoke {
                report.smoke = smoke_tests(state, presented, &auth.grant).await;
            }
            report
        }
        Lookup::Refused(failure, key) => {
            let mut report = refused(failure, key.as_deref(), prefix);
            // Shaped like an imported secret and matching none: say it is not one of ours.
            if failure == AuthFailure::Unknown && domain::secret::parse(presented).is_err() {
                report.message = format!(
                    "{} No key imported here has it either.",
                    domain::secret::MalformedSecret::NotKeyward.explain()
                );
            }
            report
        }
    };
    Ok(report)
}

/// Audits a credential test in the tester's workspace and, when the secret names a stored
/// key of another workspace, in the key's workspace too ("tested from another workspace"),
/// so a key's owners see who probed it. Never records the secret, only its public prefix.
pub async fn audit_test(
    db: &Db,
    by: &domain::access::Principal,
    presented: &str,
    report: &CredentialReport,
) -> AppResult<()> {
    let target = report
        .prefix
        .clone()
        .map(|p| format!("key:{p}"))
        .unwrap_or_default();
    let mut tx = db.write().await?;
    let mut events = vec![audit::event(
        by,
        AuditAction::CredentialTested,
        target.clone(),
        report.code.clone(),
    )];
    if let Ok(parts) = secret::parse(presented) {
        let home: Option<(WorkspaceId,)> =
            sqlx::query_as("SELECT workspace_id FROM api_keys WHERE key_id = $1")
                .bind(parts.key_id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((home,)) = home {
            if home != by.workspace {
                let mut event = audit::event(
                    by,
                    AuditAction::CredentialTested,
                    target,
                    format!("{}; tested from another workspace", report.code),
                );
                event.workspace = Some(home);
                events.push(event);
            }
        }
    }
    // Chains are taken in one order (by workspace), so two tests crossing the same two
    // workspaces the other way round never wait on each other's chain head.
    events.sort_by_key(|e| e.workspace);
    for event in events {
        audit::record(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Marks each permission line with when a request of `key` last needed it in the
/// observation window (least privilege from observed use, as "Narrow" shows it).
async fn observe_use(db: &Db, report: &mut CredentialReport, key: &KeyRecord) -> AppResult<()> {
    let now = crate::now();
    let called: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT method, route, last_at FROM key_route_use WHERE key_row_id = $1 AND last_at > $2",
    )
    .bind(key.id)
    .bind(now - domain::least_privilege::OBSERVATION_DAYS * 86_400)
    .fetch_all(db.pool())
    .await?;
    let uses = domain::least_privilege::observed(
        key.permissions(),
        called
            .iter()
            .map(|(m, r, at)| (m.as_str(), r.as_str(), *at)),
    );
    for line in &mut report.permissions {
        line.last_needed = uses
            .iter()
            .find(|u| u.permission.id() == line.id)
            .and_then(|u| u.last_needed);
    }
    report.use_observed = true;
    Ok(())
}

/// Describes a key without its secret (from the keys list): no smoke tests.
pub async fn inspect_key(db: &Db, key: KeyRecord) -> AppResult<CredentialReport> {
    let now = crate::now();
    let role = key
        .owner_role
        .as_deref()
        .and_then(|r| domain::roles::Role::parse(r).ok());
    let status = key.status(now);
    let mut report = match role {
        Some(owner_role)
            if status.usable()
                || status == domain::model::KeyStatus::RotatedOut
                    && key.grace_until.is_some_and(|g| g > now) =>
        {
            report_for_valid(&Authenticated::new(
                std::sync::Arc::new(key.clone()),
                owner_role,
            ))
        }
        _ => {
            let failure = match status {
                domain::model::KeyStatus::Expired => AuthFailure::Expired,
                domain::model::KeyStatus::RotatedOut => AuthFailure::RotatedOut,
                _ => AuthFailure::Revoked,
            };
            refused(failure, Some(&key), None)
        }
    };
    report.prefix =
        secret::KeyId::parse(&key.key_id).map(|id| secret::display_prefix(key.kind(), &id));
    if report.valid {
        observe_use(db, &mut report, &key).await?;
    }
    Ok(report)
}

fn principal(key: &KeyRecord, owner_role: Option<domain::roles::Role>) -> PrincipalReport {
    let now = crate::now();
    PrincipalReport {
        kind: key.kind().id().into(),
        key_name: key.name.clone(),
        agent: key.agent_name.clone(),
        owner_email: key.owner_email.clone(),
        owner_role,
        workspace_id: key.workspace_id,
        application: key.application_name.clone(),
        status: key.status(now),
        created_at: key.created_at,
        expires_at: key.expires_at,
        last_used_at: key.last_used_at,
        allowed_networks: key.networks().ranges(),
    }
}

fn permission_lines(attached: PermissionSet, effective: PermissionSet) -> Vec<PermissionLine> {
    Permission::all()
        .filter(|p| attached.contains(*p))
        .map(|p| PermissionLine {
            id: p.id().into(),
            description: p.description().into(),
            attached: true,
            effective: effective.contains(p),
            dropped: !effective.contains(p),
            last_needed: None,
        })
        .collect()
}

fn report_for_valid(auth: &Authenticated) -> CredentialReport {
    let dropped = !auth.dropped.is_empty();
    CredentialReport {
        valid: true,
        code: "VALID".into(),
        message: if dropped {
            format!(
                "Valid. The owner's role ({}) no longer grants {}, so the key cannot use them.",
                auth.owner_role,
                auth.dropped.ids().join(", ")
            )
        } else {
            "Valid.".into()
        } + if auth.key.imported != 0 {
            " An imported secret: it carries no key id or checksum, so it is found by its digest alone."
        } else {
            ""
        } + &rotation_note(&auth.key, crate::now()),
        prefix: None,
        principal: Some(principal(&auth.key, Some(auth.owner_role))),
        permissions: permission_lines(auth.key.permissions(), auth.grant.permissions),
        use_observed: false,
        coverage: with_limits(coverage(&auth.grant), auth.key.limits()),
        smoke: vec![],
    }
}

/// Each route's rate limit class with what the key's requests to it count against, e.g.
/// "write: 30 per minute per key, 100 per workspace".
fn with_limits(
    mut lines: Vec<domain::coverage::CoverageLine>,
    limits: &domain::limits::Limits,
) -> Vec<domain::coverage::CoverageLine> {
    use domain::limits::{LimitClass, Pool};
    for line in &mut lines {
        let Some(class) = LimitClass::ALL.into_iter().find(|c| c.id() == line.limit) else {
            continue;
        };
        let set: Vec<String> = Pool::ALL
            .into_iter()
            .filter_map(|p| {
                limits
                    .get(p, class)
                    .map(|n| format!("{n} per minute per {}", p.id()))
            })
            .collect();
        if !set.is_empty() {
            line.limit = format!("{} ({})", class.id(), set.join(", "));
        }
    }
    lines
}

/// What a rotation leaves working: this secret inside its grace period, or the previous
/// secret of this key (DESIGN.md: a rotated-out secret that still works is visible).
fn rotation_note(key: &KeyRecord, now: i64) -> String {
    use domain::dates::format_utc;
    let mut note = String::new();
    if let Some(grace) = key
        .grace_until
        .filter(|g| key.rotated_at.is_some() && *g > now)
    {
        note.push_str(&format!(
            " This secret was rotated out: it works until {} (grace period). Switch to the new \
             secret, or revoke this one now from the key list.",
            format_utc(grace)
        ));
    }
    if let Some(grace) = key.previous_grace_until.filter(|g| *g > now) {
        note.push_str(&format!(
            " The previous secret of this key still works until {}; last used {}.",
            format_utc(grace),
            key.previous_last_used_at
                .map(format_utc)
                .unwrap_or_else(|| "never".into())
        ));
    }
    note
}

fn refused(
    failure: AuthFailure,
    key: Option<&KeyRecord>,
    prefix: Option<String>,
) -> CredentialReport {
    CredentialReport {
        valid: false,
        code: failure.code().into(),
        message: failure.explain().into(),
        prefix,
        principal: key.map(|k| principal(k, None)),
        permissions: key
            .map(|k| permission_lines(k.permissions(), PermissionSet::EMPTY))
            .unwrap_or_default(),
        use_observed: false,
        coverage: vec![],
        smoke: vec![],
    }
}

/// Calls every read-only route without parameters with the secret, against this instance's
/// own address, and compares the status with what the coverage predicts.
async fn smoke_tests(state: Instance<'_>, presented: &str, grant: &Grant) -> Vec<SmokeLine> {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(c) => c,
        Err(_) => return vec![],
    };
    let token = smoke_token(state.secret);
    let mut lines = Vec::new();
    for route in ROUTES.iter().filter(|r| r.smoke_testable()) {
        let expected = match domain::access::authorize(grant, &route.requirement, None) {
            Ok(()) => 200,
            Err(_) => 403,
        };
        let started = Instant::now();
        let observed = client
            .get(format!("{}{}", state.self_url, route.path))
            .header("x-keyward-api-token", presented)
            .header(SMOKE_HEADER, &token)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        lines.push(SmokeLine {
            method: route.method.as_str().into(),
            path: route.path.into(),
            expected,
            observed,
            latency_ms: started.elapsed().as_millis() as u64,
        });
    }
    lines
}
