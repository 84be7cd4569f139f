//! `/v3/domains`

use super::{arc, collection, created, no_content, options, self_link, Query, Svc};
use crate::resource::{DomainPatch, NewDomain};
use crate::store::models::Domain;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::{envelope_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "description": {"type": ["string", "null"]},
        "enabled": {"type": "boolean"},
        "options": {"type": "object"},
    })
}

#[derive(Deserialize)]
pub struct DomainCreateRequest {
    domain: NewDomain,
}

impl RequestBody for DomainCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("domain", properties(), ["name"])
    }
}

#[derive(Deserialize)]
pub struct DomainUpdateRequest {
    domain: DomainPatch,
}

impl RequestBody for DomainUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("domain", properties(), [])
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, d: &Domain) -> Value {
    json!({
        "id": d.id,
        "name": d.name,
        "description": d.description,
        "enabled": d.enabled,
        "tags": [],
        "options": options(&d.options),
        "links": self_link(req, svc, &format!("domains/{}", d.id)),
    })
}

pub async fn list_domains(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let domains = svc
        .list_domains(&ctx, q.get("name"), q.flag("enabled"))
        .await?;
    let items = domains.iter().map(|d| render(&req, &svc, d)).collect();
    Ok(collection(&req, &svc, "domains", items))
}

pub async fn create_domain(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<DomainCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let d = arc(&svc)
        .create_domain(&ctx, body.into_inner().domain)
        .await?;
    Ok(created(json!({"domain": render(&req, &svc, &d)})))
}

pub async fn show_domain(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let d = svc.get_domain(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"domain": render(&req, &svc, &d)})))
}

pub async fn update_domain(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<DomainUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let d = arc(&svc)
        .update_domain(&ctx, id.into_inner(), body.into_inner().domain)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"domain": render(&req, &svc, &d)})))
}

pub async fn delete_domain(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    arc(&svc).delete_domain(&ctx, id.into_inner()).await?;
    Ok(no_content())
}
