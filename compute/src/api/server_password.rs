//! `/servers/{id}/os-server-password`: the encrypted password a guest
//! posted to the metadata service (empty until it does), and clearing it.

use super::{ApiResult, Req, Svc};
use crate::instances;
use crate::store;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn show_password(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    let password = svc
        .read(move |c| {
            instances::visible(c, &ctx, &id)?;
            Ok(instances::extra(c, &id)?.admin_password)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "password": password.unwrap_or_default() })))
}

pub async fn clear_password(req: Req, svc: Svc, path: web::Path<(String,)>) -> ApiResult {
    let (ctx, id) = (req.ctx.clone(), path.into_inner().0);
    svc.write(move |c| {
        instances::visible_for_update(c, &ctx, &id)?;
        let mut extra = instances::extra(c, &id)?;
        extra.admin_password = None;
        store::instances::update_extra(c, &extra)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
