//! `/v3/roles`, implied roles and `/v3/role_inferences`.

use super::{arc, collection, created, no_content, options, self_link, Query, Svc};
use crate::roles::{NewRole, RolePatch};
use crate::store::models::Role;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::{envelope_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "domain_id": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]},
        "options": {"type": "object"},
    })
}

#[derive(Deserialize)]
pub struct RoleCreateRequest {
    role: NewRole,
}

impl RequestBody for RoleCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("role", properties(), ["name"])
    }
}

#[derive(Deserialize)]
pub struct RoleUpdateRequest {
    role: RolePatch,
}

impl RequestBody for RoleUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("role", properties(), [])
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, r: &Role) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "domain_id": r.domain(),
        "description": r.description,
        "options": options(&r.options),
        "links": self_link(req, svc, &format!("roles/{}", r.id)),
    })
}

fn brief(req: &HttpRequest, svc: &Svc, r: &Role) -> Value {
    json!({"id": r.id, "name": r.name, "links": self_link(req, svc, &format!("roles/{}", r.id))})
}

pub async fn list_roles(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let roles = svc
        .list_roles(&ctx, q.get("name"), q.get("domain_id"))
        .await?;
    let items = roles.iter().map(|r| render(&req, &svc, r)).collect();
    Ok(collection(&req, &svc, "roles", items))
}

pub async fn create_role(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<RoleCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let r = svc.create_role(&ctx, body.into_inner().role).await?;
    Ok(created(json!({"role": render(&req, &svc, &r)})))
}

pub async fn show_role(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let r = svc.get_role(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"role": render(&req, &svc, &r)})))
}

pub async fn update_role(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<RoleUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let r = svc
        .update_role(&ctx, id.into_inner(), body.into_inner().role)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"role": render(&req, &svc, &r)})))
}

pub async fn delete_role(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    arc(&svc).delete_role(&ctx, id.into_inner()).await?;
    Ok(no_content())
}

fn inference(req: &HttpRequest, svc: &Svc, prior: &Role, implied: &[Role]) -> Value {
    json!({
        "prior_role": brief(req, svc, prior),
        "implies": implied.iter().map(|r| brief(req, svc, r)).collect::<Vec<_>>(),
    })
}

pub async fn list_implied_roles(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (prior, implied) = svc.list_implied_roles(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({
        "role_inference": inference(&req, &svc, &prior, &implied),
        "links": self_link(&req, &svc, &format!("roles/{}/implies", prior.id)),
    })))
}

fn implied_body(req: &HttpRequest, svc: &Svc, prior: &Role, implied: &Role) -> Value {
    json!({
        "role_inference": {"prior_role": brief(req, svc, prior), "implies": brief(req, svc, implied)},
        "links": self_link(req, svc, &format!("roles/{}/implies/{}", prior.id, implied.id)),
    })
}

pub async fn create_implied_role(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (prior, implied) = path.into_inner();
    let (p, i) = svc.create_implied_role(&ctx, prior, implied).await?;
    Ok(created(implied_body(&req, &svc, &p, &i)))
}

pub async fn show_implied_role(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (prior, implied) = path.into_inner();
    let (p, i) = svc.get_implied_role(&ctx, prior, implied).await?;
    Ok(HttpResponse::Ok().json(implied_body(&req, &svc, &p, &i)))
}

pub async fn check_implied_role(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (prior, implied) = path.into_inner();
    svc.get_implied_role(&ctx, prior, implied).await?;
    Ok(no_content())
}

pub async fn delete_implied_role(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (prior, implied) = path.into_inner();
    svc.delete_implied_role(&ctx, prior, implied).await?;
    Ok(no_content())
}

pub async fn list_role_inferences(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let rules = svc.list_role_inferences(&ctx).await?;
    let items: Vec<Value> = rules
        .iter()
        .map(|(p, i)| inference(&req, &svc, p, i))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "role_inferences": items,
        "links": self_link(&req, &svc, "role_inferences"),
    })))
}
