//! The image proxy API nova keeps below 2.36 (`/images`): the images of
//! the image service in nova's format. List (`/images`, `/images/detail`)
//! with nova's filters and limit/marker pagination, show and delete; the
//! image metadata routes are in `image_metadata.rs`. Snapshots made with
//! `createImage` are watched through it by older clients and Tempest.
//!
//! An image's links are `self` and `bookmark`; nova's third, `alternate`
//! (the image in glance), is not given.

use super::error::{bad_request, not_found};
use super::{ApiResult, Req, Svc};
use crate::clients::{ImageFilters, ImageInfo};
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::query::Query;
use compat_api::time::{iso_seconds_z, parse_iso};
use compat_api::ApiError;
use serde_json::{json, Map, Value};

/// The proxy is gone from 2.36.
pub(crate) fn proxy(req: &Req) -> Result<(), ApiError> {
    if req.at_least(36) {
        return Err(not_found("The resource could not be found."));
    }
    Ok(())
}

pub(crate) fn image_not_found() -> ApiError {
    not_found("Image not found.")
}

/// nova's status for a glance status.
fn status(glance: &str) -> &'static str {
    match glance {
        "active" => "ACTIVE",
        "queued" | "saving" => "SAVING",
        "deleted" | "pending_delete" => "DELETED",
        "killed" => "ERROR",
        _ => "UNKNOWN",
    }
}

fn progress(glance: &str) -> u8 {
    match glance {
        "queued" => 25,
        "saving" => 50,
        "active" => 100,
        _ => 0,
    }
}

/// Custom properties as nova reads them: `block_device_mapping` and
/// `mappings` hold JSON documents and are decoded.
pub(crate) fn metadata(img: &ImageInfo) -> Map<String, Value> {
    img.properties
        .iter()
        .map(|(k, v)| {
            let value = match k.as_str() {
                "block_device_mapping" | "mappings" => {
                    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.clone()))
                }
                _ => Value::String(v.clone()),
            };
            (k.clone(), value)
        })
        .collect()
}

/// oslo's `bool_from_string`, not strict.
fn truthy(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "1" | "t" | "true" | "on" | "y" | "yes"
    )
}

fn view(req: &Req, img: &ImageInfo) -> Value {
    let mut v = json!({
        "id": img.id,
        "name": img.name,
        "status": status(&img.status),
        "progress": progress(&img.status),
        "minRam": img.min_ram,
        "minDisk": img.min_disk,
        "metadata": metadata(img),
        "created": iso_seconds_z(img.created_at),
        "updated": iso_seconds_z(img.updated_at),
        "links": super::views::links(req, "images", &img.id),
        // glance's size is null until there is data; nova reads it as 0.
        "OS-EXT-IMG-SIZE:size": img.size.unwrap_or(0),
    });
    if let Some(server) = img.properties.get("instance_uuid") {
        v["server"] = json!({
            "id": server,
            "links": super::views::links(req, "servers", server),
        });
    }
    if let Some(auto) = img.properties.get("auto_disk_config") {
        v["OS-DCF:diskConfig"] = json!(if truthy(auto) { "AUTO" } else { "MANUAL" });
    }
    v
}

fn summary(req: &Req, img: &ImageInfo) -> Value {
    json!({
        "id": img.id,
        "name": img.name,
        "links": super::views::links(req, "images", &img.id),
    })
}

/// The last value of a query parameter (a repeated one counts once).
fn last(q: &Query, key: &str) -> Option<String> {
    q.all(key).pop()
}

/// nova's filters, mapped to glance's: `server` and `type` become the
/// `instance_uuid` and `image_type` properties, `property-<name>` any
/// property, `changes-since` a lower bound on `updated_at`, `status` a
/// lower-case glance status.
fn filters(q: &Query) -> Result<ImageFilters, ApiError> {
    let mut f = ImageFilters {
        name: last(q, "name"),
        status: last(q, "status").map(|s| s.to_lowercase()),
        min_ram: last(q, "minRam"),
        min_disk: last(q, "minDisk"),
        ..ImageFilters::default()
    };
    if let Some(since) = last(q, "changes-since") {
        f.updated_since = Some(parse_iso(&since).ok_or_else(|| {
            bad_request("Bad \"updated_at\" query filter format. Use ISO 8601 DateTime notation.")
        })?);
    }
    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in &q.0 {
        let Some(name) = key.strip_prefix("property-") else {
            continue;
        };
        if seen.contains(&key.as_str()) {
            continue;
        }
        seen.push(key);
        if let Some(value) = last(q, key) {
            f.properties.push((name.to_owned(), value));
        }
    }
    if let Some(server) = last(q, "server") {
        // A server's link works as well as its id.
        let id = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(_, id)| id);
        f.properties.push(("instance_uuid".into(), id.to_owned()));
    }
    if let Some(kind) = last(q, "type") {
        f.properties.push(("image_type".into(), kind));
    }
    Ok(f)
}

async fn list(req: Req, svc: Svc, http: HttpRequest, detail: bool) -> ApiResult {
    proxy(&req)?;
    let q = Query::parse(&http)?;
    let max = usize::try_from(svc.conf.max_limit.max(1)).unwrap_or(usize::MAX);
    let limit = match last(&q, "limit") {
        None => None,
        Some(v) => match v.parse::<usize>() {
            Ok(0) => None,
            Ok(n) => Some(n.min(max)),
            Err(_) => {
                return Err(bad_request(format!(
                    "Invalid input for query parameters limit. Value: {v}. '{v}' does not match '^[0-9]*$'"
                )))
            }
        },
    };
    let (images, _) = svc
        .images
        .list(&req.ctx, filters(&q)?, last(&q, "marker"), limit)
        .await?;
    let items: Vec<Value> = images
        .iter()
        .map(|i| {
            if detail {
                view(&req, i)
            } else {
                summary(&req, i)
            }
        })
        .collect();
    let mut body = json!({ "images": items });
    // nova's rule: a next link when the page is as long as it may be.
    if images.len() == limit.unwrap_or(max) {
        if let Some(last) = images.last() {
            let path = if detail { "images/detail" } else { "images" };
            let link =
                compat_api::pagination::next_link(&format!("{}/{path}", req.url), &q.0, &last.id);
            body["images_links"] = json!([link]);
        }
    }
    Ok(HttpResponse::Ok().json(body))
}

pub async fn list_images(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    list(req, svc, http, false).await
}

pub async fn list_images_detail(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    list(req, svc, http, true).await
}

pub async fn show_image(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    let img = svc
        .images
        .show(&req.ctx, &id)
        .await?
        .ok_or_else(image_not_found)?;
    Ok(HttpResponse::Ok().json(json!({ "image": view(&req, &img) })))
}

pub async fn delete_image(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    proxy(&req)?;
    let id = path.into_inner().0;
    if svc.images.show(&req.ctx, &id).await?.is_none() {
        return Err(image_not_found());
    }
    svc.images
        .delete(&req.ctx, &id)
        .await
        .map_err(|e| match e {
            crate::Error::Forbidden(_) => ApiError::from(crate::Error::Forbidden(
                "You are not allowed to delete the image.".into(),
            )),
            other => other.into(),
        })?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Query {
        Query(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn nova_filters_become_glance_filters() {
        let f = filters(&query(&[
            ("status", "ACTIVE"),
            ("server", "http://h/v2.1/servers/abc"),
            ("type", "snapshot"),
            ("property-os_distro", "cirros"),
            ("minRam", "512"),
            ("changes-since", "2024-01-02T03:04:05Z"),
        ]))
        .unwrap();
        assert_eq!(f.status.as_deref(), Some("active"));
        assert_eq!(f.min_ram.as_deref(), Some("512"));
        assert!(f.updated_since.is_some());
        assert_eq!(
            f.properties,
            vec![
                ("os_distro".into(), "cirros".into()),
                ("instance_uuid".into(), "abc".into()),
                ("image_type".into(), "snapshot".into()),
            ]
        );
        assert!(filters(&query(&[("changes-since", "yesterday")])).is_err());
    }

    #[test]
    fn statuses_as_nova_shows_them() {
        assert_eq!((status("queued"), progress("queued")), ("SAVING", 25));
        assert_eq!((status("saving"), progress("saving")), ("SAVING", 50));
        assert_eq!((status("active"), progress("active")), ("ACTIVE", 100));
        assert_eq!((status("importing"), progress("importing")), ("UNKNOWN", 0));
        assert!(truthy("True") && !truthy("false"));
    }
}
