//! Request and response bodies at the gate: the legacy body transports of a credential
//! (`key` form field, `API_Key` JSON root property) and the optional per-key body log.

use super::error::ApiError;
use super::BODY_LIMIT;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;

/// The JSON root property that may carry a key where policy allows.
pub const JSON_PROPERTY: &str = "API_Key";
/// The form field that may carry a key where policy allows.
pub const FORM_FIELD: &str = "key";

/// How a body is encoded, as far as the gate cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Form,
}

/// The body's encoding when it is one the gate reads (media types compare case-insensitively).
pub fn encoding(headers: &HeaderMap) -> Option<Encoding> {
    let media_type = headers
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()?
        .split(';')
        .next()?
        .trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Some(Encoding::Json)
    } else if media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Some(Encoding::Form)
    } else {
        None
    }
}

/// Reads a JSON or form body into memory (it is at most [`BODY_LIMIT`]) and puts it back,
/// so the gate can look inside and the handler still gets it.
async fn buffer(req: Request) -> Result<(Request, Option<(Encoding, Bytes)>), ApiError> {
    let Some(encoding) = encoding(req.headers()) else {
        return Ok((req, None));
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The body exceeds {BODY_LIMIT} bytes."),
        )
    })?;
    let req = Request::from_parts(parts, Body::from(bytes.clone()));
    Ok((req, Some((encoding, bytes))))
}

/// A credential found in a body, and the body the handler should see instead (the JSON
/// property removed, so handlers that refuse unknown fields do not trip on it).
#[derive(Default)]
pub struct BodyCredential {
    pub secret: Option<String>,
    pub rewritten: Option<Bytes>,
}

impl std::fmt::Debug for BodyCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyCredential(<redacted>)")
    }
}

/// Looks for the legacy body transports. Bodies that do not parse are left to the handler.
pub fn credential(encoding: Encoding, bytes: &[u8]) -> Result<BodyCredential, ApiError> {
    match encoding {
        Encoding::Json => {
            // Cheap test first: most bodies never mention the property.
            if !bytes
                .windows(JSON_PROPERTY.len())
                .any(|w| w == JSON_PROPERTY.as_bytes())
            {
                return Ok(BodyCredential::default());
            }
            let Ok(serde_json::Value::Object(mut root)) = serde_json::from_slice(bytes) else {
                return Ok(BodyCredential::default());
            };
            let Some(value) = root.remove(JSON_PROPERTY) else {
                return Ok(BodyCredential::default());
            };
            let serde_json::Value::String(secret) = value else {
                return Err(ApiError::bad_request(format!(
                    "{JSON_PROPERTY} must be a string."
                )));
            };
            Ok(BodyCredential {
                secret: Some(secret),
                rewritten: Some(Bytes::from(serde_json::Value::Object(root).to_string())),
            })
        }
        Encoding::Form => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| ApiError::bad_request("The form body is not UTF-8."))?;
            let mut found = form_urlencoded::parse(text.as_bytes())
                .filter(|(k, _)| k == FORM_FIELD)
                .map(|(_, v)| v.into_owned());
            let secret = found.next();
            if found.next().is_some() {
                return Err(ApiError::bad_request(
                    "The form carries more than one key field; send exactly one.",
                ));
            }
            Ok(BodyCredential {
                secret,
                rewritten: None,
            })
        }
    }
}

/// Reads a JSON or form body and takes a legacy credential out of it. Gives back the request
/// as the handler should see it, the credential, and the body the handler reads (which never
/// holds the credential; the body log keeps a redacted copy of it).
pub async fn take_credential(
    req: Request,
) -> Result<(Request, Option<String>, Option<Bytes>), ApiError> {
    let (req, buffered) = buffer(req).await?;
    let Some((encoding, bytes)) = buffered else {
        return Ok((req, None, None));
    };
    let found = credential(encoding, &bytes)?;
    match found.rewritten {
        Some(rewritten) => Ok((
            replace(req, rewritten.clone()),
            found.secret,
            Some(rewritten),
        )),
        None => Ok((req, found.secret, Some(bytes))),
    }
}

/// Puts a rewritten body in place of the original.
fn replace(req: Request, bytes: Bytes) -> Request {
    let (mut parts, _) = req.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Request::from_parts(parts, Body::from(bytes))
}

/// The response as it will be logged (credentials redacted, capped), and the response
/// itself, unchanged. Errors are logged as the gate will render them.
pub async fn response_for_log(res: Response) -> (Response, String) {
    if let Some(e) = res.extensions().get::<ApiError>() {
        let shown = serde_json::json!({"error": ApiError::title(e.status), "message": e.message});
        return (
            res,
            domain::redact::body_for_log(shown.to_string().as_bytes(), Some("application/json")),
        );
    }
    let (parts, body) = res.into_parts();
    // Our handlers answer small JSON documents; anything larger is cut at the log cap.
    match axum::body::to_bytes(body, 4 * 1024 * 1024).await {
        Ok(bytes) => {
            let content_type = parts
                .headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            let logged = domain::redact::body_for_log(&bytes, content_type);
            (Response::from_parts(parts, Body::from(bytes)), logged)
        }
        Err(_) => (
            Response::from_parts(parts, Body::empty()),
            "[body could not be read]".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_property_is_taken_out_of_the_body() {
        let found = credential(Encoding::Json, br#"{"API_Key":"kw_x","name":"web"}"#).unwrap();
        assert_eq!(found.secret.as_deref(), Some("kw_x"));
        assert_eq!(found.rewritten.unwrap(), Bytes::from(r#"{"name":"web"}"#));
    }

    #[test]
    fn bodies_without_a_credential_are_left_alone() {
        for body in [
            &br#"{"name":"web"}"#[..],
            br#"["API_Key"]"#,
            br#"{"nested":{"API_Key":"kw_x"}}"#,
            b"not json API_Key",
        ] {
            let found = credential(Encoding::Json, body).unwrap();
            assert!(found.secret.is_none() && found.rewritten.is_none());
        }
        assert!(credential(Encoding::Form, b"name=web")
            .unwrap()
            .secret
            .is_none());
    }

    #[test]
    fn bad_body_credentials_are_refused() {
        let status = |e: Encoding, b: &[u8]| credential(e, b).unwrap_err().status.as_u16();
        assert_eq!(status(Encoding::Json, br#"{"API_Key": 12}"#), 400);
        assert_eq!(status(Encoding::Form, b"key=a&key=b"), 400);
        assert_eq!(status(Encoding::Form, &[0xff, b'=', 0xfe]), 400);
    }

    #[test]
    fn the_form_field_is_decoded() {
        let found = credential(Encoding::Form, b"a=1&key=kw%5Fsvc%5Fx").unwrap();
        assert_eq!(found.secret.as_deref(), Some("kw_svc_x"));
    }
}
