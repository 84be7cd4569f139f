use super::models::ServiceRow;
use super::schema::compute_services;
use super::{next_seq, Conn, R};
use diesel::prelude::*;

pub fn all(c: &mut Conn) -> R<Vec<ServiceRow>> {
    Ok(compute_services::table
        .order(compute_services::seq)
        .select(ServiceRow::as_select())
        .load(c)?)
}

pub fn get(c: &mut Conn, id: &str) -> R<Option<ServiceRow>> {
    Ok(compute_services::table
        .find(id)
        .select(ServiceRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_seq(c: &mut Conn, seq: i64) -> R<Option<ServiceRow>> {
    Ok(compute_services::table
        .filter(compute_services::seq.eq(seq))
        .select(ServiceRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_host(c: &mut Conn, host: &str, binary: &str) -> R<Option<ServiceRow>> {
    Ok(compute_services::table
        .filter(compute_services::host.eq(host))
        .filter(compute_services::service_binary.eq(binary))
        .select(ServiceRow::as_select())
        .first(c)
        .optional()?)
}

pub fn next_service_seq(c: &mut Conn) -> R<i64> {
    Ok(next_seq!(c, compute_services))
}

pub fn insert(c: &mut Conn, row: &ServiceRow) -> R<()> {
    diesel::insert_into(compute_services::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn update(c: &mut Conn, row: &ServiceRow) -> R<()> {
    diesel::update(compute_services::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

/// The heartbeat: one statement, no read.
pub fn seen_up(c: &mut Conn, id: &str, now: i64) -> R<()> {
    diesel::update(compute_services::table.find(id))
        .set(compute_services::last_seen_up.eq(now))
        .execute(c)?;
    Ok(())
}

pub fn delete(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(compute_services::table.find(id)).execute(c)?;
    Ok(())
}
