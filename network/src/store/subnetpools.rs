//! Subnet pools.

use super::models::SubnetPoolRow;
use super::schema::subnetpools;
use super::{Conn, R};
use diesel::prelude::*;

super::crud!(subnetpools, SubnetPoolRow);

pub fn visible_to(c: &mut Conn, project_id: &str) -> R<Vec<SubnetPoolRow>> {
    Ok(subnetpools::table
        .filter(
            subnetpools::project_id
                .eq(project_id)
                .or(subnetpools::shared.eq(true)),
        )
        .order(subnetpools::id)
        .select(SubnetPoolRow::as_select())
        .load(c)?)
}

pub fn default_for(c: &mut Conn, ip_version: i32) -> R<Option<SubnetPoolRow>> {
    Ok(subnetpools::table
        .filter(subnetpools::is_default.eq(true))
        .filter(subnetpools::ip_version.eq(ip_version))
        .select(SubnetPoolRow::as_select())
        .first(c)
        .optional()?)
}
