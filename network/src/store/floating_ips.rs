//! Floating IPs.

use super::models::FloatingIpRow;
use super::schema::floating_ips;
use super::{Conn, R};
use diesel::prelude::*;

super::crud!(floating_ips, FloatingIpRow);

pub fn of_fixed_port(c: &mut Conn, port_id: &str) -> R<Vec<FloatingIpRow>> {
    Ok(floating_ips::table
        .filter(floating_ips::fixed_port_id.eq(port_id))
        .select(FloatingIpRow::as_select())
        .load(c)?)
}

pub fn of_router(c: &mut Conn, router_id: &str) -> R<Vec<FloatingIpRow>> {
    Ok(floating_ips::table
        .filter(floating_ips::router_id.eq(router_id))
        .select(FloatingIpRow::as_select())
        .load(c)?)
}
