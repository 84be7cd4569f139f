//! Version discovery: `GET /` (both versions, 200 as nova answers it),
//! `GET /v2.1` and `GET /v2`.

use super::{MAX_VERSION, MIN_VERSION};
use crate::ComputeService;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::discovery::base_url;
use serde_json::{json, Value};

struct Version {
    id: &'static str,
    path: &'static str,
    status: &'static str,
    updated: &'static str,
    min: &'static str,
    max: &'static str,
    media: &'static str,
}

const V2: Version = Version {
    id: "v2.0",
    path: "v2",
    status: "SUPPORTED",
    updated: "2011-01-21T11:33:21Z",
    min: "",
    max: "",
    media: "application/vnd.openstack.compute+json;version=2",
};

const V21: Version = Version {
    id: "v2.1",
    path: "v2.1",
    status: "CURRENT",
    updated: "2013-07-23T11:33:21Z",
    min: MIN_VERSION,
    max: MAX_VERSION,
    media: "application/vnd.openstack.compute+json;version=2.1",
};

fn entry(v: &Version, base: &str) -> Value {
    json!({
        "id": v.id, "status": v.status, "version": v.max, "min_version": v.min,
        "updated": v.updated,
        "links": [{"rel": "self", "href": format!("{base}/{}/", v.path)}],
    })
}

fn detail(v: &Version, base: &str) -> Value {
    let mut doc = entry(v, base);
    doc["links"] = json!([
        {"rel": "self", "href": format!("{base}/{}/", v.path)},
        {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
    ]);
    doc["media-types"] = json!([{"base": "application/json", "type": v.media}]);
    json!({ "version": doc })
}

fn base(req: &HttpRequest, svc: &ComputeService) -> String {
    base_url(req, svc.conf.link_prefix.as_deref())
}

pub async fn list_versions(req: HttpRequest, svc: web::Data<ComputeService>) -> HttpResponse {
    let base = base(&req, &svc);
    HttpResponse::Ok().json(json!({"versions": [entry(&V2, &base), entry(&V21, &base)]}))
}

pub async fn show_v21(req: HttpRequest, svc: web::Data<ComputeService>) -> HttpResponse {
    HttpResponse::Ok().json(detail(&V21, &base(&req, &svc)))
}

pub async fn show_v2(req: HttpRequest, svc: web::Data<ComputeService>) -> HttpResponse {
    HttpResponse::Ok().json(detail(&V2, &base(&req, &svc)))
}
