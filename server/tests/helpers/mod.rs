//! Test helpers that read like what a user does.

#![allow(dead_code)]

use app::error::ConsoleError;
use app::pages::api_keys::{CreateKey, KeysPage, RotateKey};
use app::pages::login::Login;
use app::pages::members::MembersPage;
pub use app::pages::security::SavePolicy;
use app::request::auth::Actor;
use app::request::state::AppState;
pub use domain::model::CreateKeyForm;
use domain::roles::Role;
pub use domain::routes::RouteId;
use leptos::server_fn::ServerFn;
// The request bodies tests send most; not every test binary sends them.
use domain::validate::{Email, Name, Password};
use reqwest::{Client, Response};
use serde_json::Value;
#[allow(unused_imports)]
pub use server::api::contract::{ApplicationName, VerifyRequest};
use server::config::Config;
use server::startup::Application;
use uuid::Uuid;

pub mod seed;

pub const OWNER_EMAIL: &str = "owner@example.com";
/// A password no account has.
pub const WRONG: &str = "wrong password!!";
/// What a locked sign-in says.
pub const LOCKED: &str = "Too many attempts";
/// What a refused sign-in says, whatever the reason.
pub const FAILED: &str = "Invalid email or password.";

/// Signs in from `client`: what the page would say (empty when it worked).
pub async fn attempt(app: &TestApp, client: &Client, email: &str, password: &str) -> String {
    app.run(client, login(email, password))
        .await
        .err()
        .map(|e| e.message)
        .unwrap_or_default()
}

/// The sign-in form's arguments.
pub fn login(email: &str, password: &str) -> Login {
    Login {
        email: email.into(),
        password: password.into(),
        next: None,
    }
}

/// The create-key form as a person fills it in for a service key named `name` with
/// `permissions`, valid 30 days; change the rest with struct update syntax.
pub fn key(name: &str, permissions: &[&str]) -> CreateKeyForm {
    CreateKeyForm {
        name: name.into(),
        purpose: "tests".into(),
        principal: "service".into(),
        preset: "custom".into(),
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        expiration: "30".into(),
        ..CreateKeyForm::default()
    }
}

/// The key policy form with every box unticked; tick them with struct update syntax and
/// [`on`].
pub fn policy(max_lifetime_days: &str, rate_limit_per_minute: &str) -> SavePolicy {
    SavePolicy {
        max_lifetime_days: max_lifetime_days.into(),
        allow_never_expiring: None,
        allow_service_keys: None,
        allow_agent_keys: None,
        legacy_transports: None,
        rate_limit_per_minute: rate_limit_per_minute.into(),
        allow_import: None,
    }
}

/// A ticked checkbox, as a browser sends it.
pub fn on() -> Option<String> {
    Some("on".into())
}

/// [`key`] for an agent key bound to `agent` of `application`.
pub fn agent_key(
    name: &str,
    application: &str,
    agent: &str,
    permissions: &[&str],
) -> CreateKeyForm {
    CreateKeyForm {
        principal: "agent".into(),
        application_id: application.into(),
        agent_id: agent.into(),
        ..key(name, permissions)
    }
}

/// The first page of the members list.
pub fn all_members() -> MembersPage {
    MembersPage {
        after: None,
        before: None,
    }
}

/// The key list with no filter, first page.
pub fn all_keys() -> KeysPage {
    KeysPage {
        status: None,
        owner: None,
        application: None,
        q: None,
        expires_before: None,
        used_before: None,
        after: None,
        before: None,
    }
}

/// Rotating key `id` with no grace period and the key's own lifetime.
pub fn rotation(id: &str) -> RotateKey {
    RotateKey {
        id: id.into(),
        grace_seconds: 0,
        expiration: None,
        expires_on: None,
    }
}
pub const OWNER_PASSWORD: &str = "correct horse battery staple";

/// A value for every argument name a server function takes.
pub const EVERY_ARGUMENT: [(&str, &str); 22] = [
    ("id", "00000000-0000-0000-0000-000000000000"),
    ("reason", "r"),
    ("grace_seconds", "0"),
    ("name", "n"),
    ("email", "e@example.com"),
    ("role", "viewer"),
    ("user_id", "00000000-0000-0000-0000-000000000000"),
    ("workspace_id", "00000000-0000-0000-0000-000000000000"),
    ("application_id", "00000000-0000-0000-0000-000000000000"),
    ("description", "d"),
    ("secret", "s"),
    ("max_lifetime_days", "30"),
    ("rate_limit_per_minute", "60"),
    ("token", "t"),
    ("enabled", "true"),
    ("current_password", "p"),
    ("new_password", "p"),
    ("handle", "h"),
    ("page", "notifications_page"),
    ("invitation_id", "00000000-0000-0000-0000-000000000000"),
    ("members_create_workspaces", "on"),
    ("search", ""),
];

/// Polls `check` until it holds (bookkeeping is written in batches), at most five seconds.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    eventually_within(what, std::time::Duration::from_secs(5), check).await
}

/// Waits until `check` holds, failing the test when it still does not after `limit`.
pub async fn eventually_within<F, Fut>(what: &str, limit: std::time::Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

pub struct TestApp {
    pub address: String,
    /// `/metrics` apart, when the configuration gives it an address.
    pub metrics_address: Option<String>,
    /// A browser-like client: keeps cookies, does not follow redirects.
    pub client: Client,
    pub state: AppState,
    pub database_url: String,
}

/// A database for one test: a fresh SQLite file, or a fresh PostgreSQL database.
pub async fn test_database_url() -> String {
    match std::env::var("KEYWARD_TEST_DB").as_deref() {
        Ok("postgres") => {
            let admin = std::env::var("KEYWARD_TEST_POSTGRES_URL")
                .expect("KEYWARD_TEST_DB=postgres needs KEYWARD_TEST_POSTGRES_URL");
            sqlx::any::install_default_drivers();
            let name = format!("keyward_test_{}", Uuid::new_v4().simple());
            let pool = sqlx::AnyPool::connect(&admin)
                .await
                .expect("PostgreSQL must be reachable for this suite");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let (base, _) = admin.rsplit_once('/').expect("URL has a database");
            format!("{base}/{name}")
        }
        Ok("sqlite") | Err(_) => {
            let dir = std::env::temp_dir().join(format!("keyward-test-{}", Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite:{}", dir.join("keyward.db").display())
        }
        Ok(other) => panic!("unknown KEYWARD_TEST_DB={other}"),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(test_database_url().await).await
}

/// Another instance on the same database (as several instances share one PostgreSQL).
pub async fn spawn_app_on(database_url: String) -> TestApp {
    spawn_app_with(Config::for_tests(database_url)).await
}

/// The application with a configuration of the test's choosing.
pub async fn spawn_app_with(config: Config) -> TestApp {
    server::telemetry::init_with_default("warn");
    let database_url = config.database_url.clone();
    let app = Application::build(config).await.expect("app builds");
    let address = format!("http://{}", app.address());
    let metrics_address = app.metrics_address().map(|a| format!("http://{a}"));
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        metrics_address,
        address,
        client: browser(),
        state,
        database_url,
    }
}

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Every registered server function: (name, path).
pub fn server_fn_paths() -> Vec<(String, String)> {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| {
            let name = path
                .trim_start_matches("/api/")
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string();
            (name, path.to_string())
        })
        .collect()
}

pub fn fn_path(name: &str) -> String {
    server_fn_paths()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no server function {name}"))
        .1
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn fresh_client(&self) -> Client {
        browser()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Posts raw form pairs to the server function `name` as `client`: only for tests of what
    /// the endpoint does with malformed, missing or foreign fields. Everything else goes
    /// through [`TestApp::send`] or [`TestApp::run`], whose arguments are typed.
    pub async fn post_form(&self, client: &Client, name: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&fn_path(name)))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form-encoded server function's arguments as `client`, from the argument struct
    /// the server function generates: the raw answer, for tests of status, headers and body.
    pub async fn send<F>(&self, client: &Client, args: F) -> Response
    where
        F: ServerFn + serde::Serialize,
    {
        client
            .post(self.url(F::PATH))
            .form(&args)
            .send()
            .await
            .unwrap()
    }

    /// [`TestApp::send`], answering the body as text.
    pub async fn send_text<F>(&self, client: &Client, args: F) -> String
    where
        F: ServerFn + serde::Serialize,
    {
        self.send(client, args).await.text().await.unwrap()
    }

    /// [`TestApp::send`], answering the body as JSON.
    pub async fn send_json<F>(&self, client: &Client, args: F) -> Value
    where
        F: ServerFn + serde::Serialize,
    {
        let res = self.send(client, args).await;
        let text = res.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Runs a form-encoded server function as `client`, from the argument struct the server
    /// function generates (`app::pages::api_keys::RevokeKey { id, reason }`): a misspelt or
    /// missing field does not compile, and the answer decodes to the function's own output
    /// or its typed error.
    pub async fn run<F>(&self, client: &Client, args: F) -> Result<F::Output, ConsoleError>
    where
        F: leptos::server_fn::ServerFn<Error = ConsoleError> + serde::Serialize,
        F::Output: serde::de::DeserializeOwned,
    {
        let res = self.send(client, args).await;
        let ok = res.status().is_success();
        let body = res.bytes().await.unwrap();
        let text = String::from_utf8_lossy(&body);
        if ok {
            Ok(serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {text}")))
        } else {
            Err(serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {text}")))
        }
    }

    /// A fragment page's HTML (`page`: its name in `domain::console::FRAGMENTS`) for the URL
    /// query `search`, as `client` sees it, without the renderer's empty comments.
    pub async fn fragment(
        &self,
        client: &Client,
        page: &str,
        search: &str,
    ) -> Result<String, String> {
        self.run(
            client,
            app::pages::fragments::PageFragment {
                page: page.into(),
                search: search.into(),
            },
        )
        .await
        .map(|html| html.replace("<!>", ""))
        .map_err(|e| e.message)
    }

    /// Runs first-run setup and returns the owner's signed-in client.
    pub async fn setup_owner(&self) -> Client {
        let res = self
            .send(
                &self.client,
                app::pages::setup::Setup {
                    workspace_name: "Acme".into(),
                    email: OWNER_EMAIL.into(),
                    password: OWNER_PASSWORD.into(),
                },
            )
            .await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "setup failed: {}",
            res.status()
        );
        self.client.clone()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Client {
        let c = browser();
        let res = self.send(&c, login(email, password)).await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "sign-in failed"
        );
        c
    }

    pub async fn user_id(&self, email: &str) -> domain::ids::UserId {
        let (id,): (String,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(self.state.db.pool())
            .await
            .unwrap();
        domain::ids::UserId::parse(&id).unwrap()
    }

    async fn owner_actor(&self) -> Actor {
        let (ws,): (String,) =
            sqlx::query_as("SELECT id FROM workspaces ORDER BY created_at LIMIT 1")
                .fetch_one(self.state.db.pool())
                .await
                .unwrap();
        Actor {
            user_id: self.user_id(OWNER_EMAIL).await,
            email: OWNER_EMAIL.into(),
            workspace_id: domain::ids::WorkspaceId::parse(&ws).unwrap(),
            role: Role::Owner,
            address: "test".into(),
        }
    }

    /// The owner invites the new address `email` with `role`: the one-time token of the link.
    pub async fn invitation_token(&self, email: &str, role: &str) -> String {
        let owner = self.owner_actor().await;
        keyward_core::services::workspaces::invite(
            &self.state.db,
            &self.state.secret,
            &owner.principal(),
            Email::parse(email).unwrap(),
            Role::parse(role).unwrap(),
        )
        .await
        .unwrap()
    }

    /// The owner invites `email` with `role`; the invitee sets a password and signs in.
    pub async fn add_member(&self, email: &str, role: &str) -> Client {
        let token = self.invitation_token(email, role).await;
        let password = "member password 123";
        let res = self
            .send(
                &browser(),
                app::pages::login::AcceptInvitation {
                    token,
                    password: password.into(),
                },
            )
            .await;
        assert!(res.status().is_success() || res.status().is_redirection());
        self.sign_in(email, password).await
    }

    pub async fn set_role(&self, email: &str, role: &str) {
        let owner = self.owner_actor().await;
        keyward_core::services::workspaces::change_role(
            &self.state.db,
            &owner.principal(),
            self.user_id(email).await,
            Role::parse(role).unwrap(),
        )
        .await
        .unwrap();
    }

    pub async fn remove_member(&self, email: &str) {
        let owner = self.owner_actor().await;
        keyward_core::services::workspaces::remove_member(
            &self.state.db,
            &owner.principal(),
            self.user_id(email).await,
        )
        .await
        .unwrap();
    }

    /// Creates an application through the console; returns its id.
    pub async fn create_application(&self, client: &Client, name: &str) -> String {
        let res = self
            .send(
                client,
                app::pages::applications::CreateApplication { name: name.into() },
            )
            .await;
        assert!(res.status().is_success(), "create_application failed");
        let (id,): (String,) = sqlx::query_as("SELECT id FROM applications WHERE name = $1")
            .bind(name)
            .fetch_one(self.state.db.pool())
            .await
            .unwrap();
        id
    }

    /// Registers an agent of an application through the console; returns its id.
    pub async fn create_agent(&self, client: &Client, application: &str, name: &str) -> String {
        let form = app::pages::applications::CreateAgent {
            application_id: application.into(),
            name: name.into(),
            description: String::new(),
        };
        let res = self.send(client, form).await;
        assert!(res.status().is_success(), "create_agent failed");
        let (id,): (String,) =
            sqlx::query_as("SELECT id FROM agents WHERE application_id = $1 AND name = $2")
                .bind(application)
                .bind(name)
                .fetch_one(self.state.db.pool())
                .await
                .unwrap();
        id
    }

    /// Submits the create-key form (see [`key`]) as `client`; it is the one server function
    /// that takes JSON.
    pub async fn create_key_as(&self, client: &Client, form: CreateKeyForm) -> Response {
        client
            .post(self.url(CreateKey::PATH))
            .json(&CreateKey { form })
            .send()
            .await
            .unwrap()
    }

    /// Creates a key and returns its secret.
    pub async fn create_key_secret(&self, client: &Client, form: CreateKeyForm) -> String {
        let res = self.create_key_as(client, form).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(status.is_success(), "create_key failed: {status} {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        v["secret"].as_str().unwrap().to_string()
    }

    /// Creates a key with `applications:read` named `name` as `member`: (secret, row id).
    pub async fn read_only_key(&self, member: &Client, name: &str) -> (String, String) {
        let secret = self
            .create_key_secret(member, key(name, &["applications:read"]))
            .await;
        let id = self.key_row_id(&secret).await;
        (secret, id)
    }

    pub async fn key_row_id(&self, secret: &str) -> String {
        let parts = domain::secret::parse(secret).unwrap();
        let (id,): (String,) = sqlx::query_as("SELECT id FROM api_keys WHERE key_id = $1")
            .bind(parts.key_id.as_str())
            .fetch_one(self.state.db.pool())
            .await
            .unwrap();
        id
    }

    /// The text of the page at `path` as `member` sees it.
    pub async fn page_text(&self, member: &Client, path: &str) -> String {
        member
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Waits until the key of `secret` has a refusal with `reason` in its access log.
    pub async fn refusal_logged(&self, secret: &str, reason: &str) {
        let id = self.key_row_id(secret).await;
        eventually(&format!("the {reason} refusal is logged"), || async {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT reason FROM key_refusals WHERE key_row_id = $1")
                    .bind(&id)
                    .fetch_all(self.state.db.pool())
                    .await
                    .unwrap();
            rows.iter().any(|r| r.0 == reason)
        })
        .await;
    }

    /// Sends a raw HTTP/1.1 request head (method line and headers, without Host) and returns
    /// the response status, or 0 when the server closed the connection without one.
    pub async fn raw(&self, head: &str) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.address.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
        let request = format!("{head}Host: {host}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        let text = String::from_utf8_lossy(&response);
        text.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// A request to the declared route `id`: its method and path from the route table, with
    /// `params` filling the path's `{…}` segments in order, and `secret` as the credential.
    /// A route that does not exist, or a wrong number of parameters, fails here rather than
    /// testing a 404.
    pub fn route(&self, id: RouteId, params: &[&str], secret: &str) -> reqwest::RequestBuilder {
        let route = domain::routes::ROUTES
            .iter()
            .find(|r| r.id == id)
            .expect("every RouteId is in the table");
        let mut params = params.iter();
        let path: Vec<String> = route
            .path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    params
                        .next()
                        .unwrap_or_else(|| panic!("{} needs {segment}", route.path))
                        .to_string()
                } else {
                    segment.to_string()
                }
            })
            .collect();
        assert!(
            params.next().is_none(),
            "{} takes fewer parameters",
            route.path
        );
        let method = reqwest::Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
        self.fresh_client()
            .request(method, self.url(&path.join("/")))
            .header("x-keyward-api-token", secret)
    }

    /// Calls machine route `id` (no body) with its path `params`, as `secret`.
    pub async fn api(&self, id: RouteId, params: &[&str], secret: &str) -> Response {
        self.route(id, params, secret).send().await.unwrap()
    }

    /// Calls machine route `id` with its path `params`, as `secret`, with a JSON body (one of
    /// the contract's request types, which refuse unknown fields).
    pub async fn api_with<B: serde::Serialize>(
        &self,
        id: RouteId,
        params: &[&str],
        secret: &str,
        body: &B,
    ) -> Response {
        self.route(id, params, secret)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/v1/me` as `secret`.
    pub async fn me(&self, secret: &str) -> Response {
        self.api(RouteId::Me, &[], secret).await
    }

    /// `POST /api/v1/applications` with `secret`: creates an application named `name`.
    pub async fn api_create_application(&self, secret: &str, name: impl Into<String>) -> Response {
        let body = ApplicationName { name: name.into() };
        self.api_with(RouteId::ApplicationsCreate, &[], secret, &body)
            .await
    }

    /// A key's activity page data, as `member` sees it.
    pub async fn key_activity(&self, member: &Client, id: &str) -> Value {
        self.send_json(
            member,
            app::pages::key_activity::KeyActivity {
                id: id.into(),
                after: None,
                before: None,
            },
        )
        .await
    }

    /// A user token for a signed-in member's session.
    pub async fn user_token(&self, member: &Client) -> String {
        let res = member
            .post(self.url("/api/v1/auth/token"))
            .header("origin", &self.address)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "token exchange: {}",
            res.status()
        );
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Calls the machine API with a user token (JSON body when given).
    pub async fn user_api(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let req = self
            .fresh_client()
            .request(method, self.url(path))
            .bearer_auth(token);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        req.send().await.unwrap()
    }

    /// The first page of the key list as `member` sees it.
    pub async fn keys_page(&self, member: &Client) -> Value {
        self.send_json(member, all_keys()).await
    }

    /// Whether a secret authenticates right now (`GET /api/v1/me`).
    pub async fn works(&self, secret: &str) -> bool {
        let status = self.me(secret).await.status();
        assert!(
            status == reqwest::StatusCode::OK || status == reqwest::StatusCode::UNAUTHORIZED,
            "unexpected {status}"
        );
        status == reqwest::StatusCode::OK
    }

    /// `(action, target, detail)` of every audit event, oldest first.
    pub async fn audit_events(&self) -> Vec<(String, String, String)> {
        sqlx::query_as("SELECT action, target, detail FROM audit_events ORDER BY created_at, seq")
            .fetch_all(self.state.db.pool())
            .await
            .unwrap()
    }

    pub async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.state.db.pool())
            .await
            .unwrap();
        n
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT action FROM audit_events")
            .fetch_all(self.state.db.pool())
            .await
            .unwrap();
        rows.into_iter().map(|(a,)| a).collect()
    }

    /// Every text an operator could read from the key and audit tables.
    pub async fn all_text_columns(&self) -> String {
        let keys: Vec<(String, String, String)> =
            sqlx::query_as("SELECT key_id, digest, name FROM api_keys")
                .fetch_all(self.state.db.pool())
                .await
                .unwrap();
        let audit: Vec<(String, String)> =
            sqlx::query_as("SELECT target, detail FROM audit_events")
                .fetch_all(self.state.db.pool())
                .await
                .unwrap();
        format!("{keys:?}{audit:?}")
    }

    /// A key of another workspace, whose owner is not a member of the first.
    pub async fn second_workspace_key(&self) -> String {
        let db = &self.state.db;
        let hasher = keyward_core::security::passwords::Hasher::new(1);
        let user = domain::ids::UserId::random();
        let hash = hasher
            .hash(&Password::parse("other password 123".into()).unwrap())
            .await
            .unwrap();
        // An instance admin: only they may create workspaces by default.
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at, instance_admin) VALUES ($1, $2, $3, 0, 1)",
        )
        .bind(user.to_string())
        .bind(format!("{user}@example.com"))
        .bind(hash)
        .execute(db.pool())
        .await
        .unwrap();
        let mut actor = Actor {
            user_id: user,
            email: "other".into(),
            workspace_id: domain::ids::WorkspaceId::from_uuid(Uuid::nil()),
            role: Role::Owner,
            address: "test".into(),
        };
        actor.workspace_id = keyward_core::services::workspaces::create_workspace(
            db,
            &actor.principal(),
            Name::parse("Name", "Other").unwrap(),
        )
        .await
        .unwrap();
        let by = actor.principal();
        let new = keyward_core::services::keys::NewKey {
            name: Name::parse("Name", "other").unwrap(),
            purpose: String::new(),
            kind: domain::secret::KeyKind::Service,
            application: None,
            agent: None,
            permissions: Role::Owner.permissions(),
            expires_at: Some(keyward_core::now() + 3600),
            log_bodies: false,
            networks: Default::default(),
        };
        keyward_core::services::keys::create(db, &self.state.secret, &by, new)
            .await
            .unwrap()
            .expose()
            .to_string()
    }
}

/// The names a server-rendered table lists: the text of each row's header cell.
pub fn row_names(html: &str) -> Vec<String> {
    html.split("<th scope=\"row\">")
        .skip(1)
        .map(|row| row.split('<').next().unwrap().trim().to_string())
        .collect()
}
