//! Network persistence: the tables and their queries, on the shared SQL
//! plumbing of [`compat_api::db`]. One file per resource; `crud!` writes
//! the lookups every table has.

pub mod floating_ips;
pub mod migrations;
pub mod models;
pub mod networks;
pub mod ports;
pub mod quotas;
pub mod routers;
pub mod schema;
pub mod security_groups;
pub mod subnetpools;
pub mod subnets;
pub mod tags;

pub use compat_api::db::{AnyConnection, Backend, Db, StoreError};

pub type Conn = AnyConnection;
pub type R<T> = Result<T, StoreError>;

/// Ids per `IN (...)` list: well under SQLite's 32766 bind parameters, and
/// statements stay cheap.
const IN_CHUNK: usize = 1000;

/// Runs a query over `ids` a chunk at a time and concatenates the rows.
pub fn in_chunks<T>(ids: &[String], mut query: impl FnMut(&[String]) -> R<Vec<T>>) -> R<Vec<T>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IN_CHUNK) {
        out.extend(query(chunk)?);
    }
    Ok(out)
}

/// get / insert / update / delete / all / of_project / count_of_project
/// for a table keyed by `id` with a `project_id` column.
macro_rules! crud {
    ($table:ident, $row:ty) => {
        pub fn get(c: &mut $crate::store::Conn, id: &str) -> $crate::store::R<Option<$row>> {
            Ok($table::table
                .find(id)
                .select(<$row>::as_select())
                .first(c)
                .optional()?)
        }

        pub fn insert(c: &mut $crate::store::Conn, row: &$row) -> $crate::store::R<()> {
            diesel::insert_into($table::table).values(row).execute(c)?;
            Ok(())
        }

        pub fn update(c: &mut $crate::store::Conn, row: &$row) -> $crate::store::R<()> {
            diesel::update($table::table.find(&row.id))
                .set(row)
                .execute(c)?;
            Ok(())
        }

        pub fn delete(c: &mut $crate::store::Conn, id: &str) -> $crate::store::R<()> {
            diesel::delete($table::table.find(id)).execute(c)?;
            $crate::store::tags::delete_all(c, id)
        }

        pub fn all(c: &mut $crate::store::Conn) -> $crate::store::R<Vec<$row>> {
            Ok($table::table
                .order($table::id)
                .select(<$row>::as_select())
                .load(c)?)
        }

        pub fn of_project(
            c: &mut $crate::store::Conn,
            project_id: &str,
        ) -> $crate::store::R<Vec<$row>> {
            Ok($table::table
                .filter($table::project_id.eq(project_id))
                .order($table::id)
                .select(<$row>::as_select())
                .load(c)?)
        }

        pub fn count_of_project(
            c: &mut $crate::store::Conn,
            project_id: &str,
        ) -> $crate::store::R<i64> {
            Ok($table::table
                .filter($table::project_id.eq(project_id))
                .count()
                .get_result(c)?)
        }
    };
}
pub(crate) use crud;
