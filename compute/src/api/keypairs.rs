//! `/os-keypairs`: import, generate (below 2.92), list, show, delete.

use super::error::bad_request;
use super::{ApiResult, Req, Svc};
use crate::keypairs::{self, KeyPairCreate};
use crate::store;
use crate::store::models::KeyPairRow;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::query::Query;
use serde_json::{json, Value};

fn view(req: &Req, k: &KeyPairRow, full: bool) -> Value {
    let mut v = json!({"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint});
    if req.at_least(2) {
        v["type"] = json!(k.key_type);
    }
    if full {
        v["user_id"] = json!(k.user_id);
        v["created_at"] = json!(compat_api::time::iso_micros_naive(k.created_at));
        v["deleted"] = json!(false);
        v["deleted_at"] = Value::Null;
        v["updated_at"] = Value::Null;
        v["id"] = json!(1);
    }
    v
}

fn user_param(req: &Req, q: Option<String>) -> Result<String, compat_api::ApiError> {
    let requested = if req.at_least(10) { q } else { None };
    Ok(keypairs::owner(&req.ctx, requested)?)
}

pub async fn create_keypair(req: Req, svc: Svc, body: JsonBody<Value>) -> ApiResult {
    let body = body.into_inner();
    let k = body
        .get("keypair")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            bad_request(
                "Invalid input for field/attribute keypair. 'keypair' is a required property",
            )
        })?;
    let name = k.get("name").and_then(Value::as_str).ok_or_else(|| {
        bad_request("Invalid input for field/attribute keypair. 'name' is a required property")
    })?;
    let public_key = k
        .get("public_key")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if public_key.is_none() && req.at_least(92) {
        return Err(bad_request(
            "Invalid input for field/attribute keypair. 'public_key' is a required property",
        ));
    }
    let key_type = match k.get("type").and_then(Value::as_str) {
        Some(t) if req.at_least(2) && (t == "ssh" || t == "x509") => t.to_owned(),
        Some(t) if req.at_least(2) => return Err(bad_request(format!("Invalid input for field/attribute type. Value: {t}. '{t}' is not one of ['ssh', 'x509']"))),
        _ => "ssh".into(),
    };
    let user_id = user_param(
        &req,
        k.get("user_id").and_then(Value::as_str).map(str::to_owned),
    )?;
    let create = KeyPairCreate {
        name: name.to_owned(),
        key_type,
        public_key,
        user_id,
        extended_names: req.at_least(92),
    };
    let quota = svc.conf.quota_default("key_pairs");
    let created = svc
        .write(move |c| keypairs::create(c, quota, create))
        .await?;
    let mut v = view(&req, &created.row, false);
    v["user_id"] = json!(created.row.user_id);
    if let Some(private) = created.private_key {
        v["private_key"] = json!(private);
    }
    let mut status = if req.at_least(2) {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(status.json(json!({ "keypair": v })))
}

pub async fn list_keypairs(req: Req, svc: Svc, http: HttpRequest) -> ApiResult {
    let q = Query::parse(&http)?;
    let user = user_param(&req, q.get("user_id"))?;
    let rows = svc
        .read(move |c| Ok(store::keypairs::of_user(c, &user)?))
        .await?;
    let (rows, more) = if req.at_least(35) {
        let page =
            compat_api::pagination::PageRequest::from_query(&q.0, svc.conf.max_limit as usize)
                .and_then(|p| p.apply(rows, |k| &k.name))
                .map_err(|e| e.with_format(compat_api::ErrorFormat::Nova))?;
        (page.items, page.more)
    } else {
        (rows, false)
    };
    let list: Vec<Value> = rows
        .iter()
        .map(|k| json!({"keypair": view(&req, k, false)}))
        .collect();
    let mut body = json!({ "keypairs": list });
    if let (true, Some(last)) = (more, rows.last()) {
        body["keypairs_links"] = json!([compat_api::pagination::next_link(
            &format!("{}/os-keypairs", req.url),
            &q.0,
            &last.name
        )]);
    }
    Ok(HttpResponse::Ok().json(body))
}

pub async fn show_keypair(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    http: HttpRequest,
) -> ApiResult {
    let q = Query::parse(&http)?;
    let user = user_param(&req, q.get("user_id"))?;
    let name = path.into_inner().0;
    let row = svc.read(move |c| keypairs::get(c, &user, &name)).await?;
    Ok(HttpResponse::Ok().json(json!({"keypair": view(&req, &row, true)})))
}

pub async fn delete_keypair(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    http: HttpRequest,
) -> ApiResult {
    let q = Query::parse(&http)?;
    let user = user_param(&req, q.get("user_id"))?;
    let name = path.into_inner().0;
    svc.write(move |c| keypairs::delete(c, &user, &name))
        .await?;
    Ok(if req.at_least(2) {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::Accepted().finish()
    })
}
