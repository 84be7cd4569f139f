//! Compute persistence: the tables and their queries, on the shared SQL
//! plumbing of [`compat_api::db`]. One file per group of tables.

pub mod actions;
pub mod aggregates;
pub mod flavors;
pub mod instances;
pub mod keypairs;
pub mod migrations;
pub mod models;
pub mod moves;
pub mod nodes;
pub mod quotas;
pub mod schema;
pub mod server_groups;
pub mod services;

pub use compat_api::db::{AnyConnection, Backend, Db, StoreError};

pub type Conn = AnyConnection;
pub type R<T> = Result<T, StoreError>;

/// The next integer id of a table that shows one (`max + 1`): called in
/// the inserting transaction, and the unique index on the column turns a
/// concurrent duplicate into an error rather than two equal ids.
macro_rules! next_seq {
    ($c:expr, $table:ident) => {{
        use diesel::dsl::max;
        let top: Option<i64> = $table::table.select(max($table::seq)).first($c)?;
        top.unwrap_or(0) + 1
    }};
}
pub(crate) use next_seq;
