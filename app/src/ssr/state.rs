//! What every request handler shares.

use super::crypto::ServerSecret;
use super::db::Db;
use super::key_cache::KeyCache;
use super::passwords::Hasher;
use super::throttle::Throttle;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Cloned for every request (extractors, middleware, the Leptos context), so a clone is
/// one reference count: the fields live in [`Shared`].
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// The fields of [`AppState`].
#[derive(Debug)]
pub struct Shared {
    pub db: Db,
    /// Stored keys recently verified by the machine API.
    pub key_cache: Arc<KeyCache>,
    pub secret: Arc<ServerSecret>,
    pub hasher: Hasher,
    /// Failed sign-ins per account and per address.
    pub login_throttle: Arc<Throttle>,
    /// Credential tests per user.
    pub tester_throttle: Arc<Throttle>,
    pub leptos_options: LeptosOptions,
    /// Where this instance's machine API answers, for the credential tester's smoke tests.
    pub self_url: String,
}

impl AppState {
    pub fn new(
        db: Db,
        secret: ServerSecret,
        leptos_options: LeptosOptions,
        self_url: String,
    ) -> AppState {
        AppState(Arc::new(Shared {
            key_cache: Arc::new(KeyCache::new(db.changes().clone())),
            db,
            secret: Arc::new(secret),
            hasher: Hasher::new(2),
            login_throttle: Arc::new(Throttle::new(5, 15 * 60)),
            tester_throttle: Arc::new(Throttle::new(30, 60)),
            leptos_options,
            self_url,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state, inside a server function or a component rendered on the server.
pub fn app_state() -> AppState {
    leptos::prelude::expect_context::<AppState>()
}
