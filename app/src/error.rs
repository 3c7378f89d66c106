//! The console's one error type: what every server function answers when it fails. It keeps
//! the kind of failure from the service that refused, so the HTTP status follows from it
//! (`ErrorKind::status`, applied by the server's one middleware) and the page shows its
//! message, instead of both being guessed from a string.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a server function failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad input: the message says what to fix.
    Invalid,
    /// No valid session.
    Unauthenticated,
    /// Signed in, not allowed: the message says why.
    Forbidden,
    /// Absent, or in another workspace.
    NotFound,
    /// Conflicts with existing state.
    Conflict,
    TooManyRequests,
    /// The database cannot be reached.
    Unavailable,
    /// Anything else; the cause is logged, never shown.
    Internal,
    /// The request could not be read (missing or malformed arguments).
    Request,
    /// The browser could not reach the server, or could not read its answer.
    Network,
}

impl ErrorKind {
    /// The HTTP status a failed server function answers with.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Invalid
            | ErrorKind::Unauthenticated
            | ErrorKind::Forbidden
            | ErrorKind::NotFound
            | ErrorKind::Conflict
            | ErrorKind::TooManyRequests
            | ErrorKind::Request => 400,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal | ErrorKind::Network => 500,
        }
    }
}

/// A failed server function: its kind, the message a person reads, and the form field at
/// fault when one is (named as its label, such as "Name"), so the page can mark that field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ConsoleError {
    /// Whether this error is about the field labelled `label`.
    pub fn concerns(&self, label: &str) -> bool {
        self.field.as_deref() == Some(label)
    }
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConsoleError {}

impl FromServerFnError for ConsoleError {
    type Encoder = JsonEncoding;

    /// Failures of the framework rather than of Keyward: arguments that do not parse are the
    /// caller's; a call that never reached the server is the network's.
    fn from_server_fn_error(e: ServerFnErrorErr) -> ConsoleError {
        let (kind, message) = match e {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::MissingArg(m)
            | ServerFnErrorErr::Deserialization(m)
            | ServerFnErrorErr::UnsupportedRequestMethod(m) => (
                ErrorKind::Request,
                format!("The request could not be read: {m}"),
            ),
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => (
                ErrorKind::Network,
                format!("Keyward could not be reached: {m}"),
            ),
            ServerFnErrorErr::Registration(_)
            | ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Serialization(_) => {
                (ErrorKind::Internal, "Something went wrong.".to_string())
            }
        };
        ConsoleError {
            kind,
            message,
            field: None,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<keyward_core::error::AppError> for ConsoleError {
    fn from(e: keyward_core::error::AppError) -> ConsoleError {
        use keyward_core::error::AppError;
        let kind = match &e {
            AppError::Invalid(_) => ErrorKind::Invalid,
            AppError::Unauthenticated => ErrorKind::Unauthenticated,
            AppError::Forbidden(_) => ErrorKind::Forbidden,
            AppError::NotFound => ErrorKind::NotFound,
            AppError::Conflict(_) => ErrorKind::Conflict,
            AppError::TooManyRequests { .. } => ErrorKind::TooManyRequests,
            AppError::Unavailable | AppError::StorageFull => ErrorKind::Unavailable,
            AppError::Internal(_) => ErrorKind::Internal,
        };
        let field = match &e {
            AppError::Invalid(input) => input.field.clone(),
            _ => None,
        };
        // `Display` of an internal error is "Something went wrong."; its cause was logged
        // where it arose.
        ConsoleError {
            kind,
            message: e.to_string(),
            field,
        }
    }
}

/// A malformed id names nothing: the same answer as any id that is not there.
#[cfg(feature = "ssr")]
impl From<domain::ids::NotAnId> for ConsoleError {
    fn from(e: domain::ids::NotAnId) -> ConsoleError {
        keyward_core::error::AppError::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_the_callers_and_outages_are_not() {
        assert_eq!(ErrorKind::Forbidden.status(), 400);
        assert_eq!(ErrorKind::Request.status(), 400);
        assert_eq!(ErrorKind::Unavailable.status(), 503);
        assert_eq!(ErrorKind::Internal.status(), 500);
    }

    #[test]
    fn the_wire_form_names_the_kind() {
        let e = ConsoleError {
            kind: ErrorKind::TooManyRequests,
            message: "Too many attempts.".into(),
            field: None,
        };
        let json = String::from_utf8(e.ser().to_vec()).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"too_many_requests","message":"Too many attempts."}"#
        );
        assert_eq!(ConsoleError::de(json.as_bytes().to_vec().into()), e);

        let named = ConsoleError {
            kind: ErrorKind::Invalid,
            message: "Name is required.".into(),
            field: Some("Name".into()),
        };
        let json = String::from_utf8(named.ser().to_vec()).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"invalid","message":"Name is required.","field":"Name"}"#
        );
        assert!(ConsoleError::de(json.as_bytes().to_vec().into()).concerns("Name"));
    }
}
