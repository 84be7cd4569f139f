//! `/v3/services`

use super::{collection, created, no_content, self_link, Query, Svc};
use crate::catalog::admin::{NewService, ServicePatch};
use crate::store::models::Service;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::{envelope_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "type": {"type": "string", "minLength": 1, "maxLength": 255},
        "name": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]},
        "enabled": {"type": "boolean"},
    })
}

#[derive(Deserialize)]
pub struct ServiceCreateRequest {
    service: NewService,
}

impl RequestBody for ServiceCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("service", properties(), ["type"])
    }
}

#[derive(Deserialize)]
pub struct ServiceUpdateRequest {
    service: ServicePatch,
}

impl RequestBody for ServiceUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("service", properties(), [])
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, s: &Service) -> Value {
    json!({
        "id": s.id,
        "type": s.service_type,
        "name": s.name,
        "description": s.description,
        "enabled": s.enabled,
        "links": self_link(req, svc, &format!("services/{}", s.id)),
    })
}

pub async fn list_services(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let services = svc
        .list_services(&ctx, q.get("type"), q.get("name"))
        .await?;
    let items = services.iter().map(|s| render(&req, &svc, s)).collect();
    Ok(collection(&req, &svc, "services", items))
}

pub async fn create_service(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<ServiceCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let s = svc.create_service(&ctx, body.into_inner().service).await?;
    Ok(created(json!({"service": render(&req, &svc, &s)})))
}

pub async fn show_service(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let s = svc.get_service(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"service": render(&req, &svc, &s)})))
}

pub async fn update_service(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<ServiceUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let s = svc
        .update_service(&ctx, id.into_inner(), body.into_inner().service)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"service": render(&req, &svc, &s)})))
}

pub async fn delete_service(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.delete_service(&ctx, id.into_inner()).await?;
    Ok(no_content())
}
