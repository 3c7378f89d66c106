//! Setup shared by the benchmarks: a served application with one owner and one key.

use app::request::state::AppState;
use domain::roles::Role;
use domain::validate::{Email, Name, Password};
use server::config::Config;
use server::startup::Application;

#[path = "../../tests/helpers/seed.rs"]
pub mod seed;

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The sizes a benchmark compares, from the comma-separated variable `name` or `default`.
#[allow(dead_code)]
pub fn sizes(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().parse().expect("sizes are numbers"))
        .collect()
}

#[allow(dead_code)] // each benchmark uses some of it
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median latency of `n` sequential GETs of `url` (with `headers`) from outside the
/// process, and the size of the last answer.
#[allow(dead_code)]
pub async fn get_median(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    n: usize,
) -> (std::time::Duration, usize) {
    let mut times = Vec::with_capacity(n);
    let mut bytes = 0;
    for _ in 0..n {
        let mut req = client.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let started = std::time::Instant::now();
        let res = req.send().await.unwrap();
        assert!(res.status().is_success(), "{url}: {}", res.status());
        bytes = res.bytes().await.unwrap().len();
        times.push(started.elapsed().as_secs_f64());
    }
    (std::time::Duration::from_secs_f64(median(times)), bytes)
}

/// [`get_median`]'s latency in ms.
#[allow(dead_code)]
pub async fn get_ms(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
    n: usize,
) -> f64 {
    get_median(client, url, headers, n).await.0.as_secs_f64() * 1000.0
}

/// A line of `/proc/self/status` in MiB (`VmRSS`, `RssAnon`, `VmHWM`: the peak so far).
#[allow(dead_code)]
pub fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Waits until the access-log writer has caught up, so no cell pays for the one before;
/// returns the rows written.
#[allow(dead_code)] // each benchmark uses some of it
pub async fn settle(db: &keyward_core::store::db::Db) -> i64 {
    let mut last = -1;
    loop {
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM key_access_log")
            .fetch_one(db.pool())
            .await
            .unwrap();
        if rows == last {
            return rows;
        }
        last = rows;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A served application on a temporary SQLite file (or `DATABASE_URL`), its owner's
/// workspace, and a valid key with every permission and a rate limit no benchmark reaches.
#[allow(dead_code)] // each benchmark uses some of it
pub struct Bench {
    pub config: Config,
    pub state: AppState,
    pub base: String,
    pub secret: String,
    pub workspace: String,
    pub owner: String,
}

impl Bench {
    /// The bench's owner acting in its first workspace.
    #[allow(dead_code)]
    pub fn owner_principal(&self) -> domain::access::Principal {
        domain::access::Principal::member(
            domain::ids::UserId::parse(&self.owner).unwrap(),
            domain::ids::WorkspaceId::parse(&self.workspace).unwrap(),
            Role::Owner,
            "bench".into(),
        )
    }

    #[allow(dead_code)] // each benchmark uses some of it
    pub async fn start() -> Bench {
        Bench::start_with(|_| {}).await
    }

    /// [`Bench::start`] with a configuration changed by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Bench {
        let dir = std::env::temp_dir().join(format!("keyward-bench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| format!("sqlite:{}", dir.join("bench.db").display()));
        let mut config = Config::for_tests(url);
        adjust(&mut config);
        let app = Application::build(config.clone()).await.unwrap();
        let base = format!("http://{}", app.address());
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());

        let db = &state.db;
        let (user, ws) = keyward_core::services::accounts::setup(
            db,
            &state.hasher,
            Name::parse("Workspace name", "Bench").unwrap(),
            Email::parse("bench@example.com").unwrap(),
            Password::parse("bench password 123".into()).unwrap(),
            "bench",
        )
        .await
        .unwrap();
        sqlx::query("UPDATE workspaces SET allow_never_expiring = 1")
            .execute(db.pool())
            .await
            .unwrap();
        let by = domain::access::Principal::member(user, ws, Role::Owner, "bench".into());
        let secret = full_key(&state, &by).await;
        // The benchmarks measure authentication, not refusals.
        sqlx::query("UPDATE api_keys SET rate_limit_per_minute = 100000000")
            .execute(db.pool())
            .await
            .unwrap();
        Bench {
            config,
            state,
            base,
            secret,
            workspace: ws.to_string(),
            owner: user.to_string(),
        }
    }

    /// Another router over the same state, to call in process.
    #[allow(dead_code)]
    pub fn router(&self) -> axum::Router {
        server::startup::router(
            self.state.clone(),
            &self.config,
            server::middleware::Https(false),
        )
        .0
    }

    /// Adds keys numbered `from..to`, in large multi-row inserts.
    #[allow(dead_code)]
    pub async fn add_keys(&self, from: usize, to: usize) {
        seed::add_keys(&self.state.db, &self.workspace, &self.owner, None, from, to).await;
    }
}

/// A new never-expiring service key of `by` with every permission of an owner: its secret.
pub async fn full_key(state: &AppState, by: &domain::access::Principal) -> String {
    let new = bench_key();
    keyward_core::services::keys::create(&state.db, &state.secret, by, new)
        .await
        .unwrap()
        .expose()
        .to_string()
}

/// A service key with every permission, for the whole workspace, never expiring.
#[allow(dead_code)] // each benchmark uses some of it
pub fn bench_key() -> keyward_core::services::keys::NewKey {
    keyward_core::services::keys::NewKey {
        name: Name::parse("Name", "bench").unwrap(),
        purpose: String::new(),
        kind: domain::secret::KeyKind::Service,
        application: None,
        agent: None,
        permissions: Role::Owner.permissions(),
        expires_at: None,
        log_bodies: false,
        networks: Default::default(),
    }
}

/// The path of the server function registered as `name`.
pub fn server_fn(name: &str) -> String {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .find(|p| {
            p.trim_start_matches("/api/")
                .trim_end_matches(|c: char| c.is_ascii_digit())
                == name
        })
        .unwrap_or_else(|| panic!("no server function {name}"))
}

/// A browser of the bench's owner, signed in at `base` and switched to `workspace`.
#[allow(dead_code)]
pub async fn signed_in(base: &str, workspace: &str) -> reqwest::Client {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = browser
        .post(format!("{base}{}", server_fn("login")))
        .form(&[
            ("email", "bench@example.com"),
            ("password", "bench password 123"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "sign in"
    );
    let res = browser
        .post(format!("{base}{}", server_fn("switch_workspace")))
        .form(&[("workspace_id", workspace)])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "switch"
    );
    browser
}

/// A never-expiring full key of `by` in its workspace and the owner's browser switched there:
/// how each scaled workspace of a benchmark is read.
#[allow(dead_code)]
pub async fn readers_of(
    state: &AppState,
    base: &str,
    by: &domain::access::Principal,
) -> (String, reqwest::Client) {
    sqlx::query("UPDATE workspaces SET allow_never_expiring = 1 WHERE id = $1")
        .bind(by.workspace.to_string())
        .execute(state.db.pool())
        .await
        .unwrap();
    let secret = full_key(state, by).await;
    (secret, signed_in(base, &by.workspace.to_string()).await)
}

/// After seeding: no key meets its rate limit, and PostgreSQL has statistics for `table`.
#[allow(dead_code)]
pub async fn seeded(db: &keyward_core::store::db::Db, table: &str) {
    sqlx::query("UPDATE api_keys SET rate_limit_per_minute = 100000000")
        .execute(db.pool())
        .await
        .unwrap();
    if matches!(db.backend(), keyward_core::store::db::Backend::Postgres) {
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(db.pool())
            .await
            .unwrap();
    }
}
