//! `standard-attr-tag`: `/v2.0/<collection>/{id}/tags[/{tag}]` for every
//! collection that has tags.

use super::{caller, neutron_error, unwrap_body, Collection, Svc};
use crate::error::Error;
use crate::store::{self, Conn};
use crate::Ctx;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::{ApiError, AuthContext};
use serde_json::{json, Value};

/// neutron's `MAX_TAG_LEN`.
const MAX_TAG_LEN: usize = 255;

fn check_tag(tag: &str) -> Result<(), Error> {
    if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN || tag.contains(',') {
        return Err(Error::invalid_attr(
            "tags",
            format!("'{tag}' is not a valid tag"),
        ));
    }
    Ok(())
}

/// The resource must be visible; changing its tags needs ownership.
fn check_access<C: Collection>(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    write: bool,
) -> Result<(), Error> {
    let item = C::show(c, ctx, id)?;
    let view = C::view(&item, ctx.caller);
    let owner = view
        .get("project_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if write && !ctx.caller.owns(owner) {
        return Err(Error::policy(&format!("update_{}:tags", C::SINGULAR)));
    }
    Ok(())
}

pub async fn list_tags<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let tags = svc
        .into_inner()
        .read(caller(&auth), move |c, ctx| {
            check_access::<C>(c, ctx, &id, false)?;
            Ok(store::tags::of_one(c, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "tags": tags })))
}

pub async fn replace_tags<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let tags: Vec<String> = serde_json::from_value(unwrap_body(body.into_inner(), "tags")?)
        .map_err(|e| {
            neutron_error(
                StatusCode::BAD_REQUEST,
                "HTTPBadRequest",
                format!("Invalid input for tags: {e}"),
            )
        })?;
    let tags = svc
        .into_inner()
        .write(caller(&auth), move |c, ctx| {
            check_access::<C>(c, ctx, &id, true)?;
            for t in &tags {
                check_tag(t)?;
            }
            store::tags::replace(c, &id, &tags)?;
            Ok(store::tags::of_one(c, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "tags": tags })))
}

pub async fn delete_tags<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    svc.into_inner()
        .write(caller(&auth), move |c, ctx| {
            check_access::<C>(c, ctx, &id, true)?;
            Ok(store::tags::delete_all(c, &id)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn tag_not_found(id: &str, tag: &str) -> Error {
    Error::not_found(
        "TagNotFound",
        format!("Tag {tag} could not be found for resource {id}."),
    )
}

pub async fn show_tag<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    svc.into_inner()
        .read(caller(&auth), move |c, ctx| {
            check_access::<C>(c, ctx, &id, false)?;
            if store::tags::of_one(c, &id)?.contains(&tag) {
                return Ok(());
            }
            Err(tag_not_found(&id, &tag))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn add_tag<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    svc.into_inner()
        .write(caller(&auth), move |c, ctx| {
            check_access::<C>(c, ctx, &id, true)?;
            check_tag(&tag)?;
            Ok(store::tags::add(c, &id, &tag)?)
        })
        .await?;
    Ok(HttpResponse::Created().finish())
}

pub async fn delete_tag<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    svc.into_inner()
        .write(caller(&auth), move |c, ctx| {
            check_access::<C>(c, ctx, &id, true)?;
            if store::tags::remove(c, &id, &tag)? {
                return Ok(());
            }
            Err(tag_not_found(&id, &tag))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
