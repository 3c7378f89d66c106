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
/// limits: the key, `application` (the one the key is scoped to, else the one the route
/// targets), its workspace — each where the workspace sets a limit for the class. The first
/// `n` of the array (nothing allocated on the request path).
pub fn pools(
    key: &KeyRecord,
    class: LimitClass,
    application: Option<domain::ids::ApplicationId>,
) -> ([(Counter, u32); 3], usize) {
    let limits = key.limits();
    let mut pools = [(Counter::of(Pool::Key, Uuid::nil(), class), 0); 3];
    let mut n = 0;
    let mut add = |counter: Counter, limit: u32| {
        pools[n] = (counter, limit);
        n += 1;
    };
    if let Some(limit) = limits.get(Pool::Key, class) {
        add(Counter::key(&key.key_id, class), limit);
    }
    if let Some(limit) = limits.get(Pool::Application, class) {
        if let Some(app) = application {
            add(Counter::of(Pool::Application, app.uuid(), class), limit);
        }
    }
    if let Some(limit) = limits.get(Pool::Workspace, class) {
        add(
            Counter::of(Pool::Workspace, key.workspace_id.uuid(), class),
            limit,
        );
    }
    (pools, n)
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

/// Writes the name a pool's policy goes by in the headers, e.g. `"key-default"`.
fn policy_name(out: &mut String, p: &PoolState) {
    out.push('"');
    out.push_str(p.pool.id());
    out.push('-');
    out.push_str(p.class.id());
    out.push('"');
}

/// Writes `RateLimit-Policy` (every pool that counted the request), `RateLimit` (the pool
/// with the fewest requests left, or the one that refused) and the earlier draft's three
/// fields for that same pool.
pub fn write_pool_headers(v: &Verdict, h: &mut HeaderMap) {
    use std::fmt::Write;
    const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
    const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
    let Some(tightest) = v.tightest() else {
        return;
    };
    let mut policies = String::with_capacity(128);
    for p in v.pools().iter().chain(v.refused_by.iter()) {
        if !policies.is_empty() {
            policies.push_str(", ");
        }
        policy_name(&mut policies, p);
        let _ = write!(policies, ";q={};w=60", p.limit);
    }
    if let Ok(value) = HeaderValue::try_from(policies) {
        h.insert(POLICY, value);
    }
    let mut now = String::with_capacity(48);
    policy_name(&mut now, &tightest);
    let _ = write!(now, ";r={};t={}", tightest.remaining, tightest.reset);
    if let Ok(value) = HeaderValue::try_from(now) {
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
