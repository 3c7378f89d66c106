//! The services' one error type. The HTTP layers map it exactly once each: to a server
//! function error for the console, to a JSON body for the machine API.

use domain::validate::InvalidInput;
use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input; the message says what to fix, and names the field at fault if one is.
    #[error("{0}")]
    Invalid(InvalidInput),
    /// No valid session or credential.
    #[error("Sign in to continue.")]
    Unauthenticated,
    /// Valid credential, not allowed; the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// Absent, or in another workspace.
    #[error("Not found.")]
    NotFound,
    /// Conflicts with existing state (a duplicate name, setup already done).
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts. Try again in {retry_after} seconds.")]
    TooManyRequests { retry_after: u64 },
    /// The database cannot be reached: fail closed.
    #[error("The service is temporarily unavailable.")]
    Unavailable,
    /// The database's disk is full: the change was not made; reads still work.
    #[error("The database has no space left, so nothing was changed. Reading still works; an operator must free disk space.")]
    StorageFull,
    /// Anything else. The cause is logged, never shown.
    #[error("Something went wrong.")]
    Internal(String),
}

impl AppError {
    pub fn invalid(msg: impl fmt::Display) -> AppError {
        AppError::Invalid(InvalidInput::new(msg.to_string()))
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                AppError::Unavailable
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                AppError::Conflict("That name is already taken.".into())
            }
            // SQLITE_FULL; PostgreSQL's disk_full.
            sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("13" | "53100")) => {
                tracing::error!(cause = %e, "the database's disk is full");
                AppError::StorageFull
            }
            sqlx::Error::RowNotFound => AppError::NotFound,
            _ => {
                tracing::error!(cause = %e, "database error");
                AppError::Internal(e.to_string())
            }
        }
    }
}

impl From<domain::validate::InvalidInput> for AppError {
    fn from(e: domain::validate::InvalidInput) -> AppError {
        AppError::Invalid(e)
    }
}

/// An id that does not parse names nothing there is: the same answer as an id of another
/// workspace, so a malformed id is no oracle either.
impl From<domain::ids::NotAnId> for AppError {
    fn from(_: domain::ids::NotAnId) -> AppError {
        AppError::NotFound
    }
}

impl From<domain::authorization::Denial> for AppError {
    fn from(d: domain::authorization::Denial) -> AppError {
        match d {
            domain::authorization::Denial::Hidden => AppError::NotFound,
            domain::authorization::Denial::Forbidden(why) => AppError::Forbidden(why),
        }
    }
}

impl From<domain::issuance::IssuanceRefusal> for AppError {
    fn from(r: domain::issuance::IssuanceRefusal) -> AppError {
        use domain::issuance::IssuanceRefusal as R;
        match r {
            R::PrincipalNotAllowed(why) => AppError::Forbidden(why.into()),
            R::Expiry(why) => AppError::invalid(why),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
