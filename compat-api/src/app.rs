//! The actix-web application every API starts from: gzip responses, request
//! ids and access logs, the service's error format for everything (unknown
//! paths and methods included) and the request body cap.

use crate::error::{method_not_allowed, negotiate_glance_errors, not_found_route, ErrorFormat};
use crate::request_id;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, Condition};
use actix_web::{web, App, Error, Resource};

/// `service_app(ErrorFormat::Keystone, limit).app_data(...).configure(routes)`
pub fn service_app(
    format: ErrorFormat,
    body_limit: usize,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(Condition::new(
            format == ErrorFormat::Glance,
            from_fn(negotiate_glance_errors),
        ))
        .wrap(Compress::default())
        .wrap(from_fn(request_id::middleware))
        .app_data(format)
        .app_data(web::PayloadConfig::new(body_limit))
        .default_service(web::to(not_found_route))
}

/// A resource that answers 405, in the service's format, to the methods it
/// does not route.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}
