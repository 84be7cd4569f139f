//! Routers.

use super::models::RouterRow;
use super::schema::routers;
use super::{in_chunks, Conn, R};
use diesel::prelude::*;

super::crud!(routers, RouterRow);

pub fn by_gateway_ports(c: &mut Conn, port_ids: &[String]) -> R<Vec<RouterRow>> {
    in_chunks(port_ids, |chunk| {
        Ok(routers::table
            .filter(routers::gw_port_id.eq_any(chunk))
            .select(RouterRow::as_select())
            .load(c)?)
    })
}
