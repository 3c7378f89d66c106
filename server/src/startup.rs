//! Building the application: database, state, router, listener. Building binds the
//! listener, so tests can ask for port 0 and read the port back.

use crate::api;
use crate::config::Config;
use crate::middleware;
use app::assets;
use app::request::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use keyward_core::security::crypto::ServerSecret;
use keyward_core::store::db::Db;
use keyward_core::store::session_store::DbSessionStore;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// A built application, bound to its address, not yet serving.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    router: Router,
    state: AppState,
    /// `/metrics` on an address of its own (`KEYWARD_METRICS_ADDR`).
    metrics: Option<(TcpListener, Router)>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, Box<dyn std::error::Error>> {
        if config.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err("KEYWARD_METRICS_TOKEN must be at least 16 characters.".into());
        }
        if config.metrics_addr.is_some() && config.metrics_token.is_none() {
            return Err(
                "KEYWARD_METRICS_ADDR serves /metrics only with KEYWARD_METRICS_TOKEN set.".into(),
            );
        }
        crate::config::create_private_sqlite_file(&config.database_url)?;
        let db = Db::connect(&config.database_url).await.map_err(|e| {
            format!(
                "cannot open the database {}: {e}",
                crate::config::redact_url(&config.database_url)
            )
        })?;
        let secret = ServerSecret::new(config.server_secret()?);
        let listener = TcpListener::bind(&config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let address = listener.local_addr()?;
        let leptos_options = LeptosOptions::builder()
            .output_name(assets::OUTPUT_NAME)
            .site_root(config.site_root.as_str())
            .site_pkg_dir(assets::PKG_DIR)
            .hash_files(assets::hashed_build())
            .site_addr(address)
            .build();
        tokio::spawn(housekeeping(db.clone()));
        // A serving instance: heard from by heartbeats, acknowledging every credential change.
        let instance = keyward_core::store::instances::register(&db);
        tracing::info!(%instance, "registered as a serving instance");
        keyward_core::services::webhooks::start_worker(
            db.clone(),
            keyward_core::services::webhooks::AllowInternal(config.webhooks_allow_internal),
        );
        tokio::spawn(db.clone().watch_readiness());
        let trusted_proxies = domain::network::TrustedProxies::parse(
            config.trusted_proxies.iter().map(String::as_str),
        )
        .map_err(|e| format!("KEYWARD_TRUSTED_PROXIES: {e}"))?;
        let state = AppState::new(
            db,
            secret,
            leptos_options,
            format!("http://{address}"),
            trusted_proxies,
        );
        let https = middleware::Https(config.served_over_https(address));
        let (router, metrics_router) = router(state.clone(), &config, https);
        let metrics = match (&config.metrics_addr, metrics_router) {
            (Some(addr), Some(router)) => {
                let listener = TcpListener::bind(addr)
                    .await
                    .map_err(|e| format!("cannot listen on {addr} for /metrics: {e}"))?;
                Some((listener, router))
            }
            _ => None,
        };
        Ok(Application {
            listener,
            address,
            router,
            state,
            metrics,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where `/metrics` is served apart, if it is.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, finishing requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let db = self.state.db.clone();
        if let Some((listener, router)) = self.metrics {
            tokio::spawn(async move { axum::serve(listener, router).await });
        }
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        db.close().await;
        Ok(())
    }
}

/// How often expired sessions, user tokens, invitations and throttle windows are deleted.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60 * 60);

/// Deletes what has expired, at start and then hourly, until the database closes.
async fn housekeeping(db: Db) {
    let mut every = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = db.closed() => return,
        }
        match keyward_core::services::sessions::prune_expired(&db, keyward_core::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "pruned expired sessions, tokens and invitations"),
            Err(e) => tracing::warn!(error = %e, "could not prune expired sessions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

/// The whole router: console pages, server functions, machine API, health checks.
/// The application's router, and `/metrics` apart when it has an address of its own.
pub fn router(
    state: AppState,
    config: &Config,
    https: middleware::Https,
) -> (Router, Option<Router>) {
    let routes = generate_route_list(app::App);
    let context_state = state.clone();
    let context = move || provide_context(context_state.clone());
    let site = state.leptos_options.site_root.to_string();

    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(if https.0 {
            "__Host-keyward_session"
        } else {
            "keyward_session"
        })
        .with_secure(https.0)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(app::request::auth::IDLE_TIMEOUT_SECS),
        ));

    let console = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .route(
            crate::console_forms::CREATE_KEY_PATH,
            axum::routing::post(crate::console_forms::create_key),
        )
        .route(
            crate::console_forms::ROTATE_KEY_PATH,
            axum::routing::post(crate::console_forms::rotate_key),
        )
        .route(
            app::pages::bulk_revoke::BULK_REVOKE_PATH,
            get(crate::bulk_revoke::preview).post(crate::bulk_revoke::revoke),
        )
        .route(
            app::pages::leaked::LEAKED_PATH,
            get(crate::leaked::confirm).post(crate::leaked::mark),
        )
        .route(
            app::pages::networks::NETWORKS_PATH,
            get(crate::networks::show).post(crate::networks::save),
        )
        .route(
            app::pages::import_key::IMPORT_PATH,
            get(crate::import_key::show).post(crate::import_key::import),
        )
        .route(
            app::pages::security::POLICY_PATH,
            axum::routing::post(crate::policy::save),
        )
        .route(
            app::pages::rate_limits::RATE_LIMITS_PATH,
            get(crate::rate_limits::show).post(crate::rate_limits::save),
        )
        .route(
            app::pages::narrow::NARROW_PATH,
            get(crate::narrow::show).post(crate::narrow::narrow),
        )
        .route(
            domain::access_review::START_PATH,
            axum::routing::post(crate::access_reviews::start),
        )
        .route(
            domain::access_review::DECIDE_PATH,
            axum::routing::post(crate::access_reviews::decide),
        )
        .route(
            domain::access_review::CLOSE_PATH,
            axum::routing::post(crate::access_reviews::close),
        )
        .route(
            domain::access_review::EVIDENCE_CSV,
            get(crate::access_reviews::evidence_csv),
        )
        .route(
            domain::access_review::EVIDENCE_JSON,
            get(crate::access_reviews::evidence_json),
        )
        .route(
            domain::webhooks::ADD_PATH,
            axum::routing::post(crate::webhooks::add).layer(axum::Extension(
                keyward_core::services::webhooks::AllowInternal(config.webhooks_allow_internal),
            )),
        )
        .route(
            app::pages::notifications::READ_PATH,
            axum::routing::post(crate::notifications::mark_read),
        )
        .route(
            domain::webhooks::DELETE_PATH,
            axum::routing::post(crate::webhooks::delete),
        )
        .route(domain::audit::EXPORT_CSV, get(crate::audit_export::csv))
        .route(
            domain::audit::EXPORT_JSONL,
            get(crate::audit_export::json_lines),
        )
        .route(
            app::pages::tester::REPORT_PATH,
            axum::routing::post(crate::tester::report),
        )
        .route(
            crate::console_forms::INVITE_PATH,
            axum::routing::post(crate::console_forms::invite),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::console_guard,
        ))
        .layer(axum::middleware::from_fn(
            middleware::server_function_status,
        ))
        .layer(axum::middleware::from_fn(middleware::reject_cross_site))
        .with_state(state.clone())
        .layer(sessions.clone())
        .layer(axum::middleware::from_fn_with_state(
            https,
            middleware::security_headers,
        ));

    // Probes and the compiled site are the same for everyone: they stand outside the console's
    // session, cross-site and sign-in layers, so answering them reads no cookie and touches no
    // database (readiness is read from memory). Probes set their own security headers.
    let probes =
        Router::new()
            .route(
                "/healthz",
                get(move || async move { middleware::healthz(https) }),
            )
            .route(
                "/readyz",
                get(move |State(state): State<AppState>| async move {
                    middleware::readyz(&state, https)
                }),
            )
            .with_state(state.clone());
    let files = Router::new()
        // Release builds put brotli and gzip copies beside each file (`--precompress`).
        .nest_service(
            "/pkg",
            ServeDir::new(format!("{site}/{}", assets::PKG_DIR))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(axum::middleware::from_fn_with_state(
            https,
            middleware::security_headers,
        ));

    // A console handler that waits on the database gives up after [`middleware::GIVE_UP`].
    // Probes and files wait on nothing (readiness is read from memory), so they are spared
    // the timer; the machine API's gate keeps its own, to spare its hot path a layer.
    let timeout = tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        middleware::GIVE_UP,
    );
    // The machine API is routed first and stands outside the console's layers: it reads no
    // session (but for the token exchange, which has the session layer of its own) and its
    // gate sets the same security headers itself.
    let log = axum::middleware::from_fn_with_state(state.clone(), crate::request_log::log_requests);
    let (api, metrics) = api::router(state, config, sessions, https);
    let main = api
        .merge(probes)
        .merge(files)
        .fallback_service(console.layer(timeout).layer(log));
    (main, metrics)
}

/// `keyward setup`: the first workspace and owner, without a browser.
pub async fn setup_headless(
    config: &Config,
    workspace: &str,
    email: &str,
    password: String,
) -> Result<(domain::ids::UserId, domain::ids::WorkspaceId), Box<dyn std::error::Error>> {
    use domain::validate::{Email, Name, Password};
    let db = Db::connect(&config.database_url).await?;
    let hasher = keyward_core::security::passwords::Hasher::new(1);
    let result = keyward_core::services::accounts::setup(
        &db,
        &hasher,
        Name::parse("Workspace name", workspace)?,
        Email::parse(email)?,
        Password::parse(password)?,
        "cli",
    )
    .await
    .map_err(|e| e.to_string())?;
    db.close().await;
    Ok(result)
}

/// `keyward admin grant EMAIL`: makes an account an instance admin, audited as "cli".
pub async fn grant_admin(config: &Config, email: &str) -> Result<(), Box<dyn std::error::Error>> {
    let email = domain::validate::Email::parse(email)?;
    let db = Db::connect(&config.database_url).await?;
    let result = keyward_core::services::instance::grant(&db, &email, "cli")
        .await
        .map_err(|e| e.to_string());
    db.close().await;
    Ok(result?)
}

/// `keyward audit verify`: every chain's check, by chain (a workspace id; `''` for the
/// instance's own events).
pub async fn verify_audit(
    config: &Config,
) -> Result<Vec<(String, domain::audit::ChainCheck)>, Box<dyn std::error::Error>> {
    use keyward_core::services::audit;
    let db = Db::connect(&config.database_url).await?;
    let mut checks = Vec::new();
    for chain in audit::chains(&db).await.map_err(|e| e.to_string())? {
        let check = audit::verify_chain(&db, &chain)
            .await
            .map_err(|e| e.to_string())?;
        checks.push((chain, check));
    }
    db.close().await;
    Ok(checks)
}
