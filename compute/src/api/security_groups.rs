//! The security group proxy APIs nova keeps below 2.36
//! (`os-security-groups`, `/servers/{id}/os-security-groups`): the groups
//! live in the network service, shown in nova's format (ingress rules
//! only). From 2.36 they are gone (404), as upstream.
//! The rules (`os-security-group-rules`) are in security_group_rules.rs.

use super::error::{bad_request, not_found};
use super::{ApiResult, Req, Svc};
use crate::clients::{SecurityGroupInfo, SecurityGroupRuleInfo};
use crate::error::Error;
use crate::instances;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::ApiError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub(super) fn proxy(req: &Req) -> Result<(), ApiError> {
    if req.at_least(36) {
        return Err(not_found("The resource could not be found."));
    }
    Ok(())
}

pub(super) fn group_not_found(id: &str) -> ApiError {
    not_found(format!("Security group {id} not found."))
}

/// A rule in nova's format (ingress rules only have one).
pub(super) fn rule_view(group_id: &str, r: &SecurityGroupRuleInfo) -> Value {
    json!({
        "id": r.id,
        "parent_group_id": group_id,
        "ip_protocol": r.protocol,
        "from_port": r.port_range_min.unwrap_or(-1),
        "to_port": r.port_range_max.unwrap_or(-1),
        "ip_range": match (&r.remote_ip_prefix, &r.remote_group) {
            (Some(cidr), _) => json!({ "cidr": cidr }),
            (None, Some(_)) => json!({}),
            (None, None) => json!({ "cidr": "0.0.0.0/0" }),
        },
        "group": match &r.remote_group {
            Some((_, name, project)) => json!({ "name": name, "tenant_id": project }),
            None => json!({}),
        },
    })
}

fn view(g: &SecurityGroupInfo) -> Value {
    let rules: Vec<Value> = g
        .rules
        .iter()
        .filter(|r| r.direction == "ingress")
        .map(|r| rule_view(&g.id, r))
        .collect();
    json!({
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "tenant_id": g.project_id,
        "rules": rules,
    })
}

/// nova's checks of a name or description: a string of 1-255 characters
/// once trimmed.
fn text(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            // Checked trimmed, kept as given (nova passes it on unchanged).
            let trimmed = s.trim();
            if trimmed.is_empty() || trimmed.chars().count() > 255 {
                return Err(bad_request(format!(
                    "Security group {key} has a length that is not between 1 and 255."
                )));
            }
            Ok(Some(s.clone()))
        }
        Some(_) => Err(bad_request(format!(
            "Security group {key} is not a string or unicode"
        ))),
    }
}

fn body_group(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.get("security_group")
        .and_then(Value::as_object)
        .ok_or_else(|| bad_request("The request body is missing the security_group"))
}

/// Errors of the network service as nova's proxy words them: a group in
/// use or the default group cannot go (400), an unknown one is 404.
fn proxied(id: &str, e: Error) -> ApiError {
    match e {
        Error::NotFound(_) => group_not_found(id),
        Error::Conflict(m) => bad_request(m),
        other => other.into(),
    }
}

pub async fn list_security_groups(
    req: Req,
    svc: Svc,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult {
    proxy(&req)?;
    let all = req.ctx.is_admin
        && query
            .get("all_tenants")
            .is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "off"));
    let project = (!all).then_some(req.ctx.project_id.as_str());
    let groups = svc.network.security_groups(&req.ctx, project).await?;
    let list: Vec<Value> = groups.iter().map(view).collect();
    Ok(HttpResponse::Ok().json(json!({ "security_groups": list })))
}

pub async fn show_security_group(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let g = svc
        .network
        .show_security_group(&req.ctx, &id)
        .await
        .map_err(|e| proxied(&id, e))?;
    Ok(HttpResponse::Ok().json(json!({ "security_group": view(&g) })))
}

pub async fn create_security_group(req: Req, svc: Svc, body: JsonBody<Value>) -> ApiResult {
    proxy(&req)?;
    let group = body_group(&body.0)?;
    let required = |key: &str| {
        text(group, key)?
            .ok_or_else(|| bad_request(format!("Security group {key} is not a string or unicode")))
    };
    let (name, description) = (required("name")?, required("description")?);
    let g = svc
        .network
        .create_security_group(&req.ctx, name, description)
        .await
        .map_err(|e| match e {
            Error::Conflict(m) | Error::BadRequest(m) => bad_request(m),
            other => other.into(),
        })?;
    Ok(HttpResponse::Ok().json(json!({ "security_group": view(&g) })))
}

pub async fn update_security_group(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let group = body_group(&body.0)?;
    let (name, description) = (text(group, "name")?, text(group, "description")?);
    let g = svc
        .network
        .update_security_group(&req.ctx, &id, name, description)
        .await
        .map_err(|e| proxied(&id, e))?;
    Ok(HttpResponse::Ok().json(json!({ "security_group": view(&g) })))
}

pub async fn delete_security_group(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    svc.network
        .delete_security_group(&req.ctx, &id)
        .await
        .map_err(|e| proxied(&id, e))?;
    Ok(HttpResponse::Accepted().finish())
}

/// The groups on the server's ports.
pub async fn list_server_security_groups(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
) -> ApiResult {
    proxy(&req)?;
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id)).await?;
    let mut ids: Vec<String> = Vec::new();
    for vif in &inst.vifs {
        for g in svc.network.port_security_groups(&vif.port_id).await? {
            if !ids.contains(&g) {
                ids.push(g);
            }
        }
    }
    let owner = inst.row.project_id.as_str();
    let groups = svc.network.security_groups(&req.ctx, Some(owner)).await?;
    let list: Vec<Value> = groups
        .iter()
        .filter(|g| ids.contains(&g.id))
        .map(view)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "security_groups": list })))
}
