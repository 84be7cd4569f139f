//! What can go wrong in identity, independent of HTTP (`api/error.rs` maps it).

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Could not find {kind}: {id}.")]
    NotFound { kind: &'static str, id: String },
    #[error("Conflict occurred attempting to store {kind} - {detail}")]
    Conflict { kind: &'static str, detail: String },
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("You are not authorized to perform the requested action: {0}.")]
    Forbidden(String),
    #[error("{0}")]
    ForbiddenMessage(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Store(StoreError::Query(e))
    }
}

impl Error {
    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            id: id.into(),
        }
    }

    pub fn conflict(kind: &'static str, detail: impl Into<String>) -> Self {
        Error::Conflict {
            kind,
            detail: detail.into(),
        }
    }

    /// The one message for every failed login, whatever the cause.
    pub fn bad_credentials() -> Self {
        Error::Unauthorized("The request you have made requires authentication.".into())
    }
}
