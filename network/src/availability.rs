//! `network-ip-availability`: addresses in use and in total, per network
//! and per subnet.

use crate::error::Result;
use crate::ipam;
use crate::store::models::NetworkRow;
use crate::store::{self, Conn};
use crate::subnets;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SubnetAvailability {
    pub subnet_id: String,
    pub subnet_name: String,
    pub cidr: String,
    pub ip_version: i32,
    pub total_ips: u128,
    pub used_ips: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkAvailability {
    pub network_id: String,
    pub network_name: String,
    pub project_id: String,
    pub tenant_id: String,
    pub total_ips: u128,
    pub used_ips: i64,
    pub subnet_ip_availability: Vec<SubnetAvailability>,
}

pub fn of(c: &mut Conn, network: &NetworkRow) -> Result<NetworkAvailability> {
    let subnets = subnets::of_network(c, &network.id)?;
    let ids: Vec<String> = subnets.iter().map(|s| s.row.id.clone()).collect();
    let used = store::ports::count_in_subnets(c, &ids)?;
    let per_subnet: Vec<SubnetAvailability> = subnets
        .iter()
        .map(|s| SubnetAvailability {
            subnet_id: s.row.id.clone(),
            subnet_name: s.row.name.clone(),
            cidr: s.row.cidr.clone(),
            ip_version: s.row.ip_version,
            total_ips: ipam::size(&s.pools()),
            used_ips: used.get(&s.row.id).copied().unwrap_or(0),
        })
        .collect();
    Ok(NetworkAvailability {
        network_id: network.id.clone(),
        network_name: network.name.clone(),
        project_id: network.project_id.clone(),
        tenant_id: network.project_id.clone(),
        total_ips: per_subnet.iter().map(|s| s.total_ips).sum(),
        used_ips: per_subnet.iter().map(|s| s.used_ips).sum(),
        subnet_ip_availability: per_subnet,
    })
}

/// Every network, for admins (the extension's default policy).
pub fn list(c: &mut Conn) -> Result<Vec<NetworkAvailability>> {
    store::networks::all(c)?.iter().map(|n| of(c, n)).collect()
}
