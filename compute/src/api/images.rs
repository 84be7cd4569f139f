//! The image proxy API nova keeps below 2.36 (`/images/{id}`): images of
//! the image service in nova's format. Snapshots made with `createImage`
//! are watched through it by older clients and Tempest.
//!
//! Partial: show and delete only; the list, detail and image metadata
//! routes are not proxied yet.

use super::error::not_found;
use super::{ApiResult, Req, Svc};
use crate::clients::ImageInfo;
use actix_web::{web, HttpResponse};
use compat_api::time::iso_seconds_z;
use compat_api::ApiError;
use serde_json::{json, Value};

fn proxy(req: &Req) -> Result<(), ApiError> {
    if req.at_least(36) {
        return Err(not_found("The resource could not be found."));
    }
    Ok(())
}

fn image_not_found(id: &str) -> ApiError {
    not_found(format!("Image {id} could not be found."))
}

/// nova's status and progress for a glance status.
fn status(glance: &str) -> (&'static str, u8) {
    match glance {
        "active" => ("ACTIVE", 100),
        "queued" => ("SAVING", 25),
        "saving" | "uploading" | "importing" => ("SAVING", 50),
        "deleted" | "pending_delete" => ("DELETED", 0),
        "killed" => ("ERROR", 0),
        _ => ("UNKNOWN", 0),
    }
}

fn view(req: &Req, img: &ImageInfo) -> Value {
    let (status, progress) = status(&img.status);
    let mut v = json!({
        "id": img.id,
        "name": img.name,
        "status": status,
        "progress": progress,
        "minRam": img.min_ram,
        "minDisk": img.min_disk,
        "metadata": img.properties,
        "created": iso_seconds_z(img.created_at),
        "updated": iso_seconds_z(img.updated_at),
        "links": super::views::links(req, "images", &img.id),
        "OS-EXT-IMG-SIZE:size": img.size,
    });
    if let Some(server) = img.properties.get("instance_uuid") {
        v["server"] = json!({
            "id": server,
            "links": super::views::links(req, "servers", server),
        });
    }
    v
}

pub async fn show_image(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let img = svc
        .images
        .show(&req.ctx, &id)
        .await?
        .ok_or_else(|| image_not_found(&id))?;
    Ok(HttpResponse::Ok().json(json!({ "image": view(&req, &img) })))
}

pub async fn delete_image(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    if svc.images.show(&req.ctx, &id).await?.is_none() {
        return Err(image_not_found(&id));
    }
    svc.images.delete(&req.ctx, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
