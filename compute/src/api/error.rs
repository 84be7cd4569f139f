//! Compute errors on the wire, in nova's fault format.

use crate::error::Error;
use actix_web::http::StatusCode;
use compat_api::{ApiError, ErrorFormat};

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let status = match &e {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Forbidden(_) | Error::OverQuota(_) => StatusCode::FORBIDDEN,
            Error::Store(s) if s.is_unique_violation() => StatusCode::CONFLICT,
            Error::Unavailable(_) | Error::Store(_) => {
                tracing::error!("{e}");
                return ApiError::internal(
                    "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.",
                )
                .with_format(ErrorFormat::Nova);
            }
        };
        ApiError::new(status, e.to_string()).with_format(ErrorFormat::Nova)
    }
}

/// A 400 in nova's format.
pub fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(message).with_format(ErrorFormat::Nova)
}

pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::not_found(message).with_format(ErrorFormat::Nova)
}

/// nova's 501 for what the host's driver cannot do.
pub fn not_implemented() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "The requested functionality is not supported.",
    )
    .with_format(ErrorFormat::Nova)
}
