//! `/v3/users/{user_id}/application_credentials`

use super::{arc, collection, created, no_content, self_link, Query, Svc};
use crate::app_creds::{AppCredView, NewAppCred};
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::time::iso_micros_naive;
use compat_api::{json_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct ApplicationCredentialCreateRequest {
    application_credential: NewAppCred,
}

impl RequestBody for ApplicationCredentialCreateRequest {
    fn schema() -> Option<&'static Validator> {
        json_schema!({
            "type": "object",
            "required": ["application_credential"],
            "properties": {"application_credential": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "description": {"type": ["string", "null"]},
                    "secret": {"type": ["string", "null"]},
                    "expires_at": {"type": ["string", "null"]},
                    "roles": {"type": ["array", "null"], "items": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                    }},
                    "unrestricted": {"type": ["boolean", "null"]},
                    "access_rules": {"type": ["array", "null"]},
                },
            }},
        })
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, v: &AppCredView) -> Value {
    let c = &v.cred;
    let roles: Vec<Value> = v
        .roles
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "domain_id": r.domain()}))
        .collect();
    let mut out = json!({
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "user_id": c.user_id,
        "project_id": c.project_id,
        "roles": roles,
        "unrestricted": c.unrestricted,
        "expires_at": c.expires_at.map(iso_micros_naive),
        "system": null,
        "access_rules": [],
        "links": self_link(req, svc, &format!("users/{}/application_credentials/{}", c.user_id, c.id)),
    });
    if let Some(secret) = &v.secret {
        out["secret"] = json!(secret);
    }
    out
}

pub async fn create_application_credential(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    user: web::Path<String>,
    body: JsonBody<ApplicationCredentialCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner().application_credential;
    let v = svc.create_app_cred(&ctx, user.into_inner(), new).await?;
    Ok(created(
        json!({"application_credential": render(&req, &svc, &v)}),
    ))
}

pub async fn list_application_credentials(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    user: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let list = svc
        .list_app_creds(&ctx, user.into_inner(), q.get("name"))
        .await?;
    let items = list.iter().map(|v| render(&req, &svc, v)).collect();
    Ok(collection(&req, &svc, "application_credentials", items))
}

pub async fn show_application_credential(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user, id) = path.into_inner();
    let v = svc.get_app_cred(&ctx, user, id).await?;
    Ok(HttpResponse::Ok().json(json!({"application_credential": render(&req, &svc, &v)})))
}

pub async fn delete_application_credential(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user, id) = path.into_inner();
    arc(&svc).delete_app_cred(&ctx, user, id).await?;
    Ok(no_content())
}
