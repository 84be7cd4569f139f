//! Subnets: CIDR and gateway rules, allocation pools, IPv6 modes, CIDRs
//! taken from subnet pools, deletion guarded by allocated addresses.

use crate::attrs::{self, flexible_bool, nullable, Unknown};
use crate::error::{Error, Result};
use crate::ipam::{self, Pool};
use crate::policy::{requested_project, Caller};
use crate::store::models::SubnetRow;
use crate::store::{self, Conn};
use crate::{networks, ports, quotas, subnetpools, Ctx};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

const IPV6_MODES: &[&str] = &["slaac", "dhcpv6-stateful", "dhcpv6-stateless"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostRoute {
    pub destination: String,
    pub nexthop: String,
}

/// A subnet with its lists decoded.
#[derive(Debug, Clone)]
pub struct Subnet {
    pub row: SubnetRow,
    pub allocation_pools: Vec<Pool>,
    pub dns_nameservers: Vec<String>,
    pub host_routes: Vec<HostRoute>,
    pub service_types: Vec<String>,
    pub tags: Vec<String>,
}

impl Subnet {
    pub fn net(&self) -> Option<IpNet> {
        self.row.cidr.parse().ok()
    }

    pub fn pools(&self) -> Vec<ipam::Range> {
        ipam::pools_from_wire(&self.allocation_pools)
    }

    pub fn is_auto_address(&self) -> bool {
        ipam::is_auto_address(self.row.ip_version, self.row.ipv6_address_mode.as_deref())
    }
}

/// The attributes of `POST` and `PUT /v2.0/subnets`.
#[derive(Debug, Default, Deserialize)]
pub struct SubnetRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub network_id: Option<String>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub ip_version: Option<i64>,
    pub cidr: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub gateway_ip: Option<Option<String>>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub enable_dhcp: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub ipv6_ra_mode: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub ipv6_address_mode: Option<Option<String>>,
    pub allocation_pools: Option<Vec<Pool>>,
    pub dns_nameservers: Option<Vec<String>>,
    pub host_routes: Option<Vec<HostRoute>>,
    pub service_types: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub subnetpool_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub use_default_subnetpool: Option<bool>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub prefixlen: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    pub segment_id: Option<Option<String>>,
    pub project_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

fn decode(row: SubnetRow, tags: Vec<String>) -> Subnet {
    Subnet {
        allocation_pools: serde_json::from_str(&row.allocation_pools).unwrap_or_default(),
        dns_nameservers: serde_json::from_str(&row.dns_nameservers).unwrap_or_default(),
        host_routes: serde_json::from_str(&row.host_routes).unwrap_or_default(),
        service_types: serde_json::from_str(&row.service_types).unwrap_or_default(),
        tags,
        row,
    }
}

pub fn expand(c: &mut Conn, rows: Vec<SubnetRow>) -> Result<Vec<Subnet>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut tags = store::tags::of(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let t = tags.remove(&row.id).unwrap_or_default();
            decode(row, t)
        })
        .collect())
}

/// A network's subnets, decoded, oldest first.
pub fn of_network(c: &mut Conn, network_id: &str) -> Result<Vec<Subnet>> {
    let rows = store::subnets::of_network(c, network_id)?;
    Ok(rows.into_iter().map(|r| decode(r, Vec::new())).collect())
}

/// A subnet the caller may see: its own, or on a network it owns or that
/// is shared. (Subnets of external networks stay hidden from other
/// projects, as neutron without `subnet-external-network`.)
pub fn visible(c: &mut Conn, caller: &Caller, id: &str) -> Result<SubnetRow> {
    let row = store::subnets::get(c, id)?.ok_or_else(|| Error::subnet_not_found(id))?;
    if caller.owns(&row.project_id) {
        return Ok(row);
    }
    match store::networks::get(c, &row.network_id)? {
        Some(n) if caller.owns(&n.project_id) || n.shared => Ok(row),
        _ => Err(Error::subnet_not_found(id)),
    }
}

pub fn list(c: &mut Conn, caller: &Caller) -> Result<Vec<Subnet>> {
    let rows = if caller.is_admin {
        store::subnets::all(c)?
    } else {
        let networks: Vec<String> = networks::list(c, caller)?
            .into_iter()
            .filter(|n| n.row.shared || caller.owns(&n.row.project_id))
            .map(|n| n.row.id)
            .collect();
        let mut rows = store::subnets::of_networks(c, &networks)?;
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        rows
    };
    expand(c, rows)
}

pub fn show(c: &mut Conn, caller: &Caller, id: &str) -> Result<Subnet> {
    let row = visible(c, caller, id)?;
    Ok(expand(c, vec![row])?.remove(0))
}

fn check_ipv6_modes(
    version: i32,
    ra: Option<&str>,
    address: Option<&str>,
    net: &IpNet,
) -> Result<()> {
    for mode in [ra, address].into_iter().flatten() {
        if !IPV6_MODES.contains(&mode) {
            return Err(Error::invalid_attr(
                "ipv6_address_mode",
                format!("'{mode}' is not in {IPV6_MODES:?}"),
            ));
        }
        if version != 6 {
            return Err(Error::invalid(
                "ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or ip_version is 4",
            ));
        }
    }
    if let (Some(ra), Some(address)) = (ra, address) {
        if ra != address {
            return Err(Error::invalid(format!(
                "ipv6_ra_mode set to '{ra}' with ipv6_address_mode set to '{address}' is not valid. If both attributes are set, they must be the same value"
            )));
        }
    }
    if ipam::is_auto_address(version, address) && net.prefix_len() != 64 {
        return Err(Error::invalid(format!(
            "Invalid CIDR {net} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64"
        )));
    }
    Ok(())
}

fn check_gateway(net: &IpNet, gateway: Option<IpAddr>) -> Result<()> {
    let Some(gw) = gateway else { return Ok(()) };
    if ipam::version_of(&gw) != ipam::version_of(&net.addr()) {
        return Err(Error::invalid_attr(
            "gateway_ip",
            format!("'{gw}' is not of the subnet's IP version"),
        ));
    }
    let r = ipam::bounds(net);
    let g = ipam::to_u128(gw);
    let v4_edge = net.addr().is_ipv4() && net.prefix_len() < 31 && (g == r.start || g == r.end);
    if v4_edge || (net.addr().is_ipv6() && g == r.start && net.prefix_len() < 127) {
        return Err(Error::invalid(format!(
            "Gateway is not valid on subnet: {gw}"
        )));
    }
    Ok(())
}

fn check_dns(servers: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in servers {
        let ip = ipam::parse_ip("dns_nameservers", s)?.to_string();
        if out.contains(&ip) {
            return Err(Error::invalid_attr(
                "dns_nameservers",
                format!("Duplicate nameserver '{s}'"),
            ));
        }
        out.push(ip);
    }
    Ok(out)
}

fn check_routes(version: i32, routes: &[HostRoute]) -> Result<Vec<HostRoute>> {
    let mut out: Vec<HostRoute> = Vec::new();
    for r in routes {
        let dest: IpNet = r.destination.parse().map_err(|_| {
            Error::invalid_attr(
                "host_routes",
                format!("'{}' is not a valid IP subnet", r.destination),
            )
        })?;
        let hop = ipam::parse_ip("host_routes", &r.nexthop)?;
        if ipam::version_of(&dest.addr()) != version || ipam::version_of(&hop) != version {
            return Err(Error::invalid(format!(
                "Host route {}->{} does not match the subnet's IP version",
                r.destination, r.nexthop
            )));
        }
        let route = HostRoute {
            destination: dest.trunc().to_string(),
            nexthop: hop.to_string(),
        };
        if out.contains(&route) {
            return Err(Error::invalid_attr("host_routes", "Duplicate hostroute"));
        }
        out.push(route);
    }
    Ok(out)
}

/// The CIDR of a new subnet: given, or carved out of a subnet pool.
fn choose_cidr(
    c: &mut Conn,
    ctx: &Ctx,
    req: &SubnetRequest,
    version: Option<i32>,
) -> Result<(IpNet, Option<String>)> {
    let mut pool_id = req.subnetpool_id.clone().flatten();
    if pool_id.is_none() && req.use_default_subnetpool == Some(true) {
        let v = version.unwrap_or(4);
        let pool = store::subnetpools::default_for(c, v)?
            .ok_or_else(|| Error::bad_request(format!("No default subnetpool found for IPv{v}")))?;
        pool_id = Some(pool.id);
    }
    match (&req.cidr, pool_id) {
        (Some(cidr), pool) => {
            let net = ipam::parse_cidr(cidr, version)?;
            if let Some(pool) = &pool {
                subnetpools::check_cidr_in_pool(c, ctx.caller, pool, &net)?;
            }
            Ok((net, pool))
        }
        (None, Some(pool)) => {
            let net = subnetpools::allocate(c, ctx.caller, &pool, req.prefixlen)?;
            if version.is_some_and(|v| v != ipam::version_of(&net.addr())) {
                return Err(Error::invalid("Cidr and ip_version are inconsistent"));
            }
            Ok((net, Some(pool)))
        }
        (None, None) => Err(Error::bad_request(
            "a cidr must be provided in the absence of a subnet pool",
        )),
    }
}

fn check_overlap(c: &mut Conn, network_id: &str, net: &IpNet, except: Option<&str>) -> Result<()> {
    for other in store::subnets::of_network(c, network_id)? {
        if Some(other.id.as_str()) == except {
            continue;
        }
        let Ok(o) = other.cidr.parse::<IpNet>() else {
            continue;
        };
        if o.contains(&net.network()) || net.contains(&o.network()) {
            return Err(Error::invalid(format!(
                "Requested subnet with cidr: {net} for network: {network_id} overlaps with another subnet"
            )));
        }
    }
    Ok(())
}

pub fn create(c: &mut Conn, ctx: &Ctx, req: SubnetRequest) -> Result<Subnet> {
    attrs::refuse_unknown(&req.unknown)?;
    let network_id = req.network_id.clone().ok_or_else(|| {
        Error::bad_request("Failed to parse request. Required attribute 'network_id' not specified")
    })?;
    let network = networks::visible(c, ctx.caller, &network_id)?;
    if !ctx.caller.owns(&network.project_id) {
        return Err(Error::policy("create_subnet"));
    }
    let version = match req.ip_version {
        None => None,
        Some(v @ (4 | 6)) => Some(v as i32),
        Some(v) => {
            return Err(Error::invalid_attr(
                "ip_version",
                format!("'{v}' is not in [4, 6]"),
            ))
        }
    };
    let (net, subnetpool_id) = choose_cidr(c, ctx, &req, version)?;
    let version = ipam::version_of(&net.addr());
    let project = ctx.caller.owner_for_create(requested_project(
        req.project_id.clone(),
        req.tenant_id.clone(),
    )?)?;
    quotas::check(c, ctx.conf, &project, "subnet", 1)?;
    let ra = req.ipv6_ra_mode.clone().flatten();
    let address_mode = req.ipv6_address_mode.clone().flatten();
    check_ipv6_modes(version, ra.as_deref(), address_mode.as_deref(), &net)?;
    let gateway = match &req.gateway_ip {
        None => ipam::default_gateway(&net),
        Some(None) => None,
        Some(Some(text)) => Some(ipam::parse_ip("gateway_ip", text)?),
    };
    check_gateway(&net, gateway)?;
    check_overlap(c, &network_id, &net, None)?;
    let pools = match &req.allocation_pools {
        Some(p) => ipam::validate_pools(&net, p, gateway)?,
        None => ipam::default_pools(&net, gateway),
    };
    let dns = check_dns(req.dns_nameservers.as_deref().unwrap_or_default())?;
    let routes = check_routes(version, req.host_routes.as_deref().unwrap_or_default())?;
    let now = compat_api::time::now_us();
    let row = SubnetRow {
        id: uuid::Uuid::new_v4().to_string(),
        network_id,
        project_id: project,
        name: attrs::text("name", req.name)?.unwrap_or_default(),
        description: attrs::text("description", req.description)?.unwrap_or_default(),
        ip_version: version,
        cidr: net.to_string(),
        gateway_ip: gateway.map(|g| g.to_string()),
        enable_dhcp: req.enable_dhcp.unwrap_or(true),
        ipv6_ra_mode: ra,
        ipv6_address_mode: address_mode,
        subnetpool_id,
        allocation_pools: json(&ipam::pools_to_wire(&pools, version)),
        dns_nameservers: json(&dns),
        host_routes: json(&routes),
        service_types: json(&req.service_types.unwrap_or_default()),
        revision_number: 1,
        created_at: now,
        updated_at: now,
    };
    store::subnets::insert(c, &row)?;
    let subnet = decode(row, Vec::new());
    if subnet.is_auto_address() {
        ports::add_auto_addresses(c, &subnet)?;
    }
    Ok(subnet)
}

pub fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

pub fn update(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: SubnetRequest,
    if_match: Option<i64>,
) -> Result<Subnet> {
    attrs::refuse_unknown(&req.unknown)?;
    for (attr, given) in [
        ("network_id", req.network_id.is_some()),
        ("cidr", req.cidr.is_some()),
        ("ip_version", req.ip_version.is_some()),
        (
            "project_id",
            req.project_id.is_some() || req.tenant_id.is_some(),
        ),
        ("subnetpool_id", req.subnetpool_id.is_some()),
        ("prefixlen", req.prefixlen.is_some()),
        ("ipv6_ra_mode", req.ipv6_ra_mode.is_some()),
        ("ipv6_address_mode", req.ipv6_address_mode.is_some()),
    ] {
        attrs::refuse_read_only(attr, given)?;
    }
    let row = visible(c, ctx.caller, id)?;
    let network = store::networks::get(c, &row.network_id)?
        .ok_or_else(|| Error::network_not_found(&row.network_id))?;
    if !ctx.caller.owns(&row.project_id) && !ctx.caller.owns(&network.project_id) {
        return Err(Error::policy("update_subnet"));
    }
    attrs::check_revision(if_match, row.revision_number)?;
    let mut subnet = decode(row, Vec::new());
    let net: IpNet = subnet
        .row
        .cidr
        .parse()
        .map_err(|_| Error::invalid("stored cidr is invalid"))?;
    if let Some(name) = attrs::text("name", req.name)? {
        subnet.row.name = name;
    }
    if let Some(d) = attrs::text("description", req.description)? {
        subnet.row.description = d;
    }
    if let Some(v) = req.enable_dhcp {
        subnet.row.enable_dhcp = v;
    }
    let gateway = match &req.gateway_ip {
        None => subnet
            .row
            .gateway_ip
            .as_deref()
            .and_then(|g| g.parse().ok()),
        Some(None) => None,
        Some(Some(text)) => Some(ipam::parse_ip("gateway_ip", text)?),
    };
    if req.gateway_ip.is_some() {
        check_gateway(&net, gateway)?;
    }
    let pools = req
        .allocation_pools
        .clone()
        .unwrap_or_else(|| subnet.allocation_pools.clone());
    if req.allocation_pools.is_some() || req.gateway_ip.is_some() {
        let ranges = ipam::validate_pools(&net, &pools, gateway)?;
        subnet.allocation_pools = ipam::pools_to_wire(&ranges, subnet.row.ip_version);
    }
    subnet.row.gateway_ip = gateway.map(|g| g.to_string());
    if let Some(dns) = &req.dns_nameservers {
        subnet.dns_nameservers = check_dns(dns)?;
    }
    if let Some(routes) = &req.host_routes {
        subnet.host_routes = check_routes(subnet.row.ip_version, routes)?;
    }
    if let Some(types) = req.service_types {
        subnet.service_types = types;
    }
    subnet.row.allocation_pools = json(&subnet.allocation_pools);
    subnet.row.dns_nameservers = json(&subnet.dns_nameservers);
    subnet.row.host_routes = json(&subnet.host_routes);
    subnet.row.service_types = json(&subnet.service_types);
    attrs::touch(&mut subnet.row.revision_number, &mut subnet.row.updated_at);
    store::subnets::update(c, &subnet.row)?;
    subnet.tags = store::tags::of_one(c, id)?;
    Ok(subnet)
}

/// Deletes a subnet. Addresses of auto-address (SLAAC) subnets and of
/// DHCP ports go with it; any other allocation makes it `SubnetInUse`.
pub fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<()> {
    let row = visible(c, ctx.caller, id)?;
    let network = store::networks::get(c, &row.network_id)?
        .ok_or_else(|| Error::network_not_found(&row.network_id))?;
    if !ctx.caller.owns(&row.project_id) && !ctx.caller.owns(&network.project_id) {
        return Err(Error::policy("delete_subnet"));
    }
    let subnet = decode(row, Vec::new());
    let holders = store::ports::ports_in_subnet(c, id)?;
    let ports = store::ports::by_ids(c, &holders)?;
    let blocking = ports.iter().any(|p| {
        p.device_owner != "network:dhcp"
            && (!subnet.is_auto_address() || p.device_owner.starts_with("network:router_interface"))
    });
    if blocking {
        return Err(Error::conflict(
            "SubnetInUse",
            format!(
                "Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet."
            ),
        ));
    }
    for port in &ports {
        for ip in store::ports::ips_of_port(c, &port.id)? {
            if ip.subnet_id == id {
                store::ports::release(c, id, &ip.ip_address)?;
            }
        }
    }
    store::subnets::delete(c, id)?;
    ctx.ipam.forget(id);
    Ok(())
}
