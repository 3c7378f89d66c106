//! Logging: human-readable lines, or one JSON object per line with `KEYWARD_LOG_FORMAT=json`
//! (for log shippers). `KEYWARD_LOG` filters (default `info,sqlx=warn`; `keyward::request=off`
//! silences the request log of [`crate::request_log`]). No line ever holds a header, a body, a
//! query string or a path as sent, so no secret reaches a log.

pub fn init() {
    init_with_default("info,sqlx=warn");
}

/// [`init`] with another filter when `KEYWARD_LOG` is unset (the tests keep to warnings, so
/// their output shows what went wrong rather than every request).
pub fn init_with_default(default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("KEYWARD_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("KEYWARD_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.with_target(false).try_init()
    };
}
