//! Roles, implied roles and grants (role assignments), and the token
//! revocations a removed grant causes.

use crate::assignment::{self, Actor, AssignmentQuery, RoleAssignment, Target};
use crate::error::Error;
use crate::resource::options_text;
use crate::store::models::{Assignment, Role};
use crate::store::{
    assignment as q, identity as users_q, new_id, resource as res_q, AnyConnection,
};
use crate::tokens::user_event;
use crate::{policy, Identity};
use compat_api::auth::RevocationEvent;
use compat_api::AuthContext;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
pub struct NewRole {
    pub name: String,
    #[serde(default)]
    pub domain_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub options: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RolePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub options: Option<Value>,
}

/// One grant: who, where, what.
#[derive(Debug, Clone)]
pub struct Grant {
    pub actor: Actor,
    pub actor_id: String,
    pub target: Target,
    pub role_id: String,
    pub inherited: bool,
}

impl Grant {
    fn row(&self) -> Assignment {
        Assignment {
            kind: self.target.kind(self.actor).to_owned(),
            actor_id: self.actor_id.clone(),
            target_id: self.target.id().to_owned(),
            role_id: self.role_id.clone(),
            inherited: self.inherited,
        }
    }
}

/// Checks that everything a grant names exists.
fn check_grant(c: &mut AnyConnection, g: &Grant) -> Result<(), Error> {
    q::get_role(c, &g.role_id)?.ok_or_else(|| Error::not_found("role", &g.role_id))?;
    match g.actor {
        Actor::User => {
            users_q::get_user(c, &g.actor_id)?
                .ok_or_else(|| Error::not_found("user", &g.actor_id))?;
        }
        Actor::Group => {
            users_q::get_group(c, &g.actor_id)?
                .ok_or_else(|| Error::not_found("group", &g.actor_id))?;
        }
    }
    match &g.target {
        Target::Project(id) => {
            res_q::get_project(c, id)?.ok_or_else(|| Error::not_found("project", id))?;
        }
        Target::Domain(id) => {
            res_q::get_domain(c, id)?.ok_or_else(|| Error::not_found("domain", id))?;
        }
        Target::System => {}
    }
    Ok(())
}

impl Identity {
    pub async fn create_role(&self, ctx: &AuthContext, new: NewRole) -> Result<Role, Error> {
        policy::admin(ctx, "create_role")?;
        let role = Role {
            id: new_id(),
            name: new.name,
            domain_id: new.domain_id.unwrap_or_default(),
            description: new.description.unwrap_or_default(),
            options: options_text(new.options),
        };
        self.db
            .write(move |c| {
                if !q::list_roles(c, Some(&role.name), role.domain())?.is_empty() {
                    return Err(Error::conflict(
                        "role",
                        format!("Duplicate entry found with name {}.", role.name),
                    ));
                }
                q::insert_role(c, &role)?;
                Ok(role)
            })
            .await
    }

    pub async fn get_role(&self, ctx: &AuthContext, id: String) -> Result<Role, Error> {
        policy::reader(ctx, "get_role")?;
        self.db
            .read(move |c| q::get_role(c, &id)?.ok_or_else(|| Error::not_found("role", id)))
            .await
    }

    pub async fn list_roles(
        &self,
        ctx: &AuthContext,
        name: Option<String>,
        domain_id: Option<String>,
    ) -> Result<Vec<Role>, Error> {
        policy::reader(ctx, "list_roles")?;
        self.db
            .read(move |c| Ok(q::list_roles(c, name.as_deref(), domain_id.as_deref())?))
            .await
    }

    pub async fn update_role(
        &self,
        ctx: &AuthContext,
        id: String,
        patch: RolePatch,
    ) -> Result<Role, Error> {
        policy::admin(ctx, "update_role")?;
        self.db
            .write(move |c| {
                let mut r = q::get_role(c, &id)?.ok_or_else(|| Error::not_found("role", &id))?;
                if let Some(name) = patch.name {
                    if name != r.name && !q::list_roles(c, Some(&name), r.domain())?.is_empty() {
                        return Err(Error::conflict(
                            "role",
                            format!("Duplicate entry found with name {name}."),
                        ));
                    }
                    r.name = name;
                }
                if let Some(d) = patch.description {
                    r.description = d;
                }
                if patch.options.is_some() {
                    r.options = options_text(patch.options);
                }
                q::update_role(c, &r)?;
                Ok(r)
            })
            .await
    }

    pub async fn delete_role(self: &Arc<Self>, ctx: &AuthContext, id: String) -> Result<(), Error> {
        policy::admin(ctx, "delete_role")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                q::get_role(c, &id)?.ok_or_else(|| Error::not_found("role", &id))?;
                let holders = q::list_assignments(
                    c,
                    &q::AssignmentFilter {
                        role_id: Some(id.clone()),
                        ..Default::default()
                    },
                )?;
                for a in holders {
                    this.revoke_for_actor(c, &a.kind, &a.actor_id)?;
                }
                q::delete_role(c, &id)?;
                Ok(())
            })
            .await
    }

    /// Revokes the tokens of a user, or of every member of a group.
    fn revoke_for_actor(
        &self,
        c: &mut AnyConnection,
        kind: &str,
        actor_id: &str,
    ) -> Result<(), Error> {
        if kind.starts_with("Group") {
            for user in users_q::user_ids_in_group(c, actor_id)? {
                self.revoke(c, user_event(&user))?;
            }
            return Ok(());
        }
        self.revoke(c, user_event(actor_id))
    }

    pub async fn create_implied_role(
        &self,
        ctx: &AuthContext,
        prior: String,
        implied: String,
    ) -> Result<(Role, Role), Error> {
        policy::admin(ctx, "create_implied_role")?;
        self.db
            .write(move |c| {
                let p = q::get_role(c, &prior)?.ok_or_else(|| Error::not_found("role", &prior))?;
                let i =
                    q::get_role(c, &implied)?.ok_or_else(|| Error::not_found("role", &implied))?;
                let reaches_back =
                    assignment::expand_implied(c, [implied.clone()].into())?.contains(&prior);
                if prior == implied || reaches_back {
                    return Err(Error::ForbiddenMessage(format!(
                        "{} -> {} would create a circular role implication.",
                        p.name, i.name
                    )));
                }
                if !q::implications(c)?.contains(&(prior.clone(), implied.clone())) {
                    q::add_implication(c, &prior, &implied)?;
                }
                Ok((p, i))
            })
            .await
    }

    pub async fn get_implied_role(
        &self,
        ctx: &AuthContext,
        prior: String,
        implied: String,
    ) -> Result<(Role, Role), Error> {
        policy::reader(ctx, "get_implied_role")?;
        self.db
            .read(move |c| {
                let p = q::get_role(c, &prior)?.ok_or_else(|| Error::not_found("role", &prior))?;
                let i =
                    q::get_role(c, &implied)?.ok_or_else(|| Error::not_found("role", &implied))?;
                if !q::implications(c)?.contains(&(prior.clone(), implied.clone())) {
                    return Err(Error::not_found(
                        "implied role",
                        format!("{prior} implies {implied}"),
                    ));
                }
                Ok((p, i))
            })
            .await
    }

    pub async fn list_implied_roles(
        &self,
        ctx: &AuthContext,
        prior: String,
    ) -> Result<(Role, Vec<Role>), Error> {
        policy::reader(ctx, "list_implied_roles")?;
        self.db
            .read(move |c| {
                let p = q::get_role(c, &prior)?.ok_or_else(|| Error::not_found("role", &prior))?;
                let mut implied = Vec::new();
                for (_, i) in q::implications(c)?.into_iter().filter(|(p, _)| *p == prior) {
                    if let Some(r) = q::get_role(c, &i)? {
                        implied.push(r);
                    }
                }
                Ok((p, implied))
            })
            .await
    }

    /// All `(prior, implied)` rules, for `GET /v3/role_inferences`.
    pub async fn list_role_inferences(
        &self,
        ctx: &AuthContext,
    ) -> Result<Vec<(Role, Vec<Role>)>, Error> {
        policy::reader(ctx, "list_role_inference_rules")?;
        self.db
            .read(move |c| {
                let roles = q::all_roles(c)?;
                let find = |id: &str| roles.iter().find(|r| r.id == id).cloned();
                let mut out: Vec<(Role, Vec<Role>)> = Vec::new();
                for (p, i) in q::implications(c)? {
                    let (Some(prior), Some(implied)) = (find(&p), find(&i)) else {
                        continue;
                    };
                    match out.iter_mut().find(|(r, _)| r.id == prior.id) {
                        Some((_, list)) => list.push(implied),
                        None => out.push((prior, vec![implied])),
                    }
                }
                Ok(out)
            })
            .await
    }

    pub async fn delete_implied_role(
        &self,
        ctx: &AuthContext,
        prior: String,
        implied: String,
    ) -> Result<(), Error> {
        policy::admin(ctx, "delete_implied_role")?;
        self.db
            .write(move |c| {
                if q::remove_implication(c, &prior, &implied)? == 0 {
                    return Err(Error::not_found(
                        "implied role",
                        format!("{prior} implies {implied}"),
                    ));
                }
                Ok(())
            })
            .await
    }

    pub async fn create_grant(&self, ctx: &AuthContext, grant: Grant) -> Result<(), Error> {
        policy::admin(ctx, "create_grant")?;
        self.db
            .write(move |c| {
                check_grant(c, &grant)?;
                Ok(q::insert_assignment(c, &grant.row())?)
            })
            .await
    }

    pub async fn check_grant(&self, ctx: &AuthContext, grant: Grant) -> Result<(), Error> {
        policy::reader(ctx, "check_grant")?;
        self.db
            .read(move |c| {
                check_grant(c, &grant)?;
                if !q::exists(c, &grant.row())? {
                    return Err(Error::not_found(
                        "role assignment",
                        format!("role {} for {}", grant.role_id, grant.actor_id),
                    ));
                }
                Ok(())
            })
            .await
    }

    pub async fn delete_grant(
        self: &Arc<Self>,
        ctx: &AuthContext,
        grant: Grant,
    ) -> Result<(), Error> {
        policy::admin(ctx, "revoke_grant")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                check_grant(c, &grant)?;
                let row = grant.row();
                if q::delete_assignment(c, &row)? == 0 {
                    return Err(Error::not_found(
                        "role assignment",
                        format!("role {} for {}", grant.role_id, grant.actor_id),
                    ));
                }
                match (&grant.actor, &grant.target, grant.inherited) {
                    (Actor::User, Target::Project(p), false) => this.revoke(
                        c,
                        RevocationEvent {
                            user_id: Some(grant.actor_id.clone()),
                            project_id: Some(p.clone()),
                            ..RevocationEvent::now()
                        },
                    ),
                    _ => this.revoke_for_actor(c, &row.kind, &row.actor_id),
                }
            })
            .await
    }

    /// The roles granted directly to an actor on a target (`GET .../roles`).
    pub async fn list_grants(
        &self,
        ctx: &AuthContext,
        actor: Actor,
        actor_id: String,
        target: Target,
        inherited: bool,
    ) -> Result<Vec<Role>, Error> {
        policy::reader(ctx, "list_grants")?;
        self.db
            .read(move |c| {
                let filter = q::AssignmentFilter {
                    kinds: Some(vec![target.kind(actor).to_owned()]),
                    actor_ids: Some(vec![actor_id]),
                    target_ids: Some(vec![target.id().to_owned()]),
                    inherited: Some(inherited),
                    ..Default::default()
                };
                let mut roles = Vec::new();
                for a in q::list_assignments(c, &filter)? {
                    if let Some(r) = q::get_role(c, &a.role_id)? {
                        roles.push(r);
                    }
                }
                Ok(roles)
            })
            .await
    }

    /// `GET /v3/role_assignments`: admins see all; others only their own.
    pub async fn list_role_assignments(
        &self,
        ctx: &AuthContext,
        query: AssignmentQuery,
    ) -> Result<Vec<RoleAssignment>, Error> {
        let own = query.user_id.as_deref() == Some(ctx.user_id());
        if !own {
            policy::reader(ctx, "list_role_assignments")?;
        }
        self.db
            .read(move |c| assignment::list_role_assignments(c, &query))
            .await
    }

    /// Whether the user holds any role on the system.
    pub async fn has_system_roles(&self, user_id: String) -> Result<bool, Error> {
        self.db
            .read(move |c| {
                Ok(!assignment::effective_roles(c, &user_id, &Target::System)?.is_empty())
            })
            .await
    }

    /// Names for `include_names`: of every user, group, project, domain and
    /// role the rows mention.
    pub async fn assignment_names(&self, rows: Vec<RoleAssignment>) -> Result<Names, Error> {
        self.db
            .read(move |c| {
                let mut names = Names::default();
                for r in &rows {
                    match r.actor {
                        Actor::User if !names.actors.contains_key(&r.actor_id) => {
                            if let Some(u) = users_q::get_user(c, &r.actor_id)? {
                                names.actors.insert(u.id, (u.name, u.domain_id));
                            }
                        }
                        Actor::Group if !names.actors.contains_key(&r.actor_id) => {
                            if let Some(g) = users_q::get_group(c, &r.actor_id)? {
                                names.actors.insert(g.id, (g.name, g.domain_id));
                            }
                        }
                        _ => {}
                    }
                    if let Target::Project(p) = &r.target {
                        if !names.projects.contains_key(p) {
                            if let Some(p) = res_q::get_project(c, p)? {
                                names.projects.insert(p.id, (p.name, p.domain_id));
                            }
                        }
                    }
                    if !names.roles.contains_key(&r.role_id) {
                        if let Some(role) = q::get_role(c, &r.role_id)? {
                            names.roles.insert(role.id, (role.name, role.domain_id));
                        }
                    }
                }
                let domain_ids: Vec<String> = names
                    .actors
                    .values()
                    .chain(names.projects.values())
                    .map(|(_, d)| d.clone())
                    .chain(rows.iter().filter_map(|r| match &r.target {
                        Target::Domain(d) => Some(d.clone()),
                        _ => None,
                    }))
                    .collect();
                for d in domain_ids {
                    if !names.domains.contains_key(&d) {
                        if let Some(dom) = res_q::get_domain(c, &d)? {
                            names.domains.insert(dom.id, dom.name);
                        }
                    }
                }
                Ok(names)
            })
            .await
    }
}

/// Names of what role assignments mention: `id -> (name, domain id)`.
#[derive(Debug, Default)]
pub struct Names {
    pub actors: std::collections::HashMap<String, (String, String)>,
    pub projects: std::collections::HashMap<String, (String, String)>,
    pub roles: std::collections::HashMap<String, (String, String)>,
    pub domains: std::collections::HashMap<String, String>,
}
