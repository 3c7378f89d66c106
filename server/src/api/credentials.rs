//! Reading the credential of a machine request. Values are never logged.

use super::error::ApiError;
use axum::http::{header, HeaderMap, Uri};

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

/// Finds the request's credential. Two different credentials in one request are refused.
pub fn extract(headers: &HeaderMap, uri: &Uri) -> Result<Option<Presented>, ApiError> {
    let mut found: Vec<Presented> = Vec::new();
    if let Some(v) = header_str(headers, "x-keyward-api-token")? {
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
    if let Some(v) = header_str(headers, "x-apikey")? {
        found.push(Presented::Secret {
            value: v,
            legacy: true,
        });
    }
    if let Some(q) = uri.query() {
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("key=") {
                found.push(Presented::Secret {
                    value: percent_decode(v),
                    legacy: true,
                });
            }
        }
    }
    found.dedup();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(ApiError::bad_request(
            "The request carries more than one credential; send exactly one.",
        )),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
        assert_eq!(extract(&h(&[]), &uri).unwrap(), None);
        assert_eq!(
            extract(&h(&[("x-keyward-api-token", "kw_x")]), &uri).unwrap(),
            Some(Presented::Secret {
                value: "kw_x".into(),
                legacy: false
            })
        );
        assert_eq!(
            extract(&h(&[("authorization", "bEaReR kw_x")]), &uri).unwrap(),
            Some(Presented::Secret {
                value: "kw_x".into(),
                legacy: false
            })
        );
        assert_eq!(
            extract(&h(&[("authorization", "Bearer eyJa.eyJb.c")]), &uri).unwrap(),
            Some(Presented::UserToken("eyJa.eyJb.c".into()))
        );
        // The same secret twice is one credential; two different ones are refused.
        assert!(extract(
            &h(&[
                ("x-keyward-api-token", "kw_x"),
                ("authorization", "Bearer kw_x")
            ]),
            &uri
        )
        .unwrap()
        .is_some());
        assert_eq!(
            extract(
                &h(&[
                    ("x-keyward-api-token", "kw_x"),
                    ("authorization", "Bearer kw_y")
                ]),
                &uri
            )
            .unwrap_err()
            .status,
            400
        );
        assert_eq!(
            extract(&h(&[("authorization", "Basic abc")]), &uri)
                .unwrap_err()
                .status,
            401
        );
        let q: Uri = "/api/v1/me?key=kw%5Fx".parse().unwrap();
        assert_eq!(
            extract(&h(&[]), &q).unwrap(),
            Some(Presented::Secret {
                value: "kw_x".into(),
                legacy: true
            })
        );
    }
}
