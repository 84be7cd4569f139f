//! Networks.

use super::models::NetworkRow;
use super::schema::networks;
use super::{in_chunks, Conn, R};
use diesel::prelude::*;

super::crud!(networks, NetworkRow);

/// What a project sees: its own, shared and external networks.
pub fn visible_to(c: &mut Conn, project_id: &str) -> R<Vec<NetworkRow>> {
    Ok(networks::table
        .filter(
            networks::project_id
                .eq(project_id)
                .or(networks::shared.eq(true))
                .or(networks::external.eq(true)),
        )
        .order(networks::id)
        .select(NetworkRow::as_select())
        .load(c)?)
}

pub fn external(c: &mut Conn) -> R<Vec<NetworkRow>> {
    Ok(networks::table
        .filter(networks::external.eq(true))
        .order(networks::id)
        .select(NetworkRow::as_select())
        .load(c)?)
}

pub fn by_ids(c: &mut Conn, ids: &[String]) -> R<Vec<NetworkRow>> {
    in_chunks(ids, |chunk| {
        Ok(networks::table
            .filter(networks::id.eq_any(chunk))
            .select(NetworkRow::as_select())
            .load(c)?)
    })
}

/// The segmentation ids in use for a network type.
pub fn segmentation_ids(c: &mut Conn, network_type: &str) -> R<Vec<i32>> {
    Ok(networks::table
        .filter(networks::network_type.eq(network_type))
        .filter(networks::segmentation_id.is_not_null())
        .select(networks::segmentation_id.assume_not_null())
        .load(c)?)
}
