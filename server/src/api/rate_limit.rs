//! The machine API's rate limits: which pools a key's request counts against, and the headers
//! each answer carries — `RateLimit-Policy` and `RateLimit` in the form of the IETF draft
//! (draft-ietf-httpapi-ratelimit-headers), and `RateLimit-Limit`, `-Remaining` and `-Reset`
//! for the clients that read the earlier draft's fields.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use domain::limits::{LimitClass, Pool};
pub use keyward_core::security::rate_limit::{Decision, RateLimiter};
use keyward_core::services::keys::KeyRecord;
pub use keyward_core::services::rate_limits::PooledLimiter;
use keyward_core::services::rate_limits::{Counter, PoolState, Verdict};
use uuid::Uuid;

/// The pools a request of `class` with `key` counts against, narrowest first, with their
/// limits: the key, its application (the one it is scoped to, else the one the route
/// targets), its workspace — each where the workspace sets a limit for the class.
pub fn pools(key: &KeyRecord, class: LimitClass, target: Option<Uuid>) -> Vec<(Counter, u32)> {
    let limits = key.limits();
    let mut pools = Vec::with_capacity(3);
    if let Some(n) = limits.get(Pool::Key, class) {
        pools.push((Counter::key(&key.key_id, class), n));
    }
    if let (Some(n), Some(app)) = (
        limits.get(Pool::Application, class),
        key.application().or(target),
    ) {
        pools.push((Counter::of(Pool::Application, app, class), n));
    }
    if let Some(n) = limits.get(Pool::Workspace, class) {
        pools.push((
            Counter::of(Pool::Workspace, key.workspace_id.uuid(), class),
            n,
        ));
    }
    pools
}

/// The 429's message: which pool ran out.
pub fn refusal_message(by: &PoolState) -> String {
    let whose = match by.pool {
        Pool::Key => "this key",
        Pool::Application => "this key's application",
        Pool::Workspace => "this key's workspace",
    };
    format!(
        "Rate limit exceeded for {whose}: {} requests per minute to {} routes.",
        by.limit,
        by.class.id()
    )
}

/// The name a pool's policy goes by in the headers, e.g. `key-default`.
fn policy_name(p: &PoolState) -> String {
    format!("{}-{}", p.pool.id(), p.class.id())
}

/// Writes `RateLimit-Policy` (every pool that counted the request), `RateLimit` (the pool
/// with the fewest requests left, or the one that refused) and the earlier draft's three
/// fields for that same pool.
pub fn write_pool_headers(v: &Verdict, h: &mut HeaderMap) {
    const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
    const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
    let Some(tightest) = v.tightest() else {
        return;
    };
    let policies = v
        .pools
        .iter()
        .chain(v.refused_by.iter())
        .map(|p| format!("\"{}\";q={};w=60", policy_name(p), p.limit))
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(value) = HeaderValue::from_str(&policies) {
        h.insert(POLICY, value);
    }
    let now = format!(
        "\"{}\";r={};t={}",
        policy_name(&tightest),
        tightest.remaining,
        tightest.reset
    );
    if let Ok(value) = HeaderValue::from_str(&now) {
        h.insert(RATELIMIT, value);
    }
    write_headers(
        &Decision {
            allowed: v.refused_by.is_none(),
            limit: tightest.limit,
            remaining: tightest.remaining,
            reset: tightest.reset,
        },
        h,
    );
}

/// Writes the `RateLimit-Limit`, `-Remaining` and `-Reset` headers of `d`.
pub fn write_headers(d: &Decision, h: &mut HeaderMap) {
    const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
    const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
    const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
    h.insert(LIMIT, HeaderValue::from(d.limit));
    h.insert(REMAINING, HeaderValue::from(d.remaining));
    h.insert(RESET, HeaderValue::from(d.reset));
}
