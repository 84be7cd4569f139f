//! Network errors on the wire, in neutron's format.

use crate::api::collection::QueryError;
use crate::error::Error;
use actix_web::http::StatusCode;
use compat_api::{ApiError, ErrorFormat};

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let (status, kind) = match &e {
            Error::NotFound { kind, .. } => (StatusCode::NOT_FOUND, *kind),
            Error::Conflict { kind, .. } => (StatusCode::CONFLICT, *kind),
            Error::BadRequest { kind, .. } => (StatusCode::BAD_REQUEST, *kind),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "PolicyNotAuthorized"),
            Error::PreconditionFailed(_) => (
                StatusCode::PRECONDITION_FAILED,
                "RevisionNumberConstraintFailed",
            ),
            // A concurrent create took the same unique value (MAC, address).
            Error::Store(s) if s.is_unique_violation() => (StatusCode::CONFLICT, "Conflict"),
            Error::Store(_) => {
                tracing::error!("{e}");
                return ApiError::internal(
                    "Request Failed: internal server error while processing your request.",
                )
                .with_format(ErrorFormat::Neutron)
                .with_kind("HTTPInternalServerError");
            }
        };
        ApiError::new(status, e.to_string())
            .with_format(ErrorFormat::Neutron)
            .with_kind(kind)
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> ApiError {
        ApiError::bad_request(e.0)
            .with_format(ErrorFormat::Neutron)
            .with_kind("HTTPBadRequest")
    }
}
