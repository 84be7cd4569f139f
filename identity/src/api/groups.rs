//! `/v3/groups` and group membership.

use super::{arc, collection, created, no_content, self_link, Query, Svc};
use crate::store::models::Group;
use crate::users::{GroupPatch, NewGroup};
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::{envelope_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "domain_id": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]},
    })
}

#[derive(Deserialize)]
pub struct GroupCreateRequest {
    group: NewGroup,
}

impl RequestBody for GroupCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("group", properties(), ["name"])
    }
}

#[derive(Deserialize)]
pub struct GroupUpdateRequest {
    group: GroupPatch,
}

impl RequestBody for GroupUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("group", properties(), [])
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, g: &Group) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "domain_id": g.domain_id,
        "description": g.description,
        "links": self_link(req, svc, &format!("groups/{}", g.id)),
    })
}

pub async fn list_groups(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let groups = svc
        .list_groups(&ctx, q.get("domain_id"), q.get("name"))
        .await?;
    let items = groups.iter().map(|g| render(&req, &svc, g)).collect();
    Ok(collection(&req, &svc, "groups", items))
}

pub async fn create_group(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<GroupCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let g = svc.create_group(&ctx, body.into_inner().group).await?;
    Ok(created(json!({"group": render(&req, &svc, &g)})))
}

pub async fn show_group(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let g = svc.get_group(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"group": render(&req, &svc, &g)})))
}

pub async fn update_group(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<GroupUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let g = svc
        .update_group(&ctx, id.into_inner(), body.into_inner().group)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"group": render(&req, &svc, &g)})))
}

pub async fn delete_group(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    arc(&svc).delete_group(&ctx, id.into_inner()).await?;
    Ok(no_content())
}

pub async fn list_group_users(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let users = svc.list_users_in_group(&ctx, id.into_inner()).await?;
    let items = users
        .iter()
        .map(|u| super::users::render(&req, &svc, u))
        .collect();
    Ok(collection(&req, &svc, "users", items))
}

pub async fn add_user(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, user) = path.into_inner();
    svc.add_user_to_group(&ctx, group, user).await?;
    Ok(no_content())
}

pub async fn check_user(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, user) = path.into_inner();
    svc.check_user_in_group(&ctx, group, user).await?;
    Ok(no_content())
}

pub async fn remove_user(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, user) = path.into_inner();
    arc(&svc).remove_user_from_group(&ctx, group, user).await?;
    Ok(no_content())
}
