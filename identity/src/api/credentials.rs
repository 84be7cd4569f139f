//! `/v3/credentials`

use super::{collection, created, no_content, self_link, Query, Svc};
use crate::app_creds::{CredentialPatch, NewCredential};
use crate::store::models::Credential;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::{envelope_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "user_id": {"type": "string"},
        "project_id": {"type": ["string", "null"]},
        "type": {"type": "string", "minLength": 1},
        "blob": {"type": "string"},
    })
}

#[derive(Deserialize)]
pub struct CredentialCreateRequest {
    credential: NewCredential,
}

impl RequestBody for CredentialCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("credential", properties(), ["user_id", "type", "blob"])
    }
}

#[derive(Deserialize)]
pub struct CredentialUpdateRequest {
    credential: CredentialPatch,
}

impl RequestBody for CredentialUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("credential", properties(), [])
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, c: &Credential) -> Value {
    json!({
        "id": c.id,
        "user_id": c.user_id,
        "project_id": c.project_id,
        "type": c.cred_type,
        "blob": c.blob_data,
        "links": self_link(req, svc, &format!("credentials/{}", c.id)),
    })
}

pub async fn list_credentials(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let list = svc
        .list_credentials(&ctx, q.get("user_id"), q.get("type"))
        .await?;
    let items = list.iter().map(|c| render(&req, &svc, c)).collect();
    Ok(collection(&req, &svc, "credentials", items))
}

pub async fn create_credential(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<CredentialCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = svc
        .create_credential(&ctx, body.into_inner().credential)
        .await?;
    Ok(created(json!({"credential": render(&req, &svc, &c)})))
}

pub async fn show_credential(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let c = svc.get_credential(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"credential": render(&req, &svc, &c)})))
}

pub async fn update_credential(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<CredentialUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = svc
        .update_credential(&ctx, id.into_inner(), body.into_inner().credential)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"credential": render(&req, &svc, &c)})))
}

pub async fn delete_credential(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.delete_credential(&ctx, id.into_inner()).await?;
    Ok(no_content())
}
