//! Role resolution: which roles a user holds on a project, a domain or the
//! system, through direct grants, groups, inheritance and implied roles.

use crate::error::Error;
use crate::store::assignment::{self as q, AssignmentFilter};
use crate::store::models::{Assignment, Role};
use crate::store::{identity as users_q, resource as resource_q, AnyConnection};
use std::collections::{HashMap, HashSet};

pub const SYSTEM_TARGET: &str = "system";

/// Assignment kinds, as keystone names them.
pub mod kind {
    pub const USER_PROJECT: &str = "UserProject";
    pub const GROUP_PROJECT: &str = "GroupProject";
    pub const USER_DOMAIN: &str = "UserDomain";
    pub const GROUP_DOMAIN: &str = "GroupDomain";
    pub const USER_SYSTEM: &str = "UserSystem";
    pub const GROUP_SYSTEM: &str = "GroupSystem";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User,
    Group,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Project(String),
    Domain(String),
    System,
}

impl Target {
    pub fn id(&self) -> &str {
        match self {
            Target::Project(id) | Target::Domain(id) => id,
            Target::System => SYSTEM_TARGET,
        }
    }

    pub fn kind(&self, actor: Actor) -> &'static str {
        match (actor, self) {
            (Actor::User, Target::Project(_)) => kind::USER_PROJECT,
            (Actor::Group, Target::Project(_)) => kind::GROUP_PROJECT,
            (Actor::User, Target::Domain(_)) => kind::USER_DOMAIN,
            (Actor::Group, Target::Domain(_)) => kind::GROUP_DOMAIN,
            (Actor::User, Target::System) => kind::USER_SYSTEM,
            (Actor::Group, Target::System) => kind::GROUP_SYSTEM,
        }
    }
}

/// The project and its ancestors, nearest first (the project itself excluded).
pub fn ancestors(c: &mut AnyConnection, project_id: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let mut current = resource_q::get_project(c, project_id)?.and_then(|p| p.parent_id);
    while let Some(id) = current {
        if out.contains(&id) || out.len() > 64 {
            break;
        }
        current = resource_q::get_project(c, &id)?.and_then(|p| p.parent_id);
        out.push(id);
    }
    Ok(out)
}

/// Expands role ids with everything they imply, transitively.
pub fn expand_implied(
    c: &mut AnyConnection,
    role_ids: HashSet<String>,
) -> Result<HashSet<String>, Error> {
    let implications = q::implications(c)?;
    Ok(expand_with(&implications, role_ids))
}

fn expand_with(implications: &[(String, String)], mut roles: HashSet<String>) -> HashSet<String> {
    let mut queue: Vec<String> = roles.iter().cloned().collect();
    while let Some(role) = queue.pop() {
        for (_, implied) in implications.iter().filter(|(p, _)| *p == role) {
            if roles.insert(implied.clone()) {
                queue.push(implied.clone());
            }
        }
    }
    roles
}

/// The roles `user_id` holds on `target`, implied roles included, sorted by name.
pub fn effective_roles(
    c: &mut AnyConnection,
    user_id: &str,
    target: &Target,
) -> Result<Vec<Role>, Error> {
    let mut actors = users_q::group_ids_of_user(c, user_id)?;
    actors.push(user_id.to_owned());
    let mut direct = AssignmentFilter {
        actor_ids: Some(actors.clone()),
        ..Default::default()
    };
    let mut role_ids: HashSet<String> = HashSet::new();
    match target {
        Target::System | Target::Domain(_) => {
            direct.target_ids = Some(vec![target.id().to_owned()]);
            direct.inherited = Some(false);
            role_ids.extend(
                q::list_assignments(c, &direct)?
                    .into_iter()
                    .map(|a| a.role_id),
            );
        }
        Target::Project(project_id) => {
            direct.target_ids = Some(vec![project_id.clone()]);
            direct.inherited = Some(false);
            direct.kinds = Some(vec![kind::USER_PROJECT.into(), kind::GROUP_PROJECT.into()]);
            role_ids.extend(
                q::list_assignments(c, &direct)?
                    .into_iter()
                    .map(|a| a.role_id),
            );
            // Inherited grants on the domain and on every ancestor project.
            let mut sources = ancestors(c, project_id)?;
            if let Some(p) = resource_q::get_project(c, project_id)? {
                sources.push(p.domain_id);
            }
            let inherited = AssignmentFilter {
                actor_ids: Some(actors),
                target_ids: Some(sources),
                inherited: Some(true),
                ..Default::default()
            };
            role_ids.extend(
                q::list_assignments(c, &inherited)?
                    .into_iter()
                    .map(|a| a.role_id),
            );
        }
    }
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    let role_ids = expand_implied(c, role_ids)?;
    // Domain-specific roles only carry the roles they imply, as upstream.
    let mut roles: Vec<Role> = q::all_roles(c)?
        .into_iter()
        .filter(|r| role_ids.contains(&r.id) && r.domain().is_none())
        .collect();
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(roles)
}

/// Projects on which the user holds any role (directly, by group or inherited).
pub fn projects_of_user(c: &mut AnyConnection, user_id: &str) -> Result<Vec<String>, Error> {
    let mut actors = users_q::group_ids_of_user(c, user_id)?;
    actors.push(user_id.to_owned());
    let all = q::list_assignments(
        c,
        &AssignmentFilter {
            actor_ids: Some(actors),
            ..Default::default()
        },
    )?;
    let mut projects: HashSet<String> = HashSet::new();
    for a in &all {
        match a.kind.as_str() {
            kind::USER_PROJECT | kind::GROUP_PROJECT => {
                projects.insert(a.target_id.clone());
                if a.inherited {
                    projects.extend(descendants(c, &a.target_id)?);
                }
            }
            kind::USER_DOMAIN | kind::GROUP_DOMAIN if a.inherited => {
                let f = resource_q::ProjectFilter {
                    domain_id: Some(a.target_id.clone()),
                    ..Default::default()
                };
                projects.extend(resource_q::list_projects(c, &f)?.into_iter().map(|p| p.id));
            }
            _ => {}
        }
    }
    let mut out: Vec<String> = projects.into_iter().collect();
    out.sort();
    Ok(out)
}

/// Domains on which the user holds a (non-inherited) role.
pub fn domains_of_user(c: &mut AnyConnection, user_id: &str) -> Result<Vec<String>, Error> {
    let mut actors = users_q::group_ids_of_user(c, user_id)?;
    actors.push(user_id.to_owned());
    let f = AssignmentFilter {
        actor_ids: Some(actors),
        kinds: Some(vec![kind::USER_DOMAIN.into(), kind::GROUP_DOMAIN.into()]),
        inherited: Some(false),
        ..Default::default()
    };
    let mut out: Vec<String> = q::list_assignments(c, &f)?
        .into_iter()
        .map(|a| a.target_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    out.sort();
    Ok(out)
}

fn descendants(c: &mut AnyConnection, project_id: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let mut queue = vec![project_id.to_owned()];
    while let Some(id) = queue.pop() {
        let f = resource_q::ProjectFilter {
            parent_id: Some(id),
            ..Default::default()
        };
        for child in resource_q::list_projects(c, &f)? {
            if !out.contains(&child.id) {
                queue.push(child.id.clone());
                out.push(child.id);
            }
        }
    }
    Ok(out)
}

/// One row of `GET /v3/role_assignments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub actor: Actor,
    pub actor_id: String,
    pub target: Target,
    pub role_id: String,
    pub inherited: bool,
}

fn decode(a: Assignment) -> Option<RoleAssignment> {
    let (actor, target) = match a.kind.as_str() {
        kind::USER_PROJECT => (Actor::User, Target::Project(a.target_id)),
        kind::GROUP_PROJECT => (Actor::Group, Target::Project(a.target_id)),
        kind::USER_DOMAIN => (Actor::User, Target::Domain(a.target_id)),
        kind::GROUP_DOMAIN => (Actor::Group, Target::Domain(a.target_id)),
        kind::USER_SYSTEM => (Actor::User, Target::System),
        kind::GROUP_SYSTEM => (Actor::Group, Target::System),
        _ => return None,
    };
    Some(RoleAssignment {
        actor,
        actor_id: a.actor_id,
        target,
        role_id: a.role_id,
        inherited: a.inherited,
    })
}

#[derive(Debug, Default, Clone)]
pub struct AssignmentQuery {
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub role_id: Option<String>,
    pub project_id: Option<String>,
    pub domain_id: Option<String>,
    pub system: bool,
    pub inherited: Option<bool>,
    pub effective: bool,
}

/// `GET /v3/role_assignments`. With `effective`, group grants become grants
/// to each member, inherited grants land on the projects that inherit them,
/// and implied roles are listed too.
pub fn list_role_assignments(
    c: &mut AnyConnection,
    qy: &AssignmentQuery,
) -> Result<Vec<RoleAssignment>, Error> {
    let mut rows: Vec<RoleAssignment> = q::list_assignments(c, &AssignmentFilter::default())?
        .into_iter()
        .filter_map(decode)
        .collect();
    if qy.effective {
        rows = effective_rows(c, rows)?;
    }
    rows.retain(|r| matches(r, qy));
    rows.sort_by(|a, b| {
        (&a.actor_id, a.target.id(), &a.role_id).cmp(&(&b.actor_id, b.target.id(), &b.role_id))
    });
    rows.dedup();
    Ok(rows)
}

fn matches(r: &RoleAssignment, qy: &AssignmentQuery) -> bool {
    let actor_ok = match (&qy.user_id, &qy.group_id) {
        (Some(u), _) => r.actor == Actor::User && &r.actor_id == u,
        (None, Some(g)) => r.actor == Actor::Group && &r.actor_id == g,
        _ => true,
    };
    let target_ok = match (&qy.project_id, &qy.domain_id, qy.system) {
        (Some(p), _, _) => r.target == Target::Project(p.clone()),
        (None, Some(d), _) => r.target == Target::Domain(d.clone()),
        (None, None, true) => r.target == Target::System,
        _ => true,
    };
    actor_ok
        && target_ok
        && qy.role_id.as_ref().is_none_or(|id| &r.role_id == id)
        && qy.inherited.is_none_or(|i| r.inherited == i)
}

fn effective_rows(
    c: &mut AnyConnection,
    rows: Vec<RoleAssignment>,
) -> Result<Vec<RoleAssignment>, Error> {
    let implications = q::implications(c)?;
    let domain_roles: HashSet<String> = q::all_roles(c)?
        .into_iter()
        .filter(|r| r.domain().is_some())
        .map(|r| r.id)
        .collect();
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    let mut out = Vec::new();
    for row in rows {
        let users = match row.actor {
            Actor::User => vec![row.actor_id.clone()],
            Actor::Group => members
                .entry(row.actor_id.clone())
                .or_insert(users_q::user_ids_in_group(c, &row.actor_id)?)
                .clone(),
        };
        let targets = if row.inherited {
            inheriting_projects(c, &row.target)?
        } else {
            vec![row.target.clone()]
        };
        let mut role_ids = expand_with(&implications, HashSet::from([row.role_id.clone()]));
        role_ids.retain(|r| !domain_roles.contains(r));
        for user in &users {
            for target in &targets {
                for role in &role_ids {
                    out.push(RoleAssignment {
                        actor: Actor::User,
                        actor_id: user.clone(),
                        target: target.clone(),
                        role_id: role.clone(),
                        inherited: false,
                    });
                }
            }
        }
    }
    Ok(out)
}

fn inheriting_projects(c: &mut AnyConnection, target: &Target) -> Result<Vec<Target>, Error> {
    let ids = match target {
        Target::Domain(d) => {
            let f = resource_q::ProjectFilter {
                domain_id: Some(d.clone()),
                ..Default::default()
            };
            resource_q::list_projects(c, &f)?
                .into_iter()
                .map(|p| p.id)
                .collect()
        }
        Target::Project(p) => descendants(c, p)?,
        Target::System => Vec::new(),
    };
    Ok(ids.into_iter().map(Target::Project).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_roles_expand_transitively() {
        let imp = vec![
            ("admin".to_string(), "member".to_string()),
            ("member".into(), "reader".into()),
        ];
        let out = expand_with(&imp, HashSet::from(["admin".to_string()]));
        assert_eq!(out.len(), 3);
        let out = expand_with(&imp, HashSet::from(["reader".to_string()]));
        assert_eq!(out.len(), 1);
    }
}
