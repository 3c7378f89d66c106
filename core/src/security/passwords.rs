//! Password hashing: argon2id at OWASP parameters, off the async runtime, on a few threads
//! of its own at a lower scheduling priority, so a burst of sign-ins queues for them and
//! cannot starve the machine API.

use crate::error::AppError;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{mpsc, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// Hash jobs waiting at most; past it, callers wait to enqueue (sign-ins queue, never fail).
const QUEUE: usize = 256;

/// Runs argon2 on `limit` dedicated threads (nice 10 on Linux: the API's threads go first).
#[derive(Clone, Debug)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    limit: usize,
    /// Jobs started, and the microseconds they waited for a thread in all: for `/metrics`.
    waits: Arc<(std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64)>,
}

fn argon2() -> Argon2<'static> {
    // OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).expect("valid params"),
    )
}

/// A real hash of a random password, verified for unknown accounts so that timing does not
/// tell whether an account exists.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = crate::security::crypto::hex(&crate::security::crypto::random_bytes(16));
        argon2()
            .hash_password(random.as_bytes())
            .expect("hashing works")
            .to_string()
    })
}

impl Hasher {
    /// At most half this machine's cores hash at once (at least one): a storm of sign-ins
    /// queues for a permit while the other cores keep answering the machine API, and memory
    /// stays bounded (19 MiB per running hash).
    pub fn for_this_machine() -> Hasher {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Hasher::new(cores / 2)
    }

    pub fn new(limit: usize) -> Hasher {
        let limit = limit.max(1);
        let (jobs, rx) = mpsc::channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..limit {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name("keyward-hash".into())
                .spawn(move || {
                    lower_priority();
                    // Ends when every sender (every clone of the hasher) is gone. A job that
                    // panics loses only its own answer, never this thread.
                    while let Some(job) = next_job(&rx) {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .expect("a hashing thread starts");
        }
        Hasher {
            jobs,
            limit,
            waits: Default::default(),
        }
    }

    /// Hash jobs started so far, and the seconds they waited for a thread in all.
    pub fn waits(&self) -> (u64, f64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.waits.0.load(Relaxed),
            self.waits.1.load(Relaxed) as f64 / 1e6,
        )
    }

    /// How many hashes run at once at most.
    pub fn permits(&self) -> usize {
        self.limit
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: &domain::validate::Password) -> Result<String, AppError> {
        let password = password.expose().to_owned();
        self.run(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| AppError::Internal(format!("argon2: {e}")))
        })
        .await?
    }

    /// Verifies `password` against `stored`, or against a dummy hash when there is none.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.run(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| dummy_hash().to_string());
            let ok = argon2()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok();
            known && ok
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = oneshot::channel();
        let (queued, waits) = (std::time::Instant::now(), self.waits.clone());
        let job: Job = Box::new(move || {
            use std::sync::atomic::Ordering::Relaxed;
            waits.0.fetch_add(1, Relaxed);
            waits
                .1
                .fetch_add(queued.elapsed().as_micros() as u64, Relaxed);
            let _ = done.send(f());
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| AppError::Unavailable)?;
        result
            .await
            .map_err(|_| AppError::Internal("a hash job was lost".into()))
    }
}

fn next_job(rx: &Mutex<mpsc::Receiver<Job>>) -> Option<Job> {
    rx.lock().unwrap_or_else(|p| p.into_inner()).blocking_recv()
}

/// Lowers the calling thread's scheduling priority (on Linux the nice value is per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; `who = 0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::validate::Password;

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let hasher = Hasher::new(2);
        let pw = Password::parse("correct horse battery".into()).unwrap();
        let stored = hasher.hash(&pw).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher
            .verify("correct horse battery".into(), Some(stored.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse battery".into(), Some(stored))
            .await
            .unwrap());
        assert!(!hasher.verify("anything at all".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_job_that_panics_loses_only_its_answer() {
        let hasher = Hasher::new(1);
        let lost = hasher.run(|| -> u8 { panic!("a broken job") }).await;
        assert!(matches!(lost, Err(AppError::Internal(_))));
        // The one thread is still there for the next job.
        assert_eq!(hasher.run(|| 7).await.unwrap(), 7);
    }
}
