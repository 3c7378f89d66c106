//! What every request handler shares.

use axum::extract::FromRef;
use domain::network::TrustedProxies;
use keyward_core::security::crypto::ServerSecret;
use keyward_core::security::passwords::Hasher;
use keyward_core::security::rate_limit::RateLimiter;
use keyward_core::services::keys::KeyCache;
use keyward_core::store::db::Db;
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
    /// Credential tests per user.
    pub tester_limiter: Arc<RateLimiter>,
    pub leptos_options: LeptosOptions,
    /// Where this instance's machine API answers, for the credential tester's smoke tests.
    pub self_url: String,
    /// Proxies whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
}

impl AppState {
    pub fn new(
        db: Db,
        secret: ServerSecret,
        leptos_options: LeptosOptions,
        self_url: String,
        trusted_proxies: TrustedProxies,
    ) -> AppState {
        AppState(Arc::new(Shared {
            key_cache: Arc::new(KeyCache::new(db.changes().clone())),
            db,
            secret: Arc::new(secret),
            hasher: Hasher::for_this_machine(),
            tester_limiter: Arc::new(RateLimiter::per_minute()),
            leptos_options,
            self_url,
            trusted_proxies,
        }))
    }
}

impl Shared {
    /// The client's address for a request from `peer` with these headers (see
    /// [`TrustedProxies::client_address`]).
    pub fn client_address(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        if self.trusted_proxies.is_empty() {
            return peer;
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        self.trusted_proxies
            .client_address(peer, header("forwarded"), header("x-forwarded-for"))
    }
}

impl Shared {
    /// What the credential tester needs of this instance.
    pub fn tester(&self) -> keyward_core::services::tester::Instance<'_> {
        keyward_core::services::tester::Instance {
            db: &self.db,
            secret: &self.secret,
            self_url: &self.self_url,
        }
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
