//! `GET /os-migrations` (admin): resizes and cold migrations, newest first.
//!
//! Partial: no paging (`limit`/`marker`, 2.59) yet, and no
//! `/servers/{id}/migrations` (live migrations are a later issue).

use super::error::bad_request;
use super::{ApiResult, Req, Svc};
use crate::store::{self, models::MigrationRow, moves::MigrationQuery};
use actix_web::{web, HttpResponse};
use compat_api::time::{iso_micros_naive, parse_iso};
use serde_json::{json, Value};
use std::collections::HashMap;

/// nova shows flavors here by their integer id.
fn flavor_id(id: &str) -> Value {
    id.parse::<i64>()
        .map(Value::from)
        .unwrap_or_else(|_| json!(id))
}

fn migration_view(req: &Req, m: &MigrationRow) -> Value {
    let mut v = json!({
        "id": m.seq,
        "instance_uuid": m.instance_id,
        "status": m.status,
        "source_compute": m.source_compute,
        "source_node": m.source_node,
        "dest_compute": m.dest_compute,
        "dest_node": m.dest_node,
        "dest_host": m.dest_compute.as_ref().map(|_| "127.0.0.1"),
        "old_instance_type_id": flavor_id(&m.old_flavor_id),
        "new_instance_type_id": flavor_id(&m.new_flavor_id),
        "created_at": iso_micros_naive(m.created_at),
        "updated_at": iso_micros_naive(m.updated_at),
    });
    if req.at_least(23) {
        v["migration_type"] = json!(m.migration_type);
    }
    if req.at_least(59) {
        v["uuid"] = json!(m.id);
    }
    if req.at_least(80) {
        v["user_id"] = json!(m.user_id);
        v["project_id"] = json!(m.project_id);
    }
    v
}

pub async fn list_migrations(
    req: Req,
    svc: Svc,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult {
    req.ctx
        .require_admin("os_compute_api:os-migrations:index")?;
    let q = query.into_inner();
    let time = |key: &str| -> Result<Option<i64>, compat_api::ApiError> {
        match q.get(key) {
            None => Ok(None),
            Some(t) => parse_iso(t)
                .map(Some)
                .ok_or_else(|| bad_request(format!("Invalid input for query parameters {key}."))),
        }
    };
    let filter = MigrationQuery {
        instance_id: q.get("instance_uuid").cloned(),
        status: q.get("status").cloned(),
        migration_type: q.get("migration_type").cloned(),
        host: q.get("host").cloned(),
        project_id: q.get("project_id").filter(|_| req.at_least(80)).cloned(),
        user_id: q.get("user_id").filter(|_| req.at_least(80)).cloned(),
        changes_since: time("changes-since")?.filter(|_| req.at_least(59)),
        changes_before: time("changes-before")?.filter(|_| req.at_least(66)),
    };
    let rows = svc
        .read(move |c| Ok(store::moves::list(c, &filter)?))
        .await?;
    let list: Vec<Value> = rows.iter().map(|m| migration_view(&req, m)).collect();
    Ok(HttpResponse::Ok().json(json!({ "migrations": list })))
}
