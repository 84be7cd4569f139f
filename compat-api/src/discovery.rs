//! Version discovery documents: `GET /` answers 300 Multiple Choices with every
//! version of the API, `GET /vN` answers 200 with one.
//!
//! A client may also pick a version at the root with the Accept header
//! (`application/vnd.openstack.identity+json;version=3` or
//! `application/vnd.openstack.identity-v3+json`); the root then answers 200
//! with that version, as the source notes ask.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub rel: String,
    pub href: String,
    #[serde(skip_serializing_if = "Option::is_none", rename = "type")]
    pub media_type: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MediaType {
    pub base: String,
    #[serde(rename = "type")]
    pub media_type: String,
}

/// One entry of a versions document.
#[derive(Debug, Clone, Serialize)]
pub struct ApiVersion {
    pub id: String,
    pub status: String,
    pub updated: String,
    pub links: Vec<Link>,
    #[serde(rename = "media-types")]
    pub media_types: Vec<MediaType>,
    /// Microversioned APIs: the lowest and highest microversion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Describes one major version of a service.
#[derive(Debug, Clone)]
pub struct VersionSpec {
    /// `v3.14`, `v2.1`
    pub id: &'static str,
    /// Path under the root, `v3`
    pub path: &'static str,
    /// Major version number used in Accept negotiation (`3`)
    pub major: &'static str,
    pub status: &'static str,
    pub updated: &'static str,
    /// `identity`, `compute`, ...
    pub service: &'static str,
    pub min_version: Option<&'static str>,
    pub max_version: Option<&'static str>,
}

/// The URL clients should use to reach this service: the configured public
/// endpoint, or else the scheme and host the request came in on.
pub fn base_url(req: &HttpRequest, public_endpoint: Option<&str>) -> String {
    if let Some(endpoint) = public_endpoint {
        return endpoint.trim_end_matches('/').to_owned();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

impl VersionSpec {
    pub fn document(&self, base: &str) -> ApiVersion {
        ApiVersion {
            id: self.id.to_owned(),
            status: self.status.to_owned(),
            updated: self.updated.to_owned(),
            links: vec![Link {
                rel: "self".into(),
                href: format!("{base}/{}/", self.path),
                media_type: None,
            }],
            media_types: vec![MediaType {
                base: "application/json".into(),
                media_type: format!(
                    "application/vnd.openstack.{}-{}+json",
                    self.service, self.path
                ),
            }],
            min_version: self.min_version.map(str::to_owned),
            version: self.max_version.map(str::to_owned),
        }
    }

    /// Whether an Accept header asks for this version explicitly.
    pub fn accepted_by(&self, accept: &str) -> bool {
        let dashed = format!(
            "application/vnd.openstack.{}-{}+json",
            self.service, self.path
        );
        let plain = format!("application/vnd.openstack.{}+json", self.service);
        accept.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or("");
            if media.eq_ignore_ascii_case(&dashed) {
                return true;
            }
            media.eq_ignore_ascii_case(&plain)
                && parts.any(|p| {
                    p.strip_prefix("version=")
                        .map(|v| v.trim_start_matches('v').split('.').next() == Some(self.major))
                        .unwrap_or(false)
                })
        })
    }
}

/// `GET /`: 300 with every version, or 200 with the one the Accept header names.
pub fn versions_response(req: &HttpRequest, specs: &[VersionSpec], base: &str) -> HttpResponse {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(spec) = specs.iter().find(|s| s.accepted_by(accept)) {
        return version_response(spec, base);
    }
    let values: Vec<ApiVersion> = specs.iter().map(|s| s.document(base)).collect();
    let mut builder = HttpResponse::build(StatusCode::MULTIPLE_CHOICES);
    if let Some(first) = values.first() {
        if let Some(link) = first.links.first() {
            builder.insert_header((header::LOCATION, link.href.as_str()));
        }
    }
    builder.json(json!({"versions": {"values": values}}))
}

/// `GET /vN`: 200 with that version's document.
pub fn version_response(spec: &VersionSpec, base: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({"version": spec.document(base)}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v3() -> VersionSpec {
        VersionSpec {
            id: "v3.14",
            path: "v3",
            major: "3",
            status: "stable",
            updated: "2020-04-07T00:00:00Z",
            service: "identity",
            min_version: None,
            max_version: None,
        }
    }

    #[test]
    fn accept_header_selects_a_version() {
        let spec = v3();
        assert!(spec.accepted_by("application/vnd.openstack.identity+json;version=3.0"));
        assert!(spec.accepted_by("application/vnd.openstack.identity-v3+json"));
        assert!(!spec.accepted_by("application/vnd.openstack.identity+json;version=2.0"));
        assert!(!spec.accepted_by("application/json"));
    }

    #[test]
    fn document_has_media_types_and_self_link() {
        let doc = serde_json::to_value(v3().document("http://h:5000")).unwrap();
        assert_eq!(doc["links"][0]["href"], "http://h:5000/v3/");
        assert_eq!(
            doc["media-types"][0]["type"],
            "application/vnd.openstack.identity-v3+json"
        );
        assert!(doc.get("version").is_none());
    }
}
