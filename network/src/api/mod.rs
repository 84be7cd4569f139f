//! The Networking v2.0 HTTP surface: a routes table, the handlers every
//! resource shares (list, show, create incl. bulk, update, delete, tags),
//! and one file per resource with its wire view and its extra actions.

pub mod availability;
pub mod collection;
pub mod error;
pub mod extensions;
pub mod floating_ips;
pub mod networks;
pub mod ports;
pub mod quotas;
pub mod routers;
pub mod security_group_rules;
pub mod security_groups;
pub mod subnetpools;
pub mod subnets;
pub mod tags;
pub mod topology;
pub mod versions;

use crate::error::Error;
use crate::policy::Caller;
use crate::store::Conn;
use crate::{Ctx, NetworkService};
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use collection::ListQuery;
use compat_api::app::resource;
use compat_api::body::JsonBody;
use compat_api::discovery::base_url;
use compat_api::query::Query;
use compat_api::{ApiError, AuthContext, ErrorFormat};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

/// The service as handlers receive it.
pub type Svc = web::Data<NetworkService>;

type ApiResult = Result<HttpResponse, ApiError>;

/// The caller as the domain sees it.
pub fn caller(auth: &AuthContext) -> Caller {
    Caller {
        project_id: auth.project_id().map(str::to_owned),
        is_admin: auth.is_admin(),
    }
}

/// A rendered resource.
pub type View = Map<String, Value>;

/// The map of a `json!({...})` object literal.
pub fn object(value: Value) -> View {
    match value {
        Value::Object(map) => map,
        _ => View::new(),
    }
}

/// A resource collection: how to render it and the domain operations
/// behind `GET/POST /v2.0/<plural>` and `GET/PUT/DELETE .../{id}`.
pub trait Collection: 'static {
    const SINGULAR: &'static str;
    const PLURAL: &'static str;
    /// The URL segment, where it differs from the body key (`security-groups`).
    const PATH: &'static str = Self::PLURAL;
    type Item: Send + 'static;
    type Request: DeserializeOwned + Send + 'static;

    fn view(item: &Self::Item, caller: &Caller) -> View;
    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<Self::Item>, Error>;
    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<Self::Item, Error>;
    fn create(c: &mut Conn, ctx: &Ctx, req: Self::Request) -> Result<Self::Item, Error>;
    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        req: Self::Request,
        if_match: Option<i64>,
    ) -> Result<Self::Item, Error>;
    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error>;

    /// Whether listing may write (security groups create the default group).
    const LIST_WRITES: bool = false;

    /// One page of every item in id order, when the store can page
    /// directly (an admin's unfiltered list); None to page in memory.
    fn plain_page(
        _c: &mut Conn,
        _ctx: &Ctx,
        _after: Option<&str>,
        _limit: usize,
    ) -> Option<Result<Vec<Self::Item>, Error>> {
        None
    }
}

fn json_response(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// The base of links: `[network] public_endpoint` or the request's host.
pub fn base(req: &HttpRequest, svc: &NetworkService) -> String {
    base_url(req, svc.conf.public_endpoint.as_deref())
}

fn neutron_error(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, message)
        .with_format(ErrorFormat::Neutron)
        .with_kind(kind)
}

/// `If-Match: revision_number=N` (neutron's compare-and-swap).
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get("If-Match") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let bad = || {
        neutron_error(
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
            format!("If-Match header without revision_number: {text}"),
        )
    };
    let n = text
        .trim()
        .strip_prefix("revision_number=")
        .ok_or_else(bad)?;
    n.trim().parse().map(Some).map_err(|_| bad())
}

/// The object under `key` in a body.
fn unwrap_body(body: Value, key: &str) -> Result<Value, ApiError> {
    match body {
        Value::Object(mut map) => map.remove(key).ok_or_else(|| {
            neutron_error(
                StatusCode::BAD_REQUEST,
                "HTTPBadRequest",
                format!("Unable to find '{key}' in request body"),
            )
        }),
        _ => Err(neutron_error(
            StatusCode::BAD_REQUEST,
            "HTTPBadRequest",
            "Resource body required",
        )),
    }
}

fn request<R: DeserializeOwned>(resource: &str, value: Value) -> Result<R, ApiError> {
    crate::attrs::from_object(resource, value).map_err(ApiError::from)
}

pub async fn list<C: Collection>(svc: Svc, auth: AuthContext, req: HttpRequest) -> ApiResult {
    let who = caller(&auth);
    let query = ListQuery::parse(Query::parse(&req)?, svc.conf.pagination_max_limit)?;
    let url = format!("{}/v2.0/{}", base(&req, &svc), C::PATH);
    let svc = svc.into_inner();
    if let (true, Some(limit)) = (query.is_plain(), query.limit) {
        let after = query.marker.clone();
        let page = svc
            .read(who.clone(), move |c, ctx| {
                C::plain_page(c, ctx, after.as_deref(), limit).transpose()
            })
            .await?;
        if let Some(items) = page {
            let views: Vec<View> = items.iter().map(|i| C::view(i, &who)).collect();
            return Ok(render_list::<C>(&query, &url, views));
        }
    }
    list_all::<C>(svc, who, query, url).await
}

async fn list_all<C: Collection>(
    svc: std::sync::Arc<NetworkService>,
    who: Caller,
    query: ListQuery,
    url: String,
) -> ApiResult {
    let v = who.clone();
    let items = if C::LIST_WRITES {
        svc.write(who, |c, ctx| C::list(c, ctx)).await?
    } else {
        svc.read(who, |c, ctx| C::list(c, ctx)).await?
    };
    if !query.needs_order() {
        return stream_list::<C>(&query, &items, &v);
    }
    let mut views: Vec<View> = items
        .iter()
        .map(|i| C::view(i, &v))
        .filter(|i| query.matches(i))
        .collect();
    query.sort(&mut views)?;
    let page = query.paginate(views);
    Ok(render_list::<C>(&query, &url, page))
}

/// A list without sorting or paging, written item by item: each view is
/// dropped once serialised, so a large list never holds every view at once.
fn stream_list<C: Collection>(query: &ListQuery, items: &[C::Item], caller: &Caller) -> ApiResult {
    let mut body = Vec::with_capacity(items.len() * 768 + 32);
    body.extend_from_slice(format!("{{\"{}\":[", C::PLURAL).as_bytes());
    let mut first = true;
    for item in items {
        let view = C::view(item, caller);
        if !query.matches(&view) {
            continue;
        }
        if !first {
            body.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut body, &query.select(view)).map_err(|e| {
            neutron_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "HTTPInternalServerError",
                e.to_string(),
            )
        })?;
    }
    body.extend_from_slice(b"]}");
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

fn render_list<C: Collection>(query: &ListQuery, url: &str, page: Vec<View>) -> HttpResponse {
    let links = query.links(url, &page);
    let items: Vec<Value> = page
        .into_iter()
        .map(|i| Value::Object(query.select(i)))
        .collect();
    let mut body = Map::new();
    body.insert(C::PLURAL.into(), Value::Array(items));
    if !links.is_empty() {
        body.insert(format!("{}_links", C::PLURAL), Value::Array(links));
    }
    json_response(StatusCode::OK, Value::Object(body))
}

pub async fn show<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    req: HttpRequest,
    path: web::Path<String>,
) -> ApiResult {
    let who = caller(&auth);
    let query = ListQuery::parse(Query::parse(&req)?, -1)?;
    let id = path.into_inner();
    let v = who.clone();
    let item = svc
        .into_inner()
        .read(who, move |c, ctx| C::show(c, ctx, &id))
        .await?;
    let view = query.select(C::view(&item, &v));
    Ok(json_response(StatusCode::OK, json!({ C::SINGULAR: view })))
}

/// `POST`: one resource, or a bulk create (`{"<plural>": [...]}`) that
/// succeeds or fails as a whole.
pub async fn create<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    body: JsonBody<Value>,
) -> ApiResult {
    let who = caller(&auth);
    let body = body.into_inner();
    let bulk = body.get(C::PLURAL).cloned();
    let svc = svc.into_inner();
    let v = who.clone();
    if let Some(items) = bulk {
        let Value::Array(items) = items else {
            return Err(neutron_error(
                StatusCode::BAD_REQUEST,
                "HTTPBadRequest",
                "Resources required",
            ));
        };
        let requests = items
            .into_iter()
            .map(|i| request::<C::Request>(C::SINGULAR, i))
            .collect::<Result<Vec<_>, _>>()?;
        let created = svc
            .write(who, move |c, ctx| {
                requests
                    .into_iter()
                    .map(|r| C::create(c, ctx, r))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let views: Vec<Value> = created
            .iter()
            .map(|i| Value::Object(C::view(i, &v)))
            .collect();
        return Ok(json_response(
            StatusCode::CREATED,
            json!({ C::PLURAL: views }),
        ));
    }
    let r = request::<C::Request>(C::SINGULAR, unwrap_body(body, C::SINGULAR)?)?;
    let item = svc.write(who, move |c, ctx| C::create(c, ctx, r)).await?;
    Ok(json_response(
        StatusCode::CREATED,
        json!({ C::SINGULAR: C::view(&item, &v) }),
    ))
}

pub async fn update<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<Value>,
) -> ApiResult {
    let who = caller(&auth);
    let expected = if_match(req.headers())?;
    let r = request::<C::Request>(C::SINGULAR, unwrap_body(body.into_inner(), C::SINGULAR)?)?;
    let id = path.into_inner();
    let v = who.clone();
    let item = svc
        .into_inner()
        .write(who, move |c, ctx| C::update(c, ctx, &id, r, expected))
        .await?;
    Ok(json_response(
        StatusCode::OK,
        json!({ C::SINGULAR: C::view(&item, &v) }),
    ))
}

pub async fn delete<C: Collection>(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
) -> ApiResult {
    let id = path.into_inner();
    svc.into_inner()
        .write(caller(&auth), move |c, ctx| C::delete(c, ctx, &id))
        .await?;
    Ok(HttpResponse::new(StatusCode::NO_CONTENT))
}

/// The standard attributes every view ends with.
pub fn standard(
    view: &mut View,
    project_id: &str,
    tags: &[String],
    revision: i64,
    created: i64,
    updated: i64,
) {
    view.insert("project_id".into(), json!(project_id));
    view.insert("tenant_id".into(), json!(project_id));
    view.insert("tags".into(), json!(tags));
    view.insert("revision_number".into(), json!(revision));
    view.insert(
        "created_at".into(),
        json!(compat_api::time::iso_seconds_z(created)),
    );
    view.insert(
        "updated_at".into(),
        json!(compat_api::time::iso_seconds_z(updated)),
    );
}

/// Routes of one collection (`/v2.0/networks`, `/v2.0/networks/{id}`, tags).
fn collection<C: Collection>(cfg: &mut web::ServiceConfig) {
    use web::{delete as del, get, post, put};
    cfg.service(
        resource(&format!("/v2.0/{}", C::PATH))
            .route(get().to(list::<C>))
            .route(post().to(create::<C>)),
    );
    cfg.service(
        resource(&format!("/v2.0/{}/{{id}}", C::PATH))
            .route(get().to(show::<C>))
            .route(put().to(update::<C>))
            .route(del().to(delete::<C>)),
    );
    cfg.service(
        resource(&format!("/v2.0/{}/{{id}}/tags", C::PATH))
            .route(get().to(tags::list_tags::<C>))
            .route(put().to(tags::replace_tags::<C>))
            .route(del().to(tags::delete_tags::<C>)),
    );
    cfg.service(
        resource(&format!("/v2.0/{}/{{id}}/tags/{{tag}}", C::PATH))
            .route(get().to(tags::show_tag::<C>))
            .route(put().to(tags::add_tag::<C>))
            .route(del().to(tags::delete_tag::<C>)),
    );
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete as del, get, put};
    cfg.service(resource("/").route(get().to(versions::list_versions)));
    cfg.service(resource("/v2.0").route(get().to(versions::show_version)));
    cfg.service(resource("/v2.0/").route(get().to(versions::show_version)));
    cfg.service(resource("/v2.0/extensions").route(get().to(extensions::list_extensions)));
    cfg.service(resource("/v2.0/extensions/{alias}").route(get().to(extensions::show_extension)));
    collection::<networks::Networks>(cfg);
    collection::<subnets::Subnets>(cfg);
    collection::<subnetpools::SubnetPools>(cfg);
    collection::<ports::Ports>(cfg);
    collection::<security_groups::SecurityGroups>(cfg);
    collection::<security_group_rules::SecurityGroupRules>(cfg);
    collection::<routers::Routers>(cfg);
    collection::<floating_ips::FloatingIps>(cfg);
    cfg.service(
        resource("/v2.0/routers/{id}/add_router_interface")
            .route(put().to(routers::add_router_interface)),
    );
    cfg.service(
        resource("/v2.0/routers/{id}/remove_router_interface")
            .route(put().to(routers::remove_router_interface)),
    );
    cfg.service(
        resource("/v2.0/routers/{id}/add_extraroutes").route(put().to(routers::add_extraroutes)),
    );
    cfg.service(
        resource("/v2.0/routers/{id}/remove_extraroutes")
            .route(put().to(routers::remove_extraroutes)),
    );
    cfg.service(resource("/v2.0/quotas").route(get().to(quotas::list_quotas)));
    cfg.service(
        resource("/v2.0/quotas/{project_id}/default").route(get().to(quotas::show_default_quota)),
    );
    cfg.service(
        resource("/v2.0/quotas/{project_id}/details").route(get().to(quotas::show_quota_details)),
    );
    cfg.service(
        resource("/v2.0/quotas/{project_id}")
            .route(get().to(quotas::show_quota))
            .route(put().to(quotas::update_quota))
            .route(del().to(quotas::reset_quota)),
    );
    cfg.service(
        resource("/v2.0/network-ip-availabilities")
            .route(get().to(availability::list_network_ip_availabilities)),
    );
    cfg.service(
        resource("/v2.0/network-ip-availabilities/{id}")
            .route(get().to(availability::show_network_ip_availability)),
    );
    cfg.service(
        resource("/v2.0/auto-allocated-topology/{project_id}")
            .route(get().to(topology::show_auto_allocated_topology))
            .route(del().to(topology::delete_auto_allocated_topology)),
    );
}
