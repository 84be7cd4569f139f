//! `/servers/{id}/tags` (2.26): list, replace, clear, and one tag at a time.

use super::error::{bad_request, not_found};
use super::{ApiResult, Req, Svc};
use crate::instances;
use crate::servers::TAG_STATES;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::ApiError;
use serde_json::{json, Value};

fn require_tags(req: &Req) -> Result<(), ApiError> {
    if req.at_least(26) {
        return Ok(());
    }
    Err(not_found("The resource could not be found."))
}

fn tag_not_found(tag: &str, id: &str) -> ApiError {
    not_found(format!("Tag {tag} could not be found for instance {id}."))
}

pub async fn list_tags(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    require_tags(&req)?;
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({ "tags": inst.tags })))
}

pub async fn replace_tags(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    require_tags(&req)?;
    let Some(Value::Array(list)) = body.0.get("tags") else {
        return Err(bad_request(
            "Invalid input for field/attribute tags. 'tags' is a required property",
        ));
    };
    let tags = instances::check_tags(list)?;
    let id = path.into_inner().0;
    let tags = svc
        .edit_instance(&req.ctx, &id, "update tags", TAG_STATES, move |inst| {
            inst.tags = tags;
            Ok(inst.tags.clone())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "tags": tags })))
}

pub async fn delete_tags(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    require_tags(&req)?;
    let id = path.into_inner().0;
    svc.edit_instance(&req.ctx, &id, "delete tags", TAG_STATES, |inst| {
        inst.tags.clear();
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn check_tag(req: Req, svc: Svc, path: web::Path<(String, String)>) -> ApiResult {
    require_tags(&req)?;
    let (id, tag) = path.into_inner();
    let (ctx, id2) = (req.ctx.clone(), id.clone());
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id2)).await?;
    if !inst.tags.contains(&tag) {
        return Err(tag_not_found(&tag, &id));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// 201 with the tag's URL when it is new, 204 when it was there.
pub async fn add_tag(req: Req, svc: Svc, path: web::Path<(String, String)>) -> ApiResult {
    require_tags(&req)?;
    let (id, tag) = path.into_inner();
    instances::check_tag(&tag)?;
    let t = tag.clone();
    let added = svc
        .edit_instance(&req.ctx, &id, "update tag", TAG_STATES, move |inst| {
            if inst.tags.contains(&t) {
                return Ok(false);
            }
            instances::check_tag_count(inst.tags.len() + 1)?;
            inst.tags.push(t);
            Ok(true)
        })
        .await?;
    if !added {
        return Ok(HttpResponse::NoContent().finish());
    }
    let location = format!("{}/servers/{id}/tags/{tag}", req.url);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .finish())
}

pub async fn delete_tag(req: Req, svc: Svc, path: web::Path<(String, String)>) -> ApiResult {
    require_tags(&req)?;
    let (id, tag) = path.into_inner();
    let t = tag.clone();
    let removed = svc
        .edit_instance(&req.ctx, &id, "delete tag", TAG_STATES, move |inst| {
            let before = inst.tags.len();
            inst.tags.retain(|x| x != &t);
            Ok(inst.tags.len() != before)
        })
        .await?;
    if !removed {
        return Err(tag_not_found(&tag, &id));
    }
    Ok(HttpResponse::NoContent().finish())
}
