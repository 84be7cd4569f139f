//! Routers.

use super::models::RouterRow;
use super::schema::routers;
use super::{Conn, R};
use diesel::prelude::*;

super::crud!(routers, RouterRow);

pub fn by_gateway_ports(c: &mut Conn, port_ids: &[String]) -> R<Vec<RouterRow>> {
    Ok(routers::table
        .filter(routers::gw_port_id.eq_any(port_ids))
        .select(RouterRow::as_select())
        .load(c)?)
}
