//! Query strings: parameters in order, repeated keys allowed.

use crate::error::{ApiError, ErrorFormat};
use actix_web::{web, HttpRequest};

/// Query parameters, in order, repeated keys allowed.
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(req: &HttpRequest) -> Result<Query, ApiError> {
        web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(|q| Query(q.into_inner()))
            .map_err(|e| {
                ApiError::bad_request(format!("Invalid query string: {e}"))
                    .with_format(ErrorFormat::of(req))
            })
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// Booleans as keystone reads them: absent is None; `0`, `false`, `no` are false.
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).map(|v| {
            !matches!(
                v.to_ascii_lowercase().as_str(),
                "0" | "false" | "no" | "off"
            )
        })
    }

    /// A key given without a value (`?effective`) also counts as true.
    pub fn present(&self, key: &str) -> bool {
        self.0.iter().any(|(k, v)| {
            k == key
                && !matches!(
                    v.to_ascii_lowercase().as_str(),
                    "0" | "false" | "no" | "off"
                )
        })
    }

    /// Every value of a repeated key (`?tag=a&tag=b`).
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}
