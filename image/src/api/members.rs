//! `/v2/images/{id}/members`: sharing an image with other projects.

use super::{no_content, viewer, Svc};
use crate::store::models::MemberRow;
use actix_web::{web, HttpResponse};
use compat_api::body::{JsonBody, RequestBody, Validator};
use compat_api::time::iso_seconds_z;
use compat_api::{json_schema, ApiError, AuthContext};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct MemberCreateRequest {
    pub member: String,
}

impl RequestBody for MemberCreateRequest {
    fn schema() -> Option<&'static Validator> {
        json_schema!({
            "type": "object",
            "properties": {"member": {"type": "string", "minLength": 1, "maxLength": 255}},
            "required": ["member"],
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct MemberUpdateRequest {
    pub status: String,
}

impl RequestBody for MemberUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        json_schema!({
            "type": "object",
            "properties": {"status": {"type": "string"}},
            "required": ["status"],
        })
    }
}

#[derive(Debug, Serialize)]
pub struct Member {
    pub created_at: String,
    pub updated_at: String,
    pub image_id: String,
    pub member_id: String,
    pub schema: &'static str,
    pub status: String,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Member {
        Member {
            created_at: iso_seconds_z(row.created_at),
            updated_at: iso_seconds_z(row.updated_at),
            image_id: row.image_id,
            member_id: row.member,
            schema: "/v2/schemas/member",
            status: row.status,
        }
    }
}

pub async fn create_image_member(
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
    body: JsonBody<MemberCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let row = svc
        .create_member(&viewer(&auth), &id, &body.into_inner().member)
        .await?;
    Ok(HttpResponse::Ok().json(Member::from(row)))
}

pub async fn list_image_members(
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let rows = svc.list_members(&viewer(&auth), &id).await?;
    let members: Vec<Member> = rows.into_iter().map(Member::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "members": members,
        "schema": "/v2/schemas/members",
    })))
}

pub async fn show_image_member(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, member) = path.into_inner();
    let row = svc.get_member(&viewer(&auth), &id, &member).await?;
    Ok(HttpResponse::Ok().json(Member::from(row)))
}

pub async fn update_image_member(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<(String, String)>,
    body: JsonBody<MemberUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, member) = path.into_inner();
    let row = svc
        .update_member(&viewer(&auth), &id, &member, &body.into_inner().status)
        .await?;
    Ok(HttpResponse::Ok().json(Member::from(row)))
}

pub async fn delete_image_member(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, member) = path.into_inner();
    svc.delete_member(&viewer(&auth), &id, &member).await?;
    Ok(no_content())
}
