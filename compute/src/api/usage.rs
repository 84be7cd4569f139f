//! `/os-simple-tenant-usage`: every project's usage (admin), or one's.
//!
//! A report counts at most `[api] max_limit` instances; from 2.40 `limit`
//! and `marker` page through them, with a `next` link while more follow.

use super::error::bad_request;
use super::{ApiResult, Req, Svc};
use crate::usage::{self, InstancePage, TenantUsage};
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::pagination::{next_link, PageRequest};
use compat_api::query::Query;
use compat_api::time::{iso_micros_naive, now_us, parse_iso};
use compat_api::{ApiError, ErrorFormat};
use serde_json::{json, Value};

/// `start` and `end` (both default to now, as in nova).
fn period(q: &Query) -> Result<(i64, i64), ApiError> {
    let at = |key: &str| match q.get(key) {
        None => Ok(now_us()),
        Some(t) => parse_iso(&t).ok_or_else(|| {
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

fn truthy(q: &Query, key: &str) -> bool {
    q.get(key)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// The instances to count: `[api] max_limit` of them, and from 2.40 the
/// page `limit` and `marker` ask for.
fn instance_page(req: &Req, svc: &Svc, q: &Query) -> Result<InstancePage, ApiError> {
    let max = usize::try_from(svc.conf.max_limit.max(1)).unwrap_or(usize::MAX);
    if !req.at_least(40) {
        return Ok(InstancePage {
            limit: max,
            marker: None,
        });
    }
    let page = PageRequest::from_query(&q.0, max).map_err(|e| e.with_format(ErrorFormat::Nova))?;
    Ok(InstancePage {
        limit: page.limit.unwrap_or(max),
        marker: page.marker,
    })
}

/// The `next` link of a 2.40 report that has more instances to count.
fn links(req: &Req, path: &str, q: &Query, next_marker: Option<String>) -> Option<Value> {
    let marker = next_marker.filter(|_| req.at_least(40))?;
    let link = next_link(&format!("{}/{path}", req.url), &q.0, &marker);
    Some(json!([link]))
}

pub async fn list_usage(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-simple-tenant-usage:list")?;
    let q = Query::parse(&http)?;
    let (start, end) = period(&q)?;
    let detailed = truthy(&q, "detailed");
    let page = instance_page(&req, &svc, &q)?;
    let report = svc
        .read(move |c| usage::usage(c, None, start, end, &page))
        .await?;
    let list: Vec<Value> = report
        .tenants
        .iter()
        .map(|(p, t)| view(p, t, start, end, detailed))
        .collect();
    let mut body = json!({ "tenant_usages": list });
    if let Some(links) = links(&req, "os-simple-tenant-usage", &q, report.next_marker) {
        body["tenant_usages_links"] = links;
    }
    Ok(HttpResponse::Ok().json(body))
}

pub async fn show_usage(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    http: HttpRequest,
) -> ApiResult {
    let project = path.into_inner().0;
    if !req.ctx.owns(&project) {
        return Err(
            crate::error::Error::policy("os_compute_api:os-simple-tenant-usage:show").into(),
        );
    }
    let q = Query::parse(&http)?;
    let (start, end) = period(&q)?;
    let page = instance_page(&req, &svc, &q)?;
    let p = project.clone();
    let mut report = svc
        .read(move |c| usage::usage(c, Some(&p), start, end, &page))
        .await?;
    let body = match report.tenants.remove(&project) {
        Some(t) => view(&project, &t, start, end, true),
        None => json!({}),
    };
    let mut body = json!({ "tenant_usage": body });
    let path = format!("os-simple-tenant-usage/{project}");
    if let Some(links) = links(&req, &path, &q, report.next_marker) {
        body["tenant_usage_links"] = links;
    }
    Ok(HttpResponse::Ok().json(body))
}
