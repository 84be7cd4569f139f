//! Identity persistence: the identity tables and their queries, on the
//! shared SQL plumbing of [`compat_api::db`].

pub mod app_creds;
pub mod assignment;
pub mod catalog;
pub mod identity;
pub mod migrations;
pub mod models;
pub mod resource;
pub mod revoke;
pub mod schema;

pub use compat_api::db::{new_id, AnyConnection, Backend, Db, StoreError};
