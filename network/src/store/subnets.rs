//! Subnets.

use super::models::SubnetRow;
use super::schema::subnets;
use super::{Conn, R};
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
    Ok(subnets::table
        .filter(subnets::network_id.eq_any(network_ids))
        .order((subnets::created_at, subnets::id))
        .select(SubnetRow::as_select())
        .load(c)?)
}

pub fn by_ids(c: &mut Conn, ids: &[String]) -> R<Vec<SubnetRow>> {
    Ok(subnets::table
        .filter(subnets::id.eq_any(ids))
        .select(SubnetRow::as_select())
        .load(c)?)
}

pub fn of_subnetpool(c: &mut Conn, pool_id: &str) -> R<Vec<SubnetRow>> {
    Ok(subnets::table
        .filter(subnets::subnetpool_id.eq(pool_id))
        .select(SubnetRow::as_select())
        .load(c)?)
}
