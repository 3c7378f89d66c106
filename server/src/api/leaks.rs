//! The leak kit: `GET /api/v1/secret-format` publishes how to recognise a Keyward secret, and
//! `POST /api/v1/leaks` takes strings found in the wild and revokes every working secret
//! among them. Both need no credential (whoever finds a leak rarely holds a key), so they
//! stand beside the route table like the OpenAPI document; reports are limited per address.
//!
//! A report is answered before it is looked at, always with the same `202`: neither the
//! answer nor its timing says whether a string was a live key.

use super::error::ApiError;
use super::ApiState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyward_core::services::leaks::{self, MAX_LENGTH, MAX_REPORTED};
use serde_json::json;

/// Reports accepted per client address per minute.
pub const REPORTS_PER_MINUTE: u32 = 10;
/// The largest report body: 100 strings of the longest length, with room for JSON.
const BODY_LIMIT: usize = MAX_REPORTED * (MAX_LENGTH + 8) + 64;

/// `GET /api/v1/secret-format`.
pub async fn format() -> Response {
    Json(json!({
        "pattern": domain::secret::PATTERN,
        "checksum": domain::secret::CHECKSUM_RULE,
        "prefixes": {"kw_svc_": "service key", "kw_agt_": "agent key"},
        "report": "POST /api/v1/leaks with {\"secrets\": [\"...\"]} or one secret per line as text/plain; no credential needed.",
    }))
    .into_response()
}

/// `POST /api/v1/leaks`: `{"secrets": [...]}` (JSON) or one string per line (text/plain).
pub async fn report(State(api): State<ApiState>, req: Request) -> Response {
    let peer = crate::request_log::client_address(&api.app, &req);
    let address = peer.map(|a| a.to_string()).unwrap_or_default();
    let decision = api.limiter.check(
        &format!("leak report {address}"),
        REPORTS_PER_MINUTE,
        keyward_core::now(),
    );
    if !decision.allowed {
        let mut res = ApiError {
            retry_after: Some(decision.reset),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many leak reports from this address; try again in a minute.",
            )
        }
        .into_response();
        super::rate_limit::write_headers(&decision, res.headers_mut());
        return res;
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body = match axum::body::to_bytes(req.into_body(), BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "Report at most {MAX_REPORTED} strings of at most {MAX_LENGTH} characters."
                ),
            )
            .into_response()
        }
    };
    let strings = match parse(&body, json) {
        Ok(s) => s,
        Err(message) => return ApiError::new(StatusCode::BAD_REQUEST, message).into_response(),
    };
    let received = strings.len();
    let (db, pepper) = (api.app.db.clone(), api.app.secret.clone());
    tokio::spawn(async move {
        match leaks::report(&db, &pepper, &strings, &address).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(revoked = n, address, "reported leaked secrets were revoked"),
            Err(e) => tracing::error!(error = %e, "a leak report could not be processed"),
        }
    });
    (StatusCode::ACCEPTED, Json(json!({ "received": received }))).into_response()
}

/// The reported strings, or what is wrong with the report.
fn parse(body: &[u8], json: bool) -> Result<Vec<String>, String> {
    let strings: Vec<String> = if json {
        #[derive(serde::Deserialize)]
        struct Report {
            secrets: Vec<String>,
        }
        serde_json::from_slice::<Report>(body)
            .map_err(|_| {
                "Send {\"secrets\": [\"...\"]}, or one secret per line as text/plain.".to_string()
            })?
            .secrets
    } else {
        std::str::from_utf8(body)
            .map_err(|_| "The report is not UTF-8 text.".to_string())?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    if strings.is_empty() {
        return Err("The report holds no strings.".into());
    }
    if strings.len() > MAX_REPORTED {
        return Err(format!("Report at most {MAX_REPORTED} strings at a time."));
    }
    if strings.iter().any(|s| s.chars().count() > MAX_LENGTH) {
        return Err(format!(
            "Each string may be at most {MAX_LENGTH} characters."
        ));
    }
    Ok(strings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_read_as_json_or_lines_and_bad_ones_named() {
        assert_eq!(
            parse(br#"{"secrets": ["a", "b"]}"#, true),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            parse(b" a \n\n b\r\n", false),
            Ok(vec!["a".into(), "b".into()])
        );
        assert!(parse(b"{}", true).unwrap_err().contains("secrets"));
        assert!(parse(b"\n \n", false).unwrap_err().contains("no strings"));
        let many = vec!["x"; MAX_REPORTED + 1].join("\n");
        assert!(parse(many.as_bytes(), false)
            .unwrap_err()
            .contains("at most 100"));
        let long = "x".repeat(MAX_LENGTH + 1);
        assert!(parse(long.as_bytes(), false)
            .unwrap_err()
            .contains("characters"));
        assert!(parse(&[0xff, 0xfe], false).unwrap_err().contains("UTF-8"));
    }
}
