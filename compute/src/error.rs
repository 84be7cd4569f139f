//! What can go wrong in compute, independent of HTTP (`api/error.rs` maps
//! it to nova's status codes and fault bodies).

use compat_api::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 400
    #[error("{0}")]
    BadRequest(String),
    /// 409
    #[error("{0}")]
    Conflict(String),
    /// 403: policy.
    #[error("{0}")]
    Forbidden(String),
    /// 403: a quota would be exceeded.
    #[error("{0}")]
    OverQuota(String),
    /// 503/500: another service failed.
    #[error("{0}")]
    Unavailable(String),
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
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::BadRequest(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict(message.into())
    }

    pub fn instance_not_found(id: &str) -> Self {
        Error::NotFound(format!("Instance {id} could not be found."))
    }

    pub fn flavor_not_found(id: &str) -> Self {
        Error::NotFound(format!("Flavor {id} could not be found."))
    }

    pub fn keypair_not_found(name: &str, user_id: &str) -> Self {
        Error::NotFound(format!("Keypair {name} not found for user {user_id}"))
    }

    /// nova's policy refusal.
    pub fn policy(rule: &str) -> Self {
        Error::Forbidden(format!("Policy doesn't allow {rule} to be performed."))
    }

    /// `InstanceInvalidState`, as nova words it.
    pub fn invalid_state(action: &str, id: &str, attr: &str, state: &str) -> Self {
        Error::Conflict(format!(
            "Cannot '{action}' instance {id} while it is in {attr} {state}"
        ))
    }
}
