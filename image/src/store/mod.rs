//! Image persistence: the image tables and their queries, on the shared SQL
//! plumbing of [`compat_api::db`].

pub mod images;
pub mod members;
pub mod migrations;
pub mod models;
pub mod schema;

pub use compat_api::db::{AnyConnection, Backend, Db, StoreError};
