//! `GET /v2/images/{id}/tasks` (Image API 2.12): the import tasks of an
//! image, possibly none.

use super::{viewer, Svc};
use crate::tasks::Task;
use actix_web::{web, HttpResponse};
use compat_api::time::iso_micros_naive;
use compat_api::{ApiError, AuthContext};
use serde_json::{json, Value};

/// A task as glance lists it: every column, timestamps without a zone.
fn task_view(task: &Task) -> Value {
    let row = &task.row;
    json!({
        "id": row.id,
        "image_id": row.image_id,
        "request_id": row.request_id,
        "user_id": row.user_id,
        "type": row.task_type,
        "status": row.status,
        "owner": row.owner,
        "expires_at": row.expires_at.map(iso_micros_naive),
        "created_at": iso_micros_naive(row.created_at),
        "updated_at": iso_micros_naive(row.updated_at),
        "deleted_at": null,
        "deleted": false,
        "input": task.input,
        "result": task.result,
        "message": row.message,
    })
}

pub async fn show_image_tasks(
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tasks = svc.image_tasks(&viewer(&auth), &id).await?;
    let tasks: Vec<Value> = tasks.iter().map(task_view).collect();
    Ok(HttpResponse::Ok().json(json!({ "tasks": tasks })))
}
