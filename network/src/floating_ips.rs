//! Floating IPs: an address of an external network (held by a port of
//! its own) mapped to a fixed address of a port that a router connects to
//! that external network.

use crate::attrs::{self, nullable, Unknown};
use crate::error::{Error, Result};
use crate::policy::{requested_project, Caller};
use crate::ports::{self, FixedIpRequest, PortRequest, FLOATING_IP};
use crate::store::models::FloatingIpRow;
use crate::store::{self, Conn};
use crate::{networks, quotas, routers, Ctx};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct FloatingIpRequest {
    pub floating_network_id: Option<String>,
    pub floating_ip_address: Option<String>,
    pub subnet_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub port_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub fixed_ip_address: Option<Option<String>>,
    pub description: Option<String>,
    pub project_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Clone)]
pub struct FloatingIp {
    pub row: FloatingIpRow,
    pub tags: Vec<String>,
}

fn not_found(id: &str) -> Error {
    Error::not_found(
        "FloatingIPNotFound",
        format!("Floating IP {id} could not be found"),
    )
}

pub fn visible(c: &mut Conn, caller: &Caller, id: &str) -> Result<FloatingIpRow> {
    match store::floating_ips::get(c, id)? {
        Some(f) if caller.owns(&f.project_id) => Ok(f),
        _ => Err(not_found(id)),
    }
}

pub fn expand(c: &mut Conn, rows: Vec<FloatingIpRow>) -> Result<Vec<FloatingIp>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut tags = store::tags::of(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| FloatingIp {
            tags: tags.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub fn list(c: &mut Conn, caller: &Caller) -> Result<Vec<FloatingIp>> {
    let rows = caller.scoped(c, store::floating_ips::all, |c, p| {
        store::floating_ips::of_project(c, p)
    })?;
    expand(c, rows)
}

pub fn show(c: &mut Conn, caller: &Caller, id: &str) -> Result<FloatingIp> {
    let row = visible(c, caller, id)?;
    Ok(expand(c, vec![row])?.remove(0))
}

fn bad_floating_ip(message: String) -> Error {
    Error::BadRequest {
        kind: "BadRequest",
        message: format!("Bad floatingip request: {message}."),
    }
}

/// Points a floating IP at a port's fixed address, through the router
/// that joins the port's subnet to the floating IP's network.
fn associate(
    c: &mut Conn,
    caller: &Caller,
    row: &mut FloatingIpRow,
    port_id: &str,
    fixed: Option<&str>,
) -> Result<()> {
    let port = ports::show(c, caller, port_id)?;
    let v4: Vec<_> = port
        .fixed_ips
        .iter()
        .filter(|f| f.ip_address.parse::<std::net::Ipv4Addr>().is_ok())
        .collect();
    let chosen = match fixed {
        Some(ip) => port.fixed_ips.iter().find(|f| f.ip_address == ip).ok_or_else(|| {
            bad_floating_ip(format!("Port {port_id} does not have fixed ip {ip}"))
        })?,
        None if v4.len() > 1 => {
            return Err(bad_floating_ip(format!(
                "Port {port_id} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP"
            )))
        }
        None => v4.first().copied().ok_or_else(|| {
            bad_floating_ip(format!("No IPv4 address found on port {port_id}"))
        })?,
    };
    for other in store::floating_ips::of_fixed_port(c, port_id)? {
        if other.id != row.id && other.fixed_ip_address.as_deref() == Some(&chosen.ip_address) {
            return Err(Error::conflict(
                "FloatingIPPortAlreadyAssociated",
                format!(
                    "Cannot associate floating IP {} ({}) with port {port_id} using fixed IP {}, as that fixed IP already has a floating IP on external network {}.",
                    row.floating_ip_address, row.id, chosen.ip_address, other.floating_network_id
                ),
            ));
        }
    }
    let router = routers::router_for(c, &chosen.subnet_id, &row.floating_network_id)?.ok_or_else(|| {
        Error::not_found(
            "ExternalGatewayForFloatingIPNotFound",
            format!(
                "External network {} is not reachable from subnet {}.  Therefore, cannot associate Port {port_id} with a Floating IP.",
                row.floating_network_id, chosen.subnet_id
            ),
        )
    })?;
    row.fixed_port_id = Some(port_id.to_owned());
    row.fixed_ip_address = Some(chosen.ip_address.clone());
    row.router_id = Some(router);
    row.status = "ACTIVE".into();
    Ok(())
}

fn clear(row: &mut FloatingIpRow) {
    row.fixed_port_id = None;
    row.fixed_ip_address = None;
    row.router_id = None;
    row.status = "DOWN".into();
}

pub fn create(c: &mut Conn, ctx: &Ctx, req: FloatingIpRequest) -> Result<FloatingIp> {
    attrs::refuse_unknown(&req.unknown)?;
    let network_id = req.floating_network_id.clone().ok_or_else(|| {
        Error::bad_request(
            "Failed to parse request. Required attribute 'floating_network_id' not specified",
        )
    })?;
    let network = networks::visible(c, ctx.caller, &network_id)?;
    if !network.external {
        return Err(bad_floating_ip(format!(
            "Network {network_id} is not a valid external network"
        )));
    }
    if req.floating_ip_address.is_some() && !ctx.caller.is_admin {
        return Err(Error::policy("create_floatingip:floating_ip_address"));
    }
    let project = ctx.caller.owner_for_create(requested_project(
        req.project_id.clone(),
        req.tenant_id.clone(),
    )?)?;
    quotas::check(c, ctx.conf, &project, "floatingip", 1)?;
    let id = uuid::Uuid::new_v4().to_string();
    let fixed_ips = match (&req.floating_ip_address, &req.subnet_id) {
        (None, None) => routers::first_v4(c, &network_id)?,
        (ip, subnet) => vec![FixedIpRequest {
            subnet_id: subnet.clone(),
            ip_address: ip.clone(),
            ..Default::default()
        }],
    };
    let admin = Caller::admin();
    let port = ports::create(
        c,
        &Ctx {
            caller: &admin,
            ..*ctx
        },
        PortRequest {
            network_id: Some(network_id.clone()),
            device_id: Some(id.clone()),
            device_owner: Some(FLOATING_IP.into()),
            fixed_ips: Some(fixed_ips),
            project_id: Some(String::new()),
            ..Default::default()
        },
    )?;
    let address = port
        .fixed_ips
        .first()
        .map(|f| f.ip_address.clone())
        .ok_or_else(|| Error::invalid("the floating IP port got no address"))?;
    let now = compat_api::time::now_us();
    let mut row = FloatingIpRow {
        id,
        project_id: project,
        floating_network_id: network_id,
        floating_ip_address: address,
        floating_port_id: port.row.id,
        fixed_port_id: None,
        fixed_ip_address: None,
        router_id: None,
        status: "DOWN".into(),
        description: attrs::text("description", req.description)?.unwrap_or_default(),
        revision_number: 1,
        created_at: now,
        updated_at: now,
    };
    if let Some(Some(port_id)) = &req.port_id {
        let fixed = req.fixed_ip_address.clone().flatten();
        associate(c, ctx.caller, &mut row, port_id, fixed.as_deref())?;
    }
    store::floating_ips::insert(c, &row)?;
    Ok(FloatingIp {
        row,
        tags: Vec::new(),
    })
}

pub fn update(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: FloatingIpRequest,
    if_match: Option<i64>,
) -> Result<FloatingIp> {
    attrs::refuse_unknown(&req.unknown)?;
    for (attr, given) in [
        ("floating_network_id", req.floating_network_id.is_some()),
        ("floating_ip_address", req.floating_ip_address.is_some()),
        ("subnet_id", req.subnet_id.is_some()),
        (
            "project_id",
            req.project_id.is_some() || req.tenant_id.is_some(),
        ),
    ] {
        attrs::refuse_read_only(attr, given)?;
    }
    let mut row = visible(c, ctx.caller, id)?;
    attrs::check_revision(if_match, row.revision_number)?;
    if let Some(d) = attrs::text("description", req.description)? {
        row.description = d;
    }
    match &req.port_id {
        Some(Some(port_id)) => {
            let fixed = req.fixed_ip_address.clone().flatten();
            associate(c, ctx.caller, &mut row, port_id, fixed.as_deref())?;
        }
        Some(None) => clear(&mut row),
        None => {}
    }
    attrs::touch(&mut row.revision_number, &mut row.updated_at);
    store::floating_ips::update(c, &row)?;
    Ok(expand(c, vec![row])?.remove(0))
}

pub fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<()> {
    let row = visible(c, ctx.caller, id)?;
    store::floating_ips::delete(c, id)?;
    store::ports::delete_with_children(c, &row.floating_port_id)?;
    Ok(())
}

/// A port going away takes its floating IPs' association with it.
pub fn disassociate_port(c: &mut Conn, port_id: &str) -> Result<()> {
    for mut row in store::floating_ips::of_fixed_port(c, port_id)? {
        clear(&mut row);
        attrs::touch(&mut row.revision_number, &mut row.updated_at);
        store::floating_ips::update(c, &row)?;
    }
    Ok(())
}
