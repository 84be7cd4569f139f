//! The Image v2 HTTP surface: a routes table and one file per resource.

pub mod error;
pub mod image_data;
pub mod image_tasks;
pub mod images;
pub mod info;
pub mod members;
pub mod schemas;
pub mod tags;
pub mod versions;

use crate::policy::Viewer;
use crate::ImageService;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::app::resource;
use compat_api::discovery::base_url;
use compat_api::AuthContext;

/// The service as handlers receive it.
pub type Svc = web::Data<ImageService>;

/// The public URL of this service for links.
pub(crate) fn base(req: &HttpRequest, svc: &ImageService) -> String {
    base_url(req, svc.conf.public_endpoint.as_deref())
}

/// The caller as the domain sees it.
pub(crate) fn viewer(auth: &AuthContext) -> Viewer {
    Viewer {
        project_id: auth.project_id().map(str::to_owned),
        is_admin: auth.is_admin(),
        is_member: auth.is_admin() || auth.has_role("member"),
    }
}

/// The media type of the request body, lower-cased, without parameters.
pub(crate) fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

pub(crate) fn no_content() -> HttpResponse {
    HttpResponse::new(StatusCode::NO_CONTENT)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, patch, post, put};
    cfg.service(resource("/").route(get().to(versions::choose_version)));
    cfg.service(resource("/versions").route(get().to(versions::list_versions)));
    let v2 = web::scope("/v2")
        .service(resource("").route(get().to(versions::redirect_v2)))
        .service(resource("/").route(get().to(versions::choose_version)))
        .service(resource("/schemas/image").route(get().to(schemas::show_image_schema)))
        .service(resource("/schemas/images").route(get().to(schemas::show_images_schema)))
        .service(resource("/schemas/member").route(get().to(schemas::show_member_schema)))
        .service(resource("/schemas/members").route(get().to(schemas::show_members_schema)))
        .service(
            resource("/images")
                .route(get().to(images::list_images))
                .route(post().to(images::create_image)),
        )
        .service(
            resource("/images/{id}")
                .route(get().to(images::show_image))
                .route(patch().to(images::update_image))
                .route(delete().to(images::delete_image)),
        )
        .service(
            resource("/images/{id}/file")
                .route(put().to(image_data::upload_image_data))
                .route(get().to(image_data::download_image_data)),
        )
        .service(resource("/images/{id}/stage").route(put().to(image_data::stage_image_data)))
        .service(resource("/images/{id}/import").route(post().to(images::import_image)))
        .service(resource("/images/{id}/tasks").route(get().to(image_tasks::show_image_tasks)))
        .service(resource("/info/import").route(get().to(info::show_import_info)))
        .service(resource("/info/stores").route(get().to(info::list_stores)))
        .service(resource("/info/usage").route(get().to(info::show_usage)))
        .service(
            resource("/images/{id}/actions/deactivate").route(post().to(images::deactivate_image)),
        )
        .service(
            resource("/images/{id}/actions/reactivate").route(post().to(images::reactivate_image)),
        )
        .service(
            resource("/images/{id}/tags/{tag}")
                .route(put().to(tags::add_image_tag))
                .route(delete().to(tags::delete_image_tag)),
        )
        .service(
            resource("/images/{id}/members")
                .route(get().to(members::list_image_members))
                .route(post().to(members::create_image_member)),
        )
        .service(
            resource("/images/{id}/members/{member}")
                .route(get().to(members::show_image_member))
                .route(put().to(members::update_image_member))
                .route(delete().to(members::delete_image_member)),
        );
    cfg.service(v2);
}
