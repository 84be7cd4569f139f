//! `/v3/users`

use super::{arc, collection, created, no_content, options, self_link, Query, Svc};
use crate::users::{NewUser, UserPatch, UserView};
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::time::iso_micros_z;
use compat_api::{envelope_schema, json_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "domain_id": {"type": ["string", "null"]},
        "password": {"type": ["string", "null"]},
        "enabled": {"type": "boolean"},
        "default_project_id": {"type": ["string", "null"]},
        "options": {"type": "object"},
    })
}

#[derive(Deserialize)]
pub struct UserCreateRequest {
    user: NewUser,
}

impl RequestBody for UserCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("user", properties(), ["name"])
    }
}

#[derive(Deserialize)]
pub struct UserUpdateRequest {
    user: UserPatch,
}

impl RequestBody for UserUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("user", properties(), [])
    }
}

#[derive(Deserialize)]
pub struct PasswordChange {
    password: String,
    original_password: String,
}

#[derive(Deserialize)]
pub struct PasswordChangeRequest {
    user: PasswordChange,
}

impl RequestBody for PasswordChangeRequest {
    fn schema() -> Option<&'static Validator> {
        json_schema!({
            "type": "object",
            "required": ["user"],
            "properties": {"user": {
                "type": "object",
                "required": ["password", "original_password"],
                "properties": {
                    "password": {"type": "string"},
                    "original_password": {"type": "string"},
                },
            }},
        })
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, v: &UserView) -> Value {
    let u = &v.user;
    let mut out: Map<String, Value> = serde_json::from_str(&u.extra).unwrap_or_default();
    out.insert("id".into(), json!(u.id));
    out.insert("name".into(), json!(u.name));
    out.insert("domain_id".into(), json!(u.domain_id));
    out.insert("enabled".into(), json!(u.enabled));
    out.insert(
        "password_expires_at".into(),
        json!(v.password_expires_at.map(iso_micros_z)),
    );
    out.insert("options".into(), options(&u.options));
    out.insert(
        "links".into(),
        self_link(req, svc, &format!("users/{}", u.id)),
    );
    if let Some(p) = &u.default_project_id {
        out.insert("default_project_id".into(), json!(p));
    }
    Value::Object(out)
}

pub async fn list_users(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let users = svc
        .list_users(&ctx, q.get("domain_id"), q.get("name"), q.flag("enabled"))
        .await?;
    let items = users.iter().map(|u| render(&req, &svc, u)).collect();
    Ok(collection(&req, &svc, "users", items))
}

pub async fn create_user(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<UserCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let u = arc(&svc).create_user(&ctx, body.into_inner().user).await?;
    Ok(created(json!({"user": render(&req, &svc, &u)})))
}

pub async fn show_user(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let u = svc.get_user(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"user": render(&req, &svc, &u)})))
}

pub async fn update_user(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<UserUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let u = arc(&svc)
        .update_user(&ctx, id.into_inner(), body.into_inner().user)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"user": render(&req, &svc, &u)})))
}

pub async fn delete_user(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    arc(&svc).delete_user(&ctx, id.into_inner()).await?;
    Ok(no_content())
}

/// `POST /v3/users/{id}/password`: no token needed; the old password is the proof.
pub async fn change_password(
    svc: Svc,
    id: web::Path<String>,
    body: JsonBody<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let change = body.into_inner().user;
    arc(&svc)
        .change_password(id.into_inner(), change.original_password, change.password)
        .await?;
    Ok(no_content())
}

pub async fn list_user_projects(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    crate::policy::owner_or_admin(&ctx, &id, "list_user_projects")?;
    let projects = svc.projects_of_user(id).await?;
    let items = projects
        .iter()
        .map(|p| super::projects::render(&req, &svc, p))
        .collect();
    Ok(collection(&req, &svc, "projects", items))
}

pub async fn list_user_groups(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let groups = svc.list_groups_for_user(&ctx, id.into_inner()).await?;
    let items = groups
        .iter()
        .map(|g| super::groups::render(&req, &svc, g))
        .collect();
    Ok(collection(&req, &svc, "groups", items))
}
