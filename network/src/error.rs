//! What can go wrong in the network service, independent of HTTP
//! (`api/error.rs` maps it to neutron's status codes and body). Each error
//! carries neutron's exception name, which clients see as `type`.

use compat_api::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 404
    #[error("{message}")]
    NotFound { kind: &'static str, message: String },
    /// 409
    #[error("{message}")]
    Conflict { kind: &'static str, message: String },
    /// 400
    #[error("{message}")]
    BadRequest { kind: &'static str, message: String },
    /// 403
    #[error("{0}")]
    Forbidden(String),
    /// 412: `If-Match` named another revision.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Store(StoreError::Query(e))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn not_found(kind: &'static str, message: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            message: message.into(),
        }
    }

    pub fn conflict(kind: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict {
            kind,
            message: message.into(),
        }
    }

    /// neutron's `InvalidInput`: "Invalid input for operation: ...".
    pub fn invalid(message: impl std::fmt::Display) -> Self {
        Error::BadRequest {
            kind: "InvalidInput",
            message: format!("Invalid input for operation: {message}."),
        }
    }

    /// A 400 with neutron's `HTTPBadRequest` type (attribute validation).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest {
            kind: "HTTPBadRequest",
            message: message.into(),
        }
    }

    /// Attribute validation: "Invalid input for <attr>. Reason: <reason>."
    pub fn invalid_attr(attr: &str, reason: impl std::fmt::Display) -> Self {
        Error::bad_request(format!("Invalid input for {attr}. Reason: {reason}."))
    }

    pub fn network_not_found(id: &str) -> Self {
        Error::not_found(
            "NetworkNotFound",
            format!("Network {id} could not be found."),
        )
    }

    pub fn subnet_not_found(id: &str) -> Self {
        Error::not_found("SubnetNotFound", format!("Subnet {id} could not be found."))
    }

    pub fn port_not_found(id: &str) -> Self {
        Error::not_found("PortNotFound", format!("Port {id} could not be found."))
    }

    pub fn security_group_not_found(id: &str) -> Self {
        Error::not_found(
            "SecurityGroupNotFound",
            format!("Security group {id} does not exist"),
        )
    }

    pub fn router_not_found(id: &str) -> Self {
        Error::not_found("RouterNotFound", format!("Router {id} could not be found"))
    }

    pub fn policy(action: &str) -> Self {
        Error::Forbidden(format!("({action}) is disallowed by policy"))
    }
}

impl compat_api::db::Transient for Error {
    fn is_transient(&self) -> bool {
        matches!(self, Error::Store(s) if s.is_transient())
    }
}
