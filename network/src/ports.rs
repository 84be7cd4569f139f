//! Ports: IPAM (fixed IPs by subnet or address, SLAAC addresses), MAC
//! generation, security groups, address pairs, DHCP options and bindings.
//!
//! Addresses are claimed by inserting into `ip_allocations`, whose primary
//! key (subnet, address) makes a second claim of one address fail on every
//! backend; a per-process hint of the next free address per subnet keeps
//! the common case to one insert. Everything a port create or update does
//! runs in the caller's transaction, so a failure leaves nothing behind.

use crate::attrs::{self, flexible_bool, Unknown};
use crate::error::{Error, Result};
use crate::ipam;
use crate::policy::{requested_project, Caller};
use crate::store::models::{IpAllocationRow, NetworkRow, PortRow};
use crate::store::{self, Conn};
use crate::subnets::{self, json, Subnet};
use crate::{networks, quotas, security_groups, Ctx};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

pub const ROUTER_INTERFACE: &str = "network:router_interface";
pub const ROUTER_GATEWAY: &str = "network:router_gateway";
pub const FLOATING_IP: &str = "network:floatingip";

/// Owners whose ports only their service may delete.
const SERVICE_OWNERS: &[&str] = &[ROUTER_INTERFACE, ROUTER_GATEWAY, FLOATING_IP];

/// The next address to try per subnet, in this process.
#[derive(Default)]
pub struct IpamHints(Mutex<HashMap<String, u128>>);

impl IpamHints {
    /// The next candidate of a subnet, advancing the hint: concurrent
    /// allocations in this process try different addresses.
    fn take(&self, subnet: &str, pools: &[ipam::Range], start: u128) -> Option<u128> {
        let mut hints = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let from = hints.get(subnet).copied().unwrap_or(start);
        let value = ipam::next_in_pools(pools, from)?;
        hints.insert(subnet.to_owned(), value.wrapping_add(1));
        Some(value)
    }

    fn set(&self, subnet: &str, next: u128) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(subnet.to_owned(), next);
    }

    /// A deleted subnet's hint.
    pub fn forget(&self, subnet: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(subnet);
    }
}

/// Room, beyond the addresses known in use, for addresses other
/// transactions are claiming but have not committed yet.
const CLAIMS_IN_FLIGHT: u128 = 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixedIp {
    pub subnet_id: String,
    pub ip_address: String,
}

/// A `fixed_ips` entry as requested.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FixedIpRequest {
    pub subnet_id: Option<String>,
    pub ip_address: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressPair {
    pub ip_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DhcpOpt {
    pub opt_name: String,
    pub opt_value: Option<String>,
    #[serde(default = "four")]
    pub ip_version: i64,
}

fn four() -> i64 {
    4
}

/// A port with its addresses and lists decoded.
#[derive(Debug, Clone)]
pub struct Port {
    pub row: PortRow,
    pub fixed_ips: Vec<FixedIp>,
    pub security_groups: Vec<String>,
    pub allowed_address_pairs: Vec<AddressPair>,
    pub extra_dhcp_opts: Vec<DhcpOpt>,
    pub binding_profile: Value,
    pub binding_vif_details: Value,
    pub tags: Vec<String>,
}

/// The attributes of `POST` and `PUT /v2.0/ports`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PortRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub network_id: Option<String>,
    pub mac_address: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub admin_state_up: Option<bool>,
    pub device_id: Option<String>,
    pub device_owner: Option<String>,
    pub fixed_ips: Option<Vec<FixedIpRequest>>,
    pub security_groups: Option<Vec<String>>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub port_security_enabled: Option<bool>,
    pub allowed_address_pairs: Option<Vec<AddressPair>>,
    pub extra_dhcp_opts: Option<Vec<DhcpOpt>>,
    #[serde(rename = "binding:host_id")]
    pub binding_host_id: Option<String>,
    #[serde(rename = "binding:vnic_type")]
    pub binding_vnic_type: Option<String>,
    #[serde(rename = "binding:profile")]
    pub binding_profile: Option<Value>,
    pub project_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

const VNIC_TYPES: &[&str] = &[
    "normal",
    "direct",
    "macvtap",
    "baremetal",
    "direct-physical",
    "virtio-forwarder",
    "smart-nic",
    "vdpa",
    "remote-managed",
];

fn decode(
    row: PortRow,
    fixed_ips: Vec<FixedIp>,
    security_groups: Vec<String>,
    tags: Vec<String>,
) -> Port {
    Port {
        allowed_address_pairs: serde_json::from_str(&row.allowed_address_pairs).unwrap_or_default(),
        extra_dhcp_opts: serde_json::from_str(&row.extra_dhcp_opts).unwrap_or_default(),
        binding_profile: serde_json::from_str(&row.binding_profile).unwrap_or(Value::Null),
        binding_vif_details: serde_json::from_str(&row.binding_vif_details).unwrap_or(Value::Null),
        fixed_ips,
        security_groups,
        tags,
        row,
    }
}

fn sort_ips(ips: Vec<IpAllocationRow>, subnet_order: &HashMap<String, usize>) -> Vec<FixedIp> {
    let mut ips = ips;
    ips.sort_by_key(|a| {
        (
            subnet_order
                .get(&a.subnet_id)
                .copied()
                .unwrap_or(usize::MAX),
            a.ip_address.clone(),
        )
    });
    ips.into_iter()
        .map(|a| FixedIp {
            subnet_id: a.subnet_id,
            ip_address: a.ip_address,
        })
        .collect()
}

pub fn expand(c: &mut Conn, rows: Vec<PortRow>) -> Result<Vec<Port>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut ips = store::ports::ips_of(c, &ids)?;
    let mut groups = store::ports::security_groups_of(c, &ids)?;
    let mut tags = store::tags::of(c, &ids)?;
    let subnet_ids: Vec<String> = ips
        .values()
        .flatten()
        .map(|a| a.subnet_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Addresses in the order their subnets were created, as neutron lists them.
    let mut subnet_rows = store::subnets::by_ids(c, &subnet_ids)?;
    subnet_rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let order: HashMap<String, usize> = subnet_rows
        .into_iter()
        .enumerate()
        .map(|(i, s)| (s.id, i))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let fixed = sort_ips(ips.remove(&row.id).unwrap_or_default(), &order);
            let sgs = groups.remove(&row.id).unwrap_or_default();
            let t = tags.remove(&row.id).unwrap_or_default();
            decode(row, fixed, sgs, t)
        })
        .collect())
}

/// A port the caller may see (its own, or on its network), or 404.
pub fn visible(c: &mut Conn, caller: &Caller, id: &str) -> Result<PortRow> {
    let row = store::ports::get(c, id)?.ok_or_else(|| Error::port_not_found(id))?;
    if caller.owns(&row.project_id) {
        return Ok(row);
    }
    match store::networks::get(c, &row.network_id)? {
        Some(n) if caller.owns(&n.project_id) => Ok(row),
        _ => Err(Error::port_not_found(id)),
    }
}

pub fn list(c: &mut Conn, caller: &Caller) -> Result<Vec<Port>> {
    let rows = caller.scoped(c, store::ports::all, |c, p| {
        let own: Vec<String> = store::networks::of_project(c, p)?
            .into_iter()
            .map(|n| n.id)
            .collect();
        store::ports::visible_to(c, p, &own)
    })?;
    expand(c, rows)
}

/// One page of every port in id order, for an admin listing without filters.
pub fn page(c: &mut Conn, after: Option<&str>, limit: usize) -> Result<Vec<Port>> {
    let rows = store::ports::page(c, after, limit as i64)?;
    expand(c, rows)
}

pub fn show(c: &mut Conn, caller: &Caller, id: &str) -> Result<Port> {
    let row = visible(c, caller, id)?;
    Ok(expand(c, vec![row])?.remove(0))
}

fn random_mac(base: [u8; 6]) -> String {
    let mut bytes = [0u8; 6];
    let rng = ring::rand::SystemRandom::new();
    let _ = ring::rand::SecureRandom::fill(&rng, &mut bytes);
    let mac: Vec<String> = base
        .iter()
        .zip(bytes)
        .enumerate()
        .map(|(i, (b, r))| if i < 3 || *b != 0 { *b } else { r })
        .map(|b| format!("{b:02x}"))
        .collect();
    mac.join(":")
}

fn mac_bytes(mac: &str) -> [u8; 6] {
    crate::config::parse_mac(mac).unwrap_or_default()
}

fn choose_mac(
    c: &mut Conn,
    ctx: &Ctx,
    network_id: &str,
    requested: Option<&str>,
) -> Result<String> {
    if let Some(mac) = requested {
        let bytes = crate::config::parse_mac(mac)
            .filter(|b| b[0] & 1 == 0 && *b != [0; 6])
            .ok_or_else(|| {
                Error::invalid_attr("mac_address", format!("'{mac}' is not a valid MAC address"))
            })?;
        let text = bytes.map(|b| format!("{b:02x}")).join(":");
        if store::ports::mac_in_use(c, network_id, &text)? {
            return Err(Error::conflict(
                "MacAddressInUse",
                format!("Unable to complete operation for network {network_id}. The mac address {text} is in use."),
            ));
        }
        return Ok(text);
    }
    for _ in 0..16 {
        let mac = random_mac(ctx.conf.base_mac);
        if !store::ports::mac_in_use(c, network_id, &mac)? {
            return Ok(mac);
        }
    }
    Err(Error::conflict(
        "MacAddressGenerationFailure",
        format!("Unable to generate unique mac on network {network_id}."),
    ))
}

fn exhausted(network_id: &str) -> Error {
    Error::conflict(
        "IpAddressGenerationFailure",
        format!("No more IP addresses available on network {network_id}."),
    )
}

/// Claims the next free address of a subnet's pools, or None when full.
fn allocate_any(
    c: &mut Conn,
    hints: &IpamHints,
    subnet: &Subnet,
    port_id: &str,
) -> Result<Option<String>> {
    let pools = subnet.pools();
    let Some(first) = pools.first() else {
        return Ok(None);
    };
    let version = subnet.row.ip_version;
    let claim = |c: &mut Conn, value: u128| -> Result<Option<String>> {
        let ip = ipam::from_u128(value, version).to_string();
        let row = IpAllocationRow {
            subnet_id: subnet.row.id.clone(),
            ip_address: ip.clone(),
            network_id: subnet.row.network_id.clone(),
            port_id: port_id.to_owned(),
        };
        if store::ports::try_allocate(c, &row)? {
            return Ok(Some(ip));
        }
        Ok(None)
    };
    // Fast path: the hint is usually free.
    for _ in 0..8 {
        let Some(value) = hints.take(&subnet.row.id, &pools, first.start) else {
            break;
        };
        if let Some(ip) = claim(c, value)? {
            return Ok(Some(ip));
        }
    }
    // Slow path: walk the pools once, skipping every address in use.
    let used: HashSet<u128> = store::ports::allocated_in(c, &subnet.row.id)?
        .iter()
        .filter_map(|ip| ip.parse().ok())
        .map(ipam::to_u128)
        .collect();
    let steps = ipam::size(&pools).min(used.len() as u128 + 1 + CLAIMS_IN_FLIGHT);
    let mut value = hints
        .take(&subnet.row.id, &pools, first.start)
        .unwrap_or(first.start);
    for _ in 0..steps {
        if !used.contains(&value) {
            if let Some(ip) = claim(c, value)? {
                // Past the run of used addresses just walked.
                hints.set(&subnet.row.id, value.wrapping_add(1));
                return Ok(Some(ip));
            }
        }
        match ipam::next_in_pools(&pools, value.wrapping_add(1)) {
            Some(v) => value = v,
            None => break,
        }
    }
    Ok(None)
}

fn claim_exact(c: &mut Conn, subnet: &Subnet, ip: &str, port_id: &str) -> Result<()> {
    let row = IpAllocationRow {
        subnet_id: subnet.row.id.clone(),
        ip_address: ip.to_owned(),
        network_id: subnet.row.network_id.clone(),
        port_id: port_id.to_owned(),
    };
    if store::ports::try_allocate(c, &row)? {
        return Ok(());
    }
    Err(Error::conflict(
        "IpAddressAlreadyAllocated",
        format!(
            "IP address {ip} already allocated in subnet {}",
            subnet.row.id
        ),
    ))
}

fn slaac_address(subnet: &Subnet, mac: &str) -> Option<String> {
    ipam::eui64(&subnet.net()?, mac_bytes(mac)).map(|a| a.to_string())
}

/// What a port is to be given: its network's subnets and the request.
struct Allocation<'a> {
    network_id: &'a str,
    port_id: &'a str,
    mac: &'a str,
    is_router: bool,
    subnets: &'a [Subnet],
}

impl Allocation<'_> {
    /// No `fixed_ips` given: one IPv4 address from the first subnet with
    /// room, one from the first stateful IPv6 subnet with room, and the
    /// SLAAC address of every auto-address subnet.
    fn defaults(&self, c: &mut Conn, hints: &IpamHints) -> Result<Vec<FixedIp>> {
        let mut out = Vec::new();
        let v4: Vec<&Subnet> = self
            .subnets
            .iter()
            .filter(|s| s.row.ip_version == 4)
            .collect();
        let v6: Vec<&Subnet> = self
            .subnets
            .iter()
            .filter(|s| s.row.ip_version == 6 && !s.is_auto_address())
            .collect();
        for family in [v4, v6] {
            if family.is_empty() {
                continue;
            }
            let mut got = None;
            for s in &family {
                if let Some(ip) = allocate_any(c, hints, s, self.port_id)? {
                    got = Some(FixedIp {
                        subnet_id: s.row.id.clone(),
                        ip_address: ip,
                    });
                    break;
                }
            }
            out.push(got.ok_or_else(|| exhausted(self.network_id))?);
        }
        if !self.is_router {
            for s in self.subnets.iter().filter(|s| s.is_auto_address()) {
                if let Some(ip) = slaac_address(s, self.mac) {
                    claim_exact(c, s, &ip, self.port_id)?;
                    out.push(FixedIp {
                        subnet_id: s.row.id.clone(),
                        ip_address: ip,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Every non-router port has its SLAAC address on each auto-address
    /// subnet, whatever else it asked for.
    fn missing_auto_addresses(&self, c: &mut Conn, have: &[FixedIp]) -> Result<Vec<FixedIp>> {
        let mut out = Vec::new();
        if self.is_router {
            return Ok(out);
        }
        for s in self.subnets.iter().filter(|s| s.is_auto_address()) {
            if have.iter().any(|f| f.subnet_id == s.row.id) {
                continue;
            }
            if let Some(ip) = slaac_address(s, self.mac) {
                claim_exact(c, s, &ip, self.port_id)?;
                out.push(FixedIp {
                    subnet_id: s.row.id.clone(),
                    ip_address: ip,
                });
            }
        }
        Ok(out)
    }

    fn subnet_for(&self, req: &FixedIpRequest) -> Result<&Subnet> {
        if let Some(id) = &req.subnet_id {
            return self.subnets.iter().find(|s| &s.row.id == id).ok_or_else(|| {
                Error::invalid(format!(
                    "Failed to create port on network {}, because fixed_ips included invalid subnet {id}",
                    self.network_id
                ))
            });
        }
        let text = req.ip_address.as_deref().unwrap_or_default();
        let ip = ipam::parse_ip("fixed_ips", text)?;
        self.subnets
            .iter()
            .find(|s| s.net().is_some_and(|n| n.contains(&ip)))
            .ok_or_else(|| {
                Error::bad_request(format!(
                    "IP address {text} is not a valid IP for any of the subnets on the specified network."
                ))
            })
    }

    /// One requested entry: an exact address, or any from the subnet.
    fn one(&self, c: &mut Conn, hints: &IpamHints, req: &FixedIpRequest) -> Result<FixedIp> {
        attrs::refuse_unknown(&req.unknown)?;
        if req.subnet_id.is_none() && req.ip_address.is_none() {
            return Err(Error::invalid(
                "Exceeded maximum amount of fixed ips per port or empty fixed_ips entry",
            ));
        }
        let subnet = self.subnet_for(req)?;
        let Some(text) = &req.ip_address else {
            let ip = if subnet.is_auto_address() && !self.is_router {
                let ip =
                    slaac_address(subnet, self.mac).ok_or_else(|| exhausted(self.network_id))?;
                claim_exact(c, subnet, &ip, self.port_id)?;
                ip
            } else {
                allocate_any(c, hints, subnet, self.port_id)?
                    .ok_or_else(|| exhausted(self.network_id))?
            };
            return Ok(FixedIp {
                subnet_id: subnet.row.id.clone(),
                ip_address: ip,
            });
        };
        let ip = ipam::parse_ip("fixed_ips", text)?;
        let net = subnet
            .net()
            .ok_or_else(|| Error::subnet_not_found(&subnet.row.id))?;
        let usable = ipam::usable(&net);
        let value = ipam::to_u128(ip);
        if !net.contains(&ip) || value < usable.start || value > usable.end {
            return Err(Error::bad_request(format!(
                "IP address {text} is not a valid IP for the specified subnet."
            )));
        }
        if subnet.is_auto_address() && !self.is_router {
            return Err(Error::invalid(format!(
                "IPv6 address {ip} cannot be directly assigned to a port on subnet {} as the subnet is configured for automatic addresses",
                subnet.row.id
            )));
        }
        let ip = ip.to_string();
        claim_exact(c, subnet, &ip, self.port_id)?;
        Ok(FixedIp {
            subnet_id: subnet.row.id.clone(),
            ip_address: ip,
        })
    }
}

fn check_address_pairs(pairs: &[AddressPair]) -> Result<Vec<AddressPair>> {
    let mut out: Vec<AddressPair> = Vec::new();
    for p in pairs {
        let ip = if p.ip_address.contains('/') {
            p.ip_address
                .parse::<ipnet::IpNet>()
                .map(|n| n.to_string())
                .map_err(|_| {
                    Error::invalid_attr(
                        "allowed_address_pairs",
                        format!("'{}' is not a valid IP address", p.ip_address),
                    )
                })?
        } else {
            ipam::parse_ip("allowed_address_pairs", &p.ip_address)?.to_string()
        };
        let mac = match &p.mac_address {
            Some(m) => Some(
                crate::config::parse_mac(m)
                    .ok_or_else(|| {
                        Error::invalid_attr(
                            "allowed_address_pairs",
                            format!("'{m}' is not a valid MAC address"),
                        )
                    })?
                    .map(|b| format!("{b:02x}"))
                    .join(":"),
            ),
            None => None,
        };
        let pair = AddressPair {
            ip_address: ip,
            mac_address: mac,
        };
        if out.contains(&pair) {
            return Err(Error::bad_request(
                "Request contains duplicate address pair",
            ));
        }
        out.push(pair);
    }
    Ok(out)
}

fn check_dhcp_opts(opts: &[DhcpOpt]) -> Result<()> {
    for o in opts {
        if o.opt_name.is_empty() || ![4, 6].contains(&o.ip_version) {
            return Err(Error::invalid_attr(
                "extra_dhcp_opts",
                format!("Invalid DHCP option {}", o.opt_name),
            ));
        }
    }
    Ok(())
}

/// The columns' 255-character limit, as neutron's attribute validation.
fn check_lengths(req: &PortRequest) -> Result<()> {
    for (attr, value) in [
        ("device_id", &req.device_id),
        ("device_owner", &req.device_owner),
        ("binding:host_id", &req.binding_host_id),
    ] {
        if let Some(v) = value {
            attrs::check_len(attr, v, 255)?;
        }
    }
    Ok(())
}

fn check_admin_attrs(
    ctx: &Ctx,
    req: &PortRequest,
    network: &NetworkRow,
    action: &str,
) -> Result<()> {
    check_lengths(req)?;
    let network_owner = ctx.caller.owns(&network.project_id);
    if (req.binding_host_id.is_some() || req.binding_profile.is_some()) && !ctx.caller.is_admin {
        return Err(Error::policy(&format!("{action}:binding:host_id")));
    }
    if req.mac_address.is_some() && !network_owner {
        return Err(Error::policy(&format!("{action}:mac_address")));
    }
    let explicit_ip = req
        .fixed_ips
        .iter()
        .flatten()
        .any(|f| f.ip_address.is_some());
    if explicit_ip && !network_owner {
        return Err(Error::policy(&format!("{action}:fixed_ips:ip_address")));
    }
    let network_device = req
        .device_owner
        .as_deref()
        .is_some_and(|o| o.starts_with("network:"));
    if network_device && !network_owner {
        return Err(Error::policy(&format!("{action}:device_owner")));
    }
    if let Some(v) = &req.binding_vnic_type {
        if !VNIC_TYPES.contains(&v.as_str()) {
            return Err(Error::invalid_attr(
                "binding:vnic_type",
                format!("'{v}' is not in {VNIC_TYPES:?}"),
            ));
        }
    }
    Ok(())
}

/// The security groups a port gets: the requested ones (which must be the
/// port project's), or its project's default group.
fn groups_for(
    c: &mut Conn,
    ctx: &Ctx,
    project: &str,
    requested: Option<&[String]>,
    secured: bool,
    device_owner: &str,
) -> Result<Vec<String>> {
    match requested {
        Some(ids) => {
            let mut out: Vec<String> = Vec::new();
            for id in ids {
                let sg = security_groups::visible(c, ctx.caller, id)?;
                if sg.project_id != project && !ctx.caller.is_admin {
                    return Err(Error::security_group_not_found(id));
                }
                if !out.contains(&sg.id) {
                    out.push(sg.id);
                }
            }
            Ok(out)
        }
        None if secured && !device_owner.starts_with("network:") => {
            Ok(vec![security_groups::ensure_default(c, project)?])
        }
        None => Ok(Vec::new()),
    }
}

fn check_port_security(secured: bool, groups: &[String], pairs: &[AddressPair]) -> Result<()> {
    if secured {
        return Ok(());
    }
    if !groups.is_empty() {
        return Err(Error::conflict(
            "PortSecurityAndIPRequiredForSecurityGroups",
            "Port security must be enabled and port must have an IP address in order to use security groups.",
        ));
    }
    if !pairs.is_empty() {
        return Err(Error::conflict(
            "AddressPairAndPortSecurityRequired",
            "Port Security must be enabled in order to have allowed address pairs on a port.",
        ));
    }
    Ok(())
}

/// What a bound port's VIF looks like: a Linux bridge per network.
pub fn vif_for_host(host: &str, network_id: &str) -> (String, Value) {
    if host.is_empty() {
        return ("unbound".into(), serde_json::json!({}));
    }
    (
        "bridge".into(),
        serde_json::json!({
            "port_filter": true,
            "connectivity": "l2",
            "bridge_name": bridge_name(network_id),
        }),
    )
}

/// linuxbridge's naming: `brq` and the first 11 characters of the network id.
pub fn bridge_name(network_id: &str) -> String {
    format!("brq{}", &network_id[..network_id.len().min(11)])
}

pub fn create(c: &mut Conn, ctx: &Ctx, req: PortRequest) -> Result<Port> {
    attrs::refuse_unknown(&req.unknown)?;
    let network_id = req.network_id.clone().ok_or_else(|| {
        Error::bad_request("Failed to parse request. Required attribute 'network_id' not specified")
    })?;
    let network = networks::visible(c, ctx.caller, &network_id)?;
    check_admin_attrs(ctx, &req, &network, "create_port")?;
    let project = ctx.caller.owner_for_create(requested_project(
        req.project_id.clone(),
        req.tenant_id.clone(),
    )?)?;
    quotas::check(c, ctx.conf, &project, "port", 1)?;
    let id = uuid::Uuid::new_v4().to_string();
    let mac = choose_mac(c, ctx, &network_id, req.mac_address.as_deref())?;
    let device_owner = req.device_owner.clone().unwrap_or_default();
    let subnets = subnets::of_network(c, &network_id)?;
    let alloc = Allocation {
        network_id: &network_id,
        port_id: &id,
        mac: &mac,
        is_router: device_owner.starts_with(ROUTER_INTERFACE),
        subnets: &subnets,
    };
    let fixed_ips = match &req.fixed_ips {
        None => alloc.defaults(c, ctx.ipam)?,
        Some(list) => {
            let mut ips = list
                .iter()
                .map(|f| alloc.one(c, ctx.ipam, f))
                .collect::<Result<Vec<_>>>()?;
            ips.extend(alloc.missing_auto_addresses(c, &ips)?);
            ips
        }
    };
    let secured = req
        .port_security_enabled
        .unwrap_or(network.port_security_enabled);
    let pairs = check_address_pairs(req.allowed_address_pairs.as_deref().unwrap_or_default())?;
    let groups = groups_for(
        c,
        ctx,
        &project,
        req.security_groups.as_deref(),
        secured,
        &device_owner,
    )?;
    check_port_security(secured, &groups, &pairs)?;
    let opts = req.extra_dhcp_opts.unwrap_or_default();
    check_dhcp_opts(&opts)?;
    let host = req.binding_host_id.unwrap_or_default();
    let (vif_type, vif_details) = vif_for_host(&host, &network_id);
    let now = compat_api::time::now_us();
    let row = PortRow {
        id: id.clone(),
        network_id,
        project_id: project,
        name: attrs::text("name", req.name)?.unwrap_or_default(),
        description: attrs::text("description", req.description)?.unwrap_or_default(),
        mac_address: mac,
        admin_state_up: req.admin_state_up.unwrap_or(true),
        status: if host.is_empty() {
            "DOWN".into()
        } else {
            "ACTIVE".into()
        },
        device_id: req.device_id.unwrap_or_default(),
        device_owner,
        port_security_enabled: secured,
        binding_host_id: host,
        binding_vnic_type: req.binding_vnic_type.unwrap_or_else(|| "normal".into()),
        binding_profile: json(&req.binding_profile.unwrap_or_else(|| serde_json::json!({}))),
        binding_vif_type: vif_type,
        binding_vif_details: json(&vif_details),
        allowed_address_pairs: json(&pairs),
        extra_dhcp_opts: json(&opts),
        dns_name: String::new(),
        revision_number: 1,
        created_at: now,
        updated_at: now,
    };
    store::ports::insert(c, &row)?;
    store::ports::set_security_groups(c, &id, &groups)?;
    Ok(decode(row, fixed_ips, groups, Vec::new()))
}

/// A port update's `fixed_ips`: entries naming an address the port already
/// has keep it, the rest are claimed anew, and what is no longer named is
/// released.
fn reallocate(c: &mut Conn, ctx: &Ctx, port: &PortRow, requested: &[FixedIpRequest]) -> Result<()> {
    let current = store::ports::ips_of_port(c, &port.id)?;
    let subnets = subnets::of_network(c, &port.network_id)?;
    let alloc = Allocation {
        network_id: &port.network_id,
        port_id: &port.id,
        mac: &port.mac_address,
        is_router: port.device_owner.starts_with(ROUTER_INTERFACE),
        subnets: &subnets,
    };
    let mut kept: HashSet<(String, String)> = HashSet::new();
    let mut fresh = Vec::new();
    for req in requested {
        let existing = current.iter().find(|a| {
            let key = (a.subnet_id.clone(), a.ip_address.clone());
            if kept.contains(&key) {
                return false;
            }
            match (&req.ip_address, &req.subnet_id) {
                (Some(ip), _) => ip
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.to_string() == a.ip_address),
                (None, Some(s)) => &a.subnet_id == s,
                (None, None) => false,
            }
        });
        match existing {
            Some(a) => {
                kept.insert((a.subnet_id.clone(), a.ip_address.clone()));
            }
            None => fresh.push(req),
        }
    }
    for a in &current {
        if !kept.contains(&(a.subnet_id.clone(), a.ip_address.clone())) {
            store::ports::release(c, &a.subnet_id, &a.ip_address)?;
        }
    }
    for req in fresh {
        alloc.one(c, ctx.ipam, req)?;
    }
    Ok(())
}

pub fn update(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: PortRequest,
    if_match: Option<i64>,
) -> Result<Port> {
    attrs::refuse_unknown(&req.unknown)?;
    attrs::refuse_read_only("network_id", req.network_id.is_some())?;
    attrs::refuse_read_only(
        "project_id",
        req.project_id.is_some() || req.tenant_id.is_some(),
    )?;
    let mut row = visible(c, ctx.caller, id)?;
    attrs::check_revision(if_match, row.revision_number)?;
    let network = store::networks::get(c, &row.network_id)?
        .ok_or_else(|| Error::network_not_found(&row.network_id))?;
    check_admin_attrs(ctx, &req, &network, "update_port")?;
    if let Some(mac) = &req.mac_address {
        if mac_bytes(mac) != mac_bytes(&row.mac_address) {
            if !row.binding_host_id.is_empty() {
                return Err(Error::conflict(
                    "PortBound",
                    format!("Unable to complete operation on port {id}, port is already bound"),
                ));
            }
            row.mac_address = choose_mac(c, ctx, &row.network_id, Some(mac))?;
        }
    }
    if let Some(fixed) = &req.fixed_ips {
        reallocate(c, ctx, &row, fixed)?;
    }
    if let Some(v) = attrs::text("name", req.name)? {
        row.name = v;
    }
    if let Some(v) = attrs::text("description", req.description)? {
        row.description = v;
    }
    if let Some(v) = req.admin_state_up {
        row.admin_state_up = v;
    }
    if let Some(v) = req.device_id {
        row.device_id = v;
    }
    if let Some(v) = req.device_owner {
        row.device_owner = v;
    }
    if let Some(v) = req.port_security_enabled {
        row.port_security_enabled = v;
    }
    let mut groups = store::ports::security_groups_of(c, &[id.to_owned()])?
        .remove(id)
        .unwrap_or_default();
    if let Some(requested) = &req.security_groups {
        groups = groups_for(
            c,
            ctx,
            &row.project_id.clone(),
            Some(requested),
            row.port_security_enabled,
            &row.device_owner,
        )?;
        store::ports::set_security_groups(c, id, &groups)?;
    }
    let mut pairs: Vec<AddressPair> =
        serde_json::from_str(&row.allowed_address_pairs).unwrap_or_default();
    if let Some(p) = &req.allowed_address_pairs {
        pairs = check_address_pairs(p)?;
        row.allowed_address_pairs = json(&pairs);
    }
    check_port_security(row.port_security_enabled, &groups, &pairs)?;
    if let Some(opts) = &req.extra_dhcp_opts {
        check_dhcp_opts(opts)?;
        row.extra_dhcp_opts = json(opts);
    }
    if let Some(v) = req.binding_vnic_type {
        row.binding_vnic_type = v;
    }
    if let Some(p) = &req.binding_profile {
        row.binding_profile = json(p);
    }
    if let Some(host) = req.binding_host_id {
        let (vif_type, details) = vif_for_host(&host, &row.network_id);
        row.status = if host.is_empty() {
            "DOWN".into()
        } else {
            "ACTIVE".into()
        };
        row.binding_host_id = host;
        row.binding_vif_type = vif_type;
        row.binding_vif_details = json(&details);
    }
    attrs::touch(&mut row.revision_number, &mut row.updated_at);
    store::ports::update(c, &row)?;
    Ok(expand(c, vec![row])?.remove(0))
}

/// Deletes a port, releasing its addresses and disassociating floating
/// IPs bound to it. Ports of routers and floating IPs belong to those.
pub fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<()> {
    let row = visible(c, ctx.caller, id)?;
    if SERVICE_OWNERS.contains(&row.device_owner.as_str()) && !row.device_id.is_empty() {
        return Err(Error::conflict(
            "ServicePortInUse",
            format!(
                "Port {id} cannot be deleted directly via the port API: has device owner {}.",
                row.device_owner
            ),
        ));
    }
    delete_unchecked(c, id)
}

/// Deletion by the service that owns the port (routers, floating IPs).
pub fn delete_unchecked(c: &mut Conn, id: &str) -> Result<()> {
    crate::floating_ips::disassociate_port(c, id)?;
    store::ports::delete_with_children(c, id)?;
    Ok(())
}

/// A new auto-address subnet gives its SLAAC address to the network's
/// existing ports (router ports excepted), as neutron does.
pub fn add_auto_addresses(c: &mut Conn, subnet: &Subnet) -> Result<()> {
    for port in store::ports::of_network(c, &subnet.row.network_id)? {
        if port.device_owner.starts_with("network:") {
            continue;
        }
        if let Some(ip) = slaac_address(subnet, &port.mac_address) {
            claim_exact(c, subnet, &ip, &port.id)?;
        }
    }
    Ok(())
}
