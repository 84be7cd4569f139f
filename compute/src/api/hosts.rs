//! What the cloud is made of: `os-availability-zone`, `os-hypervisors`
//! and `os-services`.

use super::error::{bad_request, not_found};
use super::{ApiResult, Req, Svc};
use crate::scheduler::claims;
use crate::store;
use crate::store::models::{ComputeNodeRow, ServiceRow};
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::time::iso_micros_naive;
use compat_api::ApiError;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn is_up(svc: &Svc, s: &ServiceRow) -> bool {
    s.is_up(
        compat_api::time::now_us(),
        svc.conf.service_down_time.as_micros() as i64,
    )
}

/// Compute services by the zone their host is in (an aggregate's, or the
/// default zone).
async fn services_by_zone(svc: &Svc) -> Result<BTreeMap<String, Vec<ServiceRow>>, ApiError> {
    let (services, aggregates) = svc
        .read(|c| Ok((store::services::all(c)?, crate::aggregates::all(c)?)))
        .await?;
    let zones = crate::aggregates::host_zones(&aggregates);
    let mut out: BTreeMap<String, Vec<ServiceRow>> = BTreeMap::new();
    for s in services {
        let zone = zones
            .get(&s.host)
            .cloned()
            .unwrap_or_else(|| svc.conf.default_availability_zone.clone());
        out.entry(zone).or_default().push(s);
    }
    Ok(out)
}

pub async fn list_availability_zones(_req: Req, svc: Svc) -> ApiResult {
    let zones = services_by_zone(&svc).await?;
    let list: Vec<Value> = zones
        .iter()
        .map(|(zone, services)| {
            let available = services.iter().any(|s| !s.disabled);
            json!({"zoneName": zone, "zoneState": {"available": available}, "hosts": null})
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "availabilityZoneInfo": list })))
}

pub async fn list_availability_zones_detail(req: Req, svc: Svc) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-availability-zone:detail")?;
    let zones = services_by_zone(&svc).await?;
    let mut list: Vec<Value> = Vec::new();
    for (zone, services) in &zones {
        let mut hosts = serde_json::Map::new();
        for s in services {
            let entry = hosts.entry(s.host.clone()).or_insert_with(|| json!({}));
            entry[&s.service_binary] = json!({
                "available": !s.disabled && is_up(&svc, s),
                "active": !s.disabled,
                "updated_at": s.last_seen_up.map(iso_micros_naive),
            });
        }
        let available = services.iter().any(|s| !s.disabled);
        list.push(json!({"zoneName": zone, "zoneState": {"available": available}, "hosts": hosts}));
    }
    list.push(json!({
        "zoneName": svc.conf.internal_service_availability_zone,
        "zoneState": {"available": true},
        "hosts": {},
    }));
    Ok(HttpResponse::Ok().json(json!({ "availabilityZoneInfo": list })))
}

fn hypervisor_id(req: &Req, n: &ComputeNodeRow) -> Value {
    if req.at_least(53) {
        json!(n.id)
    } else {
        json!(n.seq)
    }
}

fn hypervisor(
    req: &Req,
    svc: &Svc,
    n: &ComputeNodeRow,
    h: Option<&crate::scheduler::HostState>,
    service: Option<&ServiceRow>,
    detail: bool,
) -> Value {
    let up = service.is_some_and(|s| is_up(svc, s));
    let mut v = json!({
        "id": hypervisor_id(req, n),
        "hypervisor_hostname": n.hypervisor_hostname,
        "state": if up { "up" } else { "down" },
        "status": if service.is_some_and(|s| s.disabled) { "disabled" } else { "enabled" },
    });
    if !detail {
        return v;
    }
    v["hypervisor_type"] = json!(n.hypervisor_type);
    v["hypervisor_version"] = json!(n.hypervisor_version);
    v["host_ip"] = json!(n.host_ip);
    v["service"] = json!({
        "host": n.host,
        "id": service.map(|s| if req.at_least(53) { json!(s.id) } else { json!(s.seq) }),
        "disabled_reason": service.and_then(|s| s.disabled_reason.clone()),
    });
    if !req.at_least(88) {
        let used = h.map(|h| h.used).unwrap_or_default();
        let count = h.map(|h| h.instances).unwrap_or(0);
        v["vcpus"] = json!(n.vcpus);
        v["memory_mb"] = json!(n.memory_mb);
        v["local_gb"] = json!(n.local_gb);
        v["vcpus_used"] = json!(used.vcpus);
        v["memory_mb_used"] = json!(used.memory_mb + n.reserved_host_memory_mb);
        v["local_gb_used"] = json!(used.disk_gb);
        v["free_ram_mb"] = json!(n.memory_mb - n.reserved_host_memory_mb - used.memory_mb);
        v["free_disk_gb"] = json!(n.local_gb - used.disk_gb);
        v["current_workload"] = json!(0);
        v["running_vms"] = json!(count);
        v["disk_available_least"] = json!(n.local_gb - used.disk_gb);
        // A JSON text before 2.28, an object from it.
        v["cpu_info"] = if req.at_least(28) {
            json!({})
        } else {
            json!("{}")
        };
    } else {
        v["uptime"] = Value::Null;
    }
    v
}

/// Every node, the scheduler's view of each, and the services.
type Inventory = (
    Vec<ComputeNodeRow>,
    Vec<crate::scheduler::HostState>,
    Vec<ServiceRow>,
);

async fn nodes(svc: &Svc) -> Result<Inventory, compat_api::ApiError> {
    Ok(svc
        .read(|c| {
            Ok((
                store::nodes::all(c)?,
                claims::host_states(c)?,
                store::services::all(c)?,
            ))
        })
        .await?)
}

async fn list(req: Req, svc: Svc, detail: bool) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-hypervisors:list")?;
    let (nodes, states, services) = nodes(&svc).await?;
    let list: Vec<Value> = nodes
        .iter()
        .map(|n| {
            let h = states.iter().find(|h| h.node_id == n.id);
            let s = services
                .iter()
                .find(|s| s.host == n.host && s.service_binary == crate::agent::BINARY);
            hypervisor(&req, &svc, n, h, s, detail)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "hypervisors": list })))
}

pub async fn list_hypervisors(req: Req, svc: Svc) -> ApiResult {
    list(req, svc, false).await
}

pub async fn list_hypervisors_detail(req: Req, svc: Svc) -> ApiResult {
    list(req, svc, true).await
}

pub async fn show_hypervisor(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-hypervisors:show")?;
    let id = path.into_inner().0;
    let (nodes, states, services) = nodes(&svc).await?;
    let found = nodes.iter().find(|n| {
        if req.at_least(53) {
            n.id == id
        } else {
            n.seq.to_string() == id
        }
    });
    let n =
        found.ok_or_else(|| not_found(format!("Hypervisor with ID '{id}' could not be found.")))?;
    let h = states.iter().find(|h| h.node_id == n.id);
    let s = services
        .iter()
        .find(|s| s.host == n.host && s.service_binary == crate::agent::BINARY);
    Ok(HttpResponse::Ok().json(json!({"hypervisor": hypervisor(&req, &svc, n, h, s, true)})))
}

fn service_view(req: &Req, svc: &Svc, s: &ServiceRow) -> Value {
    let mut v = json!({
        "id": if req.at_least(53) { json!(s.id) } else { json!(s.seq) },
        "binary": s.service_binary, "host": s.host,
        "zone": if s.service_binary == crate::agent::BINARY { svc.conf.default_availability_zone.clone() } else { svc.conf.internal_service_availability_zone.clone() },
        "status": if s.disabled { "disabled" } else { "enabled" },
        "state": if is_up(svc, s) { "up" } else { "down" },
        "updated_at": s.last_seen_up.map(iso_micros_naive),
        "disabled_reason": s.disabled_reason,
    });
    if req.at_least(11) {
        v["forced_down"] = json!(s.forced_down);
    }
    v
}

/// `GET /os-services`, filtered by `host` and `binary`.
pub async fn list_services(
    req: Req,
    svc: Svc,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> ApiResult {
    req.ctx.require_admin("os_compute_api:os-services:list")?;
    let rows = svc.read(|c| Ok(store::services::all(c)?)).await?;
    let wanted = |key: &str, value: &str| query.get(key).is_none_or(|v| v == value);
    let list: Vec<Value> = rows
        .iter()
        .filter(|s| wanted("host", &s.host) && wanted("binary", &s.service_binary))
        .map(|s| service_view(&req, &svc, s))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "services": list })))
}

/// `PUT /os-services/{id}` (2.53, by uuid), and the older
/// `PUT /os-services/disable|enable|disable-log-reason|force-down`.
pub async fn update_service(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    req.ctx.require_admin("os_compute_api:os-services:update")?;
    let id = path.into_inner().0;
    let body = body.into_inner();
    let by_uuid = req.at_least(53);
    let get_str = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let reason = get_str("disabled_reason");
    let (status, forced) = if by_uuid {
        (
            get_str("status"),
            body.get("forced_down").and_then(Value::as_bool),
        )
    } else {
        match id.as_str() {
            "disable" | "disable-log-reason" => (Some("disabled".into()), None),
            "enable" => (Some("enabled".into()), None),
            "force-down" => (None, body.get("forced_down").and_then(Value::as_bool)),
            _ => return Err(not_found("Unknown action")),
        }
    };
    if status.is_none() && forced.is_none() && reason.is_none() {
        return Err(bad_request("No updates were requested."));
    }
    if let Some(s) = &status {
        if s != "enabled" && s != "disabled" {
            return Err(bad_request(format!(
                "Invalid input for field/attribute status. Value: {s}."
            )));
        }
    }
    let (host, binary) = (get_str("host"), get_str("binary"));
    let row = svc
        .write(move |c| {
            let found = if by_uuid {
                store::services::get(c, &id)?
            } else {
                match (&host, &binary) {
                    (Some(h), Some(b)) => store::services::by_host(c, h, b)?,
                    _ => None,
                }
            };
            let mut row = found.ok_or_else(|| {
                crate::Error::NotFound(format!("Service {id} could not be found."))
            })?;
            if let Some(s) = status {
                row.disabled = s == "disabled";
                row.disabled_reason = if row.disabled { reason } else { None };
            }
            if let Some(f) = forced {
                row.forced_down = f;
            }
            row.updated_at = compat_api::time::now_us();
            store::services::update(c, &row)?;
            Ok(row)
        })
        .await?;
    svc.reload_hosts().await?;
    if by_uuid {
        return Ok(HttpResponse::Ok().json(json!({"service": service_view(&req, &svc, &row)})));
    }
    let mut v = json!({"host": row.host, "binary": row.service_binary, "status": if row.disabled { "disabled" } else { "enabled" }});
    if let Some(r) = &row.disabled_reason {
        v["disabled_reason"] = json!(r);
    }
    if forced.is_some() {
        v["forced_down"] = json!(row.forced_down);
    }
    Ok(HttpResponse::Ok().json(json!({ "service": v })))
}
