//! Host aggregates and their hosts.

use super::models::AggregateRow;
use super::schema::{aggregate_hosts, aggregates};
use super::{next_seq, Conn, R};
use diesel::prelude::*;

pub fn all(c: &mut Conn) -> R<Vec<AggregateRow>> {
    Ok(aggregates::table
        .order(aggregates::seq)
        .select(AggregateRow::as_select())
        .load(c)?)
}

pub fn by_seq(c: &mut Conn, seq: i64) -> R<Option<AggregateRow>> {
    Ok(aggregates::table
        .filter(aggregates::seq.eq(seq))
        .select(AggregateRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_name(c: &mut Conn, name: &str) -> R<Option<AggregateRow>> {
    Ok(aggregates::table
        .filter(aggregates::name.eq(name))
        .select(AggregateRow::as_select())
        .first(c)
        .optional()?)
}

pub fn next_aggregate_seq(c: &mut Conn) -> R<i64> {
    Ok(next_seq!(c, aggregates))
}

pub fn insert(c: &mut Conn, row: &AggregateRow) -> R<()> {
    diesel::insert_into(aggregates::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn update(c: &mut Conn, row: &AggregateRow) -> R<()> {
    diesel::update(aggregates::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

pub fn delete(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(aggregate_hosts::table.filter(aggregate_hosts::aggregate_id.eq(id)))
        .execute(c)?;
    diesel::delete(aggregates::table.find(id)).execute(c)?;
    Ok(())
}

/// Every (aggregate id, host) pair.
pub fn memberships(c: &mut Conn) -> R<Vec<(String, String)>> {
    Ok(aggregate_hosts::table
        .select((aggregate_hosts::aggregate_id, aggregate_hosts::host))
        .order((aggregate_hosts::aggregate_id, aggregate_hosts::host))
        .load(c)?)
}

pub fn add_host(c: &mut Conn, aggregate_id: &str, host: &str) -> R<()> {
    diesel::insert_into(aggregate_hosts::table)
        .values((
            aggregate_hosts::aggregate_id.eq(aggregate_id),
            aggregate_hosts::host.eq(host),
        ))
        .execute(c)?;
    Ok(())
}

pub fn remove_host(c: &mut Conn, aggregate_id: &str, host: &str) -> R<usize> {
    Ok(diesel::delete(aggregate_hosts::table.find((aggregate_id, host))).execute(c)?)
}
