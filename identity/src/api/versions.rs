//! `GET /` and `GET /v3`.

use super::{base, Svc};
use actix_web::{HttpRequest, HttpResponse};
use compat_api::discovery::{version_response, versions_response, VersionSpec};

pub const V3: VersionSpec = VersionSpec {
    id: "v3.14",
    path: "v3",
    major: "3",
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    service: "identity",
    min_version: None,
    max_version: None,
};

pub async fn root(req: HttpRequest, svc: Svc) -> HttpResponse {
    versions_response(&req, &[V3], &base(&req, &svc))
}

pub async fn v3(req: HttpRequest, svc: Svc) -> HttpResponse {
    version_response(&V3, &base(&req, &svc))
}
