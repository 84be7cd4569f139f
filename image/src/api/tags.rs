//! `PUT` and `DELETE /v2/images/{id}/tags/{tag}`

use super::{no_content, viewer, Svc};
use actix_web::{web, HttpResponse};
use compat_api::{ApiError, AuthContext};

pub async fn add_image_tag(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    svc.add_tag(&viewer(&auth), &id, &tag).await?;
    Ok(no_content())
}

pub async fn delete_image_tag(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    svc.remove_tag(&viewer(&auth), &id, &tag).await?;
    Ok(no_content())
}
