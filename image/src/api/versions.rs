//! Version discovery, glance style: `GET /versions` answers 200 and `GET /`
//! 300, both with the v2 minor versions a glance without an image cache
//! lists (single or multi-store), in glance's order, as a flat list.

use super::{base, Svc};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

const CURRENT: u32 = 17;
const SINGLE_STORE: &[u32] = &[15, 9, 17, 7, 6, 5, 4, 3, 2, 1, 0];
/// With `enabled_backends`, the multi-store versions replace 2.9's place.
const MULTI_STORE: &[u32] = &[15, 13, 12, 11, 10, 9, 8, 17, 7, 6, 5, 4, 3, 2, 1, 0];

fn versions(base: &str, multi_store: bool) -> Value {
    let minors = if multi_store {
        MULTI_STORE
    } else {
        SINGLE_STORE
    };
    let values: Vec<Value> = minors
        .iter()
        .map(|&minor| {
            json!({
                "id": format!("v2.{minor}"),
                "status": if minor == CURRENT { "CURRENT" } else { "SUPPORTED" },
                "links": [{"rel": "self", "href": format!("{base}/v2/")}],
            })
        })
        .collect();
    json!({ "versions": values })
}

/// `GET /` (and `GET /v2/`): 300 Multiple Choices.
pub async fn choose_version(req: HttpRequest, svc: Svc) -> HttpResponse {
    HttpResponse::build(StatusCode::MULTIPLE_CHOICES)
        .json(versions(&base(&req, &svc), svc.stores.is_multi()))
}

/// `GET /versions`: 200.
pub async fn list_versions(req: HttpRequest, svc: Svc) -> HttpResponse {
    HttpResponse::Ok().json(versions(&base(&req, &svc), svc.stores.is_multi()))
}

/// `GET /v2`: glance redirects to `/v2/`.
pub async fn redirect_v2() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, "/v2/"))
        .finish()
}
