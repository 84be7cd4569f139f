//! The OpenStack wire conventions every ferrostack API shares.
//!
//! A service crate never re-implements anything here: version discovery,
//! microversions, error bodies, request ids, pagination, JSON bodies with
//! schema validation (gzip included), token verification and the policy
//! context, logging and configuration; and the SQL plumbing (pool,
//! backends, migrations) every service stores its own tables with.

pub mod app;
pub mod auth;
pub mod body;
pub mod bus;
pub mod cache;
pub mod config;
pub mod db;
pub mod discovery;
pub mod error;
pub mod logging;
pub mod microversion;
pub mod pagination;
pub mod query;
pub mod remote;
pub mod request_id;
pub mod time;

pub use auth::{AuthContext, TokenClaims, TokenVerifier};
pub use body::JsonBody;
pub use error::{ApiError, ErrorFormat};
