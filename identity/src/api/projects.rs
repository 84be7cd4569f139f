//! `/v3/projects` and project tags.

use super::{arc, collection, created, no_content, options, self_link, Query, Svc};
use crate::error::Error;
use crate::resource::{NewProject, ProjectPatch, ProjectView, TagFilter};
use crate::store::resource::ProjectFilter;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::{RequestBody, Validator};
use compat_api::{envelope_schema, json_schema, ApiError, AuthContext, JsonBody};
use serde::Deserialize;
use serde_json::{json, Value};

/// The attributes a client may send, on create and on update.
fn properties() -> Value {
    json!({
        "name": {"type": "string", "minLength": 1, "maxLength": 64},
        "domain_id": {"type": ["string", "null"]},
        "parent_id": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]},
        "enabled": {"type": "boolean"},
        "is_domain": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "options": {"type": "object"},
    })
}

#[derive(Deserialize)]
pub struct ProjectCreateRequest {
    project: NewProject,
}

impl RequestBody for ProjectCreateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("project", properties(), ["name"])
    }
}

#[derive(Deserialize)]
pub struct ProjectUpdateRequest {
    project: ProjectPatch,
}

impl RequestBody for ProjectUpdateRequest {
    fn schema() -> Option<&'static Validator> {
        envelope_schema!("project", properties(), [])
    }
}

#[derive(Deserialize)]
pub struct TagsRequest {
    tags: Vec<String>,
}

impl RequestBody for TagsRequest {
    fn schema() -> Option<&'static Validator> {
        json_schema!({
            "type": "object",
            "required": ["tags"],
            "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
        })
    }
}

pub fn render(req: &HttpRequest, svc: &Svc, v: &ProjectView) -> Value {
    let p = &v.project;
    json!({
        "id": p.id,
        "name": p.name,
        "domain_id": p.domain_id,
        "parent_id": p.parent_id.clone().unwrap_or_else(|| p.domain_id.clone()),
        "description": p.description,
        "enabled": p.enabled,
        "is_domain": false,
        "tags": v.tags,
        "options": options(&p.options),
        "links": self_link(req, svc, &format!("projects/{}", p.id)),
    })
}

pub async fn list_projects(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let filter = ProjectFilter {
        domain_id: q.get("domain_id"),
        name: q.get("name"),
        parent_id: q.get("parent_id"),
        enabled: q.flag("enabled"),
        ids: None,
    };
    let tags = TagFilter {
        tags: q.list("tags"),
        tags_any: q.list("tags-any"),
        not_tags: q.list("not-tags"),
        not_tags_any: q.list("not-tags-any"),
    };
    let projects = svc.list_projects(&ctx, filter, tags).await?;
    let items = projects.iter().map(|p| render(&req, &svc, p)).collect();
    Ok(collection(&req, &svc, "projects", items))
}

pub async fn create_project(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    body: JsonBody<ProjectCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let p = arc(&svc)
        .create_project(&ctx, body.into_inner().project)
        .await?;
    Ok(created(json!({"project": render(&req, &svc, &p)})))
}

pub async fn show_project(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let p = svc.get_project(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"project": render(&req, &svc, &p)})))
}

pub async fn update_project(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<ProjectUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let p = arc(&svc)
        .update_project(&ctx, id.into_inner(), body.into_inner().project)
        .await?;
    Ok(HttpResponse::Ok().json(json!({"project": render(&req, &svc, &p)})))
}

pub async fn delete_project(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    arc(&svc).delete_project(&ctx, id.into_inner()).await?;
    Ok(no_content())
}

pub async fn list_tags(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let p = svc.get_project(&ctx, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({"tags": p.tags})))
}

pub async fn replace_tags(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
    body: JsonBody<TagsRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = body.into_inner().tags;
    let tags = arc(&svc)
        .edit_project_tags(&ctx, id.into_inner(), move |t| {
            *t = new;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"tags": tags})))
}

pub async fn delete_tags(
    svc: Svc,
    ctx: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    arc(&svc)
        .edit_project_tags(&ctx, id.into_inner(), |t| {
            t.clear();
            Ok(())
        })
        .await?;
    Ok(no_content())
}

pub async fn check_tag(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    let p = svc.get_project(&ctx, id.clone()).await?;
    if !p.tags.contains(&tag) {
        return Err(Error::not_found("tag", tag).into());
    }
    Ok(no_content())
}

pub async fn add_tag(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    arc(&svc)
        .edit_project_tags(&ctx, id, move |t| {
            if !t.contains(&tag) {
                t.push(tag);
            }
            Ok(())
        })
        .await?;
    // 201 with an empty body, as the API working group's tags guideline says.
    Ok(HttpResponse::Created().finish())
}

pub async fn delete_tag(
    svc: Svc,
    ctx: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    arc(&svc)
        .edit_project_tags(&ctx, id, move |t| {
            let before = t.len();
            t.retain(|x| *x != tag);
            if t.len() == before {
                return Err(Error::not_found("tag", tag));
            }
            Ok(())
        })
        .await?;
    Ok(no_content())
}
