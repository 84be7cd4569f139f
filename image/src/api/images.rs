//! `/v2/images`: create, list, show, update (JSON patch), delete,
//! deactivate and reactivate.

use super::{base, media_type, no_content, viewer, Svc};
use crate::data::ImportMethod;
use crate::error::Error;
use crate::images::Image;
use crate::policy::Viewer;
use crate::store::images::{Cmp, ListQuery, SortKey};
use crate::tasks::TaskOrigin;
use crate::ImageService;
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use bytes::Bytes;
use compat_api::body::{JsonBody, RequestBody};
use compat_api::pagination::{first_link, next_link};
use compat_api::query::Query;
use compat_api::request_id::RequestId;
use compat_api::time::{iso_seconds_z, parse_iso};
use compat_api::{ApiError, AuthContext};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// `POST /v2/images`: any attributes; the image schema and glance's rules
/// on read-only and reserved names are checked by the domain.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct ImageCreateRequest(pub Map<String, Value>);

impl RequestBody for ImageCreateRequest {}

const PATCH_V2_1: &str = "application/openstack-images-v2.1-json-patch";
const PATCH_V2_0: &str = "application/openstack-images-v2.0-json-patch";
const ACCEPT_PATCH: &str =
    "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch";

/// An image as glance renders it: core attributes (null when unset),
/// custom properties at the top level, tags and links. Borrowed from the
/// domain image, so a list renders without copying it.
#[derive(Serialize)]
pub struct ImageView<'a> {
    #[serde(flatten)]
    properties: &'a BTreeMap<String, String>,
    id: &'a str,
    name: &'a Option<String>,
    status: &'a str,
    visibility: &'a str,
    protected: bool,
    os_hidden: bool,
    owner: &'a Option<String>,
    size: Option<i64>,
    virtual_size: Option<i64>,
    disk_format: &'a Option<String>,
    container_format: &'a Option<String>,
    checksum: &'a Option<String>,
    os_hash_algo: &'a Option<String>,
    os_hash_value: &'a Option<String>,
    min_disk: i32,
    min_ram: i32,
    created_at: String,
    updated_at: String,
    tags: &'a [String],
    #[serde(rename = "self")]
    self_link: String,
    file: String,
    schema: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    stores: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    direct_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locations: Option<Value>,
}

pub fn image_view<'a>(image: &'a Image, svc: &ImageService, viewer: &Viewer) -> ImageView<'a> {
    let row = &image.row;
    let has_data = matches!(row.status.as_str(), "active" | "deactivated");
    let location = row.location.as_deref().filter(|_| has_data);
    ImageView {
        properties: &image.properties,
        id: &row.id,
        name: &row.name,
        status: &row.status,
        visibility: &row.visibility,
        protected: row.protected,
        os_hidden: row.os_hidden,
        owner: &row.owner,
        size: row.size,
        virtual_size: row.virtual_size,
        disk_format: &row.disk_format,
        container_format: &row.container_format,
        checksum: &row.checksum,
        os_hash_algo: &row.os_hash_algo,
        os_hash_value: &row.os_hash_value,
        min_disk: row.min_disk,
        min_ram: row.min_ram,
        created_at: iso_seconds_z(row.created_at),
        updated_at: iso_seconds_z(row.updated_at),
        tags: &image.tags,
        self_link: format!("/v2/images/{}", row.id),
        file: format!("/v2/images/{}/file", row.id),
        schema: "/v2/schemas/image",
        stores: row
            .store_id
            .as_deref()
            .filter(|_| location.is_some() && svc.stores.is_multi()),
        direct_url: location.filter(|_| svc.conf.show_image_direct_url),
        locations: location
            .filter(|_| svc.conf.show_multiple_locations && viewer.is_admin)
            .map(|url| json!([{"url": url, "metadata": {"store": row.store_id}}])),
    }
}

/// `GET /v2/images`
#[derive(Serialize)]
struct ImageList<'a> {
    images: Vec<ImageView<'a>>,
    first: String,
    schema: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

pub async fn create_image(
    req: HttpRequest,
    svc: Svc,
    auth: AuthContext,
    body: JsonBody<ImageCreateRequest>,
) -> Result<HttpResponse, ApiError> {
    let viewer = viewer(&auth);
    let image = svc.create_image(&viewer, body.into_inner().0).await?;
    let location = format!("{}/v2/images/{}", base(&req, &svc), image.row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((
            "OpenStack-image-import-methods",
            svc.conf.enabled_import_methods.join(","),
        ))
        .json(image_view(&image, &svc, &viewer)))
}

pub async fn show_image(
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let viewer = viewer(&auth);
    let image = svc.get_image(&viewer, &id).await?;
    Ok(HttpResponse::Ok().json(image_view(&image, &svc, &viewer)))
}

pub async fn update_image(
    req: HttpRequest,
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let media = media_type(&req).unwrap_or_default();
    let v2_0 = match media.as_str() {
        PATCH_V2_1 => false,
        PATCH_V2_0 => true,
        _ => {
            let error = ApiError::from(Error::UnsupportedMediaType(format!(
                "Unsupported Content-Type; use {PATCH_V2_1}"
            )));
            let mut response = error.error_response();
            response.headers_mut().insert(
                header::HeaderName::from_static("accept-patch"),
                header::HeaderValue::from_static(ACCEPT_PATCH),
            );
            return Ok(response);
        }
    };
    let doc: Value = serde_json::from_slice(&body)
        .map_err(|e| Error::BadRequest(format!("Malformed JSON in request body: {e}")))?;
    let ops = crate::patch::parse(&doc, v2_0)?;
    let viewer = viewer(&auth);
    let image = svc.update_image(&viewer, &id, ops).await?;
    Ok(HttpResponse::Ok().json(image_view(&image, &svc, &viewer)))
}

/// `POST /v2/images/{id}/import`:
/// `{"method": {"name": ..., "uri": ...}, "stores": [...]}`. Checked by
/// hand, for glance's messages.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct ImageImportRequest(pub Value);

impl RequestBody for ImageImportRequest {}

impl ImageImportRequest {
    /// The method, and the one target store a multi-store import may name.
    fn parse(self) -> Result<(ImportMethod, Option<String>), ApiError> {
        let body = self.0;
        let method = body
            .get("method")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("Import request requires a 'method' field."))?;
        let name = method
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("Import request requires a 'name' field."))?;
        let uri = method.get("uri").and_then(Value::as_str);
        let method = match (name, uri) {
            ("glance-direct", _) => ImportMethod::GlanceDirect,
            ("web-download", Some(uri)) => ImportMethod::WebDownload {
                uri: uri.to_owned(),
            },
            ("web-download", None) => {
                return Err(bad("URI for web-download does not pass filtering: None"))
            }
            (other, _) => return Err(bad(format!("Unknown import method name '{other}'."))),
        };
        let stores: Vec<String> = match body.get("stores") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("'stores' must be a list of store identifiers"))?,
            Some(_) => return Err(bad("'stores' must be a list of store identifiers")),
        };
        if stores.len() > 1 || body.get("all_stores").and_then(Value::as_bool) == Some(true) {
            return Err(bad(
                "Importing into several stores at once is not supported; name one store.",
            ));
        }
        Ok((method, stores.into_iter().next()))
    }
}

pub async fn import_image(
    req: HttpRequest,
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
    body: JsonBody<ImageImportRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0 .0.clone();
    let (method, body_store) = body.into_inner().parse()?;
    let header_store = req
        .headers()
        .get("x-image-meta-store")
        .and_then(|v| v.to_str().ok());
    let store = body_store.as_deref().or(header_store);
    svc.clone()
        .into_inner()
        .import_image(
            &viewer(&auth),
            &id,
            method,
            store,
            request,
            origin(&req, &auth),
        )
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// The user and request an import task records.
fn origin(req: &HttpRequest, auth: &AuthContext) -> TaskOrigin {
    TaskOrigin {
        user_id: Some(auth.user_id().to_owned()).filter(|u| !u.is_empty()),
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
    }
}

pub async fn delete_image(
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.delete_image(&viewer(&auth), &id).await?;
    Ok(no_content())
}

pub async fn deactivate_image(
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.set_active(&viewer(&auth), &id, false).await?;
    Ok(no_content())
}

pub async fn reactivate_image(
    svc: Svc,
    auth: AuthContext,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    svc.set_active(&viewer(&auth), &id, true).await?;
    Ok(no_content())
}

pub async fn list_images(
    req: HttpRequest,
    svc: Svc,
    auth: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let viewer = viewer(&auth);
    // What the page depends on: the caller's visibility and the query.
    let key = format!(
        "{}|{}|{}|{}",
        viewer.project_id.as_deref().unwrap_or_default(),
        viewer.is_admin,
        viewer.is_member,
        req.query_string()
    );
    let generation = svc.list_generation().await?;
    if let Some(body) = svc.list_cache.get(&key, generation) {
        return Ok(json_response(body));
    }
    let query = Query::parse(&req)?;
    let listing = ListRequest::parse(&query, &svc)?;
    let (images, more) = svc
        .list_images(&viewer, listing.query, listing.marker, listing.limit)
        .await?;
    let pairs: Vec<(String, String)> = query.0;
    let next = match (more, images.last()) {
        (true, Some(last)) => Some(next_link("/v2/images", &pairs, &last.row.id).href),
        _ => None,
    };
    let page = ImageList {
        images: images
            .iter()
            .map(|i| image_view(i, &svc, &viewer))
            .collect(),
        first: first_link("/v2/images", &pairs),
        schema: "/v2/schemas/images",
        next,
    };
    let body =
        Bytes::from(serde_json::to_vec(&page).map_err(|e| ApiError::internal(e.to_string()))?);
    svc.list_cache.put(key, generation, body.clone());
    Ok(json_response(body))
}

fn json_response(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// A list request, read from the query string as glance reads it.
struct ListRequest {
    query: ListQuery,
    marker: Option<String>,
    limit: usize,
}

fn bad(message: impl Into<String>) -> ApiError {
    Error::BadRequest(message.into()).into()
}

/// Query keys that are not property filters.
const RESERVED_PARAMS: &[&str] = &[
    "limit",
    "marker",
    "sort_key",
    "sort_dir",
    "sort",
    "visibility",
    "member_status",
    "name",
    "id",
    "status",
    "owner",
    "disk_format",
    "container_format",
    "protected",
    "os_hidden",
    "size_min",
    "size_max",
    "size",
    "min_ram",
    "min_disk",
    "tag",
    "created_at",
    "updated_at",
    "checksum",
];

impl ListRequest {
    fn parse(q: &Query, svc: &ImageService) -> Result<ListRequest, ApiError> {
        if q.get("changes-since").is_some() {
            return Err(bad(
                "The \"changes-since\" filter is no longer available on v2.",
            ));
        }
        let limit = match q.get("limit") {
            None => svc.conf.limit_param_default,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if n >= 0 => n as usize,
                Ok(_) => return Err(bad("limit param must be positive")),
                Err(_) => return Err(bad("limit param must be an integer")),
            },
        };
        let mut query = ListQuery {
            member_status: "accepted".into(),
            os_hidden: Some(false),
            sort: sort_order(q)?,
            ..ListQuery::default()
        };
        if let Some(v) = q.get("visibility") {
            if !["public", "private", "shared", "community", "all"].contains(&v.as_str()) {
                return Err(bad(format!("Invalid visibility value: {v}")));
            }
            query.visibility = Some(v);
        }
        if let Some(s) = q.get("member_status") {
            if !["pending", "accepted", "rejected", "all"].contains(&s.as_str()) {
                return Err(bad(format!("Invalid status: {s}")));
            }
            query.member_status = s;
        }
        query.ids = in_list(q.get("id"));
        query.names = in_list(q.get("name"));
        query.status = q.get("status");
        query.owner = q.get("owner");
        query.disk_format = q.get("disk_format");
        query.container_format = q.get("container_format");
        query.protected = boolean(q, "protected")?;
        query.os_hidden = boolean(q, "os_hidden")?.or(query.os_hidden);
        query.size_min = number(q, "size_min")?;
        query.size_max = number(q, "size_max")?;
        if let Some(size) = number(q, "size")? {
            query.size_min = Some(size);
            query.size_max = Some(size);
        }
        query.min_ram = q.get("min_ram").map(|v| column_value(&v));
        query.min_disk = q.get("min_disk").map(|v| column_value(&v));
        query.tags = q.all("tag");
        query.created_at = instants(q, "created_at")?;
        query.updated_at = instants(q, "updated_at")?;
        if let Some(checksum) = q.get("checksum") {
            query.checksum = Some(checksum);
        }
        query.properties =
            q.0.iter()
                .filter(|(k, _)| !RESERVED_PARAMS.contains(&k.as_str()))
                .cloned()
                .collect();
        Ok(ListRequest {
            query,
            marker: q.get("marker"),
            limit: limit.min(svc.conf.api_limit_max),
        })
    }
}

/// `in:a,b` lists, or a single value.
fn in_list(value: Option<String>) -> Vec<String> {
    let Some(value) = value else {
        return Vec::new();
    };
    match value.strip_prefix("in:") {
        Some(list) => list
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_owned())
            .collect(),
        None => vec![value],
    }
}

fn boolean(q: &Query, key: &str) -> Result<Option<bool>, ApiError> {
    match q.get(key).map(|v| v.to_ascii_lowercase()) {
        None => Ok(None),
        Some(v) if v == "true" => Ok(Some(true)),
        Some(v) if v == "false" => Ok(Some(false)),
        Some(v) => Err(bad(format!(
            "Invalid value '{v}' for '{key}' filter. Valid values are 'true' or 'false'."
        ))),
    }
}

/// An integer column's filter value; one that is not a number matches no
/// image (the column never holds a negative value), as in glance's SQL.
fn column_value(v: &str) -> i32 {
    v.trim().parse().unwrap_or(-1)
}

fn number(q: &Query, key: &str) -> Result<Option<i64>, ApiError> {
    q.get(key)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| bad("Unable to filter on a range with a non-numeric value."))
        })
        .transpose()
}

/// `created_at=gte:2024-01-01T00:00:00Z` (an operator is optional).
fn instants(q: &Query, key: &str) -> Result<Vec<(Cmp, i64)>, ApiError> {
    q.all(key)
        .into_iter()
        .map(|v| {
            let (cmp, text) = match v.split_once(':') {
                Some((op, rest)) if !op.contains('-') => (comparison(op)?, rest.to_owned()),
                _ => (Cmp::Eq, v.clone()),
            };
            let at = parse_iso(&text).ok_or_else(|| {
                bad(format!(
                    "Bad \"{key}\" query filter format. Use ISO 8601 DateTime notation."
                ))
            })?;
            Ok((cmp, at))
        })
        .collect()
}

fn comparison(op: &str) -> Result<Cmp, ApiError> {
    Ok(match op {
        "eq" => Cmp::Eq,
        "neq" => Cmp::Neq,
        "gt" => Cmp::Gt,
        "gte" => Cmp::Gte,
        "lt" => Cmp::Lt,
        "lte" => Cmp::Lte,
        _ => return Err(bad("Unable to filter on a unknown operator.")),
    })
}

fn sort_key(name: &str) -> Result<SortKey, ApiError> {
    Ok(match name {
        "name" => SortKey::Name,
        "status" => SortKey::Status,
        "container_format" => SortKey::ContainerFormat,
        "disk_format" => SortKey::DiskFormat,
        "size" => SortKey::Size,
        "id" => SortKey::Id,
        "created_at" => SortKey::CreatedAt,
        "updated_at" => SortKey::UpdatedAt,
        other => return Err(bad(format!("Invalid sort key: {other}. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at."))),
    })
}

fn descending(dir: &str) -> Result<bool, ApiError> {
    match dir {
        "asc" => Ok(false),
        "desc" => Ok(true),
        other => Err(bad(format!("Invalid sort direction: {other}"))),
    }
}

/// `sort=k1:dir,k2` or `sort_key=k1&sort_dir=dir...`; never both.
/// Default: newest first.
fn sort_order(q: &Query) -> Result<Vec<(SortKey, bool)>, ApiError> {
    let keys = q.all("sort_key");
    let dirs = q.all("sort_dir");
    if let Some(sort) = q.get("sort") {
        if !keys.is_empty() || !dirs.is_empty() {
            return Err(bad("Old and new sorting syntax cannot be combined"));
        }
        return sort
            .split(',')
            .map(|item| {
                let (key, dir) = item.split_once(':').unwrap_or((item, "desc"));
                Ok((sort_key(key.trim())?, descending(dir.trim())?))
            })
            .collect();
    }
    if keys.is_empty() {
        let desc = match dirs.first() {
            Some(d) => descending(d)?,
            None => true,
        };
        return Ok(vec![(SortKey::CreatedAt, desc)]);
    }
    if dirs.len() > 1 && dirs.len() != keys.len() {
        return Err(bad(
            "Number of sort dirs does not match the number of sort keys",
        ));
    }
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let dir = dirs
                .get(i)
                .or(dirs.first())
                .map(String::as_str)
                .unwrap_or("desc");
            Ok((sort_key(key)?, descending(dir)?))
        })
        .collect()
}
