//! `/servers/{id}/metadata`: list, merge (POST), replace (PUT), and one
//! item at a time.

use super::error::{bad_request, not_found};
use super::{ApiResult, Req, Svc};
use crate::instances;
use crate::quotas;
use crate::servers::METADATA_STATES;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::ApiError;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The object under `key` in a body, checked as metadata.
fn body_metadata(body: &Value, key: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(Value::Object(m)) = body.get(key) else {
        return Err(bad_request(format!(
            "Invalid input for field/attribute {key}. '{key}' is a required property"
        )));
    };
    let m: BTreeMap<String, Value> = m.clone().into_iter().collect();
    Ok(instances::check_metadata(&m)?)
}

fn item_not_found() -> ApiError {
    not_found("Metadata item was not found")
}

/// Merges or replaces, within the project's `metadata_items` limit.
async fn write_metadata(
    req: &Req,
    svc: &Svc,
    id: String,
    items: BTreeMap<String, String>,
    replace: bool,
) -> Result<BTreeMap<String, String>, ApiError> {
    let limit = svc.metadata_limit(&req.ctx).await?;
    let result = svc
        .edit_instance(
            &req.ctx,
            &id,
            "update_metadata",
            METADATA_STATES,
            move |inst| {
                if replace {
                    inst.metadata.clear();
                }
                inst.metadata.extend(items);
                quotas::check_metadata_count(limit, inst.metadata.len())?;
                Ok(inst.metadata.clone())
            },
        )
        .await?;
    Ok(result)
}

/// `POST` merges.
pub async fn create_metadata(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    set_metadata(req, svc, path.into_inner().0, body.into_inner(), false).await
}

/// `PUT` replaces.
pub async fn update_metadata(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    set_metadata(req, svc, path.into_inner().0, body.into_inner(), true).await
}

async fn set_metadata(req: Req, svc: Svc, id: String, body: Value, replace: bool) -> ApiResult {
    let items = body_metadata(&body, "metadata")?;
    let all = write_metadata(&req, &svc, id, items, replace).await?;
    Ok(HttpResponse::Ok().json(json!({ "metadata": all })))
}

pub async fn show_metadata_item(
    req: Req,
    svc: Svc,
    path: web::Path<(String, String)>,
) -> ApiResult {
    let (id, key) = path.into_inner();
    let ctx = req.ctx.clone();
    let inst = svc.read(move |c| instances::visible(c, &ctx, &id)).await?;
    let value = inst.metadata.get(&key).ok_or_else(item_not_found)?;
    Ok(HttpResponse::Ok().json(json!({ "meta": { key: value } })))
}

pub async fn update_metadata_item(
    req: Req,
    svc: Svc,
    path: web::Path<(String, String)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let (id, key) = path.into_inner();
    let item = body_metadata(&body.0, "meta")?;
    if item.len() > 1 {
        return Err(bad_request("Request body contains too many items"));
    }
    let Some(value) = item.get(&key).cloned() else {
        return Err(bad_request("Request body and URI mismatch"));
    };
    write_metadata(&req, &svc, id, item, false).await?;
    Ok(HttpResponse::Ok().json(json!({ "meta": { key: value } })))
}

pub async fn delete_metadata_item(
    req: Req,
    svc: Svc,
    path: web::Path<(String, String)>,
) -> ApiResult {
    let (id, key) = path.into_inner();
    let removed = svc
        .edit_instance(
            &req.ctx,
            &id,
            "delete_metadata",
            METADATA_STATES,
            move |inst| Ok(inst.metadata.remove(&key).is_some()),
        )
        .await?;
    if !removed {
        return Err(item_not_found());
    }
    Ok(HttpResponse::NoContent().finish())
}
