//! The key review: the live keys a reviewer should look at for one [`Finding`], each with the
//! permissions it has not used, in keyset pages read in the database. Every finding is a
//! `WHERE` clause over the key and its owner's membership; those about roles and use are
//! generated from the role table and the route table, so they follow both.

use crate::error::AppResult;
use crate::services::keys::{KeyRecord, SELECT_KEYS_OVER_PAGE};
use crate::store::clause::{Bind, Clause};
use crate::store::db::Db;
use domain::access::Principal;
use domain::ids::ApiKeyId;
use domain::least_privilege::{observed, used, OBSERVATION_DAYS};
use domain::permissions::{Permission, PermissionSet};
use domain::review::Finding;
use domain::roles::Role;
use domain::routes::ROUTES;

const DAY: i64 = 86_400;

/// One key of a review page and what it holds but has not used in the observation window.
#[derive(Debug)]
pub struct Reviewed {
    pub key: KeyRecord,
    pub unused: PermissionSet,
}

/// A page of a finding's keys, newest first, and where the next starts (a key id).
#[derive(Debug)]
pub struct ReviewPage {
    pub keys: Vec<Reviewed>,
    pub next: Option<String>,
}

/// One page of the keys of `viewer`'s workspace with `finding`, after the key `after`.
pub async fn page(
    db: &Db,
    viewer: &Principal,
    finding: Finding,
    after: Option<&str>,
    limit: usize,
    now: i64,
) -> AppResult<ReviewPage> {
    let mut w = Clause::default();
    let ws = w.bind(Bind::Text(viewer.workspace.to_string()));
    w.and(format!("k.workspace_id = {ws}"));
    w.visible_to("k", viewer);
    let now_p = w.bind(Bind::Int(now));
    let live = format!("k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > {now_p})");
    let before = |w: &mut Clause, days: i64| w.bind(Bind::Int(now - days * DAY));
    let predicate = match finding {
        Finding::Unused90 => format!("{live} AND k.last_used_at < {}", before(&mut w, 90)),
        Finding::Unused30 => format!("{live} AND k.last_used_at < {}", before(&mut w, 30)),
        Finding::NeverUsed => format!(
            "{live} AND k.last_used_at IS NULL AND k.created_at < {}",
            before(&mut w, 7)
        ),
        Finding::Expiring => format!(
            "k.revoked_at IS NULL AND k.expires_at > {now_p} AND k.expires_at <= {}",
            w.bind(Bind::Int(now + 14 * DAY))
        ),
        Finding::NoExpiry => format!("{live} AND k.expires_at IS NULL"),
        Finding::NoPurpose => format!("{live} AND TRIM(k.purpose) = ''"),
        // Led by the members whose role lacks something (never owners and admins): their keys
        // are read through the owner index rather than the workspace's keys walked whole.
        Finding::OwnerDemoted => format!(
            "{live} AND m.workspace_id = k.workspace_id AND m.user_id = k.owner_id \
             AND m.role IN ({}) AND ({})",
            limited_roles(),
            beyond_role()
        ),
        Finding::UnusedPermissions => {
            let since = before(&mut w, OBSERVATION_DAYS);
            format!(
                "{live} AND k.created_at < {since} AND ({})",
                unused_permission(&since)
            )
        }
        Finding::Imported => format!("{live} AND k.imported = 1"),
        Finding::OwnerLeft => "NOT EXISTS (SELECT 1 FROM memberships m \
             WHERE m.workspace_id = k.workspace_id AND m.user_id = k.owner_id)"
            .to_string(),
    };
    w.and(predicate);
    if let Some(key_id) = after {
        let (created, id) = crate::services::key_list::position_of(db, viewer, key_id).await?;
        let (c, i) = (w.bind(Bind::Int(created)), w.bind(Bind::Text(id)));
        w.and(format!(
            "(k.created_at < {c} OR (k.created_at = {c} AND k.id < {i}))"
        ));
    }
    // `CROSS JOIN` keeps the memberships first on SQLite (PostgreSQL plans it as any join).
    let source = match finding {
        Finding::OwnerDemoted => "memberships m CROSS JOIN api_keys k",
        _ => "api_keys k",
    };
    let rows_sql = format!(
        "SELECT k.* FROM {source} WHERE {} ORDER BY k.created_at DESC, k.id DESC LIMIT {}",
        w.sql(),
        limit + 1
    );
    let sql = format!(
        "{} ORDER BY k.created_at DESC, k.id DESC",
        SELECT_KEYS_OVER_PAGE.replace("{page}", &rows_sql)
    );
    let mut keys: Vec<KeyRecord> = w.apply(sqlx::query_as(&sql)).fetch_all(db.pool()).await?;
    let next = (keys.len() > limit).then(|| keys[limit - 1].key_id.clone());
    keys.truncate(limit);
    let unused = unused_of(db, &keys, now).await?;
    Ok(ReviewPage {
        keys: keys
            .into_iter()
            .zip(unused)
            .map(|(key, unused)| Reviewed { key, unused })
            .collect(),
        next,
    })
}

/// `k.permissions` (space-separated ids) holds `p`.
fn holds(p: Permission) -> String {
    format!("(' ' || k.permissions || ' ') LIKE '% {} %'", p.id())
}

/// The roles that lack some permission, as SQL literals.
fn limited_roles() -> String {
    Role::ALL
        .into_iter()
        .filter(|r| !PermissionSet::all().is_subset_of(r.permissions()))
        .map(|r| format!("'{}'", r.id()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The owner's role (`m.role`) lacks a permission the key holds: one term per role, from the
/// role table. Permission ids and role ids are catalog constants, safe as SQL literals.
fn beyond_role() -> String {
    Role::ALL
        .into_iter()
        .filter_map(|role| {
            let outside: Vec<String> = PermissionSet::all()
                .minus(role.permissions())
                .iter()
                .map(holds)
                .collect();
            (!outside.is_empty())
                .then(|| format!("(m.role = '{}' AND ({}))", role.id(), outside.join(" OR ")))
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The key holds a permission no request of it needed since `since`: one term per
/// permission, each naming the routes (from the route table) that require it.
fn unused_permission(since: &str) -> String {
    Permission::all()
        .map(|p| {
            let routes: Vec<String> = ROUTES
                .iter()
                .filter(|r| r.requirement.permissions.contains(&p))
                .map(|r| {
                    debug_assert!(!r.path.contains('\''));
                    format!(
                        "(u.method = '{}' AND u.route = '{}')",
                        r.method.as_str(),
                        r.path
                    )
                })
                .collect();
            if routes.is_empty() {
                // No route needs it: held, it can never be used.
                holds(p)
            } else {
                format!(
                    "({} AND NOT EXISTS (SELECT 1 FROM key_route_use u WHERE u.key_row_id = k.id \
                     AND u.last_at > {since} AND ({})))",
                    holds(p),
                    routes.join(" OR ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// What each of `keys` holds but did not use in the observation window: one read of their
/// `key_route_use` rows.
async fn unused_of(db: &Db, keys: &[KeyRecord], now: i64) -> AppResult<Vec<PermissionSet>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let places: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT key_row_id, method, route, last_at FROM key_route_use \
         WHERE last_at > $1 AND key_row_id IN ({})",
        places.join(", ")
    );
    let mut q = sqlx::query_as::<_, (ApiKeyId, String, String, i64)>(&sql)
        .bind(now - OBSERVATION_DAYS * DAY);
    for k in keys {
        q = q.bind(k.id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    Ok(keys
        .iter()
        .map(|k| {
            let called = rows
                .iter()
                .filter(|(id, ..)| *id == k.id)
                .map(|(_, m, r, at)| (m.as_str(), r.as_str(), *at));
            let uses = observed(k.permissions(), called);
            k.permissions().minus(used(&uses))
        })
        .collect())
}
