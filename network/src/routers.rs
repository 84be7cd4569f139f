//! Routers: the external gateway (a port on an external network),
//! interfaces (ports holding a subnet's gateway address), extra routes.

use crate::attrs::{self, flexible_bool, nullable, Unknown};
use crate::error::{Error, Result};
use crate::policy::{requested_project, Caller};
use crate::ports::{self, FixedIp, FixedIpRequest, PortRequest, ROUTER_GATEWAY, ROUTER_INTERFACE};
use crate::store::models::RouterRow;
use crate::store::{self, Conn};
use crate::subnets::{json, HostRoute};
use crate::{ipam, networks, quotas, subnets, Ctx};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GatewayRequest {
    pub network_id: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub enable_snat: Option<bool>,
    pub external_fixed_ips: Option<Vec<FixedIpRequest>>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize)]
pub struct RouterRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub admin_state_up: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub external_gateway_info: Option<Option<GatewayRequest>>,
    #[serde(default, deserialize_with = "nullable")]
    pub routes: Option<Option<Vec<HostRoute>>>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub distributed: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub ha: Option<bool>,
    pub availability_zone_hints: Option<Vec<String>>,
    pub project_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// `PUT /v2.0/routers/{id}/add_router_interface` and `remove_...`.
#[derive(Debug, Default, Deserialize)]
pub struct InterfaceRequest {
    pub subnet_id: Option<String>,
    pub port_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

/// The answer to an interface change.
#[derive(Debug, Clone, Serialize)]
pub struct InterfaceInfo {
    pub id: String,
    pub tenant_id: String,
    pub project_id: String,
    pub port_id: String,
    pub network_id: String,
    pub subnet_id: String,
    pub subnet_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub network_id: String,
    pub enable_snat: bool,
    pub external_fixed_ips: Vec<FixedIp>,
}

#[derive(Debug, Clone)]
pub struct Router {
    pub row: RouterRow,
    pub gateway: Option<Gateway>,
    pub routes: Vec<HostRoute>,
    pub tags: Vec<String>,
}

pub fn visible(c: &mut Conn, caller: &Caller, id: &str) -> Result<RouterRow> {
    match store::routers::get(c, id)? {
        Some(r) if caller.owns(&r.project_id) => Ok(r),
        _ => Err(Error::router_not_found(id)),
    }
}

pub fn expand(c: &mut Conn, rows: Vec<RouterRow>) -> Result<Vec<Router>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut tags = store::tags::of(c, &ids)?;
    let gw_ids: Vec<String> = rows.iter().filter_map(|r| r.gw_port_id.clone()).collect();
    let gw_rows = store::ports::by_ids(c, &gw_ids)?;
    let gw_ports = ports::expand(c, gw_rows)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let gateway = row
                .gw_port_id
                .as_ref()
                .and_then(|id| gw_ports.iter().find(|p| &p.row.id == id))
                .map(|p| Gateway {
                    network_id: p.row.network_id.clone(),
                    enable_snat: row.enable_snat,
                    external_fixed_ips: p.fixed_ips.clone(),
                });
            Router {
                routes: serde_json::from_str(&row.routes).unwrap_or_default(),
                tags: tags.remove(&row.id).unwrap_or_default(),
                gateway,
                row,
            }
        })
        .collect())
}

pub fn list(c: &mut Conn, caller: &Caller) -> Result<Vec<Router>> {
    let rows = caller.scoped(c, store::routers::all, |c, p| {
        store::routers::of_project(c, p)
    })?;
    expand(c, rows)
}

pub fn show(c: &mut Conn, caller: &Caller, id: &str) -> Result<Router> {
    let row = visible(c, caller, id)?;
    Ok(expand(c, vec![row])?.remove(0))
}

/// Ports acting as this router's interfaces.
fn interfaces(c: &mut Conn, router_id: &str) -> Result<Vec<ports::Port>> {
    let rows: Vec<_> = store::ports::of_device(c, router_id)?
        .into_iter()
        .filter(|p| p.device_owner == ROUTER_INTERFACE)
        .collect();
    ports::expand(c, rows)
}

fn bad_router(message: String) -> Error {
    Error::BadRequest {
        kind: "BadRequest",
        message: format!("Bad router request: {message}."),
    }
}

/// Sets, replaces or clears the external gateway.
fn set_gateway(
    c: &mut Conn,
    ctx: &Ctx,
    row: &mut RouterRow,
    info: Option<GatewayRequest>,
) -> Result<()> {
    let info = info.filter(|i| i.network_id.is_some() || !i.unknown.is_empty());
    let current = match &row.gw_port_id {
        Some(id) => store::ports::get(c, id)?,
        None => None,
    };
    if let Some(i) = &info {
        attrs::refuse_unknown(&i.unknown)?;
        if i.enable_snat.is_some() || i.external_fixed_ips.is_some() {
            ctx.caller
                .require_admin("update_router:external_gateway_info:enable_snat")?;
        }
    }
    let wanted = info.as_ref().and_then(|i| i.network_id.clone());
    let same_network = current.as_ref().map(|p| &p.network_id) == wanted.as_ref();
    if let Some(i) = &info {
        row.enable_snat = i.enable_snat.unwrap_or(row.enable_snat);
    }
    if same_network && info.as_ref().is_none_or(|i| i.external_fixed_ips.is_none()) {
        return Ok(());
    }
    if let Some(old) = current {
        if wanted.is_none() && !store::floating_ips::of_router(c, &row.id)?.is_empty() {
            return Err(Error::conflict(
                "RouterExternalGatewayInUseByFloatingIp",
                format!(
                    "Gateway cannot be updated for router {}, since a gateway to external network {} is required by one or more floating IPs.",
                    row.id, old.network_id
                ),
            ));
        }
        ports::delete_unchecked(c, &old.id)?;
        row.gw_port_id = None;
    }
    let (Some(network_id), Some(info)) = (wanted, info) else {
        return Ok(());
    };
    let network = networks::visible(c, ctx.caller, &network_id)?;
    if !network.external {
        return Err(bad_router(format!(
            "The network {network_id} is not an external network"
        )));
    }
    let fixed_ips = match info.external_fixed_ips {
        Some(f) => f,
        None => first_v4(c, &network.id)?,
    };
    let admin = Caller::admin();
    let port = ports::create(
        c,
        &Ctx {
            caller: &admin,
            ..*ctx
        },
        PortRequest {
            network_id: Some(network_id),
            device_id: Some(row.id.clone()),
            device_owner: Some(ROUTER_GATEWAY.into()),
            fixed_ips: Some(fixed_ips),
            project_id: Some(String::new()),
            ..Default::default()
        },
    )?;
    row.gw_port_id = Some(port.row.id);
    if info.enable_snat.is_none() {
        row.enable_snat = true;
    }
    Ok(())
}

/// One address from the first IPv4 subnet of a network, for gateway and
/// floating IP ports (which take a single address).
pub fn first_v4(c: &mut Conn, network_id: &str) -> Result<Vec<FixedIpRequest>> {
    let subnets = subnets::of_network(c, network_id)?;
    let subnet = subnets
        .iter()
        .find(|s| s.row.ip_version == 4)
        .or(subnets.first())
        .ok_or_else(|| {
            Error::bad_request(format!(
                "No subnet is available on external network {network_id}"
            ))
        })?;
    Ok(vec![FixedIpRequest {
        subnet_id: Some(subnet.row.id.clone()),
        ..Default::default()
    }])
}

fn check_routes(routes: &[HostRoute]) -> Result<Vec<HostRoute>> {
    let mut out = Vec::new();
    for r in routes {
        let dest: ipnet::IpNet = r.destination.parse().map_err(|_| {
            Error::invalid_attr(
                "routes",
                format!("'{}' is not a valid IP subnet", r.destination),
            )
        })?;
        let hop = ipam::parse_ip("routes", &r.nexthop)?;
        out.push(HostRoute {
            destination: dest.trunc().to_string(),
            nexthop: hop.to_string(),
        });
    }
    Ok(out)
}

fn check_admin_attrs(caller: &Caller, req: &RouterRequest) -> Result<()> {
    if req.distributed == Some(true) || req.ha == Some(true) {
        caller.require_admin("create_router:distributed")?;
        return Err(Error::bad_request(
            "Distributed and HA routers are not supported",
        ));
    }
    Ok(())
}

pub fn create(c: &mut Conn, ctx: &Ctx, req: RouterRequest) -> Result<Router> {
    attrs::refuse_unknown(&req.unknown)?;
    check_admin_attrs(ctx.caller, &req)?;
    let project = ctx.caller.owner_for_create(requested_project(
        req.project_id.clone(),
        req.tenant_id.clone(),
    )?)?;
    quotas::check(c, ctx.conf, &project, "router", 1)?;
    let now = compat_api::time::now_us();
    let mut row = RouterRow {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project,
        name: attrs::text("name", req.name)?.unwrap_or_default(),
        description: attrs::text("description", req.description)?.unwrap_or_default(),
        admin_state_up: req.admin_state_up.unwrap_or(true),
        status: "ACTIVE".into(),
        gw_port_id: None,
        enable_snat: true,
        routes: json(&check_routes(
            req.routes.flatten().as_deref().unwrap_or_default(),
        )?),
        revision_number: 1,
        created_at: now,
        updated_at: now,
    };
    store::routers::insert(c, &row)?;
    if let Some(info) = req.external_gateway_info {
        set_gateway(c, ctx, &mut row, info)?;
        store::routers::update(c, &row)?;
    }
    Ok(expand(c, vec![row])?.remove(0))
}

pub fn update(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: RouterRequest,
    if_match: Option<i64>,
) -> Result<Router> {
    attrs::refuse_unknown(&req.unknown)?;
    attrs::refuse_read_only(
        "project_id",
        req.project_id.is_some() || req.tenant_id.is_some(),
    )?;
    check_admin_attrs(ctx.caller, &req)?;
    let mut row = visible(c, ctx.caller, id)?;
    attrs::check_revision(if_match, row.revision_number)?;
    if let Some(v) = attrs::text("name", req.name)? {
        row.name = v;
    }
    if let Some(v) = attrs::text("description", req.description)? {
        row.description = v;
    }
    if let Some(v) = req.admin_state_up {
        row.admin_state_up = v;
    }
    if let Some(routes) = &req.routes {
        row.routes = json(&check_routes(routes.as_deref().unwrap_or_default())?);
    }
    if let Some(info) = req.external_gateway_info {
        set_gateway(c, ctx, &mut row, info)?;
    }
    attrs::touch(&mut row.revision_number, &mut row.updated_at);
    store::routers::update(c, &row)?;
    Ok(expand(c, vec![row])?.remove(0))
}

pub fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<()> {
    let row = visible(c, ctx.caller, id)?;
    let attached: Vec<String> = interfaces(c, id)?.into_iter().map(|p| p.row.id).collect();
    if !attached.is_empty() {
        return Err(Error::conflict(
            "RouterInUse",
            format!(
                "Router {id} has ports still attached: {}",
                attached.join(", ")
            ),
        ));
    }
    if !store::floating_ips::of_router(c, id)?.is_empty() {
        return Err(Error::conflict(
            "RouterInUse",
            format!("Router {id} still has floating IPs"),
        ));
    }
    if let Some(gw) = &row.gw_port_id {
        ports::delete_unchecked(c, gw)?;
    }
    store::routers::delete(c, id)?;
    Ok(())
}

/// An interface change is a change of the router (`revision_number`).
fn touch_router(c: &mut Conn, router: &RouterRow) -> Result<()> {
    let mut row = router.clone();
    attrs::touch(&mut row.revision_number, &mut row.updated_at);
    store::routers::update(c, &row)?;
    Ok(())
}

fn interface_info(router: &RouterRow, port: &ports::Port, subnet_id: &str) -> InterfaceInfo {
    InterfaceInfo {
        id: router.id.clone(),
        tenant_id: router.project_id.clone(),
        project_id: router.project_id.clone(),
        port_id: port.row.id.clone(),
        network_id: port.row.network_id.clone(),
        subnet_id: subnet_id.to_owned(),
        subnet_ids: port.fixed_ips.iter().map(|f| f.subnet_id.clone()).collect(),
    }
}

fn which(req: &InterfaceRequest) -> Result<()> {
    attrs::refuse_unknown(&req.unknown)?;
    match (&req.subnet_id, &req.port_id) {
        (Some(_), Some(_)) => Err(bad_router(
            "Cannot specify both subnet-id and port-id".into(),
        )),
        (None, None) => Err(bad_router(
            "Either subnet_id or port_id must be specified".into(),
        )),
        _ => Ok(()),
    }
}

/// Refuses a second interface on one subnet, or subnets whose CIDRs overlap.
fn check_new_subnets(c: &mut Conn, router_id: &str, subnet_ids: &[String]) -> Result<()> {
    let attached: Vec<String> = interfaces(c, router_id)?
        .into_iter()
        .flat_map(|p| p.fixed_ips.into_iter().map(|f| f.subnet_id))
        .collect();
    let attached_rows = store::subnets::by_ids(c, &attached)?;
    for id in subnet_ids {
        let Some(new) = store::subnets::get(c, id)? else {
            continue;
        };
        for old in &attached_rows {
            if &old.id == id {
                return Err(bad_router(format!(
                    "Router already has a port on subnet {id}"
                )));
            }
            let (Ok(a), Ok(b)) = (
                old.cidr.parse::<ipnet::IpNet>(),
                new.cidr.parse::<ipnet::IpNet>(),
            ) else {
                continue;
            };
            if a.contains(&b.network()) || b.contains(&a.network()) {
                return Err(bad_router(format!(
                    "Cidr {} of subnet {id} overlaps with cidr {} of subnet {}",
                    new.cidr, old.cidr, old.id
                )));
            }
        }
    }
    Ok(())
}

pub fn add_interface(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: InterfaceRequest,
) -> Result<InterfaceInfo> {
    which(&req)?;
    let router = visible(c, ctx.caller, id)?;
    if let Some(port_id) = &req.port_id {
        let row = ports::visible(c, ctx.caller, port_id)?;
        if !row.device_id.is_empty()
            || !row.device_owner.is_empty() && row.device_owner != ROUTER_INTERFACE
        {
            return Err(Error::conflict(
                "PortInUse",
                format!(
                    "Unable to complete operation on port {port_id} for network {}. Port already has an attached device {}.",
                    row.network_id, row.device_id
                ),
            ));
        }
        let port = ports::expand(c, vec![row.clone()])?.remove(0);
        let Some(first) = port.fixed_ips.first() else {
            return Err(bad_router(
                "Router port must have at least one fixed IP".into(),
            ));
        };
        let subnet_ids: Vec<String> = port.fixed_ips.iter().map(|f| f.subnet_id.clone()).collect();
        check_new_subnets(c, id, &subnet_ids)?;
        let mut row = row;
        row.device_id = router.id.clone();
        row.device_owner = ROUTER_INTERFACE.into();
        row.status = "ACTIVE".into();
        store::ports::update(c, &row)?;
        let subnet_id = first.subnet_id.clone();
        touch_router(c, &router)?;
        return Ok(interface_info(&router, &port, &subnet_id));
    }
    let subnet_id = req.subnet_id.clone().unwrap_or_default();
    let subnet = subnets::visible(c, ctx.caller, &subnet_id)?;
    let Some(gateway) = subnet.gateway_ip.clone() else {
        return Err(bad_router(format!(
            "Subnet {subnet_id} does not have a gateway IP"
        )));
    };
    check_new_subnets(c, id, std::slice::from_ref(&subnet_id))?;
    let admin = Caller::admin();
    let mut port = ports::create(
        c,
        &Ctx {
            caller: &admin,
            ..*ctx
        },
        PortRequest {
            network_id: Some(subnet.network_id.clone()),
            device_id: Some(router.id.clone()),
            device_owner: Some(ROUTER_INTERFACE.into()),
            fixed_ips: Some(vec![FixedIpRequest {
                subnet_id: Some(subnet_id.clone()),
                ip_address: Some(gateway),
                ..Default::default()
            }]),
            project_id: Some(router.project_id.clone()),
            ..Default::default()
        },
    )?;
    port.row.status = "ACTIVE".into();
    store::ports::update(c, &port.row)?;
    touch_router(c, &router)?;
    Ok(interface_info(&router, &port, &subnet_id))
}

fn check_no_floating_ips(c: &mut Conn, router_id: &str, subnet_ids: &[String]) -> Result<()> {
    for fip in store::floating_ips::of_router(c, router_id)? {
        let Some(port_id) = &fip.fixed_port_id else {
            continue;
        };
        let ips = store::ports::ips_of_port(c, port_id)?;
        if let Some(ip) = ips.iter().find(|a| subnet_ids.contains(&a.subnet_id)) {
            return Err(Error::conflict(
                "RouterInterfaceInUseByFloatingIP",
                format!(
                    "Router interface for subnet {} on router {router_id} cannot be deleted, as it is required by one or more floating IPs.",
                    ip.subnet_id
                ),
            ));
        }
    }
    Ok(())
}

pub fn remove_interface(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: InterfaceRequest,
) -> Result<InterfaceInfo> {
    which(&req)?;
    let router = visible(c, ctx.caller, id)?;
    let attached = interfaces(c, id)?;
    let (port, subnet_id) = if let Some(port_id) = &req.port_id {
        let port = attached
            .into_iter()
            .find(|p| &p.row.id == port_id)
            .ok_or_else(|| {
                Error::not_found(
                    "RouterInterfaceNotFound",
                    format!("Router {id} does not have an interface with id {port_id}"),
                )
            })?;
        if let Some(s) = &req.subnet_id {
            if !port.fixed_ips.iter().any(|f| &f.subnet_id == s) {
                return Err(Error::conflict(
                    "SubnetMismatchForPort",
                    format!("Subnet {s} does not match the port {port_id}"),
                ));
            }
        }
        let subnet_id = port
            .fixed_ips
            .first()
            .map(|f| f.subnet_id.clone())
            .unwrap_or_default();
        (port, subnet_id)
    } else {
        let subnet_id = req.subnet_id.clone().unwrap_or_default();
        subnets::visible(c, ctx.caller, &subnet_id)?;
        let port = attached
            .into_iter()
            .find(|p| p.fixed_ips.iter().any(|f| f.subnet_id == subnet_id))
            .ok_or_else(|| {
                Error::not_found(
                    "RouterInterfaceNotFoundForSubnet",
                    format!("Router {id} has no interface on subnet {subnet_id}"),
                )
            })?;
        (port, subnet_id)
    };
    let subnet_ids: Vec<String> = port.fixed_ips.iter().map(|f| f.subnet_id.clone()).collect();
    check_no_floating_ips(c, id, &subnet_ids)?;
    let info = interface_info(&router, &port, &subnet_id);
    ports::delete_unchecked(c, &port.row.id)?;
    touch_router(c, &router)?;
    Ok(info)
}

/// The router that gives a subnet a way to an external network: it has an
/// interface on the subnet and its gateway on that network.
pub fn router_for(
    c: &mut Conn,
    subnet_id: &str,
    external_network_id: &str,
) -> Result<Option<String>> {
    let holders = store::ports::ports_in_subnet(c, subnet_id)?;
    let router_ids: Vec<String> = store::ports::by_ids(c, &holders)?
        .into_iter()
        .filter(|p| p.device_owner == ROUTER_INTERFACE)
        .map(|p| p.device_id)
        .collect();
    for router_id in router_ids {
        let Some(router) = store::routers::get(c, &router_id)? else {
            continue;
        };
        let Some(gw) = &router.gw_port_id else {
            continue;
        };
        if store::ports::get(c, gw)?.is_some_and(|p| p.network_id == external_network_id) {
            return Ok(Some(router.id));
        }
    }
    Ok(None)
}
