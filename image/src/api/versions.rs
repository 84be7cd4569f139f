//! Version discovery, glance style: `GET /versions` answers 200 and `GET /`
//! 300, both with the v2 minor versions a single-store glance without an
//! image cache lists, in glance's order, as a flat list.

use super::{base, Svc};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Value};

const CURRENT: u32 = 17;
const MINORS: [u32; 11] = [15, 9, 17, 7, 6, 5, 4, 3, 2, 1, 0];

fn versions(base: &str) -> Value {
    let values: Vec<Value> = MINORS
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
    HttpResponse::build(StatusCode::MULTIPLE_CHOICES).json(versions(&base(&req, &svc)))
}

/// `GET /versions`: 200.
pub async fn list_versions(req: HttpRequest, svc: Svc) -> HttpResponse {
    HttpResponse::Ok().json(versions(&base(&req, &svc)))
}

/// `GET /v2`: glance redirects to `/v2/`.
pub async fn redirect_v2() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, "/v2/"))
        .finish()
}
