//! `/os-server-groups`: create, list, show, delete. Before 2.64 a group
//! has `policies` (a list of one) and `metadata`; from 2.64 `policy` and
//! `rules`. `project_id` and `user_id` show from 2.13.

use super::error::bad_request;
use super::{ApiResult, Req, Svc};
use crate::server_groups::{self, ServerGroup, POLICIES, SOFT_POLICIES};
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::ApiError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

fn view(req: &Req, g: &ServerGroup) -> Value {
    let mut v = json!({
        "id": g.row.id,
        "name": g.row.name,
        "members": g.members,
    });
    if req.at_least(64) {
        v["policy"] = json!(g.row.policy);
        v["rules"] = Value::Object(g.rules.clone());
    } else {
        v["policies"] = json!([g.row.policy]);
        v["metadata"] = json!({});
    }
    if req.at_least(13) {
        v["project_id"] = json!(g.row.project_id);
        v["user_id"] = json!(g.row.user_id);
    }
    v
}

fn invalid(field: &str, detail: impl std::fmt::Display) -> ApiError {
    bad_request(format!(
        "Invalid input for field/attribute {field}. {detail}"
    ))
}

/// The policy and rules of a create request, checked for its microversion.
fn policy_of(
    req: &Req,
    body: &Map<String, Value>,
) -> Result<(String, Map<String, Value>), ApiError> {
    let allowed =
        |p: &str| POLICIES.contains(&p) || (req.at_least(15) && SOFT_POLICIES.contains(&p));
    if req.at_least(64) {
        let policy = body
            .get("policy")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("server_group", "'policy' is a required property"))?;
        if !allowed(policy) {
            return Err(invalid(
                "policy",
                format!("Value: {policy}. '{policy}' is not one of {POLICIES:?}"),
            ));
        }
        let rules = match body.get("rules") {
            None => Map::new(),
            Some(Value::Object(r)) => r.clone(),
            Some(other) => {
                return Err(invalid(
                    "rules",
                    format!("Value: {other}. {other} is not of type 'object'"),
                ))
            }
        };
        for (k, v) in &rules {
            let ok = k == "max_server_per_host"
                && policy == "anti-affinity"
                && v.as_i64().is_some_and(|n| n >= 1);
            if !ok {
                return Err(bad_request(format!(
                    "Only anti-affinity policy takes a rule, max_server_per_host, a positive integer; got {k}"
                )));
            }
        }
        return Ok((policy.to_owned(), rules));
    }
    let Some(Value::Array(policies)) = body.get("policies") else {
        return Err(invalid("server_group", "'policies' is a required property"));
    };
    match policies.as_slice() {
        [Value::String(p)] if allowed(p) => Ok((p.clone(), Map::new())),
        _ => Err(invalid(
            "policies",
            format!(
                "Value: {}. A group takes exactly one known policy",
                Value::Array(policies.clone())
            ),
        )),
    }
}

pub async fn create_server_group(req: Req, svc: Svc, body: JsonBody<Value>) -> ApiResult {
    let Some(group) = body.0.get("server_group").and_then(Value::as_object) else {
        return Err(invalid(
            "server_group",
            "'server_group' is a required property",
        ));
    };
    let name = match group.get("name") {
        Some(Value::String(n)) if !n.trim().is_empty() && n.chars().count() <= 255 => n.clone(),
        _ => return Err(invalid("name", "A name of 1-255 characters is required")),
    };
    let (policy, rules) = policy_of(&req, group)?;
    let ctx = req.ctx.clone();
    let created = svc
        .write(move |c| server_groups::create(c, &ctx, &name, &policy, rules))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "server_group": view(&req, &created) })))
}

pub async fn list_server_groups(
    req: Req,
    svc: Svc,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult {
    let all = query
        .get("all_projects")
        .is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "off"));
    let ctx = req.ctx.clone();
    let groups = svc.read(move |c| server_groups::list(c, &ctx, all)).await?;
    let (offset, limit) = (
        query
            .get("offset")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0usize),
        query
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(usize::MAX),
    );
    let list: Vec<Value> = groups
        .iter()
        .skip(offset)
        .take(limit)
        .map(|g| view(&req, g))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "server_groups": list })))
}

pub async fn show_server_group(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let group = svc
        .read(move |c| server_groups::visible(c, &ctx, &id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "server_group": view(&req, &group) })))
}

pub async fn delete_server_group(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    svc.write(move |c| server_groups::delete(c, &ctx, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
