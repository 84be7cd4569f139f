//! `/os-simple-tenant-usage`: every project's usage (admin), or one's.
//!
//! Partial: no paging (`limit`/`marker`, 2.40) yet.

use super::error::bad_request;
use super::{ApiResult, Req, Svc};
use crate::usage::{self, TenantUsage};
use actix_web::{web, HttpResponse};
use compat_api::time::{iso_micros_naive, now_us, parse_iso};
use compat_api::ApiError;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `start` and `end` (both default to now, as in nova).
fn period(q: &HashMap<String, String>) -> Result<(i64, i64), ApiError> {
    let at = |key: &str| match q.get(key) {
        None => Ok(now_us()),
        Some(t) => parse_iso(t).ok_or_else(|| {
            bad_request(format!(
                "Invalid input for query parameters {key}. Invalid datetime string: {t}"
            ))
        }),
    };
    let (start, end) = (at("start")?, at("end")?);
    if start > end {
        return Err(bad_request(
            "Invalid start time. The start time cannot occur after the end time.",
        ));
    }
    Ok((start, end))
}

fn view(project: &str, t: &TenantUsage, start: i64, end: i64, detailed: bool) -> Value {
    let mut v = json!({
        "tenant_id": project,
        "total_hours": t.total_hours,
        "total_vcpus_usage": t.total_vcpus_usage,
        "total_memory_mb_usage": t.total_memory_mb_usage,
        "total_local_gb_usage": t.total_local_gb_usage,
        "start": iso_micros_naive(start),
        "stop": iso_micros_naive(end),
    });
    if detailed {
        let now = now_us();
        v["server_usages"] = t
            .servers
            .iter()
            .map(|s| {
                let r = &s.instance.row;
                let f = &s.instance.flavor;
                let started = r.launched_at.unwrap_or(r.created_at);
                json!({
                    "instance_id": r.id,
                    "name": r.name,
                    "tenant_id": r.project_id,
                    "hours": s.hours,
                    "vcpus": f.vcpus,
                    "memory_mb": f.memory_mb,
                    "local_gb": f.root_gb + f.ephemeral_gb,
                    "flavor": f.name,
                    "started_at": iso_micros_naive(started),
                    "ended_at": r.deleted_at.map(iso_micros_naive),
                    "state": if r.deleted_at.is_some() { "terminated" } else { r.vm_state.as_str() },
                    "uptime": (r.deleted_at.unwrap_or(now) - started).max(0) / 1_000_000,
                })
            })
            .collect();
    }
    v
}

fn truthy(q: &HashMap<String, String>, key: &str) -> bool {
    q.get(key)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

pub async fn list_usage(
    req: Req,
    svc: Svc,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-simple-tenant-usage:list")?;
    let (start, end) = period(&query)?;
    let detailed = truthy(&query, "detailed");
    let all = svc.read(move |c| usage::usage(c, None, start, end)).await?;
    let list: Vec<Value> = all
        .iter()
        .map(|(p, t)| view(p, t, start, end, detailed))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "tenant_usages": list })))
}

pub async fn show_usage(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult {
    let project = path.into_inner().0;
    if !req.ctx.owns(&project) {
        return Err(
            crate::error::Error::policy("os_compute_api:os-simple-tenant-usage:show").into(),
        );
    }
    let (start, end) = period(&query)?;
    let p = project.clone();
    let mut all = svc
        .read(move |c| usage::usage(c, Some(&p), start, end))
        .await?;
    let body = match all.remove(&project) {
        Some(t) => view(&project, &t, start, end, true),
        None => json!({}),
    };
    Ok(HttpResponse::Ok().json(json!({ "tenant_usage": body })))
}
