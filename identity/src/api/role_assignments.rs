//! `GET /v3/role_assignments`

use super::{base, Query, Svc};
use crate::assignment::{Actor, AssignmentQuery, RoleAssignment, Target};
use crate::roles::Names;
use actix_web::{HttpRequest, HttpResponse};
use compat_api::{ApiError, AuthContext};
use serde_json::{json, Value};

fn named(id: &str, entry: Option<&(String, String)>, names: Option<&Names>) -> Value {
    let mut v = json!({"id": id});
    let (Some((name, domain_id)), Some(names)) = (entry, names) else {
        return v;
    };
    v["name"] = json!(name);
    if !domain_id.is_empty() {
        let domain_name = names.domains.get(domain_id).cloned().unwrap_or_default();
        v["domain"] = json!({"id": domain_id, "name": domain_name});
    }
    v
}

fn render(base: &str, r: &RoleAssignment, names: Option<&Names>) -> Value {
    let actor_key = if r.actor == Actor::User {
        "user"
    } else {
        "group"
    };
    let actor = named(
        &r.actor_id,
        names.and_then(|n| n.actors.get(&r.actor_id)),
        names,
    );
    let mut role = json!({"id": r.role_id});
    if let Some((name, domain)) = names.and_then(|n| n.roles.get(&r.role_id)) {
        role["name"] = json!(name);
        if !domain.is_empty() {
            role["domain"] = json!({"id": domain});
        }
    }
    let mut scope = match &r.target {
        Target::Project(p) => {
            json!({"project": named(p, names.and_then(|n| n.projects.get(p)), names)})
        }
        Target::Domain(d) => {
            let mut v = json!({"id": d});
            if let Some(name) = names.and_then(|n| n.domains.get(d)) {
                v["name"] = json!(name);
            }
            json!({"domain": v})
        }
        Target::System => json!({"system": {"all": true}}),
    };
    if r.inherited {
        scope["OS-INHERIT:inherited_to"] = json!("projects");
    }
    let target_path = match &r.target {
        Target::Project(p) => format!("projects/{p}"),
        Target::Domain(d) => format!("domains/{d}"),
        Target::System => "system".into(),
    };
    json!({
        "role": role,
        actor_key: actor,
        "scope": scope,
        "links": {"assignment": format!("{base}/v3/{target_path}/{actor_key}s/{}/roles/{}", r.actor_id, r.role_id)},
    })
}

pub async fn list_role_assignments(
    req: HttpRequest,
    svc: Svc,
    ctx: AuthContext,
) -> Result<HttpResponse, ApiError> {
    let q = Query::parse(&req)?;
    let query = AssignmentQuery {
        user_id: q.get("user.id"),
        group_id: q.get("group.id"),
        role_id: q.get("role.id"),
        project_id: q.get("scope.project.id"),
        domain_id: q.get("scope.domain.id"),
        system: q.get("scope.system").is_some(),
        inherited: q.get("scope.OS-INHERIT:inherited_to").map(|_| true),
        effective: q.present("effective"),
    };
    let rows = svc.list_role_assignments(&ctx, query).await?;
    let names = if q.present("include_names") {
        Some(svc.assignment_names(rows.clone()).await?)
    } else {
        None
    };
    let base = base(&req, &svc);
    let items: Vec<Value> = rows
        .iter()
        .map(|r| render(&base, r, names.as_ref()))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "role_assignments": items,
        "links": {"self": format!("{base}{}", req.uri()), "previous": null, "next": null},
    })))
}
