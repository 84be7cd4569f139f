//! Rows as stored. The domain works on these; `api/views.rs` renders them.

use super::schema::*;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = networks, treat_none_as_null = true)]
pub struct NetworkRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub admin_state_up: bool,
    pub status: String,
    pub shared: bool,
    /// `router:external`
    pub external: bool,
    pub is_default: bool,
    pub mtu: i32,
    pub port_security_enabled: bool,
    pub network_type: String,
    pub physical_network: Option<String>,
    pub segmentation_id: Option<i32>,
    pub dns_domain: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = subnets, treat_none_as_null = true)]
pub struct SubnetRow {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub ip_version: i32,
    pub cidr: String,
    pub gateway_ip: Option<String>,
    pub enable_dhcp: bool,
    pub ipv6_ra_mode: Option<String>,
    pub ipv6_address_mode: Option<String>,
    pub subnetpool_id: Option<String>,
    /// JSON `[{"start", "end"}]`
    pub allocation_pools: String,
    /// JSON `["8.8.8.8"]`
    pub dns_nameservers: String,
    /// JSON `[{"destination", "nexthop"}]`
    pub host_routes: String,
    /// JSON `["compute:nova"]`
    pub service_types: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = ports, treat_none_as_null = true)]
pub struct PortRow {
    pub id: String,
    pub network_id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub mac_address: String,
    pub admin_state_up: bool,
    pub status: String,
    pub device_id: String,
    pub device_owner: String,
    pub port_security_enabled: bool,
    pub binding_host_id: String,
    pub binding_vnic_type: String,
    /// JSON object
    pub binding_profile: String,
    pub binding_vif_type: String,
    /// JSON object
    pub binding_vif_details: String,
    /// JSON `[{"ip_address", "mac_address"}]`
    pub allowed_address_pairs: String,
    /// JSON `[{"opt_name", "opt_value", "ip_version"}]`
    pub extra_dhcp_opts: String,
    pub dns_name: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Queryable, Selectable, Insertable)]
#[diesel(table_name = ip_allocations)]
pub struct IpAllocationRow {
    pub subnet_id: String,
    pub ip_address: String,
    pub network_id: String,
    pub port_id: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = security_groups, treat_none_as_null = true)]
pub struct SecurityGroupRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub stateful: bool,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = security_group_rules, treat_none_as_null = true)]
pub struct SecurityGroupRuleRow {
    pub id: String,
    pub security_group_id: String,
    pub project_id: String,
    pub direction: String,
    pub ethertype: String,
    pub protocol: Option<String>,
    pub port_range_min: Option<i32>,
    pub port_range_max: Option<i32>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub description: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = routers, treat_none_as_null = true)]
pub struct RouterRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub admin_state_up: bool,
    pub status: String,
    /// The port on the external network (`external_gateway_info`).
    pub gw_port_id: Option<String>,
    pub enable_snat: bool,
    /// JSON `[{"destination", "nexthop"}]` (extraroute)
    pub routes: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = floating_ips, treat_none_as_null = true)]
pub struct FloatingIpRow {
    pub id: String,
    pub project_id: String,
    pub floating_network_id: String,
    pub floating_ip_address: String,
    /// The port on the external network that holds the address.
    pub floating_port_id: String,
    pub fixed_port_id: Option<String>,
    pub fixed_ip_address: Option<String>,
    pub router_id: Option<String>,
    pub status: String,
    pub description: String,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = subnetpools, treat_none_as_null = true)]
pub struct SubnetPoolRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub ip_version: i32,
    /// JSON `["10.0.0.0/8"]`
    pub prefixes: String,
    pub default_prefixlen: i32,
    pub min_prefixlen: i32,
    pub max_prefixlen: i32,
    pub shared: bool,
    pub is_default: bool,
    pub default_quota: Option<i32>,
    pub address_scope_id: Option<String>,
    pub revision_number: i64,
    pub created_at: i64,
    pub updated_at: i64,
}
