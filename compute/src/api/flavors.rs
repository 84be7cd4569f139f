//! `/flavors`, their extra specs and access lists.

use super::error::{bad_request, not_found};
use super::views::{flavor_view, links};
use super::{ApiResult, Req, Svc};
use crate::flavors::{self, FlavorCreate};
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::query::Query;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn is_public_param(q: &Query) -> Option<bool> {
    match q.get("is_public").map(|v| v.to_ascii_lowercase()) {
        None => Some(true),
        Some(v) if v == "none" || v == "all" => None,
        Some(v) => Some(matches!(
            v.as_str(),
            "true" | "1" | "yes" | "on" | "t" | "y"
        )),
    }
}

async fn list(req: Req, svc: Svc, http: HttpRequest, detail: bool) -> ApiResult {
    let q = Query::parse(&http)?;
    let ctx = req.ctx.clone();
    let is_public = if req.ctx.is_admin {
        is_public_param(&q)
    } else {
        Some(true)
    };
    let mut list = svc.read(move |c| flavors::list(c, &ctx, is_public)).await?;
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i32>().ok());
    if let Some(min) = num("minRam") {
        list.retain(|f| f.row.memory_mb >= min);
    }
    if let Some(min) = num("minDisk") {
        list.retain(|f| f.row.root_gb >= min);
    }
    let page = compat_api::pagination::PageRequest::from_query(&q.0, svc.conf.max_limit as usize)
        .map_err(|e| e.with_format(compat_api::ErrorFormat::Nova))?
        .apply(list, |f| &f.row.id)
        .map_err(|e| e.with_format(compat_api::ErrorFormat::Nova))?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|f| {
            if detail {
                flavor_view(&req, f)
            } else {
                let mut v = json!({"id": f.row.id, "name": f.row.name, "links": links(&req, "flavors", &f.row.id)});
                if req.at_least(55) {
                    v["description"] = json!(f.row.description);
                }
                v
            }
        })
        .collect();
    let mut body = json!({ "flavors": items });
    if page.more {
        if let Some(last) = page.items.last() {
            let path = if detail { "flavors/detail" } else { "flavors" };
            body["flavors_links"] = json!([compat_api::pagination::next_link(
                &format!("{}/{path}", req.url),
                &q.0,
                &last.row.id
            )]);
        }
    }
    Ok(HttpResponse::Ok().json(body))
}

pub async fn list_flavors(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    list(req, svc, http, false).await
}

pub async fn list_flavors_detail(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    list(req, svc, http, true).await
}

pub async fn show_flavor(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let f = svc.read(move |c| flavors::accessible(c, &ctx, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({"flavor": flavor_view(&req, &f)})))
}

fn int(
    body: &serde_json::Map<String, Value>,
    key: &str,
    default: Option<i64>,
) -> Result<i64, compat_api::ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => default.ok_or_else(|| bad_request(format!("Invalid input for field/attribute flavor. '{key}' is a required property"))),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| bad_request(format!("Invalid input for field/attribute {key}. Value: {n}. {n} is not of type 'integer'"))),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| bad_request(format!("Invalid input for field/attribute {key}. Value: {s}. '{s}' is not of type 'integer'"))),
        Some(v) => Err(bad_request(format!("Invalid input for field/attribute {key}. Value: {v}. {v} is not of type 'integer'"))),
    }
}

pub async fn create_flavor(req: Req, svc: Svc, body: JsonBody<Value>) -> ApiResult {
    let body = body.into_inner();
    let f = body
        .get("flavor")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            bad_request("Invalid input for field/attribute flavor. 'flavor' is a required property")
        })?;
    let name = f.get("name").and_then(Value::as_str).ok_or_else(|| {
        bad_request("Invalid input for field/attribute flavor. 'name' is a required property")
    })?;
    let id = match f.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(bad_request("Invalid input for field/attribute id.")),
    };
    let rxtx = match f.get("rxtx_factor") {
        None | Some(Value::Null) => 1.0,
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| bad_request("Invalid input for field/attribute rxtx_factor."))?,
    };
    let is_public = match f.get("os-flavor-access:is_public") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "1" | "yes" | "on" | "t" | "y"
        ),
        Some(_) => {
            return Err(bad_request(
                "Invalid input for field/attribute os-flavor-access:is_public.",
            ))
        }
    };
    let description = match f.get("description") {
        Some(Value::String(d)) if req.at_least(55) => Some(d.clone()),
        Some(Value::Null) | None => None,
        Some(_) => {
            return Err(bad_request(
                "Invalid input for field/attribute description.",
            ))
        }
    };
    let create = FlavorCreate {
        id,
        name: name.to_owned(),
        ram: int(f, "ram", None)?,
        vcpus: int(f, "vcpus", None)?,
        disk: int(f, "disk", None)?,
        ephemeral: int(f, "OS-FLV-EXT-DATA:ephemeral", Some(0))?,
        swap: match f.get("swap") {
            Some(Value::String(s)) if s.is_empty() => 0,
            _ => int(f, "swap", Some(0))?,
        },
        rxtx_factor: rxtx,
        is_public,
        description,
    };
    let ctx = req.ctx.clone();
    let flavor = svc.write(move |c| flavors::create(c, &ctx, create)).await?;
    Ok(HttpResponse::Ok().json(json!({"flavor": flavor_view(&req, &flavor)})))
}

pub async fn update_flavor(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    if !req.at_least(55) {
        return Err(not_found("The resource could not be found."));
    }
    let id = path.into_inner().0;
    let description = body
        .into_inner()
        .get("flavor")
        .and_then(|f| f.get("description"))
        .cloned()
        .ok_or_else(|| {
            bad_request(
                "Invalid input for field/attribute flavor. 'description' is a required property",
            )
        })?;
    let description = match description {
        Value::Null => None,
        Value::String(s) => Some(s),
        _ => {
            return Err(bad_request(
                "Invalid input for field/attribute description.",
            ))
        }
    };
    let ctx = req.ctx.clone();
    let f = svc
        .write(move |c| flavors::update_description(c, &ctx, &id, description))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"flavor": flavor_view(&req, &f)})))
}

pub async fn delete_flavor(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    svc.write(move |c| flavors::delete(c, &ctx, &id)).await?;
    Ok(HttpResponse::Accepted().finish())
}

fn access_view(id: &str, projects: Vec<String>) -> Value {
    let list: Vec<Value> = projects
        .into_iter()
        .map(|p| json!({"flavor_id": id, "tenant_id": p}))
        .collect();
    json!({ "flavor_access": list })
}

pub async fn flavor_action(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let id = path.into_inner().0;
    let body = body.into_inner();
    let (add, args) = match (body.get("addTenantAccess"), body.get("removeTenantAccess")) {
        (Some(a), _) => (true, a),
        (_, Some(r)) => (false, r),
        _ => return Err(bad_request("There is no such action")),
    };
    let project = args
        .get("tenant")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("Missing tenant parameter"))?
        .to_owned();
    let (ctx, id2) = (req.ctx.clone(), id.clone());
    let projects = svc
        .write(move |c| {
            if add {
                flavors::add_access(c, &ctx, &id2, &project)
            } else {
                flavors::remove_access(c, &ctx, &id2, &project)
            }
        })
        .await?;
    Ok(HttpResponse::Ok().json(access_view(&id, projects)))
}

pub async fn list_flavor_access(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let id2 = id.clone();
    let projects = svc
        .read(move |c| flavors::access_list(c, &ctx, &id2))
        .await?;
    Ok(HttpResponse::Ok().json(access_view(&id, projects)))
}

pub async fn list_extra_specs(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let f = svc.read(move |c| flavors::accessible(c, &ctx, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({"extra_specs": f.extra_specs})))
}

fn specs_from(
    body: &Value,
    key: Option<&str>,
) -> Result<BTreeMap<String, String>, compat_api::ApiError> {
    let map = match key {
        None => body
            .get("extra_specs")
            .and_then(Value::as_object)
            .ok_or_else(|| bad_request("Invalid input for field/attribute extra_specs."))?,
        Some(_) => body
            .as_object()
            .ok_or_else(|| bad_request("Malformed request body"))?,
    };
    if let Some(k) = key {
        if map.len() != 1 || !map.contains_key(k) {
            return Err(bad_request("Request body and URI mismatch"));
        }
    }
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(n) => Ok((k.clone(), n.to_string())),
            Value::Bool(b) => Ok((k.clone(), if *b { "True".into() } else { "False".into() })),
            _ => Err(bad_request(format!(
                "Invalid input for field/attribute extra_specs. Value of {k} is not a string"
            ))),
        })
        .collect()
}

pub async fn create_extra_specs(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let id = path.into_inner().0;
    let specs = specs_from(&body.into_inner(), None)?;
    let echo = specs.clone();
    let ctx = req.ctx.clone();
    svc.write(move |c| flavors::set_extra_specs(c, &ctx, &id, specs))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "extra_specs": echo })))
}

pub async fn show_extra_spec(req: Req, svc: Svc, path: web::Path<(String, String)>) -> ApiResult {
    let (id, key) = path.into_inner();
    let ctx = req.ctx.clone();
    let id2 = id.clone();
    let f = svc
        .read(move |c| flavors::accessible(c, &ctx, &id2))
        .await?;
    let value = f
        .extra_specs
        .get(&key)
        .ok_or_else(|| not_found(format!("Flavor {id} has no extra specs with key {key}.")))?;
    Ok(HttpResponse::Ok().json(json!({ key: value })))
}

pub async fn update_extra_spec(
    req: Req,
    svc: Svc,
    path: web::Path<(String, String)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let (id, key) = path.into_inner();
    let specs = specs_from(&body.into_inner(), Some(&key))?;
    let echo = specs.clone();
    let ctx = req.ctx.clone();
    svc.write(move |c| flavors::set_extra_specs(c, &ctx, &id, specs))
        .await?;
    Ok(HttpResponse::Ok().json(echo))
}

pub async fn delete_extra_spec(req: Req, svc: Svc, path: web::Path<(String, String)>) -> ApiResult {
    let (id, key) = path.into_inner();
    let ctx = req.ctx.clone();
    svc.write(move |c| flavors::delete_extra_spec(c, &ctx, &id, &key))
        .await?;
    Ok(HttpResponse::Ok().finish())
}
