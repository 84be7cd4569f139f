//! `/v2.0/network-ip-availabilities` (admin only, as upstream's policy).

use super::collection::ListQuery;
use super::{caller, Svc};
use crate::availability;
use crate::error::Error;
use crate::store;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::query::Query;
use compat_api::{ApiError, AuthContext};
use serde_json::{json, Value};

pub async fn list_network_ip_availabilities(
    svc: Svc,
    auth: AuthContext,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller(&auth).require_admin("get_network_ip_availability")?;
    let query = ListQuery::parse(Query::parse(&req)?, -1)?;
    let list = svc
        .into_inner()
        .read(caller(&auth), |c, _| availability::list(c))
        .await?;
    let items: Vec<Value> = list
        .iter()
        .filter_map(|a| serde_json::to_value(a).ok())
        .filter(|v| v.as_object().is_some_and(|m| query.matches(m)))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "network_ip_availabilities": items })))
}

pub async fn show_network_ip_availability(
    svc: Svc,
    auth: AuthContext,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller(&auth).require_admin("get_network_ip_availability")?;
    let id = path.into_inner();
    let a = svc
        .into_inner()
        .read(caller(&auth), move |c, _| {
            let network =
                store::networks::get(c, &id)?.ok_or_else(|| Error::network_not_found(&id))?;
            availability::of(c, &network)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "network_ip_availability": a })))
}
