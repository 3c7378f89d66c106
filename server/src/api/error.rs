//! The machine API's one error mapping: every failure becomes
//! `{"error", "message", "request_id"}` with the right status and headers.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyward_core::error::AppError;

/// The challenge of every refused credential: one constant, nothing formatted per refusal.
const INVALID_TOKEN: HeaderValue =
    HeaderValue::from_static("Bearer realm=\"keyward\", error=\"invalid_token\"");

/// Names the permissions a 403 lacked.
pub const MISSING_PERMISSIONS: HeaderName =
    HeaderName::from_static("x-keyward-missing-permissions");

/// An API failure, rendered by the gate with the request id.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// A refused credential: the answer carries the `WWW-Authenticate` challenge.
    pub challenge: bool,
    /// Permissions a 403 lacked (also sent in `X-Keyward-Missing-Permissions`).
    pub missing: Vec<String>,
    pub retry_after: Option<u64>,
    /// The request field at fault (bad input in one field).
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            challenge: false,
            missing: vec![],
            retry_after: None,
            field: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError {
            challenge: true,
            ..ApiError::new(StatusCode::UNAUTHORIZED, message)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "No such resource.")
    }

    /// The `error` field: a short, stable phrase per status.
    pub fn title(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "Bad request.",
            401 => "Unauthorized.",
            403 => "Forbidden.",
            404 => "Not found.",
            405 => "Method not allowed.",
            409 => "Conflict.",
            413 => "Payload too large.",
            415 => "Unsupported media type.",
            422 => "Unprocessable entity.",
            429 => "Too many requests.",
            503 => "Service unavailable.",
            _ => "Internal server error.",
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let status = match &e {
            AppError::Invalid(input) => {
                return ApiError {
                    field: input.field.clone(),
                    ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
                }
            }
            AppError::Unauthenticated => return ApiError::unauthorized("Authentication required."),
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { retry_after } => {
                return ApiError {
                    retry_after: Some(*retry_after),
                    ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.to_string())
                }
            }
            AppError::Unavailable | AppError::StorageFull => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(cause) => {
                tracing::error!(%cause, "machine API request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = self.status.into_response();
        let h = res.headers_mut();
        // Sized for what the gate adds, as a 200's is.
        h.reserve(super::ANSWER_HEADERS);
        if self.challenge {
            h.insert(header::WWW_AUTHENTICATE, INVALID_TOKEN);
        }
        if !self.missing.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&self.missing.join(", ")) {
                h.insert(MISSING_PERMISSIONS, v);
            }
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res.extensions_mut().insert(self);
        res
    }
}
