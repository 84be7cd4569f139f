//! `/v2.0/routers` and its interface and extra-route actions.

use super::{caller, object, standard, unwrap_body, Collection, Svc, View};
use crate::error::Error;
use crate::policy::Caller;
use crate::routers::{self, InterfaceRequest, Router, RouterRequest};
use crate::store::Conn;
use crate::subnets::HostRoute;
use crate::Ctx;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::{ApiError, AuthContext};
use serde::Deserialize;
use serde_json::{json, Value};

pub struct Routers;

impl Collection for Routers {
    const SINGULAR: &'static str = "router";
    const PLURAL: &'static str = "routers";
    type Item = Router;
    type Request = RouterRequest;

    fn view(r: &Router, _caller: &Caller) -> View {
        let row = &r.row;
        let gateway = r.gateway.as_ref().map(|g| {
            json!({
                "network_id": g.network_id,
                "enable_snat": g.enable_snat,
                "external_fixed_ips": g.external_fixed_ips,
            })
        });
        let mut view = object(json!({
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "admin_state_up": row.admin_state_up,
            "status": row.status,
            "external_gateway_info": gateway,
            "routes": r.routes,
        }));
        standard(
            &mut view,
            &row.project_id,
            &r.tags,
            row.revision_number,
            row.created_at,
            row.updated_at,
        );
        view
    }

    fn list(c: &mut Conn, ctx: &Ctx) -> Result<Vec<Router>, Error> {
        routers::list(c, ctx.caller)
    }

    fn show(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<Router, Error> {
        routers::show(c, ctx.caller, id)
    }

    fn create(c: &mut Conn, ctx: &Ctx, req: RouterRequest) -> Result<Router, Error> {
        routers::create(c, ctx, req)
    }

    fn update(
        c: &mut Conn,
        ctx: &Ctx,
        id: &str,
        req: RouterRequest,
        if_match: Option<i64>,
    ) -> Result<Router, Error> {
        routers::update(c, ctx, id, req, if_match)
    }

    fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<(), Error> {
        routers::delete(c, ctx, id)
    }
}

fn interface_request(body: Value) -> Result<InterfaceRequest, ApiError> {
    crate::attrs::from_object("router interface", body).map_err(ApiError::from)
}

pub async fn add_router_interface(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    let req = interface_request(body.into_inner())?;
    let id = path.into_inner();
    let info = svc
        .into_inner()
        .write(caller(&auth), move |c, ctx| {
            routers::add_interface(c, ctx, &id, req)
        })
        .await?;
    Ok(HttpResponse::Ok().json(info))
}

pub async fn remove_router_interface(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    let req = interface_request(body.into_inner())?;
    let id = path.into_inner();
    let info = svc
        .into_inner()
        .write(caller(&auth), move |c, ctx| {
            routers::remove_interface(c, ctx, &id, req)
        })
        .await?;
    Ok(HttpResponse::Ok().json(info))
}

#[derive(Deserialize)]
struct RoutesBody {
    routes: Vec<HostRoute>,
}

/// `extraroute-atomic`: adds or removes routes without replacing the list.
async fn change_routes(
    svc: Svc,
    auth: AuthContext,
    id: String,
    body: Value,
    add: bool,
) -> Result<HttpResponse, ApiError> {
    let routes: RoutesBody = crate::attrs::from_object("router", unwrap_body(body, "router")?)
        .map_err(ApiError::from)?;
    let who = caller(&auth);
    let v = who.clone();
    let router = svc
        .into_inner()
        .write(who, move |c, ctx| {
            let current = routers::show(c, ctx.caller, &id)?;
            let mut list = current.routes.clone();
            for r in routes.routes {
                let present = list
                    .iter()
                    .position(|x| x.destination == r.destination && x.nexthop == r.nexthop);
                match (add, present) {
                    (true, None) => list.push(r),
                    (false, Some(i)) => {
                        list.remove(i);
                    }
                    _ => {}
                }
            }
            let req = RouterRequest {
                routes: Some(Some(list)),
                ..Default::default()
            };
            routers::update(c, ctx, &id, req, None)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"router": Routers::view(&router, &v)})))
}

pub async fn add_extraroutes(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    change_routes(svc, auth, path.into_inner(), body.into_inner(), true).await
}

pub async fn remove_extraroutes(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    change_routes(svc, auth, path.into_inner(), body.into_inner(), false).await
}
