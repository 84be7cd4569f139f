//! Grants: `PUT/GET/HEAD/DELETE /v3/{projects|domains}/{id}/{users|groups}/{id}/roles/{id}`,
//! the system variants under `/v3/system/...` and the inherited ones under
//! `/v3/OS-INHERIT/...`. One parser turns each path into a [`Grant`].

use super::{arc, collection, no_content, Svc};
use crate::assignment::{Actor, Target};
use crate::roles::Grant;
use actix_web::{web, HttpRequest, HttpResponse};
use compat_api::app::resource;
use compat_api::{ApiError, AuthContext};

pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, head, put};
    const ONE: [&str; 3] = [
        "/{target_kind}/{target}/{actor_kind}/{actor}/roles/{role}",
        "/system/{actor_kind}/{actor}/roles/{role}",
        "/OS-INHERIT/{target_kind}/{target}/{actor_kind}/{actor}/roles/{role}/inherited_to_projects",
    ];
    const LIST: [&str; 3] = [
        "/OS-INHERIT/{target_kind}/{target}/{actor_kind}/{actor}/roles/inherited_to_projects",
        "/{target_kind}/{target}/{actor_kind}/{actor}/roles",
        "/system/{actor_kind}/{actor}/roles",
    ];
    for path in ONE {
        cfg.service(
            resource(path)
                .route(put().to(create_grant))
                .route(get().to(check_grant))
                .route(head().to(check_grant))
                .route(delete().to(delete_grant)),
        );
    }
    for path in LIST {
        cfg.service(resource(path).route(get().to(list_grants)));
    }
}

fn not_found() -> ApiError {
    ApiError::not_found("The resource could not be found.")
}

/// Reads the grant a path names; `role` is None for list paths.
fn parse(req: &HttpRequest) -> Result<(Actor, String, Target, Option<String>, bool), ApiError> {
    let info = req.match_info();
    let inherited = req.path().contains("/OS-INHERIT/");
    let actor = match info.get("actor_kind") {
        Some("users") => Actor::User,
        Some("groups") => Actor::Group,
        _ => return Err(not_found()),
    };
    let actor_id = info.get("actor").ok_or_else(not_found)?.to_owned();
    let target = match (info.get("target_kind"), info.get("target")) {
        (Some("projects"), Some(id)) => Target::Project(id.to_owned()),
        (Some("domains"), Some(id)) => Target::Domain(id.to_owned()),
        (None, None) if req.path().starts_with("/v3/system/") => Target::System,
        _ => return Err(not_found()),
    };
    if inherited && target == Target::System {
        return Err(not_found());
    }
    Ok((
        actor,
        actor_id,
        target,
        info.get("role").map(str::to_owned),
        inherited,
    ))
}

fn grant(req: &HttpRequest) -> Result<Grant, ApiError> {
    let (actor, actor_id, target, role, inherited) = parse(req)?;
    Ok(Grant {
        actor,
        actor_id,
        target,
        role_id: role.ok_or_else(not_found)?,
        inherited,
    })
}

pub async fn create_grant(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    svc.create_grant(&ctx, grant(&req)?).await?;
    Ok(no_content())
}

pub async fn check_grant(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    svc.check_grant(&ctx, grant(&req)?).await?;
    Ok(no_content())
}

pub async fn delete_grant(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    arc(&svc).delete_grant(&ctx, grant(&req)?).await?;
    Ok(no_content())
}

pub async fn list_grants(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let (actor, actor_id, target, _, inherited) = parse(&req)?;
    let roles = svc
        .list_grants(&ctx, actor, actor_id, target, inherited)
        .await?;
    let items = roles
        .iter()
        .map(|r| super::roles::render(&req, &svc, r))
        .collect();
    Ok(collection(&req, &svc, "roles", items))
}
