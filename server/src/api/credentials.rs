//! Reading the credential of a machine request. Values are never logged.

use super::error::ApiError;
use axum::http::{header, HeaderMap, HeaderName, Uri};

/// A presented credential, by transport.
#[derive(PartialEq, Eq)]
pub enum Presented {
    /// A Keyward key secret (or something claiming to be one).
    Secret { value: String, legacy: bool },
    /// A user JWT from `Authorization: Bearer`.
    UserToken(String),
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Presented(<redacted>)")
    }
}

/// The preferred credential header.
pub const TOKEN_HEADER: HeaderName = HeaderName::from_static("x-keyward-api-token");
/// The legacy credential header, honoured only where workspace policy allows.
pub const LEGACY_HEADER: HeaderName = HeaderName::from_static("x-apikey");

fn header_str(
    headers: &HeaderMap,
    name: impl header::AsHeaderName,
) -> Result<Option<String>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.to_string())).map_err(|_| {
            ApiError::bad_request(
                "The credential header holds characters that are not visible ASCII.",
            )
        }),
    }
}

/// Finds the request's credential: in the headers, the `key` query parameter, or (`body`)
/// the legacy body transports. Two different credentials in one request are refused.
pub fn extract(
    headers: &HeaderMap,
    uri: &Uri,
    body: Option<String>,
) -> Result<Option<Presented>, ApiError> {
    let mut found: Vec<Presented> = Vec::new();
    if let Some(v) = header_str(headers, &TOKEN_HEADER)? {
        found.push(Presented::Secret {
            value: v,
            legacy: false,
        });
    }
    if let Some(v) = header_str(headers, header::AUTHORIZATION)? {
        let (scheme, value) = v
            .split_once(' ')
            .ok_or_else(|| ApiError::unauthorized("Malformed Authorization header."))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::unauthorized("Use the Bearer scheme."));
        }
        let value = value.trim().to_string();
        if value.starts_with("eyJ") && value.matches('.').count() == 2 {
            found.push(Presented::UserToken(value));
        } else {
            found.push(Presented::Secret {
                value,
                legacy: false,
            });
        }
    }
    if let Some(v) = header_str(headers, &LEGACY_HEADER)? {
        found.push(Presented::Secret {
            value: v,
            legacy: true,
        });
    }
    if let Some(q) = uri.query() {
        for (name, value) in form_urlencoded::parse(q.as_bytes()) {
            if name == "key" {
                found.push(Presented::Secret {
                    value: value.into_owned(),
                    legacy: true,
                });
            }
        }
    }
    if let Some(value) = body {
        found.push(Presented::Secret {
            value,
            legacy: true,
        });
    }
    // The same secret in several places is one credential, legacy only if it is nowhere else.
    found.sort_by_key(|p| matches!(p, Presented::Secret { legacy: true, .. }));
    found.dedup_by(|later, kept| match (later, kept) {
        (Presented::Secret { value: a, .. }, Presented::Secret { value: b, .. }) => a == b,
        (a, b) => a == b,
    });
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(ApiError::bad_request(
            "The request carries more than one credential; send exactly one.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    header::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn transports() {
        let uri: Uri = "/api/v1/me".parse().unwrap();
        assert_eq!(extract(&h(&[]), &uri, None).unwrap(), None);
        assert_eq!(
            extract(&h(&[("x-keyward-api-token", "kw_x")]), &uri, None).unwrap(),
            Some(Presented::Secret {
                value: "kw_x".into(),
                legacy: false
            })
        );
        assert_eq!(
            extract(&h(&[("authorization", "bEaReR kw_x")]), &uri, None).unwrap(),
            Some(Presented::Secret {
                value: "kw_x".into(),
                legacy: false
            })
        );
        assert_eq!(
            extract(&h(&[("authorization", "Bearer eyJa.eyJb.c")]), &uri, None).unwrap(),
            Some(Presented::UserToken("eyJa.eyJb.c".into()))
        );
        // The same secret twice is one credential; two different ones are refused.
        assert!(extract(
            &h(&[
                ("x-keyward-api-token", "kw_x"),
                ("authorization", "Bearer kw_x")
            ]),
            &uri,
            None
        )
        .unwrap()
        .is_some());
        assert_eq!(
            extract(
                &h(&[
                    ("x-keyward-api-token", "kw_x"),
                    ("authorization", "Bearer kw_y")
                ]),
                &uri,
                None
            )
            .unwrap_err()
            .status,
            400
        );
        assert_eq!(
            extract(&h(&[("authorization", "Basic abc")]), &uri, None)
                .unwrap_err()
                .status,
            401
        );
        let q: Uri = "/api/v1/me?key=kw%5Fx".parse().unwrap();
        assert_eq!(
            extract(&h(&[]), &q, None).unwrap(),
            Some(Presented::Secret {
                value: "kw_x".into(),
                legacy: true
            })
        );
        // The same secret by a legacy transport too is still one, modern, credential.
        assert_eq!(
            extract(
                &h(&[("x-apikey", "kw_x"), ("x-keyward-api-token", "kw_x")]),
                &uri,
                Some("kw_x".into())
            )
            .unwrap(),
            Some(Presented::Secret {
                value: "kw_x".into(),
                legacy: false
            })
        );
        // A body credential counts like any other.
        assert_eq!(
            extract(
                &h(&[("x-keyward-api-token", "kw_x")]),
                &uri,
                Some("kw_y".into())
            )
            .unwrap_err()
            .status,
            400
        );
    }
}
