//! `GET /` (the API versions) and `GET /v2.0` (the resources).

use super::{base, Svc};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// The collections `GET /v2.0` lists, as neutron's core resources.
const RESOURCES: &[(&str, &str)] = &[
    ("subnet", "subnets"),
    ("subnetpool", "subnetpools"),
    ("network", "networks"),
    ("port", "ports"),
];

pub async fn list_versions(svc: Svc, req: HttpRequest) -> HttpResponse {
    let base = base(&req, &svc);
    HttpResponse::Ok().json(json!({
        "versions": [{
            "id": "v2.0",
            "status": "CURRENT",
            "links": [{"href": format!("{base}/v2.0/"), "rel": "self"}],
        }]
    }))
}

pub async fn show_version(svc: Svc, req: HttpRequest) -> HttpResponse {
    let base = base(&req, &svc);
    let resources: Vec<Value> = RESOURCES
        .iter()
        .map(|(name, collection)| {
            json!({
                "name": name,
                "collection": collection,
                "links": [{"href": format!("{base}/v2.0/{collection}"), "rel": "self"}],
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "resources": resources }))
}
