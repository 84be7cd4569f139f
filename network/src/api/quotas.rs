//! `/v2.0/quotas` (`quotas`, `quota_details`).

use super::{caller, unwrap_body, Svc};
use crate::error::Error;
use crate::quotas;
use crate::store;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::{ApiError, AuthContext};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

type ApiResult = Result<HttpResponse, ApiError>;

fn limits_json(limits: &BTreeMap<String, i64>) -> Map<String, Value> {
    limits.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
}

fn require_own_or_admin(auth: &AuthContext, project_id: &str) -> Result<(), Error> {
    if auth.is_admin() || auth.project_id() == Some(project_id) {
        return Ok(());
    }
    Err(Error::policy("get_quota"))
}

pub async fn list_quotas(svc: Svc, auth: AuthContext) -> ApiResult {
    caller(&auth).require_admin("get_quota")?;
    let list = svc
        .into_inner()
        .read(caller(&auth), |c, ctx| {
            let mut out = Vec::new();
            for project in store::quotas::projects(c)? {
                let mut q = limits_json(&quotas::limits(c, ctx.conf, &project)?);
                q.insert("project_id".into(), json!(project));
                q.insert("tenant_id".into(), json!(project));
                out.push(Value::Object(q));
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "quotas": list })))
}

pub async fn show_quota(svc: Svc, auth: AuthContext, path: web::Path<String>) -> ApiResult {
    let project = path.into_inner();
    require_own_or_admin(&auth, &project)?;
    let limits = svc
        .into_inner()
        .read(caller(&auth), move |c, ctx| {
            quotas::limits(c, ctx.conf, &project)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "quota": limits_json(&limits) })))
}

pub async fn show_default_quota(svc: Svc, auth: AuthContext, path: web::Path<String>) -> ApiResult {
    require_own_or_admin(&auth, &path.into_inner())?;
    Ok(HttpResponse::Ok().json(json!({ "quota": limits_json(&svc.conf.quotas) })))
}

pub async fn show_quota_details(svc: Svc, auth: AuthContext, path: web::Path<String>) -> ApiResult {
    let project = path.into_inner();
    require_own_or_admin(&auth, &project)?;
    let details = svc
        .into_inner()
        .read(caller(&auth), move |c, ctx| {
            let mut out = Map::new();
            for (resource, limit) in quotas::limits(c, ctx.conf, &project)? {
                let used = quotas::usage(c, &project, &resource)?;
                out.insert(
                    resource,
                    json!({"limit": limit, "used": used, "reserved": 0}),
                );
            }
            Ok(out)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "quota": details })))
}

pub async fn update_quota(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
    body: JsonBody<Value>,
) -> ApiResult {
    caller(&auth).require_admin("update_quota")?;
    let project = path.into_inner();
    let body = unwrap_body(body.into_inner(), "quota")?;
    let Value::Object(map) = body else {
        return Err(
            Error::bad_request("Invalid input for quota: the body must be an object").into(),
        );
    };
    let mut values = BTreeMap::new();
    let mut force = false;
    for (resource, value) in map {
        // openstackclient's switches, not quotas: `--force` skips the usage check.
        match resource.as_str() {
            "force" => {
                force = crate::attrs::bool_of(&value) == Some(true);
                continue;
            }
            "check_limit" => continue,
            _ => {}
        }
        let n = crate::attrs::flexible_int(value)
            .ok()
            .flatten()
            .ok_or_else(|| Error::invalid_attr(&resource, "must be an integer"))?;
        values.insert(resource, n);
    }
    let limits = svc
        .into_inner()
        .write(caller(&auth), move |c, ctx| {
            quotas::update(c, &project, &values, !force)?;
            quotas::limits(c, ctx.conf, &project)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "quota": limits_json(&limits) })))
}

pub async fn reset_quota(svc: Svc, auth: AuthContext, path: web::Path<String>) -> ApiResult {
    caller(&auth).require_admin("delete_quota")?;
    let project = path.into_inner();
    svc.into_inner()
        .write(caller(&auth), move |c, _| {
            Ok(store::quotas::reset(c, &project)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
