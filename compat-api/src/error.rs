//! Error bodies in each service's upstream format.
//!
//! Every API error is an [`ApiError`]: a status, a message and the wire
//! format of the service that answers. Extractors in this crate read the
//! format from the application data ([`ErrorFormat`] registered with
//! `App::app_data`), so an error raised before a handler runs is still shaped
//! like the service's own errors.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Value};
use std::fmt;

/// The error body layout of an OpenStack service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorFormat {
    /// `{"error": {"code", "title", "message"}}`
    Keystone,
    /// `{"itemNotFound": {"code", "message"}}` (Nova and Cinder)
    Nova,
    /// `{"NeutronError": {"type", "message", "detail"}}`
    Neutron,
    /// `{"code", "title", "message"}` as webob renders Glance's errors in JSON
    Glance,
}

impl ErrorFormat {
    /// The format registered for the application that serves `req`.
    pub fn of(req: &HttpRequest) -> ErrorFormat {
        req.app_data::<ErrorFormat>()
            .copied()
            .unwrap_or(ErrorFormat::Keystone)
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub format: ErrorFormat,
    /// Neutron's exception name (`NetworkNotFound`); derived from the status when absent.
    pub kind: Option<&'static str>,
    /// Sent as `WWW-Authenticate` on a 401.
    pub authenticate: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            format: ErrorFormat::Keystone,
            kind: None,
            authenticate: None,
        }
    }

    pub fn with_format(mut self, format: ErrorFormat) -> Self {
        self.format = format;
        self
    }

    pub fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind = Some(kind);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The message keystone gives when a request carries no usable token.
    pub fn authentication_required() -> Self {
        Self::unauthorized("The request you have made requires authentication.")
    }

    pub fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }

    pub fn body(&self) -> Value {
        let code = self.status.as_u16();
        match self.format {
            ErrorFormat::Keystone => json!({
                "error": {"code": code, "title": self.title(), "message": self.message}
            }),
            ErrorFormat::Nova => json!({
                nova_fault_name(self.status): {"code": code, "message": self.message}
            }),
            ErrorFormat::Neutron => json!({
                "NeutronError": {
                    "type": self.kind.unwrap_or_else(|| neutron_type(self.status)),
                    "message": self.message,
                    "detail": "",
                }
            }),
            ErrorFormat::Glance => json!({
                "code": format!("{} {}", code, self.title()),
                "title": self.title(),
                "message": self.message,
            }),
        }
    }
}

/// Nova's and Cinder's `_fault_names` table.
fn nova_fault_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 | 429 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    }
}

fn neutron_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "NotAuthorized",
        403 => "PolicyNotAuthorized",
        404 => "NotFound",
        409 => "Conflict",
        413 => "OverQuota",
        _ => "NeutronException",
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!("{}", self.message);
        }
        let mut builder = HttpResponse::build(self.status);
        builder.insert_header((header::CONTENT_TYPE, "application/json"));
        if let Some(value) = &self.authenticate {
            builder.insert_header((header::WWW_AUTHENTICATE, value.as_str()));
        }
        builder.body(self.body().to_string())
    }
}

/// Glance's errors come from webob, which renders them as JSON only for a
/// client that accepts JSON; others (glanceclient sends `*/*`) get plain
/// text, and glanceclient cannot read a JSON error body. This middleware
/// turns the JSON body of an error into webob's text for such clients.
pub async fn negotiate_glance_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("json"));
    let res = next.call(req).await?;
    let is_json_error = (res.status().is_client_error() || res.status().is_server_error())
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if wants_json || !is_json_error {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let status = res.status();
    let bytes = actix_web::body::to_bytes(res.into_body())
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let text = format!(
        "{} {}\n\n{message}\n\n   ",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let res = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=UTF-8"))
        .body(text);
    Ok(ServiceResponse::new(req, res))
}

/// The answer for a path no route matches, in the service's format.
pub async fn not_found_route(req: HttpRequest) -> HttpResponse {
    ApiError::not_found("The resource could not be found.")
        .with_format(ErrorFormat::of(&req))
        .error_response()
}

/// The answer for a known path with a method it does not serve.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "The method {} is not supported for this resource.",
            req.method()
        ),
    )
    .with_format(ErrorFormat::of(&req))
    .error_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystone_body_has_code_title_message() {
        let e = ApiError::not_found("Could not find project: x.");
        assert_eq!(
            e.body(),
            json!({"error": {"code": 404, "title": "Not Found", "message": "Could not find project: x."}})
        );
    }

    #[test]
    fn nova_body_is_keyed_by_fault_name() {
        let e = ApiError::conflict("busy").with_format(ErrorFormat::Nova);
        assert_eq!(
            e.body(),
            json!({"conflictingRequest": {"code": 409, "message": "busy"}})
        );
        let e = ApiError::internal("boom").with_format(ErrorFormat::Nova);
        assert!(e.body().get("computeFault").is_some());
    }

    #[test]
    fn neutron_body_names_the_exception() {
        let e = ApiError::not_found("Network x could not be found.")
            .with_format(ErrorFormat::Neutron)
            .with_kind("NetworkNotFound");
        assert_eq!(e.body()["NeutronError"]["type"], "NetworkNotFound");
        let e = ApiError::conflict("in use").with_format(ErrorFormat::Neutron);
        assert_eq!(e.body()["NeutronError"]["type"], "Conflict");
    }
}
