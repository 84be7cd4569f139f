//! `/limits` and `/os-quota-sets`.

use super::error::bad_request;
use super::{ApiResult, Req, Svc};
use crate::config::LEGACY_NETWORK_QUOTAS;
use crate::quotas;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::query::Query;
use compat_api::ApiError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The resources a quota set shows at this microversion.
fn shown(req: &Req) -> Vec<&'static str> {
    let mut r = vec![
        "instances",
        "cores",
        "ram",
        "metadata_items",
        "key_pairs",
        "server_groups",
        "server_group_members",
    ];
    if !req.at_least(57) {
        r.extend([
            "injected_files",
            "injected_file_content_bytes",
            "injected_file_path_bytes",
        ]);
    }
    if !req.at_least(36) {
        r.extend(LEGACY_NETWORK_QUOTAS);
    }
    r
}

fn quota_set(
    req: &Req,
    id: &str,
    limits: &BTreeMap<String, i64>,
    usage: Option<&BTreeMap<String, i64>>,
) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    for r in shown(req) {
        let limit = limits.get(r).copied().unwrap_or(-1);
        let v = match usage {
            Some(u) => {
                json!({"limit": limit, "in_use": u.get(r).copied().unwrap_or(0), "reserved": 0})
            }
            None => json!(limit),
        };
        m.insert(r.into(), v);
    }
    json!({ "quota_set": m })
}

fn target(req: &Req, project: &str) -> Result<(), compat_api::ApiError> {
    if project != req.ctx.project_id && !req.ctx.is_admin {
        return Err(crate::Error::policy("os_compute_api:os-quota-sets:show").into());
    }
    Ok(())
}

pub async fn show_quota_set(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let project = path.into_inner().0;
    target(&req, &project)?;
    let (conf, p) = (svc.conf.clone(), project.clone());
    let limits = svc.read(move |c| quotas::limits(c, &conf, &p)).await?;
    Ok(HttpResponse::Ok().json(quota_set(&req, &project, &limits, None)))
}

pub async fn show_quota_detail(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let project = path.into_inner().0;
    target(&req, &project)?;
    let (conf, p) = (svc.conf.clone(), project.clone());
    let (limits, mut usage) = svc
        .read(move |c| Ok((quotas::limits(c, &conf, &p)?, quotas::usage(c, &p)?)))
        .await?;
    let p2 = project.clone();
    let keys = svc
        .read(move |c| Ok(crate::store::keypairs::count_of_user(c, &p2)?))
        .await
        .unwrap_or(0);
    usage.entry("key_pairs".into()).or_insert(keys);
    Ok(HttpResponse::Ok().json(quota_set(&req, &project, &limits, Some(&usage))))
}

pub async fn show_quota_defaults(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let project = path.into_inner().0;
    let conf = svc.conf.clone();
    let limits = svc.read(move |c| quotas::defaults(c, &conf)).await?;
    Ok(HttpResponse::Ok().json(quota_set(&req, &project, &limits, None)))
}

/// The limits of an update body under `key`, and its `force` flag.
fn requested_limits(body: &Value, key: &str) -> Result<(BTreeMap<String, i64>, bool), ApiError> {
    let set = body
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| bad_request(format!("Invalid input for field/attribute {key}.")))?;
    let mut values = BTreeMap::new();
    let mut force = false;
    for (k, v) in set {
        if k == "force" {
            force = v
                .as_bool()
                .unwrap_or_else(|| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")));
            continue;
        }
        if k == "id" {
            continue;
        }
        let n = v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).ok_or_else(|| bad_request(format!("Invalid input for field/attribute {k}. Value: {v}. {v} is not of type 'integer'")))?;
        values.insert(k.clone(), n);
    }
    Ok((values, force))
}

pub async fn update_quota_set(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let project = path.into_inner().0;
    let (values, force) = requested_limits(&body.0, "quota_set")?;
    if let Some(k) = values.keys().find(|k| !shown(&req).contains(&k.as_str())) {
        return Err(bad_request(format!("Invalid input for field/attribute quota_set. Value: {k}. Additional properties are not allowed ('{k}' was unexpected)")));
    }
    let (ctx, conf, p) = (req.ctx.clone(), svc.conf.clone(), project.clone());
    let limits = svc
        .write(move |c| quotas::update(c, &ctx, &conf, &p, values, force))
        .await?;
    let mut body = quota_set(&req, &project, &limits, None);
    if let Some(m) = body["quota_set"].as_object_mut() {
        m.remove("id");
    }
    Ok(HttpResponse::Ok().json(body))
}

/// A quota class set: the resources of the microversion, under `key`.
fn class_set(req: &Req, class: Option<&str>, limits: &BTreeMap<String, i64>) -> Value {
    let mut body = quota_set(req, class.unwrap_or_default(), limits, None);
    let mut m = body["quota_set"].take();
    if class.is_none() {
        if let Some(o) = m.as_object_mut() {
            o.remove("id");
        }
    }
    json!({ "quota_class_set": m })
}

pub async fn show_quota_class_set(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-quota-class-sets:show")?;
    let class = path.into_inner().0;
    let (conf, c2) = (svc.conf.clone(), class.clone());
    let limits = svc
        .read(move |c| quotas::class_limits(c, &conf, &c2))
        .await?;
    Ok(HttpResponse::Ok().json(class_set(&req, Some(&class), &limits)))
}

pub async fn update_quota_class_set(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let class = path.into_inner().0;
    let (values, _) = requested_limits(&body.0, "quota_class_set")?;
    let (ctx, conf) = (req.ctx.clone(), svc.conf.clone());
    let limits = svc
        .write(move |c| quotas::update_class(c, &ctx, &conf, &class, values))
        .await?;
    Ok(HttpResponse::Ok().json(class_set(&req, None, &limits)))
}

pub async fn delete_quota_set(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let project = path.into_inner().0;
    let ctx = req.ctx.clone();
    svc.write(move |c| quotas::reset(c, &ctx, &project)).await?;
    Ok(HttpResponse::Accepted().finish())
}

pub async fn show_limits(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    let q = Query::parse(&http)?;
    let project = match q.get("tenant_id") {
        Some(t) if req.ctx.is_admin => t,
        _ => req.ctx.project_id.clone(),
    };
    let (conf, p) = (svc.conf.clone(), project.clone());
    let (limits, usage) = svc
        .read(move |c| Ok((quotas::limits(c, &conf, &p)?, quotas::usage(c, &p)?)))
        .await?;
    let l = |k: &str| limits.get(k).copied().unwrap_or(-1);
    let u = |k: &str| usage.get(k).copied().unwrap_or(0);
    let mut abs = json!({
        "maxServerMeta": l("metadata_items"), "maxImageMeta": l("metadata_items"),
        "maxTotalInstances": l("instances"), "maxTotalCores": l("cores"), "maxTotalRAMSize": l("ram"),
        "maxTotalKeypairs": l("key_pairs"), "maxServerGroups": l("server_groups"),
        "maxServerGroupMembers": l("server_group_members"),
        "totalInstancesUsed": u("instances"), "totalCoresUsed": u("cores"), "totalRAMUsed": u("ram"),
        "totalServerGroupsUsed": 0,
    });
    if !req.at_least(57) {
        abs["maxPersonality"] = json!(l("injected_files"));
        abs["maxPersonalitySize"] = json!(l("injected_file_content_bytes"));
    }
    if !req.at_least(36) {
        for (k, v) in [
            ("maxSecurityGroups", l("security_groups")),
            ("maxSecurityGroupRules", l("security_group_rules")),
            ("maxTotalFloatingIps", l("floating_ips")),
            ("totalSecurityGroupsUsed", 0),
            ("totalFloatingIpsUsed", 0),
        ] {
            abs[k] = json!(v);
        }
    }
    Ok(HttpResponse::Ok().json(json!({"limits": {"rate": [], "absolute": abs}})))
}
