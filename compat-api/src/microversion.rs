//! Microversion negotiation (`OpenStack-API-Version: compute 2.60` and the
//! legacy `X-OpenStack-Nova-API-Version: 2.60`).
//!
//! No header means the minimum; `latest` means the maximum; a version outside
//! the range is 406 Not Acceptable; a malformed one is 400. Responses echo the
//! chosen version in both headers and add `Vary`.

use crate::error::ApiError;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Microversion {
    pub major: u16,
    pub minor: u16,
}

impl Microversion {
    pub const fn new(major: u16, minor: u16) -> Self {
        Microversion { major, minor }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.trim().split_once('.')?;
        if major.is_empty() || minor.is_empty() || minor.starts_with('+') || major.starts_with('+')
        {
            return None;
        }
        Some(Microversion {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl fmt::Display for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The microversions a service implements.
#[derive(Debug, Clone)]
pub struct MicroversionRange {
    /// The service type in `OpenStack-API-Version` (`compute`, `volume`).
    pub service: &'static str,
    /// The legacy header, lower case (`x-openstack-nova-api-version`), if any.
    pub legacy_header: Option<&'static str>,
    pub min: Microversion,
    pub max: Microversion,
}

const STANDARD_HEADER: &str = "openstack-api-version";

impl MicroversionRange {
    /// The version a request asks for, checked against the range.
    pub fn negotiate(&self, headers: &HeaderMap) -> Result<Microversion, ApiError> {
        let Some(requested) = self.requested(headers) else {
            return Ok(self.min);
        };
        if requested.eq_ignore_ascii_case("latest") {
            return Ok(self.max);
        }
        let version = Microversion::parse(&requested).ok_or_else(|| {
            ApiError::bad_request(format!(
                "API Version String {requested} is of invalid format. Must be of format MajorNum.MinorNum."
            ))
        })?;
        if version < self.min || version > self.max {
            return Err(ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                format!(
                    "Version {version} is not supported by the API. Minimum is {} and maximum is {}.",
                    self.min, self.max
                ),
            ));
        }
        Ok(version)
    }

    /// The requested version string: the standard header wins over the legacy one.
    fn requested(&self, headers: &HeaderMap) -> Option<String> {
        for value in headers.get_all(STANDARD_HEADER) {
            let Ok(text) = value.to_str() else { continue };
            for item in text.split(',') {
                let mut words = item.split_whitespace();
                if words
                    .next()
                    .is_some_and(|s| s.eq_ignore_ascii_case(self.service))
                {
                    if let Some(v) = words.next() {
                        return Some(v.to_owned());
                    }
                }
            }
        }
        let legacy = self.legacy_header?;
        headers
            .get(legacy)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    }

    /// Headers to add to a response served at `version`.
    pub fn response_headers(&self, version: Microversion) -> Vec<(HeaderName, HeaderValue)> {
        let mut out = Vec::with_capacity(3);
        let standard = format!("{} {}", self.service, version);
        let mut vary = String::from("OpenStack-API-Version");
        if let Ok(v) = HeaderValue::from_str(&standard) {
            out.push((HeaderName::from_static(STANDARD_HEADER), v));
        }
        if let Some(legacy) = self.legacy_header {
            if let (Ok(name), Ok(v)) = (
                HeaderName::from_lowercase(legacy.as_bytes()),
                HeaderValue::from_str(&version.to_string()),
            ) {
                vary.push_str(", ");
                vary.push_str(legacy);
                out.push((name, v));
            }
        }
        if let Ok(v) = HeaderValue::from_str(&vary) {
            out.push((actix_web::http::header::VARY, v));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range() -> MicroversionRange {
        MicroversionRange {
            service: "compute",
            legacy_header: Some("x-openstack-nova-api-version"),
            min: Microversion::new(2, 1),
            max: Microversion::new(2, 60),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn defaults_to_minimum_and_latest_to_maximum() {
        let r = range();
        assert_eq!(r.negotiate(&headers(&[])).unwrap(), Microversion::new(2, 1));
        assert_eq!(
            r.negotiate(&headers(&[("openstack-api-version", "compute latest")]))
                .unwrap(),
            Microversion::new(2, 60)
        );
    }

    #[test]
    fn standard_header_wins_and_other_services_are_ignored() {
        let r = range();
        let h = headers(&[
            ("openstack-api-version", "volume 3.5, compute 2.10"),
            ("x-openstack-nova-api-version", "2.20"),
        ]);
        assert_eq!(r.negotiate(&h).unwrap(), Microversion::new(2, 10));
        let h = headers(&[("x-openstack-nova-api-version", "2.20")]);
        assert_eq!(r.negotiate(&h).unwrap(), Microversion::new(2, 20));
    }

    #[test]
    fn out_of_range_is_406_and_garbage_is_400() {
        let r = range();
        let e = r
            .negotiate(&headers(&[("openstack-api-version", "compute 2.61")]))
            .unwrap_err();
        assert_eq!(e.status.as_u16(), 406);
        let e = r
            .negotiate(&headers(&[("openstack-api-version", "compute 2")]))
            .unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = r
            .negotiate(&headers(&[("x-openstack-nova-api-version", "1.9")]))
            .unwrap_err();
        assert_eq!(e.status.as_u16(), 406);
    }

    #[test]
    fn response_headers_echo_both_and_vary() {
        let h = range().response_headers(Microversion::new(2, 10));
        let text: Vec<String> = h
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
            .collect();
        assert!(text.contains(&"openstack-api-version: compute 2.10".to_string()));
        assert!(text.contains(&"x-openstack-nova-api-version: 2.10".to_string()));
        assert!(text
            .iter()
            .any(|t| t.starts_with("vary: OpenStack-API-Version")));
    }
}
