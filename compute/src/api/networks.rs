//! The network proxy API nova keeps below 2.36 (`os-networks`, read
//! only): the networks the caller sees in the network service, in the
//! nova-network shape (most of whose fields neutron has no value for).

use super::error::not_found;
use super::{ApiResult, Req, Svc};
use crate::clients::NetworkInfo;
use actix_web::{web, HttpResponse};
use compat_api::ApiError;
use serde_json::{json, Value};

fn proxy(req: &Req) -> Result<(), ApiError> {
    if req.at_least(36) {
        return Err(not_found("The resource could not be found."));
    }
    Ok(())
}

/// Admins see every nova-network field; others the addressing ones.
fn view(req: &Req, n: &NetworkInfo) -> Value {
    let mut v = json!({
        "id": n.id, "label": n.name, "cidr": null, "cidr_v6": null, "netmask": null,
        "netmask_v6": null, "gateway": null, "gateway_v6": null, "broadcast": null,
        "dns1": null, "dns2": null,
    });
    if req.ctx.is_admin {
        for key in [
            "bridge",
            "bridge_interface",
            "created_at",
            "deleted_at",
            "dhcp_server",
            "dhcp_start",
            "enable_dhcp",
            "host",
            "injected",
            "mtu",
            "multi_host",
            "priority",
            "rxtx_base",
            "share_address",
            "updated_at",
            "vlan",
            "vpn_private_address",
            "vpn_public_address",
            "vpn_public_port",
        ] {
            v[key] = Value::Null;
        }
        v["deleted"] = json!(false);
        v["project_id"] = json!(n.project_id);
    }
    v
}

pub async fn list_networks(req: Req, svc: Svc) -> ApiResult {
    proxy(&req)?;
    let nets = svc.network.networks(&req.ctx, None).await?;
    let list: Vec<Value> = nets.iter().map(|n| view(&req, n)).collect();
    Ok(HttpResponse::Ok().json(json!({ "networks": list })))
}

pub async fn show_network(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let nets = svc
        .network
        .networks(&req.ctx, Some(vec![id.clone()]))
        .await
        .map_err(|_| not_found(format!("Network {id} could not be found.")))?;
    let n = nets
        .first()
        .ok_or_else(|| not_found(format!("Network {id} could not be found.")))?;
    Ok(HttpResponse::Ok().json(json!({ "network": view(&req, n) })))
}
