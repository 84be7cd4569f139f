//! The Identity v3 HTTP surface: a routes table and one file per resource.

pub mod application_credentials;
pub mod auth;
pub mod credentials;
pub mod domains;
pub mod endpoints;
pub mod error;
pub mod grants;
pub mod groups;
pub mod projects;
pub mod regions;
pub mod role_assignments;
pub mod roles;
pub mod services;
pub mod users;
pub mod versions;

use crate::Identity;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::app::resource;
use compat_api::discovery::base_url;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// The service as handlers receive it.
pub type Svc = web::Data<Identity>;

pub(crate) fn arc(svc: &Svc) -> Arc<Identity> {
    svc.clone().into_inner()
}

/// The public URL of this service for links.
pub(crate) fn base(req: &HttpRequest, svc: &Identity) -> String {
    base_url(req, svc.conf.public_endpoint.as_deref())
}

/// `{"self": ".../v3/<path>"}`
pub(crate) fn self_link(req: &HttpRequest, svc: &Identity, path: &str) -> Value {
    json!({"self": format!("{}/v3/{path}", base(req, svc))})
}

/// A collection body: `{"<key>": [...], "links": {"self", "previous", "next"}}`.
/// With `[identity] list_limit` set, longer lists are cut and marked
/// `"truncated": true`, as keystone does.
pub(crate) fn collection(
    req: &HttpRequest,
    svc: &Identity,
    key: &str,
    mut items: Vec<Value>,
) -> HttpResponse {
    let href = format!("{}{}", base(req, svc), req.uri());
    let mut body = json!({"links": {"self": href, "previous": null, "next": null}});
    if let Some(limit) = svc.conf.list_limit.filter(|l| items.len() > *l) {
        items.truncate(limit);
        body["truncated"] = json!(true);
    }
    body[key] = Value::Array(items);
    HttpResponse::Ok().json(body)
}

pub(crate) fn created<T: Serialize>(body: T) -> HttpResponse {
    HttpResponse::Created().json(body)
}

pub(crate) fn no_content() -> HttpResponse {
    HttpResponse::new(StatusCode::NO_CONTENT)
}

pub(crate) use compat_api::query::Query;

/// Options stored as a JSON object text.
pub(crate) fn options(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| json!({}))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, head, patch, post, put};
    cfg.service(resource("/").route(get().to(versions::root)));
    cfg.service(resource("/v3").route(get().to(versions::v3)));
    cfg.service(resource("/v3/").route(get().to(versions::v3)));
    let mut v3 = web::scope("/v3");
    v3 = v3.service(
        resource("/auth/tokens")
            .route(post().to(auth::create_token))
            .route(get().to(auth::validate_token))
            .route(head().to(auth::check_token))
            .route(delete().to(auth::revoke_token)),
    );
    v3 = v3.service(resource("/auth/catalog").route(get().to(auth::catalog)));
    v3 = v3.service(resource("/auth/projects").route(get().to(auth::projects)));
    v3 = v3.service(resource("/auth/domains").route(get().to(auth::domains)));
    v3 = v3.service(resource("/auth/system").route(get().to(auth::system)));
    v3 = v3.service(resource("/OS-SIMPLE-CERT/certificates").route(get().to(auth::certificates)));
    v3 = v3.service(resource("/OS-SIMPLE-CERT/ca").route(get().to(auth::certificates)));
    v3 = v3.service(resource("/OS-SIMPLE-CERT/jwks").route(get().to(auth::jwks)));
    v3 = v3.service(resource("/OS-REVOKE/events").route(get().to(auth::revocation_events)));
    v3 = v3.service(
        resource("/domains")
            .route(get().to(domains::list_domains))
            .route(post().to(domains::create_domain)),
    );
    v3 = v3.service(
        resource("/domains/{id}")
            .route(get().to(domains::show_domain))
            .route(patch().to(domains::update_domain))
            .route(delete().to(domains::delete_domain)),
    );
    v3 = v3.service(
        resource("/projects")
            .route(get().to(projects::list_projects))
            .route(post().to(projects::create_project)),
    );
    v3 = v3.service(
        resource("/projects/{id}")
            .route(get().to(projects::show_project))
            .route(patch().to(projects::update_project))
            .route(delete().to(projects::delete_project)),
    );
    v3 = v3.service(
        resource("/projects/{id}/tags")
            .route(get().to(projects::list_tags))
            .route(put().to(projects::replace_tags))
            .route(delete().to(projects::delete_tags)),
    );
    v3 = v3.service(
        resource("/projects/{id}/tags/{tag}")
            .route(get().to(projects::check_tag))
            .route(head().to(projects::check_tag))
            .route(put().to(projects::add_tag))
            .route(delete().to(projects::delete_tag)),
    );
    v3 = v3.service(
        resource("/users")
            .route(get().to(users::list_users))
            .route(post().to(users::create_user)),
    );
    v3 = v3.service(
        resource("/users/{id}")
            .route(get().to(users::show_user))
            .route(patch().to(users::update_user))
            .route(delete().to(users::delete_user)),
    );
    v3 = v3.service(resource("/users/{id}/password").route(post().to(users::change_password)));
    v3 = v3.service(resource("/users/{id}/projects").route(get().to(users::list_user_projects)));
    v3 = v3.service(resource("/users/{id}/groups").route(get().to(users::list_user_groups)));
    v3 = v3.service(
        resource("/users/{id}/application_credentials")
            .route(get().to(application_credentials::list_application_credentials))
            .route(post().to(application_credentials::create_application_credential)),
    );
    v3 = v3.service(
        resource("/users/{id}/application_credentials/{ac}")
            .route(get().to(application_credentials::show_application_credential))
            .route(delete().to(application_credentials::delete_application_credential)),
    );
    v3 = v3.service(
        resource("/groups")
            .route(get().to(groups::list_groups))
            .route(post().to(groups::create_group)),
    );
    v3 = v3.service(
        resource("/groups/{id}")
            .route(get().to(groups::show_group))
            .route(patch().to(groups::update_group))
            .route(delete().to(groups::delete_group)),
    );
    v3 = v3.service(resource("/groups/{id}/users").route(get().to(groups::list_group_users)));
    v3 = v3.service(
        resource("/groups/{id}/users/{user}")
            .route(put().to(groups::add_user))
            .route(head().to(groups::check_user))
            .route(get().to(groups::check_user))
            .route(delete().to(groups::remove_user)),
    );
    v3 = v3.service(
        resource("/roles")
            .route(get().to(roles::list_roles))
            .route(post().to(roles::create_role)),
    );
    v3 = v3.service(
        resource("/roles/{id}")
            .route(get().to(roles::show_role))
            .route(patch().to(roles::update_role))
            .route(delete().to(roles::delete_role)),
    );
    v3 = v3.service(resource("/roles/{id}/implies").route(get().to(roles::list_implied_roles)));
    v3 = v3.service(
        resource("/roles/{id}/implies/{implied}")
            .route(put().to(roles::create_implied_role))
            .route(get().to(roles::show_implied_role))
            .route(head().to(roles::check_implied_role))
            .route(delete().to(roles::delete_implied_role)),
    );
    v3 = v3.service(resource("/role_inferences").route(get().to(roles::list_role_inferences)));
    v3 = v3.service(
        resource("/role_assignments").route(get().to(role_assignments::list_role_assignments)),
    );
    v3 = v3.service(
        resource("/regions")
            .route(get().to(regions::list_regions))
            .route(post().to(regions::create_region)),
    );
    v3 = v3.service(
        resource("/regions/{id}")
            .route(get().to(regions::show_region))
            .route(put().to(regions::create_region_with_id))
            .route(patch().to(regions::update_region))
            .route(delete().to(regions::delete_region)),
    );
    v3 = v3.service(
        resource("/services")
            .route(get().to(services::list_services))
            .route(post().to(services::create_service)),
    );
    v3 = v3.service(
        resource("/services/{id}")
            .route(get().to(services::show_service))
            .route(patch().to(services::update_service))
            .route(delete().to(services::delete_service)),
    );
    v3 = v3.service(
        resource("/endpoints")
            .route(get().to(endpoints::list_endpoints))
            .route(post().to(endpoints::create_endpoint)),
    );
    v3 = v3.service(
        resource("/endpoints/{id}")
            .route(get().to(endpoints::show_endpoint))
            .route(patch().to(endpoints::update_endpoint))
            .route(delete().to(endpoints::delete_endpoint)),
    );
    v3 = v3.service(
        resource("/credentials")
            .route(get().to(credentials::list_credentials))
            .route(post().to(credentials::create_credential)),
    );
    v3 = v3.service(
        resource("/credentials/{id}")
            .route(get().to(credentials::show_credential))
            .route(patch().to(credentials::update_credential))
            .route(delete().to(credentials::delete_credential)),
    );
    cfg.service(v3.configure(grants::configure));
}
