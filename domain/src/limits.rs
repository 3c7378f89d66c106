//! Rate limits by route class and pool. Every machine route declares a [`LimitClass`]; the
//! workspace policy sets requests per minute per class for each [`Pool`] a key's request
//! belongs to (the key, its application, its workspace). A request counts against every pool
//! that has a limit for its class and is refused by the first one exhausted.

use serde::{Deserialize, Serialize};

/// How expensive a route is, for its rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LimitClass {
    /// Reads.
    Default,
    /// Changes (creations, updates, deletions).
    Write,
    /// Key verification for other backends: each call is a credential check.
    Verify,
}

/// Whose requests are counted together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pool {
    Key,
    Application,
    Workspace,
}

impl LimitClass {
    pub const ALL: [LimitClass; 3] = [LimitClass::Default, LimitClass::Write, LimitClass::Verify];

    pub fn id(self) -> &'static str {
        match self {
            LimitClass::Default => "default",
            LimitClass::Write => "write",
            LimitClass::Verify => "verify",
        }
    }
}

impl Pool {
    /// Narrowest first: the order requests are checked in and limits must grow in.
    pub const ALL: [Pool; 3] = [Pool::Key, Pool::Application, Pool::Workspace];

    pub fn id(self) -> &'static str {
        match self {
            Pool::Key => "key",
            Pool::Application => "application",
            Pool::Workspace => "workspace",
        }
    }
}

/// The largest limit a policy may set, per minute.
pub const MAX_PER_MINUTE: u32 = 100_000;

/// Requests per minute for each pool and class; `None` counts nothing. The key pool's default
/// class always has a limit (the workspace's "requests per minute per key").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    per_minute: [[Option<u32>; 3]; 3],
}

impl Limits {
    /// Only the per-key limit for reads.
    pub fn per_key(per_minute: u32) -> Limits {
        let mut l = Limits {
            per_minute: [[None; 3]; 3],
        };
        l.per_minute[0][0] = Some(per_minute);
        l
    }

    pub fn get(&self, pool: Pool, class: LimitClass) -> Option<u32> {
        self.per_minute[pool as usize][class as usize]
    }

    pub fn set(&mut self, pool: Pool, class: LimitClass, per_minute: Option<u32>) {
        self.per_minute[pool as usize][class as usize] = per_minute;
    }

    /// The stored form of every limit but the key pool's default (which has a column of its
    /// own): `pool.class=N` pairs separated by spaces.
    pub fn to_storage(&self) -> String {
        let mut out = Vec::new();
        for pool in Pool::ALL {
            for class in LimitClass::ALL {
                if (pool, class) == (Pool::Key, LimitClass::Default) {
                    continue;
                }
                if let Some(n) = self.get(pool, class) {
                    out.push(format!("{}.{}={n}", pool.id(), class.id()));
                }
            }
        }
        out.join(" ")
    }

    /// The stored form back, with the per-key default limit beside it. What does not parse
    /// is ignored: what was stored was checked when it was saved.
    pub fn from_storage(key_default: i64, stored: &str) -> Limits {
        let mut l = Limits::per_key(key_default.clamp(1, i64::from(u32::MAX)) as u32);
        for pair in stored.split_whitespace() {
            let Some((name, n)) = pair.split_once('=') else {
                continue;
            };
            let (Some((pool, class)), Ok(n)) = (cell(name), n.parse::<u32>()) else {
                continue;
            };
            l.set(pool, class, Some(n));
        }
        l
    }

    /// Checks every limit is within range and that the pools agree: for each class, a key's
    /// limit is not above its application's, nor an application's above its workspace's
    /// (the wider limit would never be reached, which is surely not what was meant).
    pub fn validate(&self) -> Result<(), String> {
        for pool in Pool::ALL {
            for class in LimitClass::ALL {
                if let Some(n) = self.get(pool, class) {
                    if !(1..=MAX_PER_MINUTE).contains(&n) {
                        return Err(format!(
                            "The {} limit for {} routes must be between 1 and {MAX_PER_MINUTE} requests per minute.",
                            pool.id(),
                            class.id()
                        ));
                    }
                }
            }
        }
        for class in LimitClass::ALL {
            let set: Vec<(Pool, u32)> = Pool::ALL
                .iter()
                .filter_map(|&p| self.get(p, class).map(|n| (p, n)))
                .collect();
            for pair in set.windows(2) {
                let ((narrow, n), (wide, w)) = (pair[0], pair[1]);
                if n > w {
                    return Err(format!(
                        "The {} limit for {} routes ({n} per minute) is above the {} limit ({w} per minute): a narrower pool cannot allow more than a wider one.",
                        narrow.id(),
                        class.id(),
                        wide.id()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `pool.class` back into its parts.
fn cell(name: &str) -> Option<(Pool, LimitClass)> {
    let (pool, class) = name.split_once('.')?;
    let pool = Pool::ALL.into_iter().find(|p| p.id() == pool)?;
    let class = LimitClass::ALL.into_iter().find(|c| c.id() == class)?;
    Some((pool, class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_round_trips_and_ignores_the_key_default() {
        let mut l = Limits::per_key(60);
        l.set(Pool::Key, LimitClass::Verify, Some(10));
        l.set(Pool::Workspace, LimitClass::Default, Some(1000));
        let stored = l.to_storage();
        assert_eq!(stored, "key.verify=10 workspace.default=1000");
        assert_eq!(Limits::from_storage(60, &stored), l);
        assert_eq!(
            Limits::from_storage(60, "bogus key.nothing=3 workspace.write=x"),
            Limits::per_key(60)
        );
    }

    #[test]
    fn narrower_pools_may_not_allow_more() {
        let mut l = Limits::per_key(600);
        l.set(Pool::Workspace, LimitClass::Default, Some(100));
        let e = l.validate().unwrap_err();
        assert!(
            e.contains(
                "key limit for default routes (600 per minute) is above the workspace limit (100"
            ),
            "{e}"
        );
        l.set(Pool::Workspace, LimitClass::Default, Some(600));
        l.set(Pool::Application, LimitClass::Default, Some(601));
        assert!(l.validate().unwrap_err().contains("application limit"));
        l.set(Pool::Application, LimitClass::Default, Some(600));
        assert_eq!(l.validate(), Ok(()));
        // Different classes do not constrain each other.
        l.set(Pool::Key, LimitClass::Write, Some(5000));
        l.set(Pool::Workspace, LimitClass::Verify, Some(1));
        assert_eq!(l.validate(), Ok(()));
    }

    #[test]
    fn zero_and_absurd_limits_are_refused() {
        for n in [0, MAX_PER_MINUTE + 1, u32::MAX] {
            let mut l = Limits::per_key(60);
            l.set(Pool::Application, LimitClass::Write, Some(n));
            assert!(l.validate().unwrap_err().contains("between 1 and"), "{n}");
        }
    }
}
