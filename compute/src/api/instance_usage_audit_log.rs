//! `os-instance_usage_audit_log` (admin): how far the compute hosts got
//! with auditing instance usage for the last completed audit period.
//!
//! The hosts run no `instance_usage_audit` task (nova's option of that
//! name is off by default, and ferrostack does not implement the task), so
//! the report names every compute host as not run, with no log entries.

use super::error::bad_request;
use super::{ApiResult, Req, Svc};
use crate::store;
use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const POLICY: &str = "os_compute_api:os-instance-usage-audit-log";

pub async fn list_instance_usage_audit_logs(req: Req, svc: Svc) -> ApiResult {
    req.ctx.require_admin(&format!("{POLICY}:list"))?;
    let now = Utc::now().naive_utc();
    let log = audit_log(&svc, now).await?;
    Ok(HttpResponse::Ok().json(json!({ "instance_usage_audit_logs": log })))
}

/// `GET /os-instance_usage_audit_log/{before_timestamp}`: the period last
/// completed before `YYYY-MM-DD hh:mm:ss[.ffffff]`.
pub async fn show_instance_usage_audit_log(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
) -> ApiResult {
    req.ctx.require_admin(&format!("{POLICY}:show"))?;
    let text = path.into_inner().0;
    let format = if text.contains('.') {
        "%Y-%m-%d %H:%M:%S%.f"
    } else {
        "%Y-%m-%d %H:%M:%S"
    };
    let before = NaiveDateTime::parse_from_str(&text, format)
        .map_err(|_| bad_request(format!("Invalid timestamp for date {text}")))?;
    let log = audit_log(&svc, before).await?;
    Ok(HttpResponse::Ok().json(json!({ "instance_usage_audit_log": log })))
}

async fn audit_log(svc: &Svc, before: NaiveDateTime) -> Result<Value, compat_api::ApiError> {
    let (begin, end) = last_completed_month(before);
    let services = svc.read(|c| Ok(store::services::all(c)?)).await?;
    // Disabled hosts count too: they may hold instances.
    let hosts: BTreeSet<String> = services
        .into_iter()
        .filter(|s| s.service_binary == crate::agent::BINARY)
        .map(|s| s.host)
        .collect();
    let n = hosts.len();
    let done = if n == 0 {
        "ALL".to_owned()
    } else {
        format!("0 of {n}")
    };
    Ok(json!({
        "period_beginning": begin.format("%Y-%m-%d %H:%M:%S").to_string(),
        "period_ending": end.format("%Y-%m-%d %H:%M:%S").to_string(),
        "num_hosts": n,
        "num_hosts_done": 0,
        "num_hosts_running": 0,
        "num_hosts_not_run": n,
        "hosts_not_run": hosts,
        "total_instances": 0,
        "total_errors": 0,
        "overall_status": format!("{done} hosts done. 0 errors."),
        "log": {},
    }))
}

/// nova's default audit period (`instance_usage_audit_period = month`):
/// the last whole month that ended at or before `before`.
fn last_completed_month(before: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    let first_of = |y: i32, m: u32| {
        NaiveDate::from_ymd_opt(y, m, 1)
            .unwrap_or_default()
            .and_time(NaiveTime::MIN)
    };
    let end = first_of(before.year(), before.month());
    let (y, m) = if before.month() == 1 {
        (before.year() - 1, 12)
    } else {
        (before.year(), before.month() - 1)
    };
    (first_of(y, m), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_whole_month_ends_on_the_first() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            last_completed_month(at("2026-11-22 03:00:00")),
            (at("2026-10-01 00:00:00"), at("2026-11-01 00:00:00"))
        );
        assert_eq!(
            last_completed_month(at("2026-01-01 00:00:00")),
            (at("2025-12-01 00:00:00"), at("2026-01-01 00:00:00"))
        );
    }
}
