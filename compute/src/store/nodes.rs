//! Compute nodes, the allocation ledger and the record of ratio changes.

use super::models::{AllocationRow, ComputeNodeRow, NodeChangeRow};
use super::schema::{allocations, compute_node_changes, compute_nodes};
use super::{next_seq, Conn, R};
use diesel::prelude::*;

pub fn all(c: &mut Conn) -> R<Vec<ComputeNodeRow>> {
    Ok(compute_nodes::table
        .order(compute_nodes::seq)
        .select(ComputeNodeRow::as_select())
        .load(c)?)
}

pub fn get(c: &mut Conn, id: &str) -> R<Option<ComputeNodeRow>> {
    Ok(compute_nodes::table
        .find(id)
        .select(ComputeNodeRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_seq(c: &mut Conn, seq: i64) -> R<Option<ComputeNodeRow>> {
    Ok(compute_nodes::table
        .filter(compute_nodes::seq.eq(seq))
        .select(ComputeNodeRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_name(c: &mut Conn, name: &str) -> R<Option<ComputeNodeRow>> {
    Ok(compute_nodes::table
        .filter(compute_nodes::hypervisor_hostname.eq(name))
        .select(ComputeNodeRow::as_select())
        .first(c)
        .optional()?)
}

pub fn of_host(c: &mut Conn, host: &str) -> R<Vec<ComputeNodeRow>> {
    Ok(compute_nodes::table
        .filter(compute_nodes::host.eq(host))
        .select(ComputeNodeRow::as_select())
        .load(c)?)
}

pub fn next_node_seq(c: &mut Conn) -> R<i64> {
    Ok(next_seq!(c, compute_nodes))
}

pub fn insert(c: &mut Conn, row: &ComputeNodeRow) -> R<()> {
    diesel::insert_into(compute_nodes::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn update(c: &mut Conn, row: &ComputeNodeRow) -> R<()> {
    diesel::update(compute_nodes::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

/// Deletes a node with its allocations (an orphan no driver reports).
pub fn delete(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(allocations::table.filter(allocations::node_id.eq(id))).execute(c)?;
    diesel::delete(compute_nodes::table.find(id)).execute(c)?;
    Ok(())
}

pub fn record_change(c: &mut Conn, row: &NodeChangeRow) -> R<()> {
    diesel::insert_into(compute_node_changes::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn changes(c: &mut Conn, node_id: &str) -> R<Vec<NodeChangeRow>> {
    Ok(compute_node_changes::table
        .filter(compute_node_changes::node_id.eq(node_id))
        .order(compute_node_changes::changed_at)
        .select(NodeChangeRow::as_select())
        .load(c)?)
}

/// Takes the node's row lock and moves its generation on. Every claim
/// starts with this, so claims on one node run one after the other on
/// every backend, and each reads the allocations the previous committed.
/// Returns false if the node is gone.
pub fn lock_for_claim(c: &mut Conn, id: &str) -> R<bool> {
    let n = diesel::update(compute_nodes::table.find(id))
        .set(compute_nodes::generation.eq(compute_nodes::generation + 1))
        .execute(c)?;
    Ok(n == 1)
}

pub fn allocations_on(c: &mut Conn, node_id: &str) -> R<Vec<AllocationRow>> {
    Ok(allocations::table
        .filter(allocations::node_id.eq(node_id))
        .select(AllocationRow::as_select())
        .load(c)?)
}

pub fn all_allocations(c: &mut Conn) -> R<Vec<AllocationRow>> {
    Ok(allocations::table
        .select(AllocationRow::as_select())
        .load(c)?)
}

pub fn allocations_of(c: &mut Conn, consumer_id: &str) -> R<Vec<AllocationRow>> {
    Ok(allocations::table
        .filter(allocations::consumer_id.eq(consumer_id))
        .select(AllocationRow::as_select())
        .load(c)?)
}

pub fn insert_allocation(c: &mut Conn, row: &AllocationRow) -> R<()> {
    diesel::insert_into(allocations::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

/// Frees everything a consumer holds; returns the number of rows removed.
pub fn release(c: &mut Conn, consumer_id: &str) -> R<usize> {
    Ok(
        diesel::delete(allocations::table.filter(allocations::consumer_id.eq(consumer_id)))
            .execute(c)?,
    )
}

pub fn release_on(c: &mut Conn, consumer_id: &str, node_id: &str) -> R<usize> {
    Ok(diesel::delete(allocations::table.find((consumer_id, node_id))).execute(c)?)
}

/// Hands what `from` holds over to `to` (a move's source allocation goes
/// to its migration record, and comes back on revert).
pub fn transfer(c: &mut Conn, from: &str, to: &str) -> R<usize> {
    Ok(
        diesel::update(allocations::table.filter(allocations::consumer_id.eq(from)))
            .set(allocations::consumer_id.eq(to))
            .execute(c)?,
    )
}
