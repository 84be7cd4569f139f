//! `/v3/regions`

use super::{collection, created, no_content, self_link, Query, Svc};
use crate::catalog::admin::{NewRegion, RegionPatch};
use crate::store::models::Region;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::{envelope_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "id": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": {"type": ["string", "null"]},
        "parent_region_id": {"type": ["string", "null"]},
    })
}

#[derive(Deserialize)]
pub struct RegionCreateRequest {
    region: NewRegion,
}

impl RequestBody for RegionCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("region", properties(), [])
    }
}

#[derive(Deserialize)]
pub struct RegionUpdateRequest {
    region: RegionPatch,
}

impl RequestBody for RegionUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("region", properties(), [])
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, r: &Region) -> Value {
    json!({
        "id": r.id,
        "description": r.description,
        "parent_region_id": r.parent_region_id,
        "links": self_link(req, svc, &format!("regions/{}", r.id)),
    })
}

pub async fn list_regions(
    req: HttpRequest,
    svc: Svc,
    _ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let regions = svc.list_regions(q.get("parent_region_id")).await?;
    let items = regions.iter().map(|r| render(&req, &svc, r)).collect();
    Ok(collection(&req, &svc, "regions", items))
}

pub async fn create_region(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<RegionCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let r = svc.create_region(&ctx, body.into_inner().region).await?;
    Ok(created(json!({"region": render(&req, &svc, &r)})))
}

pub async fn create_region_with_id(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<RegionCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut new = body.into_inner().region;
    new.id = Some(id.into_inner());
    let r = svc.create_region(&ctx, new).await?;
    Ok(created(json!({"region": render(&req, &svc, &r)})))
}

pub async fn show_region(
    req: HttpRequest,
    svc: Svc,
    _ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = svc.get_region(id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"region": render(&req, &svc, &r)})))
}

pub async fn update_region(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<RegionUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let r = svc
        .update_region(&ctx, id.into_inner(), body.into_inner().region)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"region": render(&req, &svc, &r)})))
}

pub async fn delete_region(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.delete_region(&ctx, id.into_inner()).await?;
    Ok(no_content())
}
