//! `/os-aggregates` (admin): CRUD, add/remove host, set metadata. An
//! aggregate's `availability_zone` is the zone of its hosts.

use super::error::bad_request;
use super::servers::nullable;
use super::{ApiResult, Req, Svc};
use crate::aggregates::{self, Aggregate};
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::time::iso_micros_naive;
use compat_api::ApiError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn view(req: &Req, a: &Aggregate) -> Value {
    let mut v = json!({
        "id": a.row.seq,
        "name": a.row.name,
        "availability_zone": a.availability_zone(),
        "hosts": a.hosts,
        "metadata": a.metadata,
        "created_at": iso_micros_naive(a.row.created_at),
        "updated_at": a.row.updated_at.map(iso_micros_naive),
        "deleted_at": null,
        "deleted": false,
    });
    if req.at_least(41) {
        v["uuid"] = json!(a.row.id);
    }
    v
}

fn one(req: &Req, a: &Aggregate) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "aggregate": view(req, a) }))
}

fn body_aggregate(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.get("aggregate")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            bad_request(
                "Invalid input for field/attribute aggregate. 'aggregate' is a required property",
            )
        })
}

pub async fn list_aggregates(req: Req, svc: Svc) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-aggregates:index")?;
    let all = svc.read(aggregates::all).await?;
    let list: Vec<Value> = all.iter().map(|a| view(&req, a)).collect();
    Ok(HttpResponse::Ok().json(json!({ "aggregates": list })))
}

pub async fn create_aggregate(req: Req, svc: Svc, body: JsonBody<Value>) -> ApiResult {
    let body = body_aggregate(&body.0)?;
    let name = nullable(body, "name")?.flatten().ok_or_else(|| {
        bad_request("Invalid input for field/attribute aggregate. 'name' is a required property")
    })?;
    let zone = nullable(body, "availability_zone")?.flatten();
    let ctx = req.ctx.clone();
    let agg = svc
        .write(move |c| aggregates::create(c, &ctx, &name, zone.as_deref()))
        .await?;
    // A new aggregate is shown without hosts and metadata, as nova does.
    let mut v = view(&req, &agg);
    if let Some(m) = v.as_object_mut() {
        m.remove("hosts");
        m.remove("metadata");
    }
    Ok(HttpResponse::Ok().json(json!({ "aggregate": v })))
}

pub async fn show_aggregate(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    req.ctx.require_admin("os_compute_api:os-aggregates:show")?;
    let id = path.into_inner().0;
    let agg = svc.read(move |c| aggregates::get(c, &id)).await?;
    Ok(one(&req, &agg))
}

pub async fn update_aggregate(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let body = body_aggregate(&body.0)?;
    let name = nullable(body, "name")?.flatten();
    let zone = nullable(body, "availability_zone")?;
    if name.is_none() && zone.is_none() {
        return Err(bad_request(
            "Invalid input for field/attribute aggregate. Value: {}. {} does not have enough properties",
        ));
    }
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let agg = svc
        .write(move |c| aggregates::update(c, &ctx, &id, name, zone))
        .await?;
    svc.forget_hosts();
    Ok(one(&req, &agg))
}

pub async fn delete_aggregate(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    svc.write(move |c| aggregates::delete(c, &ctx, &id)).await?;
    Ok(HttpResponse::Ok().finish())
}

/// `add_host`, `remove_host`, `set_metadata`.
pub async fn aggregate_action(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let Some((action, args)) = body.0.as_object().and_then(|m| m.iter().next()) else {
        return Err(bad_request("Malformed request body"));
    };
    let host = || -> Result<String, ApiError> {
        args.get("host")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                bad_request(format!(
                    "Invalid input for field/attribute {action}. 'host' is a required property"
                ))
            })
    };
    let agg = match action.as_str() {
        "add_host" => {
            let host = host()?;
            svc.write(move |c| aggregates::add_host(c, &ctx, &id, &host))
                .await?
        }
        "remove_host" => {
            let host = host()?;
            svc.write(move |c| aggregates::remove_host(c, &ctx, &id, &host))
                .await?
        }
        "set_metadata" => {
            let Some(meta) = args.get("metadata").and_then(Value::as_object) else {
                return Err(bad_request("Invalid input for field/attribute set_metadata. 'metadata' is a required property"));
            };
            let mut changes = BTreeMap::new();
            for k in meta.keys() {
                let v = nullable(meta, k)?.flatten();
                changes.insert(k.clone(), v);
            }
            svc.write(move |c| aggregates::set_metadata(c, &ctx, &id, changes))
                .await?
        }
        other => return Err(bad_request(format!("There is no such action: {other}"))),
    };
    svc.forget_hosts();
    Ok(one(&req, &agg))
}
