//! Where a credential change is in effect: which serving instances acknowledged applying it
//! and how long after the first, which have not (yet), and which fell silent. A key's
//! revocation shows it in the key's history.

use crate::error::AppResult;
use crate::store::db::Db;
use crate::store::instances::SILENT_AFTER_MS;

/// The state of one change across the instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    /// Instances that applied it (acknowledged, or started after it with nothing remembered).
    pub applied: usize,
    /// Live instances that have not acknowledged it yet.
    pub pending: usize,
    /// Instances not heard from lately that did not acknowledge it, with when they were last
    /// heard from (ms).
    pub silent: Vec<i64>,
    /// From the first acknowledgement to the last, in ms.
    pub spread_ms: Option<i64>,
}

/// The state of change `change` (made at `at_ms`, about) as of `now_ms`.
pub async fn effect(db: &Db, change: i64, now_ms: i64) -> AppResult<Effect> {
    let acked: Vec<(String, i64)> =
        sqlx::query_as("SELECT instance_id, applied_at_ms FROM change_acks WHERE change = $1")
            .bind(change)
            .fetch_all(db.pool())
            .await?;
    let first = acked.iter().map(|a| a.1).min();
    let last = acked.iter().map(|a| a.1).max();
    // Instances heard from since a little before the change: those that should have seen it.
    let since = first.unwrap_or(now_ms) - SILENT_AFTER_MS;
    let instances: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT id, started_at_ms, heartbeat_at_ms FROM instances WHERE heartbeat_at_ms >= $1",
    )
    .bind(since)
    .fetch_all(db.pool())
    .await?;
    let mut e = Effect {
        applied: acked.len(),
        pending: 0,
        silent: vec![],
        spread_ms: first.zip(last).map(|(f, l)| l - f),
    };
    for (id, started, heard) in instances {
        if acked.iter().any(|a| a.0 == id) {
            continue;
        }
        if first.is_some_and(|f| started > f) {
            e.applied += 1;
        } else if heard >= now_ms - SILENT_AFTER_MS {
            e.pending += 1;
        } else {
            e.silent.push(heard);
        }
    }
    Ok(e)
}

impl Effect {
    /// "In effect on 2 of 2 instances after 4 ms", with what is missing said.
    pub fn describe(&self) -> String {
        let total = self.applied + self.pending + self.silent.len();
        let mut s = format!("In effect on {} of {total} instances", self.applied);
        if let Some(ms) = self.spread_ms {
            s.push_str(&format!(" after {ms} ms"));
        }
        s.push('.');
        if self.pending > 0 {
            s.push_str(&format!(" {} not acknowledged yet.", self.pending));
        }
        if let Some(heard) = self.silent.iter().max() {
            s.push_str(&format!(
                " {} silent since {} (what a silent instance remembers expires within a second).",
                self.silent.len(),
                domain::dates::format_utc(heard / 1000)
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_says_what_is_missing() {
        let all = Effect {
            applied: 2,
            pending: 0,
            silent: vec![],
            spread_ms: Some(4),
        };
        assert_eq!(all.describe(), "In effect on 2 of 2 instances after 4 ms.");
        let partial = Effect {
            applied: 1,
            pending: 1,
            silent: vec![1_800_000_000_000],
            spread_ms: Some(0),
        };
        let text = partial.describe();
        assert!(
            text.starts_with(
                "In effect on 1 of 3 instances after 0 ms. 1 not acknowledged yet. 1 silent since "
            ),
            "{text}"
        );
    }
}
