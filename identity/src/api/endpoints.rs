//! `/v3/endpoints`

use super::{collection, created, no_content, self_link, Query, Svc};
use crate::catalog::admin::{EndpointPatch, NewEndpoint};
use crate::store::catalog::EndpointFilter;
use crate::store::models::Endpoint;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::{envelope_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "service_id": {"type": "string"},
        "interface": {"type": "string"},
        "url": {"type": "string", "minLength": 1},
        "region_id": {"type": ["string", "null"]},
        "region": {"type": ["string", "null"]},
        "enabled": {"type": "boolean"},
    })
}

#[derive(Deserialize)]
pub struct EndpointCreateRequest {
    endpoint: NewEndpoint,
}

impl RequestBody for EndpointCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("endpoint", properties(), ["service_id", "interface", "url"])
    }
}

#[derive(Deserialize)]
pub struct EndpointUpdateRequest {
    endpoint: EndpointPatch,
}

impl RequestBody for EndpointUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("endpoint", properties(), [])
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, e: &Endpoint) -> Value {
    json!({
        "id": e.id,
        "service_id": e.service_id,
        "interface": e.interface,
        "url": e.url,
        "region_id": e.region_id,
        "region": e.region_id,
        "enabled": e.enabled,
        "links": self_link(req, svc, &format!("endpoints/{}", e.id)),
    })
}

pub async fn list_endpoints(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let filter = EndpointFilter {
        service_id: q.get("service_id"),
        interface: q.get("interface"),
        region_id: q.get("region_id"),
    };
    let endpoints = svc.list_endpoints(&ctx, filter).await?;
    let items = endpoints.iter().map(|e| render(&req, &svc, e)).collect();
    Ok(collection(&req, &svc, "endpoints", items))
}

pub async fn create_endpoint(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<EndpointCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let e = svc
        .create_endpoint(&ctx, body.into_inner().endpoint)
        .await?;
    Ok(created(json!({"endpoint": render(&req, &svc, &e)})))
}

pub async fn show_endpoint(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let e = svc.get_endpoint(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"endpoint": render(&req, &svc, &e)})))
}

pub async fn update_endpoint(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<EndpointUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let e = svc
        .update_endpoint(&ctx, id.into_inner(), body.into_inner().endpoint)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"endpoint": render(&req, &svc, &e)})))
}

pub async fn delete_endpoint(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.delete_endpoint(&ctx, id.into_inner()).await?;
    Ok(no_content())
}
