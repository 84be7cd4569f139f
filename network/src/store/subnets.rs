//! Subnets.

use super::models::SubnetRow;
use super::schema::subnets;
use super::{in_chunks, Conn, R};
use diesel::prelude::*;

super::crud!(subnets, SubnetRow);

/// A network's subnets, oldest first (the order IPAM tries them in).
pub fn of_network(c: &mut Conn, network_id: &str) -> R<Vec<SubnetRow>> {
    Ok(subnets::table
        .filter(subnets::network_id.eq(network_id))
        .order((subnets::created_at, subnets::id))
        .select(SubnetRow::as_select())
        .load(c)?)
}

pub fn of_networks(c: &mut Conn, network_ids: &[String]) -> R<Vec<SubnetRow>> {
    in_chunks(network_ids, |chunk| {
        Ok(subnets::table
            .filter(subnets::network_id.eq_any(chunk))
            .order((subnets::created_at, subnets::id))
            .select(SubnetRow::as_select())
            .load(c)?)
    })
}

pub fn by_ids(c: &mut Conn, ids: &[String]) -> R<Vec<SubnetRow>> {
    in_chunks(ids, |chunk| {
        Ok(subnets::table
            .filter(subnets::id.eq_any(chunk))
            .select(SubnetRow::as_select())
            .load(c)?)
    })
}

pub fn of_subnetpool(c: &mut Conn, pool_id: &str) -> R<Vec<SubnetRow>> {
    Ok(subnets::table
        .filter(subnets::subnetpool_id.eq(pool_id))
        .select(SubnetRow::as_select())
        .load(c)?)
}
