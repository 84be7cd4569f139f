//! `/v2/info/import`, `/v2/info/stores`, `/v2/info/usage`: what this
//! deployment offers.

use super::Svc;
use crate::error::Error;
use actix_web::HttpResponse;
use compat_api::{ApiError, AuthContext};
use serde_json::{json, Map, Value};

pub async fn show_import_info(svc: Svc, _auth: AuthContext) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "import-methods": {
            "description": "Import methods available.",
            "type": "array",
            "value": svc.conf.enabled_import_methods,
        }
    }))
}

/// Multi-store only; glance writes its flags as the string `"true"`.
pub async fn list_stores(svc: Svc, _auth: AuthContext) -> Result<HttpResponse, ApiError> {
    if !svc.stores.is_multi() {
        return Err(Error::NotFound("Multi backend is not supported at this site.".into()).into());
    }
    let default_id = svc.stores.default_store().id().to_owned();
    let stores: Vec<Value> = svc
        .stores
        .backends()
        .iter()
        .map(|b| {
            let mut store = Map::new();
            store.insert("id".into(), json!(b.store.id()));
            if let Some(d) = &b.description {
                store.insert("description".into(), json!(d));
            }
            if b.store.id() == default_id {
                store.insert("default".into(), json!("true"));
            }
            Value::Object(store)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "stores": stores })))
}

/// Keystone unified limits are not used, so there is nothing to report.
pub async fn show_usage(_auth: AuthContext) -> HttpResponse {
    HttpResponse::Ok().json(json!({"usage": {}}))
}
