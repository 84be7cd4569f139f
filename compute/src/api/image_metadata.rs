//! `/images/{image_id}/metadata`: nova's proxy (below 2.39) to an image's
//! custom properties in the image service. List, merge (`POST`), replace
//! (`PUT`), and one item at a time; every write replaces the image's
//! properties through the image service, within the project's
//! `metadata_items` limit.

use super::error::{bad_request, not_found};
use super::images::{image_not_found, metadata};
use super::{ApiResult, Req, Svc};
use crate::clients::ImageInfo;
use crate::instances;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::ApiError;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Image metadata is gone from 2.39.
fn proxy(req: &Req) -> Result<(), ApiError> {
    if req.at_least(39) {
        return Err(not_found("The resource could not be found."));
    }
    Ok(())
}

fn not_authorized(id: &str) -> ApiError {
    ApiError::from(crate::Error::Forbidden(format!(
        "Not authorized for image {id}."
    )))
}

/// The image service's refusals and absences in nova's words.
fn image_error(id: &str, e: crate::Error) -> ApiError {
    match e {
        crate::Error::Forbidden(_) => not_authorized(id),
        crate::Error::NotFound(_) => image_not_found(),
        other => other.into(),
    }
}

async fn get_image(req: &Req, svc: &Svc, id: &str) -> Result<ImageInfo, ApiError> {
    svc.images
        .show(&req.ctx, id)
        .await
        .map_err(|e| image_error(id, e))?
        .ok_or_else(image_not_found)
}

/// A metadata key as nova's schema allows it.
fn valid_key(key: &str) -> bool {
    let n = key.chars().count();
    (1..=255).contains(&n)
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:. ".contains(c))
}

/// The object under `field` of a body that has nothing else, checked as
/// nova's `metadata` schema.
fn body_metadata(body: &Value, field: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(object) = body.as_object() else {
        return Err(bad_request(format!(
            "Invalid input for field/attribute {field}. Value: {body}. {body} is not of type 'object'"
        )));
    };
    if let Some(extra) = object.keys().find(|k| *k != field) {
        return Err(bad_request(format!(
            "Invalid input for field/attribute {field}. Value: {body}. Additional properties are not allowed ('{extra}' was unexpected)"
        )));
    }
    let Some(Value::Object(items)) = object.get(field) else {
        return Err(bad_request(format!(
            "Invalid input for field/attribute {field}. Value: {body}. '{field}' is a required property"
        )));
    };
    if let Some(bad) = items.keys().find(|k| !valid_key(k)) {
        return Err(bad_request(format!(
            "Invalid input for field/attribute {field}. Value: {body}. Additional properties are not allowed ('{bad}' was unexpected)"
        )));
    }
    let items: BTreeMap<String, Value> = items.clone().into_iter().collect();
    Ok(instances::check_metadata(&items)?)
}

/// nova's image metadata quota: the properties the image would have,
/// against the project's `metadata_items`.
async fn check_quota(req: &Req, svc: &Svc, count: usize) -> Result<(), ApiError> {
    if count == 0 {
        return Ok(());
    }
    let limit = svc.metadata_limit(&req.ctx).await?;
    if limit >= 0 && count as i64 > limit {
        return Err(ApiError::from(crate::Error::OverQuota(
            "Image metadata limit exceeded".into(),
        )));
    }
    Ok(())
}

/// Checks the quota and saves `properties` as the image's properties.
async fn save(
    req: &Req,
    svc: &Svc,
    id: &str,
    properties: BTreeMap<String, String>,
) -> Result<ImageInfo, ApiError> {
    check_quota(req, svc, properties.len()).await?;
    svc.images
        .set_properties(&req.ctx, id, properties)
        .await
        .map_err(|e| image_error(id, e))
}

pub async fn list_image_metadata(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let img = get_image(&req, &svc, &id).await?;
    Ok(HttpResponse::Ok().json(json!({ "metadata": metadata(&img) })))
}

/// `POST` merges the given items into the image's properties.
pub async fn create_image_metadata(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let items = body_metadata(&body.0, "metadata")?;
    let mut properties = get_image(&req, &svc, &id).await?.properties;
    properties.extend(items);
    let img = save(&req, &svc, &id, properties).await?;
    Ok(HttpResponse::Ok().json(json!({ "metadata": metadata(&img) })))
}

/// `PUT` replaces the image's properties with the given items.
pub async fn update_image_metadata(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let items = body_metadata(&body.0, "metadata")?;
    get_image(&req, &svc, &id).await?;
    save(&req, &svc, &id, items.clone()).await?;
    Ok(HttpResponse::Ok().json(json!({ "metadata": items })))
}

pub async fn show_image_metadata_item(
    req: Req,
    svc: Svc,
    path: web::Path<(String, String)>,
) -> ApiResult {
    proxy(&req)?;
    let (id, key) = path.into_inner();
    let img = get_image(&req, &svc, &id).await?;
    let value = metadata(&img)
        .remove(&key)
        .ok_or_else(|| not_found("The resource could not be found."))?;
    Ok(HttpResponse::Ok().json(json!({ "meta": { key: value } })))
}

pub async fn update_image_metadata_item(
    req: Req,
    svc: Svc,
    path: web::Path<(String, String)>,
    body: JsonBody<Value>,
) -> ApiResult {
    proxy(&req)?;
    let (id, key) = path.into_inner();
    let item = body_metadata(&body.0, "meta")?;
    if item.len() != 1 {
        let (field, value) = ("meta", &body.0["meta"]);
        let why = if item.is_empty() {
            "does not have enough properties"
        } else {
            "has too many properties"
        };
        return Err(bad_request(format!(
            "Invalid input for field/attribute {field}. Value: {value}. {value} {why}"
        )));
    }
    let Some(value) = item.get(&key).cloned() else {
        return Err(bad_request("Request body and URI mismatch"));
    };
    let mut properties = get_image(&req, &svc, &id).await?.properties;
    properties.insert(key.clone(), value.clone());
    save(&req, &svc, &id, properties).await?;
    Ok(HttpResponse::Ok().json(json!({ "meta": { key: value } })))
}

pub async fn delete_image_metadata_item(
    req: Req,
    svc: Svc,
    path: web::Path<(String, String)>,
) -> ApiResult {
    proxy(&req)?;
    let (id, key) = path.into_inner();
    let mut properties = get_image(&req, &svc, &id).await?.properties;
    if properties.remove(&key).is_none() {
        return Err(not_found("Invalid metadata key"));
    }
    svc.images
        .set_properties(&req.ctx, &id, properties)
        .await
        .map_err(|e| image_error(&id, e))?;
    Ok(HttpResponse::NoContent().finish())
}
