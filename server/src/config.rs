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
    /// The console is served over HTTPS (behind a TLS proxy): secure `__Host-` session cookie.
    #[arg(long, env = "KEYWARD_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,
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
            .field("access_log_days", &self.access_log_days)
            .field("site_root", &self.site_root)
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
            access_log_days: 30,
            site_root: "target/site".into(),
        }
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
                let generated = app::ssr::crypto::hex(&app::ssr::crypto::random_bytes(32));
                write_private(&self.secret_file, &generated)?;
                tracing::info!(file = %self.secret_file.display(), "generated a server secret");
                Ok(generated.into_bytes())
            }
            Err(e) => Err(e),
        }
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
