//! Identity errors on the wire, in keystone's format.

use crate::error::Error;
use compat_api::{ApiError, ErrorFormat};

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let err = match &e {
            Error::NotFound { .. } => ApiError::not_found(e.to_string()),
            Error::Conflict { .. } => ApiError::conflict(e.to_string()),
            Error::Validation(m) => ApiError::bad_request(m.clone()),
            Error::Unauthorized(m) => {
                let mut a = ApiError::unauthorized(m.clone());
                a.authenticate = Some("Keystone uri=\"/v3\"".into());
                a
            }
            Error::Forbidden(_) => ApiError::forbidden(e.to_string()),
            Error::ForbiddenMessage(m) => ApiError::forbidden(m.clone()),
            // A name taken by a concurrent request between our check and the
            // insert: the unique key catches it.
            Error::Store(s) if s.is_unique_violation() => ApiError::conflict(
                "Conflict occurred attempting to store the resource - Duplicate entry.",
            ),
            Error::Store(_) | Error::Internal(_) => {
                tracing::error!("{e}");
                ApiError::internal(
                    "An unexpected error prevented the server from fulfilling your request.",
                )
            }
        };
        err.with_format(ErrorFormat::Keystone)
    }
}
