//! `/servers/{id}/os-interface`: the ports plugged into a server; attach
//! a port or a new one on a network, detach.

use super::error::{bad_request, not_found};
use super::{ApiResult, Req, Svc};
use crate::instances::{self, Vif};
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use serde_json::{json, Value};

fn view(req: &Req, vif: &Vif) -> Value {
    let mut v = json!({
        "port_state": "ACTIVE",
        "port_id": vif.port_id,
        "net_id": vif.network_id,
        "mac_addr": vif.mac,
        "fixed_ips": vif
            .ips
            .iter()
            .filter(|ip| ip.kind == "fixed")
            .map(|ip| json!({ "subnet_id": ip.subnet_id, "ip_address": ip.address }))
            .collect::<Vec<_>>(),
    });
    if req.at_least(70) {
        v["tag"] = Value::Null;
    }
    v
}

pub async fn list_interfaces(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id)).await?;
    let list: Vec<Value> = inst.vifs.iter().map(|v| view(&req, v)).collect();
    Ok(HttpResponse::Ok().json(json!({ "interfaceAttachments": list })))
}

pub async fn show_interface(req: Req, svc: Svc, path: web::Path<(String, String)>) -> ApiResult {
    let (id, port) = path.into_inner();
    let ctx = req.ctx.clone();
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id)).await?;
    let vif = inst
        .vifs
        .iter()
        .find(|v| v.port_id == port)
        .ok_or_else(|| not_found(format!("Port {port} is not attached")))?;
    Ok(HttpResponse::Ok().json(json!({ "interfaceAttachment": view(&req, vif) })))
}

pub async fn create_interface(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let id = path.into_inner().0;
    let empty = json!({});
    let att = body.0.get("interfaceAttachment").unwrap_or(&empty);
    let text = |k: &str| att.get(k).and_then(Value::as_str).map(str::to_owned);
    let (port, net) = (text("port_id"), text("net_id"));
    let fixed_ip = match att.get("fixed_ips") {
        None => None,
        Some(Value::Array(ips)) => match ips.as_slice() {
            [one] => one
                .get("ip_address")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => return Err(bad_request(
                "Invalid input for field/attribute fixed_ips. Exactly one fixed IP may be given.",
            )),
        },
        Some(_) => return Err(bad_request("Invalid input for field/attribute fixed_ips.")),
    };
    if port.is_some() && (net.is_some() || fixed_ip.is_some()) {
        return Err(bad_request("Must not input both network_id and port_id"));
    }
    if fixed_ip.is_some() && net.is_none() {
        return Err(bad_request("Must input network_id when request IP address"));
    }
    let net = match (&port, net) {
        (None, None) => Some(default_network(&req, &svc).await?),
        (_, net) => net,
    };
    let vif = svc
        .attach_interface(&req.ctx, &id, port, net, fixed_ip)
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "interfaceAttachment": view(&req, &vif) })))
}

/// Nothing named: the project's only usable network, as nova picks it.
async fn default_network(req: &Req, svc: &Svc) -> Result<String, compat_api::ApiError> {
    let usable: Vec<_> = svc
        .network
        .networks(&req.ctx, None)
        .await?
        .into_iter()
        .filter(|n| !n.external && n.subnet_count > 0)
        .collect();
    match usable.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(bad_request(
            "No network is available to attach the interface to.",
        )),
        _ => Err(crate::error::Error::conflict(
            "Multiple possible networks found, use a Network ID to be more specific.",
        )
        .into()),
    }
}

pub async fn delete_interface(req: Req, svc: Svc, path: web::Path<(String, String)>) -> ApiResult {
    let (id, port) = path.into_inner();
    svc.detach_interface(&req.ctx, &id, &port).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// `GET /servers/{id}/diagnostics` (admin): nova's standard shape from
/// 2.48, the driver's flat keys before.
pub async fn show_diagnostics(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let id = path.into_inner().0;
    let (inst, d) = svc.diagnostics(&req.ctx, &id).await?;
    let num = |k: &str| d.get(k).and_then(Value::as_i64).unwrap_or(0);
    let nics: Vec<String> = d
        .get("nics")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if !req.at_least(48) {
        let mut flat = json!({
            "cpu0_time": 0,
            "memory": num("memory_mb") * 1024,
            "vda_read": 0, "vda_write": 0, "vda_read_req": 0, "vda_write_req": 0,
            "vda_errors": -1,
        });
        for (i, _) in nics.iter().enumerate() {
            flat[format!("tap{i}_rx")] = json!(0);
            flat[format!("tap{i}_tx")] = json!(0);
        }
        return Ok(HttpResponse::Ok().json(flat));
    }
    Ok(HttpResponse::Ok().json(json!({
        "state": d.get("state"),
        "driver": d.get("driver"),
        "hypervisor": d.get("hypervisor"),
        "hypervisor_os": d.get("hypervisor_os"),
        "uptime": num("uptime"),
        "config_drive": !inst.row.config_drive.is_empty(),
        "num_cpus": num("num_cpus"),
        "num_nics": nics.len(),
        "num_disks": 1,
        "memory_details": { "maximum": num("memory_mb"), "used": 0 },
        "cpu_details": (0..num("num_cpus")).map(|i| json!({"id": i, "time": 0, "utilisation": null})).collect::<Vec<_>>(),
        "nic_details": nics.iter().map(|mac| json!({
            "mac_address": mac, "rx_octets": 0, "rx_errors": 0, "rx_drop": 0, "rx_packets": 0,
            "rx_rate": null, "tx_octets": 0, "tx_errors": 0, "tx_drop": 0, "tx_packets": 0, "tx_rate": null,
        })).collect::<Vec<_>>(),
        "disk_details": [{ "read_bytes": 0, "read_requests": 0, "write_bytes": 0, "write_requests": 0, "errors_count": 0 }],
    })))
}
