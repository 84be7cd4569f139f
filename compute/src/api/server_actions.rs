//! `POST /servers/{id}/action`: one handler, dispatched on the action's key.

use super::error::bad_request;
use super::floating_ips;
use super::servers::{access_ip, check_name, field, load_full, nullable, string};
use super::views::{self, Extras};
use super::{ApiResult, Req, Svc};
use crate::agent::PowerAction;
use crate::instances;
use crate::moves::MoveKind;
use crate::server_actions::{BackupRotation, Rebuild};
use crate::ComputeService;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use compat_api::ApiError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub async fn server_action(
    req: Req,
    svc: Svc,
    path: web::Path<(String,)>,
    body: JsonBody<Value>,
) -> ApiResult {
    let id = path.into_inner().0;
    let body = body.into_inner();
    let Some((action, args)) = body.as_object().and_then(|m| m.iter().next()) else {
        return Err(bad_request("Malformed request body"));
    };
    let svc = svc.into_inner();
    let accepted = HttpResponse::Accepted().finish();
    match action.as_str() {
        "os-stop" => svc.power_action(&req.ctx, &id, PowerAction::Stop).await?,
        "os-start" => svc.power_action(&req.ctx, &id, PowerAction::Start).await?,
        "pause" => svc.power_action(&req.ctx, &id, PowerAction::Pause).await?,
        "unpause" => {
            svc.power_action(&req.ctx, &id, PowerAction::Unpause)
                .await?
        }
        "suspend" => {
            svc.power_action(&req.ctx, &id, PowerAction::Suspend)
                .await?
        }
        "resume" => svc.power_action(&req.ctx, &id, PowerAction::Resume).await?,
        "reboot" => {
            let kind = args.get("type").and_then(Value::as_str).unwrap_or_default();
            let action = match kind.to_ascii_uppercase().as_str() {
                "SOFT" => PowerAction::RebootSoft,
                "HARD" => PowerAction::RebootHard,
                _ => return Err(bad_request(format!("Invalid input for field/attribute type. Value: {kind}. '{kind}' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']"))),
            };
            svc.power_action(&req.ctx, &id, action).await?
        }
        "lock" => {
            let reason = match args.get("locked_reason") {
                Some(Value::String(r)) if req.at_least(73) && r.chars().count() <= 255 => {
                    Some(r.clone())
                }
                Some(_) => {
                    return Err(bad_request(
                        "Invalid input for field/attribute locked_reason.",
                    ))
                }
                None => None,
            };
            svc.set_lock(&req.ctx, &id, true, reason).await?
        }
        "unlock" => svc.set_lock(&req.ctx, &id, false, None).await?,
        "forceDelete" => svc.delete_server(&req.ctx, &id).await?,
        "restore" => {
            svc.power_action(&req.ctx, &id, PowerAction::Restore)
                .await?
        }
        "resize" => {
            let flavor_ref = match args.get("flavorRef") {
                Some(Value::String(f)) if !f.is_empty() => f.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(bad_request(
                    "Invalid input for field/attribute resize. 'flavorRef' is a required property",
                )),
            };
            svc.move_server(&req.ctx, &id, MoveKind::Resize { flavor_ref })
                .await?
        }
        "migrate" => {
            let host = match args.get("host") {
                None | Some(Value::Null) => None,
                Some(Value::String(h)) if req.at_least(56) => Some(h.clone()),
                Some(_) => return Err(bad_request("Invalid input for field/attribute migrate. Additional properties are not allowed ('host' was unexpected)")),
            };
            svc.move_server(&req.ctx, &id, MoveKind::Migrate { host })
                .await?
        }
        "confirmResize" => {
            svc.confirm_resize(&req.ctx, &id).await?;
            return Ok(HttpResponse::NoContent().finish());
        }
        "revertResize" => svc.revert_resize(&req.ctx, &id).await?,
        "rebuild" => return rebuild(&req, &svc, &id, args).await,
        "createImage" => return create_image(&req, &svc, &id, args).await,
        "createBackup" => return create_backup(&req, &svc, &id, args).await,
        "changePassword" => {
            let password = match args.get("adminPass") {
                Some(Value::String(p)) => p.clone(),
                _ => return Err(bad_request("Invalid input for field/attribute changePassword. 'adminPass' is a required property")),
            };
            svc.change_password(&req.ctx, &id, password).await?
        }
        "addSecurityGroup" | "removeSecurityGroup" => {
            let name = match args.get("name") {
                Some(Value::String(n)) if !n.trim().is_empty() => n.trim().to_owned(),
                _ => return Err(bad_request("Security group name cannot be empty")),
            };
            let add = action == "addSecurityGroup";
            svc.set_security_group(&req.ctx, &id, &name, add).await?
        }
        "addFloatingIp" => return floating_ips::add_floating_ip(&req, &svc, &id, args).await,
        "removeFloatingIp" => return floating_ips::remove_floating_ip(&req, &svc, &id, args).await,
        "os-resetState" => {
            let state = args
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or_default();
            svc.reset_state(&req.ctx, &id, state).await?
        }
        "os-getConsoleOutput" => {
            let length = match args.get("length") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) => n.as_i64(),
                Some(Value::String(s)) => Some(
                    s.parse()
                        .map_err(|_| bad_request("Invalid input for field/attribute length."))?,
                ),
                Some(_) => return Err(bad_request("Invalid input for field/attribute length.")),
            };
            let (ctx, id2) = (req.ctx.clone(), id.clone());
            let inst = svc.read(move |c| instances::visible(c, &ctx, &id2)).await?;
            let output = svc.console_output(&inst, length)?;
            return Ok(HttpResponse::Ok().json(json!({ "output": output })));
        }
        other => return Err(bad_request(format!("There is no such action: {other}"))),
    }
    Ok(accepted)
}

fn object<'a>(args: &'a Value, action: &str) -> Result<&'a Map<String, Value>, ApiError> {
    args.as_object().ok_or_else(|| {
        bad_request(format!(
            "Invalid input for field/attribute {action}. Value: {args}. {args} is not of type 'object'"
        ))
    })
}

fn metadata(args: &Map<String, Value>) -> Result<Option<BTreeMap<String, String>>, ApiError> {
    match field(args, "metadata") {
        None => Ok(None),
        Some(Value::Object(m)) => {
            let m: BTreeMap<String, Value> = m.clone().into_iter().collect();
            Ok(Some(instances::check_metadata(&m)?))
        }
        Some(_) => Err(bad_request(
            "Invalid input for field/attribute metadata. Value is not of type 'object'",
        )),
    }
}

/// `rebuild`: 202 with the server as it now is, and its new password.
async fn rebuild(req: &Req, svc: &Arc<ComputeService>, id: &str, args: &Value) -> ApiResult {
    let args = object(args, "rebuild")?;
    let image_ref = string(args, "imageRef")?
        .filter(|i| !i.is_empty())
        .ok_or_else(|| {
            bad_request(
                "Invalid input for field/attribute rebuild. 'imageRef' is a required property",
            )
        })?;
    let name = string(args, "name")?;
    if let Some(n) = &name {
        check_name(n)?;
    }
    let gated = |minor: u16, key: &str| -> Result<Option<Option<String>>, ApiError> {
        match args.contains_key(key) {
            true if !req.at_least(minor) => Err(bad_request(format!(
                "Invalid input for field/attribute rebuild. Additional properties are not allowed ('{key}' was unexpected)"
            ))),
            _ => nullable(args, key),
        }
    };
    let rebuild = Rebuild {
        image_ref,
        name,
        admin_pass: string(args, "adminPass")?,
        metadata: metadata(args)?,
        description: gated(19, "description")?,
        key_name: gated(54, "key_name")?,
        user_data: gated(57, "user_data")?,
        hostname: gated(90, "hostname")?.flatten(),
        access_ipv4: access_ip(args, "accessIPv4")?,
        access_ipv6: access_ip(args, "accessIPv6")?,
    };
    let (inst, password) = svc.rebuild_server(&req.ctx, id, rebuild).await?;
    let mut server = if req.at_least(75) {
        load_full(req, svc, id).await?
    } else {
        rebuild_view(req, svc, &inst).await?
    };
    if req.at_least(57) {
        // A rebuild may change user data (2.57): it shows it under its own
        // name, not as the admin's extended attribute.
        let id = id.to_owned();
        let extra = svc.read(move |c| instances::extra(c, &id)).await?;
        server["user_data"] = json!(extra.user_data);
        if let Some(obj) = server.as_object_mut() {
            obj.remove("OS-EXT-SRV-ATTR:user_data");
        }
    }
    if let (Some(p), Some(obj)) = (password, server.as_object_mut()) {
        obj.insert("adminPass".into(), json!(p));
    }
    Ok(HttpResponse::Accepted().json(json!({ "server": server })))
}

/// Before 2.75 a rebuild answers with the short server view and what a
/// rebuild can change.
async fn rebuild_view(
    req: &Req,
    svc: &Arc<ComputeService>,
    inst: &crate::instances::Instance,
) -> Result<Value, ApiError> {
    let id = inst.id().to_owned();
    let group = svc
        .read(move |c| Ok(crate::store::server_groups::of_instance(c, &id)?))
        .await?;
    let extras = Extras {
        server_groups: Some(group.into_iter().collect()),
        ..Extras::default()
    };
    let mut v = views::server(req, inst, false, &extras);
    if req.at_least(54) {
        v["key_name"] = json!(inst.row.key_name);
    }
    Ok(v)
}

/// `createImage`: 202; the image id in the body from 2.45, in `Location`
/// before.
async fn create_image(req: &Req, svc: &Arc<ComputeService>, id: &str, args: &Value) -> ApiResult {
    let args = object(args, "createImage")?;
    let name = string(args, "name")?.ok_or_else(|| {
        bad_request("Invalid input for field/attribute createImage. 'name' is a required property")
    })?;
    check_name(&name)?;
    let meta = metadata(args)?.unwrap_or_default();
    let image_id = svc.create_image(&req.ctx, id, &name, meta, None).await?;
    if req.at_least(45) {
        return Ok(HttpResponse::Accepted().json(json!({ "image_id": image_id })));
    }
    let location = format!("{}/images/{image_id}", req.url);
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// `createBackup`: a snapshot kept in a rotation of the newest `rotation`
/// backups of `backup_type`. 202; the image id in the body from 2.45, in
/// `Location` before (and then only when the rotation keeps any, as nova).
async fn create_backup(req: &Req, svc: &Arc<ComputeService>, id: &str, args: &Value) -> ApiResult {
    let args = object(args, "createBackup")?;
    let required = |k: &str| {
        bad_request(format!(
            "Invalid input for field/attribute createBackup. '{k}' is a required property"
        ))
    };
    let name = string(args, "name")?.ok_or_else(|| required("name"))?;
    check_name(&name)?;
    let backup_type = string(args, "backup_type")?.ok_or_else(|| required("backup_type"))?;
    let rotation = rotation(args.get("rotation").ok_or_else(|| required("rotation"))?)?;
    let meta = metadata(args)?.unwrap_or_default();
    let backup = BackupRotation {
        backup_type,
        rotation,
    };
    let image_id = svc
        .create_image(&req.ctx, id, &name, meta, Some(backup))
        .await?;
    if req.at_least(45) {
        return Ok(HttpResponse::Accepted().json(json!({ "image_id": image_id })));
    }
    let mut resp = HttpResponse::Accepted();
    if rotation > 0 {
        resp.insert_header((header::LOCATION, format!("{}/images/{image_id}", req.url)));
    }
    Ok(resp.finish())
}

/// A non-negative integer, or a string of digits, as nova's schema takes.
fn rotation(v: &Value) -> Result<u32, ApiError> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
        bad_request(format!(
            "Invalid input for field/attribute rotation. Value: {v}. {v} is not a valid non-negative integer"
        ))
    })
}
