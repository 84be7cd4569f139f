//! `/v2.0/auto-allocated-topology/{project_id}`

use super::{caller, Svc};
use crate::topology;
use actix_web::{web, HttpResponse};
use compat_api::{ApiError, AuthContext};
use serde_json::json;

pub async fn show_auto_allocated_topology(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = path.into_inner();
    let p = project.clone();
    let network = svc
        .into_inner()
        .write(caller(&auth), move |c, ctx| {
            topology::get_or_create(c, ctx, &p)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "auto_allocated_topology": {"id": network, "project_id": project, "tenant_id": project}
    })))
}

pub async fn delete_auto_allocated_topology(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = path.into_inner();
    svc.into_inner()
        .write(caller(&auth), move |c, ctx| {
            topology::delete(c, ctx, &project)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
