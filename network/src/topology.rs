//! `auto-allocated-topology`: a project's network, made on first request
//! from the default subnet pool and joined to the default external network
//! by a router — what `nova boot --nic auto` relies on.

use crate::error::{Error, Result};
use crate::networks::{self, NetworkRequest};
use crate::policy::Caller;
use crate::routers::{self, GatewayRequest, InterfaceRequest, RouterRequest};
use crate::store::{self, Conn};
use crate::subnets::{self, SubnetRequest};
use crate::Ctx;

const NETWORK_NAME: &str = "auto_allocated_network";
const ROUTER_NAME: &str = "auto_allocated_router";

fn existing(c: &mut Conn, project_id: &str) -> Result<Option<String>> {
    Ok(store::networks::of_project(c, project_id)?
        .into_iter()
        .find(|n| n.name == NETWORK_NAME)
        .map(|n| n.id))
}

fn default_external(c: &mut Conn) -> Result<String> {
    store::networks::external(c)?
        .into_iter()
        .find(|n| n.is_default)
        .map(|n| n.id)
        .ok_or_else(|| {
            Error::conflict(
                "AutoAllocationFailure",
                "Deployment error: No default router:external network.",
            )
        })
}

/// What auto-allocation needs (the `dry-run` check): a default external
/// network and a default IPv4 subnet pool. Returns the external network.
pub fn check(c: &mut Conn, ctx: &Ctx, project_id: &str) -> Result<String> {
    if !ctx.caller.owns(project_id) {
        return Err(Error::policy("get_auto_allocated_topology"));
    }
    let external = default_external(c)?;
    if store::subnetpools::default_for(c, 4)?.is_none() {
        return Err(Error::conflict(
            "AutoAllocationFailure",
            "Deployment error: No default subnetpools defined.",
        ));
    }
    Ok(external)
}

/// The project's auto-allocated network, created if need be.
pub fn get_or_create(c: &mut Conn, ctx: &Ctx, project_id: &str) -> Result<String> {
    let external = check(c, ctx, project_id)?;
    if let Some(id) = existing(c, project_id)? {
        return Ok(id);
    }
    let admin = Caller::admin();
    let as_admin = Ctx {
        caller: &admin,
        ..*ctx
    };
    let network = networks::create(
        c,
        &as_admin,
        NetworkRequest {
            name: Some(NETWORK_NAME.into()),
            project_id: Some(project_id.into()),
            ..Default::default()
        },
    )?;
    let subnet = subnets::create(
        c,
        &as_admin,
        SubnetRequest {
            name: Some("auto_allocated_subnet_v4".into()),
            network_id: Some(network.row.id.clone()),
            ip_version: Some(4),
            use_default_subnetpool: Some(true),
            project_id: Some(project_id.into()),
            ..Default::default()
        },
    )?;
    let router = routers::create(
        c,
        &as_admin,
        RouterRequest {
            name: Some(ROUTER_NAME.into()),
            project_id: Some(project_id.into()),
            external_gateway_info: Some(Some(GatewayRequest {
                network_id: Some(external),
                ..Default::default()
            })),
            ..Default::default()
        },
    )?;
    routers::add_interface(
        c,
        &as_admin,
        &router.row.id,
        InterfaceRequest {
            subnet_id: Some(subnet.row.id),
            ..Default::default()
        },
    )?;
    Ok(network.row.id)
}

/// Tears the topology down (router, subnet, network).
pub fn delete(c: &mut Conn, ctx: &Ctx, project_id: &str) -> Result<()> {
    if !ctx.caller.owns(project_id) {
        return Err(Error::policy("delete_auto_allocated_topology"));
    }
    let Some(network_id) = existing(c, project_id)? else {
        return Err(Error::not_found(
            "AutoAllocatedTopologyNotFound",
            format!("Auto-allocated topology for project {project_id} not found"),
        ));
    };
    let admin = Caller::admin();
    let as_admin = Ctx {
        caller: &admin,
        ..*ctx
    };
    for router in store::routers::of_project(c, project_id)?
        .into_iter()
        .filter(|r| r.name == ROUTER_NAME)
    {
        for subnet in store::subnets::of_network(c, &network_id)? {
            let req = InterfaceRequest {
                subnet_id: Some(subnet.id),
                ..Default::default()
            };
            match routers::remove_interface(c, &as_admin, &router.id, req) {
                Ok(_) | Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        routers::delete(c, &as_admin, &router.id)?;
    }
    networks::delete(c, &as_admin, &network_id)
}
