//! `/metrics`: what the machine API did, in Prometheus's text format, for whoever holds
//! `KEYWARD_METRICS_TOKEN`.
//!
//! Counting is on every machine request, so it is a handful of relaxed atomic additions into
//! fixed arrays (the route table and the status and latency buckets are known at start): no
//! lock, no map, no allocation on the hot path. What other parts keep (the verified-key cache,
//! the bookkeeping queue, the password hashers, the database pool) is read when scraped.

use app::request::state::AppState;
use domain::routes::{MachineRoute, ROUTES};
use keyward_core::services::usage::UsageRecorder;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Statuses counted by name; any other is `other`.
const STATUSES: [u16; 17] = [
    200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503, 0,
];
/// Upper bounds of the latency buckets, in seconds (`+Inf` follows).
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// How a presented credential fared, for `keyward_auth_outcomes_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Valid,
    Missing,
    Malformed,
    Unknown,
    Expired,
    Revoked,
    RotatedOut,
    NetworkNotAllowed,
    Forbidden,
    RateLimited,
    Other,
}

impl Outcome {
    const ALL: [Outcome; 11] = [
        Outcome::Valid,
        Outcome::Missing,
        Outcome::Malformed,
        Outcome::Unknown,
        Outcome::Expired,
        Outcome::Revoked,
        Outcome::RotatedOut,
        Outcome::NetworkNotAllowed,
        Outcome::Forbidden,
        Outcome::RateLimited,
        Outcome::Other,
    ];

    fn label(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Missing => "missing",
            Outcome::Malformed => "malformed",
            Outcome::Unknown => "unknown",
            Outcome::Expired => "expired",
            Outcome::Revoked => "revoked",
            Outcome::RotatedOut => "rotated_out",
            Outcome::NetworkNotAllowed => "network_not_allowed",
            Outcome::Forbidden => "forbidden",
            Outcome::RateLimited => "rate_limited",
            Outcome::Other => "other",
        }
    }

    /// The outcome a refusal's access-log reason names.
    pub fn of_reason(reason: &str) -> Outcome {
        match reason {
            "INVALID_SECRET" | "NOT_FOUND" => Outcome::Unknown,
            "EXPIRED" => Outcome::Expired,
            "REVOKED" => Outcome::Revoked,
            "ROTATED_OUT" => Outcome::RotatedOut,
            "NETWORK_NOT_ALLOWED" => Outcome::NetworkNotAllowed,
            "FORBIDDEN" => Outcome::Forbidden,
            "RATE_LIMITED" => Outcome::RateLimited,
            _ => Outcome::Other,
        }
    }
}

fn counters<const N: usize>() -> [AtomicU64; N] {
    std::array::from_fn(|_| AtomicU64::new(0))
}

/// One route's answers.
struct RouteCounts {
    statuses: [AtomicU64; STATUSES.len()],
    buckets: [AtomicU64; BUCKETS.len()],
    micros: AtomicU64,
}

/// The machine API's counters: one slot per declared route, and one for the rest (the OpenAPI
/// document, leak reports, unknown paths).
pub struct Metrics {
    routes: Vec<RouteCounts>,
    outcomes: [AtomicU64; Outcome::ALL.len()],
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            routes: (0..=ROUTES.len())
                .map(|_| RouteCounts {
                    statuses: counters(),
                    buckets: counters(),
                    micros: AtomicU64::new(0),
                })
                .collect(),
            outcomes: counters(),
        }
    }
}

/// A route's slot: its place in the route table, or the last slot.
pub fn slot_of(route: Option<&MachineRoute>) -> usize {
    route
        .and_then(|r| ROUTES.iter().position(|d| d.id == r.id))
        .unwrap_or(ROUTES.len())
}

impl Metrics {
    /// An answer of `slot`'s route with `status` after `took`.
    pub fn answered(&self, slot: usize, status: u16, took: Duration) {
        let Some(route) = self.routes.get(slot) else {
            return;
        };
        let s = STATUSES
            .iter()
            .position(|c| *c == status)
            .unwrap_or(STATUSES.len() - 1);
        route.statuses[s].fetch_add(1, Relaxed);
        let secs = took.as_secs_f64();
        if let Some(b) = BUCKETS.iter().position(|le| secs <= *le) {
            route.buckets[b].fetch_add(1, Relaxed);
        }
        route.micros.fetch_add(took.as_micros() as u64, Relaxed);
    }

    pub fn outcome(&self, outcome: Outcome) {
        let i = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        self.outcomes[i].fetch_add(1, Relaxed);
    }

    /// Everything, in the text exposition format.
    pub fn render(&self, app: &AppState, usage: &UsageRecorder) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let name = |slot: usize| {
            ROUTES
                .get(slot)
                .map(|r| format!("{} {}", r.method.as_str(), r.path))
                .unwrap_or_else(|| "other".into())
        };
        header(
            &mut out,
            "keyward_http_requests_total",
            "counter",
            "Machine API answers, by route and status.",
        );
        for (slot, route) in self.routes.iter().enumerate() {
            for (i, n) in route.statuses.iter().enumerate() {
                let n = n.load(Relaxed);
                if n > 0 {
                    let status = match STATUSES[i] {
                        0 => "other".to_string(),
                        code => code.to_string(),
                    };
                    let _ = writeln!(
                        out,
                        "keyward_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                        name(slot)
                    );
                }
            }
        }
        header(
            &mut out,
            "keyward_http_request_duration_seconds",
            "histogram",
            "Machine API answer latency, by route.",
        );
        for (slot, route) in self.routes.iter().enumerate() {
            let count: u64 = route.statuses.iter().map(|n| n.load(Relaxed)).sum();
            if count == 0 {
                continue;
            }
            let label = name(slot);
            let mut cumulative = 0;
            for (le, n) in BUCKETS.iter().zip(&route.buckets) {
                cumulative += n.load(Relaxed);
                let _ = writeln!(
                    out,
                    "keyward_http_request_duration_seconds_bucket{{route=\"{label}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let sum = route.micros.load(Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "keyward_http_request_duration_seconds_bucket{{route=\"{label}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(
                out,
                "keyward_http_request_duration_seconds_sum{{route=\"{label}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "keyward_http_request_duration_seconds_count{{route=\"{label}\"}} {count}"
            );
        }
        header(
            &mut out,
            "keyward_auth_outcomes_total",
            "counter",
            "Credentials presented to the machine API, by outcome.",
        );
        for (o, n) in Outcome::ALL.iter().zip(&self.outcomes) {
            let _ = writeln!(
                out,
                "keyward_auth_outcomes_total{{outcome=\"{}\"}} {}",
                o.label(),
                n.load(Relaxed)
            );
        }
        let (hits, misses) = app.key_cache.stats();
        header(
            &mut out,
            "keyward_key_cache_lookups_total",
            "counter",
            "Verified-key lookups answered from memory (hit) or the database (miss).",
        );
        let _ = writeln!(
            out,
            "keyward_key_cache_lookups_total{{result=\"hit\"}} {hits}"
        );
        let _ = writeln!(
            out,
            "keyward_key_cache_lookups_total{{result=\"miss\"}} {misses}"
        );
        let (waiting, dropped) = usage.stats();
        header(
            &mut out,
            "keyward_bookkeeping_queue_depth",
            "gauge",
            "Access-log entries waiting to be written.",
        );
        let _ = writeln!(out, "keyward_bookkeeping_queue_depth {waiting}");
        header(
            &mut out,
            "keyward_bookkeeping_dropped_total",
            "counter",
            "Access-log entries dropped because their queue was full.",
        );
        let _ = writeln!(out, "keyward_bookkeeping_dropped_total {dropped}");
        let (jobs, waited) = app.hasher.waits();
        header(
            &mut out,
            "keyward_password_hash_jobs_total",
            "counter",
            "Password hashes and checks run.",
        );
        let _ = writeln!(out, "keyward_password_hash_jobs_total {jobs}");
        header(
            &mut out,
            "keyward_password_hash_wait_seconds_total",
            "counter",
            "Time password jobs waited for a hashing thread, in all.",
        );
        let _ = writeln!(out, "keyward_password_hash_wait_seconds_total {waited}");
        let pool = app.db.pool();
        let (size, idle) = (pool.size(), pool.num_idle() as u32);
        header(
            &mut out,
            "keyward_db_pool_connections",
            "gauge",
            "Database connections, by state.",
        );
        let _ = writeln!(
            out,
            "keyward_db_pool_connections{{state=\"in_use\"}} {}",
            size.saturating_sub(idle)
        );
        let _ = writeln!(out, "keyward_db_pool_connections{{state=\"idle\"}} {idle}");
        let _ = writeln!(
            out,
            "keyward_db_pool_connections{{state=\"max\"}} {}",
            pool.options().get_max_connections()
        );
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_fall_in_their_status_and_latency_slots() {
        let m = Metrics::default();
        let me = slot_of(ROUTES.first());
        m.answered(me, 200, Duration::from_micros(800));
        m.answered(me, 200, Duration::from_millis(30));
        m.answered(me, 418, Duration::from_secs(10));
        let r = &m.routes[me];
        assert_eq!(r.statuses[0].load(Relaxed), 2);
        assert_eq!(r.statuses[STATUSES.len() - 1].load(Relaxed), 1, "other");
        assert_eq!(r.buckets[0].load(Relaxed), 1, "≤ 1 ms");
        assert_eq!(r.buckets[5].load(Relaxed), 1, "≤ 50 ms");
        assert_eq!(
            r.buckets.iter().map(|b| b.load(Relaxed)).sum::<u64>(),
            2,
            "10 s is only +Inf"
        );
        assert_eq!(slot_of(None), ROUTES.len());
        assert_eq!(Outcome::of_reason("ROTATED_OUT"), Outcome::RotatedOut);
        assert_eq!(Outcome::of_reason("INVALID_SECRET"), Outcome::Unknown);
    }
}
