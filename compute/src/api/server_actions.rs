//! `POST /servers/{id}/action`: one handler, dispatched on the action's key.

use super::error::bad_request;
use super::{ApiResult, Req, Svc};
use crate::agent::PowerAction;
use crate::instances;
use actix_web::{web, HttpResponse};
use compat_api::body::JsonBody;
use serde_json::{json, Value};

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
