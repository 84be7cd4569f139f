//! The floating IP proxy APIs nova keeps below 2.36 (`os-floating-ips`,
//! `os-floating-ip-pools`) and the server actions that map one to a
//! server (`addFloatingIp`, `removeFloatingIp`, gone from 2.44). The
//! addresses live in the network service; a pool is an external network,
//! named by its name.
//! nova's network info cache (the server's `addresses`) follows what these
//! actions and deletes do; a change made in the network service directly
//! shows there only when the server's ports are next bound.

use super::error::{bad_request, not_found};
use super::security_groups::proxy;
use super::{ApiResult, Req, Svc};
use crate::clients::{FloatingIpInfo, NetworkInfo};
use crate::context::Context;
use crate::error::Error;
use crate::instances::VifIp;
use crate::{instances, ComputeService};
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::ApiError;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::IpAddr;

fn floating_ip_not_found(id: &str) -> ApiError {
    not_found(format!("Floating IP not found for ID {id}"))
}

fn pool_not_found() -> ApiError {
    not_found("Floating IP pool not found.")
}

/// nova's view: the pool by name, the instance by its port's device.
fn view(f: &FloatingIpInfo, pools: &HashMap<String, String>) -> Value {
    let associated = f.port_id.is_some();
    json!({
        "id": f.id,
        "ip": f.floating_ip_address,
        "pool": pools.get(&f.floating_network_id),
        "fixed_ip": if associated { json!(f.fixed_ip_address) } else { Value::Null },
        "instance_id": if associated { json!(f.device_id) } else { Value::Null },
    })
}

/// The external networks `req` sees.
async fn pools(req: &Req, svc: &ComputeService) -> Result<Vec<NetworkInfo>, ApiError> {
    let nets = svc.network.networks(&req.ctx, None).await?;
    Ok(nets.into_iter().filter(|n| n.external).collect())
}

fn pool_names(pools: &[NetworkInfo]) -> HashMap<String, String> {
    pools
        .iter()
        .map(|n| (n.id.clone(), n.name.clone()))
        .collect()
}

/// The project's floating IPs (nova shows a project its own, admins too).
async fn own(req: &Req, svc: &ComputeService) -> Result<Vec<FloatingIpInfo>, ApiError> {
    let all = svc.network.floating_ips(&req.ctx).await?;
    Ok(all
        .into_iter()
        .filter(|f| f.project_id == req.ctx.project_id)
        .collect())
}

/// Moves `address` in the server's cached addresses: off every port, then
/// (`port`) beside the fixed addresses of that port.
async fn cache_floating(
    svc: &ComputeService,
    ctx: &Context,
    instance_id: &str,
    address: &str,
    port: Option<&str>,
) -> Result<(), Error> {
    let (address, port) = (address.to_owned(), port.map(str::to_owned));
    svc.update_instance(ctx, "api", instance_id, move |inst| {
        let mut changed = false;
        for vif in &mut inst.vifs {
            let before = vif.ips.len();
            vif.ips
                .retain(|ip| !(ip.kind == "floating" && ip.address == address));
            changed |= vif.ips.len() != before;
            if port.as_deref() == Some(vif.port_id.as_str()) {
                let v6 = address.contains(':');
                vif.ips.push(VifIp {
                    version: if v6 { 6 } else { 4 },
                    cidr: format!("{address}/{}", if v6 { 128 } else { 32 }),
                    address: address.clone(),
                    kind: "floating".into(),
                    gateway: None,
                    subnet_id: None,
                });
                changed = true;
            }
        }
        changed
    })
    .await?;
    Ok(())
}

/// Forgets the address in the cache of the server it was mapped to.
async fn uncache(svc: &ComputeService, ctx: &Context, f: &FloatingIpInfo) -> Result<(), Error> {
    match (&f.port_id, &f.device_id) {
        (Some(_), Some(device)) if !device.is_empty() => {
            match cache_floating(svc, ctx, device, &f.floating_ip_address, None).await {
                // Not a server of this cloud (a router's or a user's port).
                Err(Error::NotFound(_)) => Ok(()),
                other => other,
            }
        }
        _ => Ok(()),
    }
}

pub async fn list_floating_ips(req: Req, svc: Svc) -> ApiResult {
    proxy(&req)?;
    let names = pool_names(&pools(&req, &svc).await?);
    let list: Vec<Value> = own(&req, &svc)
        .await?
        .iter()
        .map(|f| view(f, &names))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "floating_ips": list })))
}

pub async fn show_floating_ip(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let names = pool_names(&pools(&req, &svc).await?);
    let f = own(&req, &svc)
        .await?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| floating_ip_not_found(&id))?;
    Ok(HttpResponse::Ok().json(json!({ "floating_ip": view(&f, &names) })))
}

/// Allocates an address from the pool named in the body, or from the
/// default one (`nova` if there is such an external network, as nova's
/// `default_floating_pool`, else the first).
pub async fn create_floating_ip(req: Req, svc: Svc, body: Option<JsonBody<Value>>) -> ApiResult {
    proxy(&req)?;
    let pool = match body.as_ref().and_then(|b| b.0.get("pool")) {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(other) => Some(other.to_string()),
    };
    let external = pools(&req, &svc).await?;
    let network = match &pool {
        Some(p) => external.iter().find(|n| &n.name == p || &n.id == p),
        None => external
            .iter()
            .find(|n| n.name == "nova")
            .or_else(|| external.first()),
    }
    .ok_or_else(pool_not_found)?;
    let f = svc
        .network
        .create_floating_ip(&req.ctx, &network.id)
        .await
        .map_err(|e| match (e, &pool) {
            (Error::OverQuota(_), Some(p)) => ApiError::from(Error::OverQuota(format!(
                "IP allocation over quota in pool {p}."
            ))),
            (Error::OverQuota(_), None) => {
                ApiError::from(Error::OverQuota("IP allocation over quota.".into()))
            }
            (Error::Conflict(_), Some(p)) => {
                not_found(format!("No more floating IPs in pool {p}."))
            }
            (Error::Conflict(_), None) => not_found("No more floating IPs available."),
            (Error::NotFound(_), _) => pool_not_found(),
            (other, _) => other.into(),
        })?;
    let names = pool_names(&external);
    Ok(HttpResponse::Ok().json(json!({ "floating_ip": view(&f, &names) })))
}

pub async fn delete_floating_ip(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let f = own(&req, &svc)
        .await?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| floating_ip_not_found(&id))?;
    svc.network
        .delete_floating_ip(&req.ctx, &f.id)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => floating_ip_not_found(&id),
            other => other.into(),
        })?;
    uncache(&svc, &req.ctx, &f).await?;
    Ok(HttpResponse::Accepted().finish())
}

pub async fn list_floating_ip_pools(req: Req, svc: Svc) -> ApiResult {
    proxy(&req)?;
    let list: Vec<Value> = pools(&req, &svc)
        .await?
        .iter()
        .map(|n| json!({ "name": n.name }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "floating_ip_pools": list })))
}

/// An IP address argument of the actions (nova's schema: an IPv4 or IPv6
/// address).
fn address(
    action: &str,
    args: &Value,
    key: &str,
    required: bool,
) -> Result<Option<String>, ApiError> {
    let Some(args) = args.as_object() else {
        return Err(bad_request(format!(
            "Invalid input for field/attribute {action}. Value: {args}. {args} is not of type 'object'"
        )));
    };
    if let Some(extra) = args
        .keys()
        .find(|k| !matches!(k.as_str(), "address" | "fixed_address"))
        .filter(|_| action == "addFloatingIp")
        .or_else(|| {
            args.keys()
                .find(|k| k.as_str() != "address")
                .filter(|_| action == "removeFloatingIp")
        })
    {
        return Err(bad_request(format!(
            "Invalid input for field/attribute {action}. Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    match args.get(key) {
        None if required => Err(bad_request(format!(
            "Invalid input for field/attribute {action}. '{key}' is a required property"
        ))),
        None => Ok(None),
        Some(Value::String(s)) if s.parse::<IpAddr>().is_ok() => Ok(Some(s.clone())),
        Some(v) => Err(bad_request(format!(
            "Invalid input for field/attribute {key}. Value: {v}. {v} is not a 'ipv4' or 'ipv6' address"
        ))),
    }
}

/// The floating IP of the project with this address.
async fn by_address(
    req: &Req,
    svc: &ComputeService,
    address: &str,
) -> Result<FloatingIpInfo, ApiError> {
    own(req, svc)
        .await?
        .into_iter()
        .find(|f| f.floating_ip_address == address)
        .ok_or_else(|| not_found("floating IP not found"))
}

/// nova routes the actions it removed at a microversion to nothing.
fn action_gone(req: &Req) -> Result<(), ApiError> {
    if req.at_least(44) {
        return Err(not_found("The resource could not be found."));
    }
    Ok(())
}

/// `addFloatingIp`: maps the address to the server's port that holds the
/// fixed address given, or its first fixed IPv4 address.
pub async fn add_floating_ip(req: &Req, svc: &ComputeService, id: &str, args: &Value) -> ApiResult {
    action_gone(req)?;
    let action = "addFloatingIp";
    let floating = address(action, args, "address", true)?.unwrap_or_default();
    let fixed = address(action, args, "fixed_address", false)?;
    let (ctx, id2) = (req.ctx.clone(), id.to_owned());
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id2)).await?;
    if inst.vifs.is_empty() {
        return Err(bad_request("Instance network is not ready yet"));
    }
    let fixed_ips: Vec<(&str, &str, u8)> = inst
        .vifs
        .iter()
        .flat_map(|v| {
            v.ips
                .iter()
                .filter(|ip| ip.kind == "fixed")
                .map(move |ip| (v.port_id.as_str(), ip.address.as_str(), ip.version))
        })
        .collect();
    if fixed_ips.is_empty() {
        return Err(bad_request("No fixed IPs associated to instance"));
    }
    let (port_id, fixed_address) = match &fixed {
        Some(f) => fixed_ips
            .iter()
            .find(|(_, a, _)| a == f)
            .map(|(p, a, _)| (*p, *a))
            .ok_or_else(|| bad_request("Specified fixed address not assigned to instance"))?,
        None => fixed_ips
            .iter()
            .find(|(_, _, v)| *v == 4)
            .map(|(p, a, _)| (*p, *a))
            .ok_or_else(|| {
                bad_request(format!(
                    "Unable to associate floating IP {floating} to any fixed IPs for instance {id}. Instance has no fixed IPv4 addresses to associate."
                ))
            })?,
    };
    let f = by_address(req, svc, &floating).await?;
    svc.network
        .set_floating_ip_port(
            &req.ctx,
            &f.id,
            Some((port_id.to_owned(), Some(fixed_address.to_owned()))),
        )
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => not_found("floating IP not found"),
            Error::BadRequest(m) | Error::Conflict(m) => bad_request(format!(
                "Unable to associate floating IP {floating} to fixed IP {fixed_address} for instance {id}. Error: {m}"
            )),
            other => other.into(),
        })?;
    uncache(svc, &req.ctx, &f).await?;
    cache_floating(svc, &req.ctx, id, &floating, Some(port_id)).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `removeFloatingIp`: only from the server it is mapped to (else 409).
pub async fn remove_floating_ip(
    req: &Req,
    svc: &ComputeService,
    id: &str,
    args: &Value,
) -> ApiResult {
    action_gone(req)?;
    let floating = address("removeFloatingIp", args, "address", true)?.unwrap_or_default();
    let (ctx, id2) = (req.ctx.clone(), id.to_owned());
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id2)).await?;
    let f = by_address(req, svc, &floating).await?;
    if f.port_id.is_none() || f.device_id.as_deref() != Some(inst.row.id.as_str()) {
        return Err(ApiError::from(Error::Conflict(format!(
            "Floating IP {floating} is not associated with instance {id}."
        ))));
    }
    svc.network
        .set_floating_ip_port(&req.ctx, &f.id, None)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => bad_request("Floating IP is not associated"),
            other => other.into(),
        })?;
    cache_floating(svc, &req.ctx, id, &floating, None).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_addresses() {
        let add = "addFloatingIp";
        let ok = address(add, &json!({"address": "172.24.4.3"}), "address", true);
        assert_eq!(ok.ok().flatten().as_deref(), Some("172.24.4.3"));
        assert!(address(add, &json!({"address": ""}), "address", true).is_err());
        assert!(address(add, &json!({}), "address", true).is_err());
        assert!(address(add, &json!({"address": "1.2.3.4", "x": 1}), "address", true).is_err());
        let none = address(add, &json!({"address": "1.2.3.4"}), "fixed_address", false);
        assert!(none.ok().flatten().is_none());
        let rm = "removeFloatingIp";
        let extra = json!({"address": "1.2.3.4", "fixed_address": "10.0.0.3"});
        assert!(address(rm, &extra, "address", true).is_err());
    }
}
