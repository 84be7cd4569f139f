//! `/v2.0/auto-allocated-topology/{project_id}`

use super::{caller, Svc};
use crate::error::Error;
use crate::topology;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::query::Query;
use compat_api::{ApiError, AuthContext};
use serde_json::json;

/// `?fields=dry-run` only checks that auto-allocation could succeed.
pub async fn show_auto_allocated_topology(
    svc: Svc,
    auth: AuthContext,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let project = path.into_inner();
    let p = project.clone();
    let fields = Query::parse(&req)?.all("fields");
    let dry_run = match fields
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => false,
        ["dry-run"] => true,
        _ => {
            return Err(Error::bad_request("Bad auto_allocate request: Unrecognized field.").into())
        }
    };
    let network = svc
        .into_inner()
        .write(caller(&auth), move |c, ctx| {
            if dry_run {
                topology::check(c, ctx, &p)?;
                return Ok("dry-run=pass".to_owned());
            }
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
