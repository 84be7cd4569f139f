//! Persisted token revocation events.

use super::models::RevocationRow;
use super::schema::revocation_events as ev;
use super::{AnyConnection, StoreError};
use diesel::prelude::*;

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn insert(c: &mut Conn, row: &RevocationRow) -> R<()> {
    diesel::insert_into(ev::table).values(row).execute(c)?;
    Ok(())
}

/// Events that can still match an unexpired token.
pub fn since(c: &mut Conn, revoked_after: i64) -> R<Vec<RevocationRow>> {
    Ok(ev::table
        .filter(ev::revoked_at.gt(revoked_after))
        .select(RevocationRow::as_select())
        .order(ev::revoked_at)
        .load(c)?)
}

pub fn prune(c: &mut Conn, revoked_before: i64) -> R<usize> {
    Ok(diesel::delete(ev::table.filter(ev::revoked_at.lt(revoked_before))).execute(c)?)
}
