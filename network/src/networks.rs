//! Networks: creation with tenant segmentation, shared and external
//! networks, deletion guarded by ports in use.

use crate::attrs::{self, flexible_bool, nullable, Unknown};
use crate::error::{Error, Result};
use crate::policy::{requested_project, Caller};
use crate::store::models::NetworkRow;
use crate::store::{self, Conn};
use crate::{quotas, Ctx};
use serde::Deserialize;

/// A network with what its view shows besides the row.
#[derive(Debug, Clone)]
pub struct Network {
    pub row: NetworkRow,
    pub subnets: Vec<String>,
    pub tags: Vec<String>,
}

/// The attributes of `POST` and `PUT /v2.0/networks`.
#[derive(Debug, Default, Deserialize)]
pub struct NetworkRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub admin_state_up: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub shared: Option<bool>,
    #[serde(
        default,
        rename = "router:external",
        deserialize_with = "flexible_bool"
    )]
    pub external: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub is_default: Option<bool>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub mtu: Option<i64>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub port_security_enabled: Option<bool>,
    #[serde(rename = "provider:network_type")]
    pub network_type: Option<String>,
    #[serde(
        default,
        rename = "provider:physical_network",
        deserialize_with = "nullable"
    )]
    pub physical_network: Option<Option<String>>,
    #[serde(
        default,
        rename = "provider:segmentation_id",
        deserialize_with = "attrs::flexible_int"
    )]
    pub segmentation_id: Option<i64>,
    pub dns_domain: Option<String>,
    pub availability_zone_hints: Option<Vec<String>>,
    pub project_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// A network the caller may see, or 404.
pub fn visible(c: &mut Conn, caller: &Caller, id: &str) -> Result<NetworkRow> {
    match store::networks::get(c, id)? {
        Some(n) if caller.owns(&n.project_id) || n.shared || n.external => Ok(n),
        _ => Err(Error::network_not_found(id)),
    }
}

pub fn expand(c: &mut Conn, rows: Vec<NetworkRow>) -> Result<Vec<Network>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut subnets: std::collections::HashMap<String, Vec<String>> = Default::default();
    for s in store::subnets::of_networks(c, &ids)? {
        subnets.entry(s.network_id).or_default().push(s.id);
    }
    let mut tags = store::tags::of(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| Network {
            subnets: subnets.remove(&row.id).unwrap_or_default(),
            tags: tags.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub fn list(c: &mut Conn, caller: &Caller) -> Result<Vec<Network>> {
    let rows = caller.scoped(c, store::networks::all, |c, p| {
        store::networks::visible_to(c, p)
    })?;
    expand(c, rows)
}

pub fn show(c: &mut Conn, caller: &Caller, id: &str) -> Result<Network> {
    let row = visible(c, caller, id)?;
    Ok(expand(c, vec![row])?.remove(0))
}

fn check_admin_attrs(caller: &Caller, req: &NetworkRequest) -> Result<()> {
    if req.shared == Some(true) {
        caller.require_admin("create_network:shared")?;
    }
    if req.external == Some(true) {
        caller.require_admin("create_network:router:external")?;
    }
    if req.is_default == Some(true) {
        caller.require_admin("create_network:is_default")?;
    }
    if req.network_type.is_some() || req.physical_network.is_some() || req.segmentation_id.is_some()
    {
        caller.require_admin("create_network:provider:network_type")?;
    }
    Ok(())
}

fn check_mtu(conf: &crate::NetworkConfig, mtu: Option<i64>) -> Result<Option<i32>> {
    let Some(mtu) = mtu else { return Ok(None) };
    if !(68..=conf.global_physnet_mtu as i64).contains(&mtu) {
        return Err(Error::invalid(format!(
            "Requested MTU is too big, maximum is {}",
            conf.global_physnet_mtu
        )));
    }
    Ok(Some(mtu as i32))
}

/// The next free segmentation id of the tenant network type.
fn next_segment(c: &mut Conn, network_type: &str) -> Result<Option<i32>> {
    if !matches!(network_type, "vxlan" | "geneve" | "gre" | "vlan") {
        return Ok(None);
    }
    let used: std::collections::HashSet<i32> = store::networks::segmentation_ids(c, network_type)?
        .into_iter()
        .collect();
    let (first, last) = if network_type == "vlan" {
        (1, 4094)
    } else {
        (1, 1 << 24)
    };
    (first..=last)
        .find(|id| !used.contains(id))
        .map(Some)
        .ok_or_else(|| {
            Error::conflict(
                "NoNetworkAvailable",
                "Unable to create the network. No tenant network is available for allocation.",
            )
        })
}

pub fn create(c: &mut Conn, ctx: &Ctx, req: NetworkRequest) -> Result<Network> {
    attrs::refuse_unknown(&req.unknown)?;
    check_admin_attrs(ctx.caller, &req)?;
    let project = ctx.caller.owner_for_create(requested_project(
        req.project_id.clone(),
        req.tenant_id.clone(),
    )?)?;
    quotas::check(c, ctx.conf, &project, "network", 1)?;
    crate::security_groups::ensure_default(c, &project)?;
    let network_type = req
        .network_type
        .clone()
        .unwrap_or_else(|| ctx.conf.tenant_network_type.clone());
    let segmentation_id = match req.segmentation_id {
        Some(id) => Some(i32::try_from(id).map_err(|_| {
            Error::invalid_attr(
                "provider:segmentation_id",
                format!("'{id}' is out of range"),
            )
        })?),
        None => next_segment(c, &network_type)?,
    };
    let now = compat_api::time::now_us();
    let row = NetworkRow {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project,
        name: attrs::text("name", req.name)?.unwrap_or_default(),
        description: attrs::text("description", req.description)?.unwrap_or_default(),
        admin_state_up: req.admin_state_up.unwrap_or(true),
        status: "ACTIVE".into(),
        shared: req.shared.unwrap_or(false),
        external: req.external.unwrap_or(false),
        is_default: req.is_default.unwrap_or(false),
        mtu: check_mtu(ctx.conf, req.mtu)?.unwrap_or_else(|| ctx.conf.tenant_mtu()),
        port_security_enabled: req.port_security_enabled.unwrap_or(true),
        network_type,
        physical_network: req.physical_network.flatten(),
        segmentation_id,
        dns_domain: attrs::text("dns_domain", req.dns_domain)?.unwrap_or_default(),
        revision_number: 1,
        created_at: now,
        updated_at: now,
    };
    store::networks::insert(c, &row)?;
    Ok(Network {
        row,
        subnets: Vec::new(),
        tags: Vec::new(),
    })
}

pub fn update(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: NetworkRequest,
    if_match: Option<i64>,
) -> Result<Network> {
    attrs::refuse_unknown(&req.unknown)?;
    attrs::refuse_read_only(
        "project_id",
        req.project_id.is_some() || req.tenant_id.is_some(),
    )?;
    let mut row = visible(c, ctx.caller, id)?;
    if !ctx.caller.owns(&row.project_id) {
        return Err(Error::policy("update_network"));
    }
    attrs::check_revision(if_match, row.revision_number)?;
    if req.shared.is_some() {
        ctx.caller.require_admin("update_network:shared")?;
    }
    if req.external.is_some() || req.is_default.is_some() {
        ctx.caller.require_admin("update_network:router:external")?;
    }
    if req.network_type.is_some() || req.physical_network.is_some() || req.segmentation_id.is_some()
    {
        return Err(Error::invalid(
            "Plugin does not support updating provider attributes",
        ));
    }
    if let Some(name) = attrs::text("name", req.name)? {
        row.name = name;
    }
    if let Some(d) = attrs::text("description", req.description)? {
        row.description = d;
    }
    if let Some(v) = req.admin_state_up {
        row.admin_state_up = v;
    }
    if let Some(v) = req.shared {
        row.shared = v;
    }
    if let Some(v) = req.external {
        row.external = v;
    }
    if let Some(v) = req.is_default {
        row.is_default = v;
    }
    if let Some(mtu) = check_mtu(ctx.conf, req.mtu)? {
        row.mtu = mtu;
    }
    if let Some(v) = req.port_security_enabled {
        row.port_security_enabled = v;
    }
    if let Some(v) = attrs::text("dns_domain", req.dns_domain)? {
        row.dns_domain = v;
    }
    attrs::touch(&mut row.revision_number, &mut row.updated_at);
    store::networks::update(c, &row)?;
    Ok(expand(c, vec![row])?.remove(0))
}

/// Deletes a network and its subnets; refused while ports other than the
/// network's own service ports are on it.
pub fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<()> {
    let row = visible(c, ctx.caller, id)?;
    if !ctx.caller.owns(&row.project_id) {
        return Err(Error::policy("delete_network"));
    }
    let ports = store::ports::of_network(c, id)?;
    let auto_deleted = |owner: &str| owner == "network:dhcp" || owner == crate::ports::FLOATING_IP;
    let in_use: Vec<&str> = ports
        .iter()
        .filter(|p| !auto_deleted(&p.device_owner))
        .map(|p| p.id.as_str())
        .collect();
    if !in_use.is_empty() {
        return Err(Error::conflict(
            "NetworkInUse",
            format!(
                "Unable to complete operation on network {id}. There are one or more ports still in use on the network, id for these ports is: {}.",
                in_use.join(",")
            ),
        ));
    }
    // A floating IP's port goes with its floating IP.
    for port in ports {
        if port.device_owner == crate::ports::FLOATING_IP {
            store::floating_ips::delete(c, &port.device_id)?;
        }
        store::ports::delete_with_children(c, &port.id)?;
    }
    for subnet in store::subnets::of_network(c, id)? {
        store::subnets::delete(c, &subnet.id)?;
        ctx.ipam.forget(&subnet.id);
    }
    store::networks::delete(c, id)?;
    Ok(())
}
