//! What can go wrong in the image service, independent of HTTP
//! (`api/error.rs` maps it to glance's status codes and body).

use compat_api::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// Over `image_size_cap`, the storage quota or another quota.
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A `Range` that cannot be served.
    #[error("{0}")]
    RangeNotSatisfiable(String),
    /// The image went away while its data was being uploaded.
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("image store: {0}")]
    Io(#[from] std::io::Error),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::Store(StoreError::Query(e))
    }
}

impl Error {
    pub fn image_not_found(id: &str) -> Self {
        Error::NotFound(format!("No image found with ID {id}"))
    }
}
