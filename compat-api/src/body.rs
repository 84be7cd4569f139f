//! JSON request bodies: size cap, gzip, content type, JSON-schema validation
//! and typed deserialisation, with upstream-like 400 messages.
//!
//! Bodies sent with `Content-Encoding: gzip` are inflated by actix-web's
//! payload decoder; the size cap (`actix_web::web::PayloadConfig`) counts the
//! inflated bytes, so a gzip bomb is cut off with 413 after the cap, never
//! held in memory whole.

use crate::error::{ApiError, ErrorFormat};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use jsonschema::Validator;

/// keystone's `[oslo_middleware] max_request_body_size` default.
pub const DEFAULT_BODY_LIMIT: usize = 114_688;

/// A request body type, optionally with a JSON schema checked before it is
/// deserialised (the schema gives the upstream-style message; serde's
/// message is the fallback).
pub trait RequestBody: DeserializeOwned + 'static {
    fn schema() -> Option<&'static Validator> {
        None
    }
}

/// Any JSON document, for APIs that read their bodies attribute by attribute.
impl RequestBody for Value {}

/// Compiles a schema once per type: `fn schema() -> Option<&'static Validator> { json_schema!({...}) }`.
#[macro_export]
macro_rules! json_schema {
    ($($schema:tt)+) => {{
        static VALIDATOR: ::std::sync::OnceLock<$crate::body::Validator> = ::std::sync::OnceLock::new();
        Some(VALIDATOR.get_or_init(|| {
            $crate::body::compile(&::serde_json::json!($($schema)+))
        }))
    }};
}

/// The schema of an OpenStack resource body, `{"<key>": {<properties>}}`,
/// compiled once per call site. Create and update requests of a resource
/// share one property list and differ in what is required:
/// `envelope_schema!("project", properties(), ["name"])`.
#[macro_export]
macro_rules! envelope_schema {
    ($key:expr, $properties:expr, [$($required:expr),* $(,)?]) => {{
        static VALIDATOR: ::std::sync::OnceLock<$crate::body::Validator> = ::std::sync::OnceLock::new();
        Some(VALIDATOR.get_or_init(|| {
            $crate::body::compile(&$crate::body::envelope($key, $properties, &[$($required),*]))
        }))
    }};
}

/// `{"type": "object", "required": [key], "properties": {key: {...}}}`
pub fn envelope(key: &str, properties: Value, required: &[&str]) -> Value {
    serde_json::json!({
        "type": "object",
        "required": [key],
        "properties": {key: {"type": "object", "properties": properties, "required": required}},
    })
}

/// Compiles a schema written in this code base; a broken one is a programming error.
///
/// Draft 7: OpenStack's schemas are written for draft 4 to 7, and compiling
/// against the 2020-12 meta-schema (the default) costs tens of megabytes.
pub fn compile(schema: &Value) -> Validator {
    match jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(schema)
    {
        Ok(v) => v,
        Err(e) => panic!("invalid built-in JSON schema: {e}"),
    }
}

/// The extractor: `async fn create(body: JsonBody<ProjectCreateRequest>)`.
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: RequestBody> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let format = ErrorFormat::of(req);
        let content_type_ok = is_json_content_type(req);
        let bytes = actix_web::web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes
                .await
                .map_err(|e| payload_error(&e).with_format(format))?;
            if !content_type_ok && !bytes.is_empty() {
                return Err(wrong_content_type(format));
            }
            parse::<T>(&bytes)
                .map(JsonBody)
                .map_err(|e| e.with_format(format))
        })
    }
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        // Several clients send JSON without a content type; accept it.
        return true;
    };
    let text = value.to_str().unwrap_or("").to_ascii_lowercase();
    let media = text.split(';').next().unwrap_or("").trim();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

fn wrong_content_type(format: ErrorFormat) -> ApiError {
    match format {
        ErrorFormat::Keystone => {
            ApiError::bad_request("Expecting to find application/json in Content-Type header")
        }
        _ => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Content-Type",
        ),
    }
    .with_format(format)
}

fn payload_error(err: &actix_web::Error) -> ApiError {
    match err.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request is too large.")
        }
        Some(other) => ApiError::bad_request(format!("Malformed request body: {other}")),
        None => ApiError::bad_request(format!("Malformed request body: {err}")),
    }
}

/// Parses, validates and deserialises a body.
pub fn parse<T: RequestBody>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "Malformed request body: the body is empty.",
        ));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("Malformed request body: {e}")))?;
    if let Some(validator) = T::schema() {
        if let Some(error) = validator.iter_errors(&value).next() {
            let path = error.instance_path().to_string();
            let field = path.trim_start_matches('/');
            let field = if field.is_empty() { "body" } else { field };
            return Err(ApiError::bad_request(format!(
                "Invalid input for field '{field}': {error}"
            )));
        }
    }
    serde_json::from_value(value).map_err(|e| ApiError::bad_request(format!("Invalid input: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Thing {
        #[allow(dead_code)]
        name: String,
    }

    impl RequestBody for Thing {
        fn schema() -> Option<&'static Validator> {
            json_schema!({
                "type": "object",
                "properties": {"name": {"type": "string", "minLength": 1}},
                "required": ["name"],
            })
        }
    }

    #[test]
    fn schema_errors_name_the_field() {
        let e = parse::<Thing>(br#"{"name": 5}"#).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(e.message.contains("'name'"), "{}", e.message);
        let e = parse::<Thing>(br#"{}"#).unwrap_err();
        assert!(e.message.contains("name"), "{}", e.message);
    }

    #[test]
    fn malformed_json_is_400() {
        let e = parse::<Thing>(b"{not json").unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(e.message.starts_with("Malformed request body"));
    }
}
