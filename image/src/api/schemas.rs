//! `GET /v2/schemas/{image,images,member,members}`

use super::Svc;
use actix_web::HttpResponse;

pub async fn show_image_schema(svc: Svc) -> HttpResponse {
    HttpResponse::Ok().json(&svc.schemas.image)
}

pub async fn show_images_schema(svc: Svc) -> HttpResponse {
    HttpResponse::Ok().json(&svc.schemas.images)
}

pub async fn show_member_schema(svc: Svc) -> HttpResponse {
    HttpResponse::Ok().json(&svc.schemas.member)
}

pub async fn show_members_schema(svc: Svc) -> HttpResponse {
    HttpResponse::Ok().json(&svc.schemas.members)
}
