//! `os-hosts` (deprecated, gone from 2.43): the compute hosts, what each
//! holds, and enabling or disabling one. Maintenance mode and the host
//! power actions are 501, as nova answers for the libvirt driver: no driver
//! here can evacuate, power cycle or start a host.

use super::error::{bad_request, not_found, not_implemented};
use super::hosts::{change_service, instances_on, no_such_route, services_with_zones};
use super::hosts::{Inventory, NodeUsage};
use super::{ApiResult, Req, Svc};
use crate::store;
use crate::store::models::ServiceRow;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::query::Query;
use compat_api::ApiError;
use serde_json::{json, Value};

fn removed(req: &Req) -> Result<(), ApiError> {
    if req.at_least(43) {
        return Err(no_such_route());
    }
    Ok(())
}

/// The host's `nova-compute` service; nova maps only compute hosts to a
/// cell, and says so of any other name.
async fn compute_service(svc: &Svc, host: &str) -> Result<ServiceRow, ApiError> {
    let name = host.to_owned();
    svc.read(move |c| Ok(store::services::by_host(c, &name, crate::agent::BINARY)?))
        .await?
        .ok_or_else(|| not_found(format!("Host '{host}' is not mapped to any cell")))
}

/// `GET /os-hosts`: the hosts of enabled services, in a `zone` if one is
/// named.
pub async fn list_hosts(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    removed(&req)?;
    let q = Query::parse(&http)?;
    req.ctx.require_admin("os_compute_api:os-hosts:list")?;
    let zone = q.get("zone").filter(|z| !z.is_empty());
    let hosts: Vec<Value> = services_with_zones(&svc)
        .await?
        .into_iter()
        .filter(|(s, z)| !s.disabled && zone.as_ref().is_none_or(|want| want == z))
        .map(|(s, z)| json!({"host_name": s.host, "service": s.topic, "zone": z}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "hosts": hosts })))
}

fn resource(host: &str, project: &str, cpu: i64, memory_mb: i64, disk_gb: i64) -> Value {
    json!({"resource": {
        "host": host, "project": project, "cpu": cpu, "memory_mb": memory_mb, "disk_gb": disk_gb,
    }})
}

/// `GET /os-hosts/{host_name}`: the host's first node in all
/// (`(total)`) and as used (`(used_now)`), what its instances' flavors
/// add up to (`(used_max)`), and that for each project.
pub async fn show_host(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    removed(&req)?;
    req.ctx.require_admin("os_compute_api:os-hosts:show")?;
    let host = path.into_inner().0;
    compute_service(&svc, &host).await?;
    let inv = Inventory::load(&svc).await?;
    let node = inv
        .nodes()
        .find(|n| n.row.host == host)
        .ok_or_else(|| not_found(format!("Compute host {host} could not be found.")))?;
    let used = NodeUsage::of(&node);
    let instances = instances_on(&svc, vec![host.clone()])
        .await?
        .remove(&host)
        .unwrap_or_default();
    // (project, [cpu, memory_mb, disk_gb]) in the order projects appear.
    let mut by_project: Vec<(String, [i64; 3])> = Vec::new();
    let mut max = [0i64; 3];
    for i in &instances {
        let f = &i.flavor;
        let adds = [
            f.vcpus.into(),
            f.memory_mb.into(),
            i64::from(f.root_gb) + i64::from(f.ephemeral_gb),
        ];
        let at = match by_project.iter().position(|(p, _)| *p == i.row.project_id) {
            Some(at) => at,
            None => {
                by_project.push((i.row.project_id.clone(), [0; 3]));
                by_project.len() - 1
            }
        };
        for k in 0..3 {
            by_project[at].1[k] += adds[k];
            max[k] += adds[k];
        }
    }
    let n = node.row;
    let mut rows = vec![
        resource(
            &host,
            "(total)",
            n.vcpus.into(),
            n.memory_mb.into(),
            n.local_gb.into(),
        ),
        resource(
            &host,
            "(used_now)",
            used.vcpus_used,
            used.memory_mb_used,
            used.local_gb_used,
        ),
        resource(&host, "(used_max)", max[0], max[1], max[2]),
    ];
    for (project, [cpu, mem, disk]) in &by_project {
        rows.push(resource(&host, project, *cpu, *mem, *disk));
    }
    Ok(HttpResponse::Ok().json(json!({ "host": rows })))
}

/// A value as Python prints it in nova's validation messages.
fn py(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

/// The update body, as nova's schema checks it: `status` and/or
/// `maintenance_mode`, each `enable` or `disable` (in one of three
/// spellings); true means enable.
fn update_request(body: &Value) -> Result<(Option<bool>, Option<bool>), ApiError> {
    const ENUM: [&str; 6] = [
        "enable", "disable", "Enable", "Disable", "ENABLE", "DISABLE",
    ];
    let Some(fields) = body.as_object() else {
        return Err(bad_request(format!("{} is not of type 'object'", py(body))));
    };
    let read = |key: &str| -> Result<Option<bool>, ApiError> {
        let Some(v) = fields.get(key) else {
            return Ok(None);
        };
        let shown = v.as_str().map_or_else(|| py(v), str::to_owned);
        let invalid = |why: String| {
            bad_request(format!(
                "Invalid input for field/attribute {key}. Value: {shown}. {why}"
            ))
        };
        match v.as_str() {
            None => Err(invalid(format!("{} is not of type 'string'", py(v)))),
            Some(s) if !ENUM.contains(&s) => Err(invalid(format!(
                "'{s}' is not one of ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE']"
            ))),
            Some(s) => Ok(Some(s.eq_ignore_ascii_case("enable"))),
        }
    };
    let (status, maintenance) = (read("status")?, read("maintenance_mode")?);
    if status.is_none() && maintenance.is_none() {
        return Err(bad_request(format!(
            "{} is not valid under any of the given schemas",
            py(body)
        )));
    }
    if let Some(k) = fields
        .keys()
        .find(|k| *k != "status" && *k != "maintenance_mode")
    {
        return Err(bad_request(format!(
            "Additional properties are not allowed ('{k}' was unexpected)"
        )));
    }
    Ok((status, maintenance))
}

/// `PUT /os-hosts/{host_name}`: `status` enables or disables the host's
/// compute service (what `os-services` does); `maintenance_mode` is 501,
/// refused before anything changes.
pub async fn update_host(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    removed(&req)?;
    let (status, maintenance) = update_request(&body.into_inner())?;
    req.ctx.require_admin("os_compute_api:os-hosts:update")?;
    let host = path.into_inner().0;
    let row = compute_service(&svc, &host).await?;
    if maintenance.is_some() {
        return Err(not_implemented());
    }
    let mut v = json!({ "host": host });
    if let Some(enable) = status {
        svc.write(move |c| {
            let mut row = store::services::get(c, &row.id)?.ok_or_else(|| {
                crate::Error::NotFound(format!("Service {} could not be found.", row.id))
            })?;
            change_service(c, &mut row, Some(!enable), None, None)
        })
        .await?;
        svc.reload_hosts().await?;
        v["status"] = json!(if enable { "enabled" } else { "disabled" });
    }
    Ok(HttpResponse::Ok().json(v))
}

/// Host power actions: 501 for a host that exists.
async fn power_action(req: Req, svc: Svc, host: String, rule: &str) -> ApiResult {
    removed(&req)?;
    req.ctx.require_admin(rule)?;
    compute_service(&svc, &host).await?;
    Err(not_implemented())
}

/// `GET /os-hosts/{host_name}/reboot`
pub async fn reboot_host(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let host = path.into_inner().0;
    power_action(req, svc, host, "os_compute_api:os-hosts:reboot").await
}

/// `GET /os-hosts/{host_name}/shutdown`
pub async fn shutdown_host(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let host = path.into_inner().0;
    power_action(req, svc, host, "os_compute_api:os-hosts:shutdown").await
}

/// `GET /os-hosts/{host_name}/startup`
pub async fn startup_host(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let host = path.into_inner().0;
    power_action(req, svc, host, "os_compute_api:os-hosts:start").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_bodies_are_checked_as_nova_does() {
        let ok = update_request(&json!({"status": "Disable"})).unwrap();
        assert_eq!(ok, (Some(false), None));
        let ok = update_request(&json!({"status": "enable", "maintenance_mode": "ENABLE"}));
        assert_eq!(ok.unwrap(), (Some(true), Some(true)));
        for bad in [
            json!({"status": null, "maintenance_mode": null}),
            json!({"status": "invalid", "maintenance_mode": "enable"}),
            json!({"status": "enable", "maintenance_mode": "invalid"}),
            json!({}),
            json!({"status": "enable", "other": 1}),
            json!([]),
        ] {
            let e = update_request(&bad).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{bad}");
        }
        let e = update_request(&json!({"status": null})).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid input for field/attribute status. Value: None. None is not of type 'string'"
        );
    }
}
