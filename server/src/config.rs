//! Configuration from flags and environment variables.

use clap::Args;
use std::fmt;
use std::path::PathBuf;

/// Everything `keyward` reads at start.
#[derive(Args, Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(
        long,
        env = "KEYWARD_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: String,
    /// `sqlite:keyward.db` (default, created on start) or `postgres://user:pass@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:keyward.db",
        global = true
    )]
    pub database_url: String,
    /// Server secret for peppering key digests and signing user tokens (at least 32
    /// characters). If unset, one is generated and kept in `--secret-file`.
    #[arg(long, env = "KEYWARD_SECRET", hide_env_values = true, global = true)]
    pub secret: Option<String>,
    /// Where a generated server secret is kept.
    #[arg(
        long,
        env = "KEYWARD_SECRET_FILE",
        default_value = "keyward.secret",
        global = true
    )]
    pub secret_file: PathBuf,
    /// Browser origins allowed to call the machine API (comma-separated).
    #[arg(
        long,
        env = "KEYWARD_CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_allowed_origins: Vec<String>,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers are believed (comma-separated
    /// CIDR ranges or addresses; none by default): the client is the rightmost hop that is
    /// not one of them.
    #[arg(
        long,
        env = "KEYWARD_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<String>,
    /// The console is served over HTTPS (behind a TLS proxy): secure `__Host-` session cookie
    /// and `Strict-Transport-Security`. Implied unless serving on a loopback address without
    /// trusted proxies, or `--insecure-http`.
    #[arg(long, env = "KEYWARD_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,
    /// Served over plain HTTP on purpose (local use): no `Secure` cookie, even when listening
    /// on a non-loopback address.
    #[arg(
        long,
        env = "KEYWARD_INSECURE_HTTP",
        global = true,
        conflicts_with = "secure_cookies"
    )]
    pub insecure_http: bool,
    /// Days a key's access-log rows (and logged bodies) are kept; 0 keeps them forever.
    #[arg(
        long,
        env = "KEYWARD_ACCESS_LOG_DAYS",
        default_value_t = 30,
        global = true
    )]
    pub access_log_days: u32,
    /// The compiled site (wasm, JS, CSS).
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: String,
    /// Serves Prometheus metrics at `/metrics` to requests bearing this token
    /// (`Authorization: Bearer …`, at least 16 characters); unset, `/metrics` is not served.
    #[arg(
        long,
        env = "KEYWARD_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Serves `/metrics` on this address of its own (e.g. `127.0.0.1:9464`, kept off the
    /// public network) instead of the main one; it still needs `KEYWARD_METRICS_TOKEN`.
    #[arg(long, env = "KEYWARD_METRICS_ADDR", global = true)]
    pub metrics_addr: Option<String>,
    /// Lets webhooks target addresses inside this server's networks (loopback, private,
    /// link-local); off, such URLs are refused when added and when delivered.
    #[arg(long, env = "KEYWARD_WEBHOOKS_ALLOW_INTERNAL", global = true)]
    pub webhooks_allow_internal: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &redact_url(&self.database_url))
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_file", &self.secret_file)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secure_cookies", &self.secure_cookies)
            .field("insecure_http", &self.insecure_http)
            .field("access_log_days", &self.access_log_days)
            .field("site_root", &self.site_root)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .field("metrics_addr", &self.metrics_addr)
            .field("webhooks_allow_internal", &self.webhooks_allow_internal)
            .finish()
    }
}

/// A database URL without its password.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!(
                "{}://{}:<redacted>@{}",
                &url[..scheme],
                user,
                &url[at + 1..]
            )
        }
        _ => url.to_string(),
    }
}

impl Config {
    /// A configuration for tests: port 0, the given database, a fixed secret.
    pub fn for_tests(database_url: String) -> Config {
        Config {
            addr: "127.0.0.1:0".into(),
            database_url,
            secret: Some("test-secret-test-secret-test-secret-0123".into()),
            secret_file: PathBuf::from("unused"),
            cors_allowed_origins: vec![],
            trusted_proxies: vec![],
            secure_cookies: false,
            insecure_http: false,
            access_log_days: 30,
            site_root: "target/site".into(),
            metrics_token: None,
            metrics_addr: None,
            webhooks_allow_internal: false,
        }
    }

    /// Whether browsers reach this server over HTTPS, listening on `bound`: secure by default.
    /// Only a loopback address without trusted proxies in front (a local run), or an explicit
    /// `--insecure-http`, means plain HTTP.
    pub fn served_over_https(&self, bound: std::net::SocketAddr) -> bool {
        if self.secure_cookies {
            return true;
        }
        let local = bound.ip().is_loopback() && self.trusted_proxies.is_empty();
        !(self.insecure_http || local)
    }

    /// The server secret: given, or read from (or generated into) the secret file.
    pub fn server_secret(&self) -> std::io::Result<Vec<u8>> {
        if let Some(s) = &self.secret {
            if s.len() < 32 {
                return Err(std::io::Error::other(
                    "KEYWARD_SECRET must be at least 32 characters",
                ));
            }
            return Ok(s.as_bytes().to_vec());
        }
        match std::fs::read_to_string(&self.secret_file) {
            Ok(s) if s.trim().len() >= 32 => Ok(s.trim().as_bytes().to_vec()),
            Ok(_) => Err(std::io::Error::other(format!(
                "{} is too short",
                self.secret_file.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let generated = keyward_core::security::crypto::hex(
                    &keyward_core::security::crypto::random_bytes(32),
                );
                write_private(&self.secret_file, &generated)?;
                tracing::info!(file = %self.secret_file.display(), "generated a server secret");
                Ok(generated.into_bytes())
            }
            Err(e) => Err(e),
        }
    }
}

/// Creates the SQLite file of `database_url`, readable by its owner only (0600), when it
/// does not exist yet; SQLite gives its journal files the same mode.
pub fn create_private_sqlite_file(database_url: &str) -> std::io::Result<()> {
    let Some(rest) = database_url.strip_prefix("sqlite:") else {
        return Ok(());
    };
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path.contains(":memory:") || std::path::Path::new(path).exists() {
        return Ok(());
    }
    match write_private(std::path::Path::new(path), "") {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_unless_local_or_told_otherwise() {
        let loopback: std::net::SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let public: std::net::SocketAddr = "0.0.0.0:3000".parse().unwrap();
        let mut c = Config::for_tests("sqlite:x".into());
        assert!(!c.served_over_https(loopback));
        assert!(c.served_over_https(public));
        c.insecure_http = true;
        assert!(!c.served_over_https(public));
        c.insecure_http = false;
        c.trusted_proxies = vec!["10.0.0.0/8".into()];
        assert!(c.served_over_https(loopback));
        c.trusted_proxies = vec![];
        c.secure_cookies = true;
        assert!(c.served_over_https(loopback));
    }

    #[cfg(unix)]
    #[test]
    fn generated_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("keyward-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut c = Config::for_tests(format!("sqlite:{}", dir.join("k.db").display()));
        c.secret = None;
        c.secret_file = dir.join("secret");
        c.server_secret().unwrap();
        create_private_sqlite_file(&c.database_url).unwrap();
        for file in ["secret", "k.db"] {
            let mode = std::fs::metadata(dir.join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut c = Config::for_tests("postgres://keyward:hunter2hunter2@db/keyward".into());
        c.secret = Some("s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t".into());
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("s3cr3t"),
            "{debug}"
        );
        assert!(debug.contains("postgres://keyward:<redacted>@db/keyward"));
    }
}
