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

/// A header value being written on the stack: the request path formats its rate-limit
/// headers without a `String` and the copy `HeaderValue` would make of it.
struct Text {
    buf: [u8; 256],
    len: usize,
}

impl Text {
    fn new() -> Text {
        Text {
            buf: [0; 256],
            len: 0,
        }
    }

    /// Appends `s`; what would not fit is left out (three pools take about 110 bytes).
    fn push(&mut self, s: &str) {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
    }

    fn number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(std::str::from_utf8(&digits[i..]).expect("digits are ASCII"));
    }

    /// The name a pool's policy goes by in the headers, e.g. `"key-default"`.
    fn policy_name(&mut self, p: &PoolState) {
        self.push("\"");
        self.push(p.pool.id());
        self.push("-");
        self.push(p.class.id());
        self.push("\"");
    }

    fn value(&self) -> Option<HeaderValue> {
        HeaderValue::from_bytes(&self.buf[..self.len]).ok()
    }
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
    let mut policies = Text::new();
    for (i, p) in v.pools().iter().chain(v.refused_by.iter()).enumerate() {
        if i > 0 {
            policies.push(", ");
        }
        policies.policy_name(p);
        policies.push(";q=");
        policies.number(p.limit.into());
        policies.push(";w=60");
    }
    if let Some(value) = policies.value() {
        h.insert(POLICY, value);
    }
    let mut now = Text::new();
    now.policy_name(&tightest);
    now.push(";r=");
    now.number(tightest.remaining.into());
    now.push(";t=");
    now.number(tightest.reset);
    if let Some(value) = now.value() {
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

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 60, 100_000_000, u64::MAX] {
            let mut t = Text::new();
            t.number(n);
            assert_eq!(&t.buf[..t.len], n.to_string().as_bytes());
        }
    }

    #[test]
    fn text_that_would_not_fit_is_left_out() {
        let mut t = Text::new();
        for _ in 0..100 {
            t.push("abc");
        }
        assert_eq!(t.len, 256);
        assert!(t.value().is_some());
    }
}
