//! Image errors on the wire, in glance's format.

use crate::error::Error;
use actix_web::http::StatusCode;
use compat_api::{ApiError, ErrorFormat};

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let status = match &e {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Error::Gone(_) => StatusCode::GONE,
            // An id taken by a concurrent create between check and insert.
            Error::Store(s) if s.is_unique_violation() => StatusCode::CONFLICT,
            Error::Store(_) | Error::Io(_) => {
                tracing::error!("{e}");
                return ApiError::internal(
                    "The server has either erred or is incapable of performing the requested operation.",
                )
                .with_format(ErrorFormat::Glance);
            }
        };
        ApiError::new(status, e.to_string()).with_format(ErrorFormat::Glance)
    }
}
