//! The Compute v2.1 HTTP surface: the routes table (every resource under
//! `/v2.1`, `/v2.1/{project_id}` and the legacy `/v2` prefixes), the
//! microversion middleware, and one file per resource.

pub mod aggregates;
pub mod error;
pub mod flavors;
pub mod floating_ips;
pub mod hosts;
pub mod image_metadata;
pub mod images;
pub mod instance_usage_audit_log;
pub mod interfaces;
pub mod keypairs;
pub mod limits;
pub mod migrations;
pub mod networks;
pub mod os_hosts;
pub mod security_group_rules;
pub mod security_groups;
pub mod server_actions;
pub mod server_groups;
pub mod server_metadata;
pub mod server_password;
pub mod server_tags;
pub mod servers;
pub mod usage;
pub mod versions;
pub mod views;

use crate::context::Context;
use crate::ComputeService;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use compat_api::app::resource;
use compat_api::auth::AuthContext;
use compat_api::discovery::base_url;
use compat_api::microversion::{Microversion, MicroversionRange};
use compat_api::request_id::RequestId;
use compat_api::{ApiError, ErrorFormat};
use futures_util::future::LocalBoxFuture;

pub const MIN_VERSION: &str = "2.1";
/// The highest microversion whose response shapes this API renders.
pub const MAX_VERSION: &str = "2.100";

pub type Svc = web::Data<ComputeService>;
pub type ApiResult = Result<HttpResponse, ApiError>;

pub fn range() -> MicroversionRange {
    MicroversionRange {
        service: "compute",
        legacy_header: Some("x-openstack-nova-api-version"),
        min: Microversion::new(2, 1),
        max: Microversion::new(2, 100),
    }
}

/// Everything a handler needs to know about the request it serves.
pub struct Req {
    pub ctx: Context,
    pub mv: Microversion,
    /// `http://host:8774/v2.1[/{project_id}]`: where links point.
    pub url: String,
    /// The same without the version segment (`bookmark` links).
    pub bookmark: String,
}

impl Req {
    pub fn at_least(&self, minor: u16) -> bool {
        self.mv >= Microversion::new(2, minor)
    }
}

impl FromRequest for Req {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = AuthContext::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let auth = auth.await?;
            let Some(project_id) = auth.project_id().map(str::to_owned) else {
                return Err(ApiError::forbidden("A project-scoped token is required.")
                    .with_format(ErrorFormat::Nova));
            };
            let mv = req
                .extensions()
                .get::<Microversion>()
                .copied()
                .unwrap_or(Microversion::new(2, 1));
            let svc = req.app_data::<Svc>().cloned();
            let base = base_url(
                &req,
                svc.as_ref().and_then(|s| s.conf.link_prefix.as_deref()),
            );
            let path = req.path();
            let version = if path.starts_with("/v2.1") {
                "v2.1"
            } else {
                "v2"
            };
            let prefix = req
                .match_info()
                .get("project_id")
                .map(|p| format!("/{p}"))
                .unwrap_or_default();
            Ok(Req {
                ctx: Context {
                    request_id: req
                        .extensions()
                        .get::<RequestId>()
                        .map(|r| r.0.clone())
                        .unwrap_or_default(),
                    user_id: auth.user_id().to_owned(),
                    project_id,
                    is_admin: auth.is_admin(),
                    roles: auth.claims.roles.iter().map(|r| r.name.clone()).collect(),
                },
                mv,
                url: format!("{base}/{version}{prefix}"),
                bookmark: format!("{base}{prefix}"),
            })
        })
    }
}

/// Negotiates the microversion of `/v2.1` requests and echoes it; the
/// legacy `/v2` API is 2.1 whatever is asked, and says nothing.
async fn microversions(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let is_v21 = req.path().starts_with("/v2.1/") || req.path() == "/v2.1";
    if !is_v21 {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let range = range();
    let mv = match range.negotiate(req.headers()) {
        Ok(v) => v,
        Err(e) => {
            let res = e.with_format(ErrorFormat::Nova).error_response();
            return Ok(req.into_response(res));
        }
    };
    req.extensions_mut().insert(mv);
    let mut res = next.call(req).await?.map_into_boxed_body();
    for (k, v) in range.response_headers(mv) {
        res.headers_mut().insert(k, v);
    }
    Ok(res)
}

/// nova answers with its request id under its own name too; clients
/// (Tempest's instance actions tests among them) read
/// `x-compute-request-id`.
async fn compute_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let mut res = next.call(req).await?.map_into_boxed_body();
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-compute-request-id"), value);
    }
    Ok(res)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/").route(web::get().to(versions::list_versions)))
        .service(resource("/v2.1").route(web::get().to(versions::show_v21)))
        .service(resource("/v2.1/").route(web::get().to(versions::show_v21)))
        .service(resource("/v2").route(web::get().to(versions::show_v2)))
        .service(resource("/v2/").route(web::get().to(versions::show_v2)));
    for version in ["/v2.1", "/v2"] {
        cfg.service(
            web::scope(version)
                .wrap(from_fn(microversions))
                .wrap(from_fn(compute_request_id))
                .configure(|s| routes(s, ""))
                .configure(|s| routes(s, "/{project_id}")),
        );
    }
}

fn routes(cfg: &mut web::ServiceConfig, p: &str) {
    use web::{delete, get, post, put};
    let r = |path: &str| resource(&format!("{p}{path}"));
    cfg.service(
        r("/servers")
            .route(get().to(servers::list_servers))
            .route(post().to(servers::create_server)),
    )
    .service(r("/servers/detail").route(get().to(servers::list_servers_detail)))
    .service(
        r("/servers/{id}")
            .route(get().to(servers::show_server))
            .route(put().to(servers::update_server))
            .route(delete().to(servers::delete_server)),
    )
    .service(r("/servers/{id}/action").route(post().to(server_actions::server_action)))
    .service(r("/servers/{id}/ips").route(get().to(servers::list_ips)))
    .service(r("/servers/{id}/ips/{network}").route(get().to(servers::show_ips)))
    .service(
        r("/servers/{id}/metadata")
            .route(get().to(servers::list_metadata))
            .route(post().to(server_metadata::create_metadata))
            .route(put().to(server_metadata::update_metadata)),
    )
    .service(
        r("/servers/{id}/metadata/{key}")
            .route(get().to(server_metadata::show_metadata_item))
            .route(put().to(server_metadata::update_metadata_item))
            .route(delete().to(server_metadata::delete_metadata_item)),
    )
    .service(
        r("/servers/{id}/tags")
            .route(get().to(server_tags::list_tags))
            .route(put().to(server_tags::replace_tags))
            .route(delete().to(server_tags::delete_tags)),
    )
    .service(
        r("/servers/{id}/tags/{tag}")
            .route(get().to(server_tags::check_tag))
            .route(put().to(server_tags::add_tag))
            .route(delete().to(server_tags::delete_tag)),
    )
    .service(r("/os-migrations").route(get().to(migrations::list_migrations)))
    .service(r("/os-simple-tenant-usage").route(get().to(usage::list_usage)))
    .service(r("/os-networks").route(get().to(networks::list_networks)))
    .service(r("/os-networks/{id}").route(get().to(networks::show_network)))
    .service(r("/os-simple-tenant-usage/{project}").route(get().to(usage::show_usage)))
    .service(
        r("/servers/{id}/os-interface")
            .route(get().to(interfaces::list_interfaces))
            .route(post().to(interfaces::create_interface)),
    )
    .service(
        r("/servers/{id}/os-interface/{port_id}")
            .route(get().to(interfaces::show_interface))
            .route(delete().to(interfaces::delete_interface)),
    )
    .service(r("/servers/{id}/diagnostics").route(get().to(interfaces::show_diagnostics)))
    .service(
        r("/servers/{id}/os-server-password")
            .route(get().to(server_password::show_password))
            .route(delete().to(server_password::clear_password)),
    )
    .service(r("/images").route(get().to(images::list_images)))
    .service(r("/images/detail").route(get().to(images::list_images_detail)))
    .service(
        r("/images/{id}")
            .route(get().to(images::show_image))
            .route(delete().to(images::delete_image)),
    )
    .service(
        r("/images/{id}/metadata")
            .route(get().to(image_metadata::list_image_metadata))
            .route(post().to(image_metadata::create_image_metadata))
            .route(put().to(image_metadata::update_image_metadata)),
    )
    .service(
        r("/images/{id}/metadata/{key}")
            .route(get().to(image_metadata::show_image_metadata_item))
            .route(put().to(image_metadata::update_image_metadata_item))
            .route(delete().to(image_metadata::delete_image_metadata_item)),
    )
    .service(
        r("/os-aggregates")
            .route(get().to(aggregates::list_aggregates))
            .route(post().to(aggregates::create_aggregate)),
    )
    .service(
        r("/os-aggregates/{id}")
            .route(get().to(aggregates::show_aggregate))
            .route(put().to(aggregates::update_aggregate))
            .route(delete().to(aggregates::delete_aggregate)),
    )
    .service(r("/os-aggregates/{id}/action").route(post().to(aggregates::aggregate_action)))
    .service(
        r("/os-server-groups")
            .route(get().to(server_groups::list_server_groups))
            .route(post().to(server_groups::create_server_group)),
    )
    .service(
        r("/os-server-groups/{id}")
            .route(get().to(server_groups::show_server_group))
            .route(delete().to(server_groups::delete_server_group)),
    )
    .service(
        r("/os-security-groups")
            .route(get().to(security_groups::list_security_groups))
            .route(post().to(security_groups::create_security_group)),
    )
    .service(
        r("/os-security-groups/{id}")
            .route(get().to(security_groups::show_security_group))
            .route(put().to(security_groups::update_security_group))
            .route(delete().to(security_groups::delete_security_group)),
    )
    .service(
        r("/os-security-group-rules")
            .route(post().to(security_group_rules::create_security_group_rule)),
    )
    .service(
        r("/os-security-group-rules/{id}")
            .route(delete().to(security_group_rules::delete_security_group_rule)),
    )
    .service(
        r("/os-floating-ips")
            .route(get().to(floating_ips::list_floating_ips))
            .route(post().to(floating_ips::create_floating_ip)),
    )
    .service(
        r("/os-floating-ips/{id}")
            .route(get().to(floating_ips::show_floating_ip))
            .route(delete().to(floating_ips::delete_floating_ip)),
    )
    .service(r("/os-floating-ip-pools").route(get().to(floating_ips::list_floating_ip_pools)))
    .service(
        r("/servers/{id}/os-security-groups")
            .route(get().to(security_groups::list_server_security_groups)),
    )
    .service(r("/servers/{id}/os-instance-actions").route(get().to(servers::list_instance_actions)))
    .service(
        r("/servers/{id}/os-instance-actions/{request_id}")
            .route(get().to(servers::show_instance_action)),
    )
    .service(
        r("/flavors")
            .route(get().to(flavors::list_flavors))
            .route(post().to(flavors::create_flavor)),
    )
    .service(r("/flavors/detail").route(get().to(flavors::list_flavors_detail)))
    .service(
        r("/flavors/{id}")
            .route(get().to(flavors::show_flavor))
            .route(put().to(flavors::update_flavor))
            .route(delete().to(flavors::delete_flavor)),
    )
    .service(r("/flavors/{id}/action").route(post().to(flavors::flavor_action)))
    .service(r("/flavors/{id}/os-flavor-access").route(get().to(flavors::list_flavor_access)))
    .service(
        r("/flavors/{id}/os-extra_specs")
            .route(get().to(flavors::list_extra_specs))
            .route(post().to(flavors::create_extra_specs)),
    )
    .service(
        r("/flavors/{id}/os-extra_specs/{key}")
            .route(get().to(flavors::show_extra_spec))
            .route(put().to(flavors::update_extra_spec))
            .route(delete().to(flavors::delete_extra_spec)),
    )
    .service(
        r("/os-keypairs")
            .route(get().to(keypairs::list_keypairs))
            .route(post().to(keypairs::create_keypair)),
    )
    .service(
        r("/os-keypairs/{name}")
            .route(get().to(keypairs::show_keypair))
            .route(delete().to(keypairs::delete_keypair)),
    )
    .service(r("/limits").route(get().to(limits::show_limits)))
    .service(
        r("/os-quota-sets/{project}")
            .route(get().to(limits::show_quota_set))
            .route(put().to(limits::update_quota_set))
            .route(delete().to(limits::delete_quota_set)),
    )
    .service(r("/os-quota-sets/{project}/defaults").route(get().to(limits::show_quota_defaults)))
    .service(r("/os-quota-sets/{project}/detail").route(get().to(limits::show_quota_detail)))
    .service(
        r("/os-quota-class-sets/{class}")
            .route(get().to(limits::show_quota_class_set))
            .route(put().to(limits::update_quota_class_set)),
    )
    .service(r("/os-availability-zone").route(get().to(hosts::list_availability_zones)))
    .service(
        r("/os-availability-zone/detail").route(get().to(hosts::list_availability_zones_detail)),
    )
    .service(r("/os-hypervisors").route(get().to(hosts::list_hypervisors)))
    .service(r("/os-hypervisors/detail").route(get().to(hosts::list_hypervisors_detail)))
    .service(r("/os-hypervisors/statistics").route(get().to(hosts::show_hypervisor_statistics)))
    .service(r("/os-hypervisors/{id}").route(get().to(hosts::show_hypervisor)))
    .service(r("/os-hypervisors/{id}/uptime").route(get().to(hosts::show_hypervisor_uptime)))
    .service(r("/os-hypervisors/{id}/search").route(get().to(hosts::search_hypervisors)))
    .service(r("/os-hypervisors/{id}/servers").route(get().to(hosts::list_hypervisor_servers)))
    .service(r("/os-hosts").route(get().to(os_hosts::list_hosts)))
    .service(
        r("/os-hosts/{host_name}")
            .route(get().to(os_hosts::show_host))
            .route(put().to(os_hosts::update_host)),
    )
    .service(r("/os-hosts/{host_name}/reboot").route(get().to(os_hosts::reboot_host)))
    .service(r("/os-hosts/{host_name}/shutdown").route(get().to(os_hosts::shutdown_host)))
    .service(r("/os-hosts/{host_name}/startup").route(get().to(os_hosts::startup_host)))
    .service(
        r("/os-instance_usage_audit_log")
            .route(get().to(instance_usage_audit_log::list_instance_usage_audit_logs)),
    )
    .service(
        r("/os-instance_usage_audit_log/{before_timestamp}")
            .route(get().to(instance_usage_audit_log::show_instance_usage_audit_log)),
    )
    .service(r("/os-services").route(get().to(hosts::list_services)))
    .service(r("/os-services/{id}").route(put().to(hosts::update_service)));
}
