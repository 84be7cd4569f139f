//! Domains and projects: the rules around them (names unique per domain,
//! hierarchy, what may be deleted, which tokens a change revokes).

use crate::error::Error;
use crate::policy;
use crate::store::models::{Domain, Project};
use crate::store::{
    app_creds as ac_q, assignment as assign_q, identity as users_q, new_id, resource as q,
    AnyConnection,
};
use crate::Identity;
use compat_api::auth::RevocationEvent;
use compat_api::time::now_us;
use compat_api::AuthContext;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
pub struct NewDomain {
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub options: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DomainPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub options: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewProject {
    pub name: String,
    #[serde(default)]
    pub domain_id: Option<String>,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub is_domain: Option<bool>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub options: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProjectPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub options: Option<Value>,
}

/// A project with its tags, as the API shows it.
#[derive(Debug, Clone)]
pub struct ProjectView {
    pub project: Project,
    pub tags: Vec<String>,
}

/// Options as stored: a JSON object (anything else becomes `{}`).
pub(crate) fn options_text(options: Option<Value>) -> String {
    options
        .filter(|v| v.is_object())
        .unwrap_or_else(|| serde_json::json!({}))
        .to_string()
}

pub(crate) fn validate_tags(tags: &[String]) -> Result<(), Error> {
    if tags.len() > 80 {
        return Err(Error::Validation(
            "Invalid input for field 'tags': at most 80 tags.".into(),
        ));
    }
    for t in tags {
        if t.is_empty() || t.chars().count() > 255 || t.contains('/') || t.contains(',') {
            return Err(Error::Validation(format!(
                "Invalid input for field 'tags': '{t}' must be 1 to 255 characters without '/' or ','."
            )));
        }
    }
    Ok(())
}

fn domain_event(domain_id: &str) -> RevocationEvent {
    RevocationEvent {
        domain_id: Some(domain_id.to_owned()),
        ..RevocationEvent::now()
    }
}

fn project_event(project_id: &str) -> RevocationEvent {
    RevocationEvent {
        project_id: Some(project_id.to_owned()),
        ..RevocationEvent::now()
    }
}

/// Deleting a domain deletes what it owns, as upstream: its projects, users,
/// groups and domain-specific roles, with their grants. The caller revokes
/// the domain's tokens, which covers every token of its users and projects.
fn delete_domain_contents(c: &mut AnyConnection, domain_id: &str) -> Result<(), Error> {
    let in_domain = q::ProjectFilter {
        domain_id: Some(domain_id.to_owned()),
        ..Default::default()
    };
    for p in q::list_projects(c, &in_domain)? {
        assign_q::delete_for(c, &p.id)?;
        q::delete_project(c, &p.id)?;
    }
    for u in users_q::list_users(c, Some(domain_id), None, None)? {
        for ac in ac_q::ids_for(c, &u.id, None)? {
            ac_q::delete(c, &ac)?;
        }
        ac_q::delete_credentials_of_user(c, &u.id)?;
        assign_q::delete_for(c, &u.id)?;
        users_q::delete_user(c, &u.id)?;
    }
    for g in users_q::list_groups(c, Some(domain_id), None)? {
        assign_q::delete_for(c, &g.id)?;
        users_q::delete_group(c, &g.id)?;
    }
    for r in assign_q::list_roles(c, None, Some(domain_id))? {
        assign_q::delete_role(c, &r.id)?;
    }
    Ok(())
}

impl Identity {
    pub async fn create_domain(
        self: &Arc<Self>,
        ctx: &AuthContext,
        new: NewDomain,
    ) -> Result<Domain, Error> {
        policy::admin(ctx, "create_domain")?;
        let domain = Domain {
            id: new.id.unwrap_or_else(new_id),
            name: new.name.clone(),
            description: new.description.unwrap_or_default(),
            enabled: new.enabled.unwrap_or(true),
            options: options_text(new.options),
            created_at: now_us(),
        };
        let detail = format!("Duplicate entry found with name {}.", new.name);
        self.db
            .write(move |c| {
                if q::find_domain_by_name(c, &domain.name)?.is_some() {
                    return Err(Error::conflict("domain", detail));
                }
                q::insert_domain(c, &domain)?;
                Ok(domain)
            })
            .await
    }

    pub async fn get_domain(&self, ctx: &AuthContext, id: String) -> Result<Domain, Error> {
        policy::get_domain(ctx, &id)?;
        self.db
            .read(move |c| q::get_domain(c, &id)?.ok_or_else(|| Error::not_found("domain", id)))
            .await
    }

    pub async fn list_domains(
        &self,
        ctx: &AuthContext,
        name: Option<String>,
        enabled: Option<bool>,
    ) -> Result<Vec<Domain>, Error> {
        let mut domains = self
            .db
            .read(move |c| q::list_domains(c, name.as_deref(), enabled))
            .await?;
        if !ctx.is_system_reader() {
            let own = ctx.scope_domain_id().map(str::to_owned);
            domains.retain(|d| Some(&d.id) == own.as_ref());
        }
        Ok(domains)
    }

    pub async fn update_domain(
        self: &Arc<Self>,
        ctx: &AuthContext,
        id: String,
        patch: DomainPatch,
    ) -> Result<Domain, Error> {
        policy::admin(ctx, "update_domain")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                let mut d =
                    q::get_domain(c, &id)?.ok_or_else(|| Error::not_found("domain", &id))?;
                let disabling = d.enabled && patch.enabled == Some(false);
                if let Some(name) = patch.name {
                    if name != d.name && q::find_domain_by_name(c, &name)?.is_some() {
                        return Err(Error::conflict(
                            "domain",
                            format!("Duplicate entry found with name {name}."),
                        ));
                    }
                    d.name = name;
                }
                if let Some(v) = patch.description {
                    d.description = v;
                }
                if let Some(v) = patch.enabled {
                    d.enabled = v;
                }
                if patch.options.is_some() {
                    d.options = options_text(patch.options);
                }
                q::update_domain(c, &d)?;
                if disabling {
                    this.revoke(c, domain_event(&d.id))?;
                }
                Ok(d)
            })
            .await
    }

    pub async fn delete_domain(
        self: &Arc<Self>,
        ctx: &AuthContext,
        id: String,
    ) -> Result<(), Error> {
        policy::admin(ctx, "delete_domain")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                let d = q::get_domain(c, &id)?.ok_or_else(|| Error::not_found("domain", &id))?;
                if d.enabled {
                    return Err(Error::ForbiddenMessage(
                        "Cannot delete a domain that is enabled, please disable it first.".into(),
                    ));
                }
                delete_domain_contents(c, &id)?;
                assign_q::delete_for(c, &id)?;
                q::delete_domain(c, &id)?;
                this.revoke(c, domain_event(&id))
            })
            .await
    }

    pub async fn create_project(
        self: &Arc<Self>,
        ctx: &AuthContext,
        new: NewProject,
    ) -> Result<ProjectView, Error> {
        policy::admin(ctx, "create_project")?;
        if new.is_domain == Some(true) {
            return Err(Error::Validation(
                "Projects acting as domains are not supported; create a domain.".into(),
            ));
        }
        let tags = new.tags.clone().unwrap_or_default();
        validate_tags(&tags)?;
        let default_domain = ctx
            .scope_domain_id()
            .unwrap_or(&self.conf.default_domain_id)
            .to_owned();
        self.db
            .write(move |c| {
                let domain_id = match (&new.domain_id, &new.parent_id) {
                    (Some(d), _) => d.clone(),
                    (None, Some(p)) => {
                        q::get_project(c, p)?
                            .ok_or_else(|| {
                                Error::Validation(format!("Could not find parent project: {p}."))
                            })?
                            .domain_id
                    }
                    (None, None) => default_domain,
                };
                if q::get_domain(c, &domain_id)?.is_none() {
                    return Err(Error::Validation(format!(
                        "Could not find domain: {domain_id}."
                    )));
                }
                if let Some(parent) = &new.parent_id {
                    let p = q::get_project(c, parent)?.ok_or_else(|| {
                        Error::Validation(format!("Could not find parent project: {parent}."))
                    })?;
                    if p.domain_id != domain_id {
                        return Err(Error::Validation(
                            "The parent project is in another domain.".into(),
                        ));
                    }
                }
                if q::find_project_by_name(c, &domain_id, &new.name)?.is_some() {
                    return Err(Error::conflict(
                        "project",
                        format!(
                            "Duplicate entry found with name {} at domain ID {domain_id}.",
                            new.name
                        ),
                    ));
                }
                let project = Project {
                    id: new_id(),
                    name: new.name,
                    domain_id,
                    parent_id: new.parent_id,
                    description: new.description.unwrap_or_default(),
                    enabled: new.enabled.unwrap_or(true),
                    options: options_text(new.options),
                    created_at: now_us(),
                };
                q::insert_project(c, &project)?;
                q::set_tags(c, &project.id, &tags)?;
                Ok(ProjectView { project, tags })
            })
            .await
    }

    pub async fn get_project(&self, ctx: &AuthContext, id: String) -> Result<ProjectView, Error> {
        policy::get_project(ctx, &id)?;
        self.db
            .read(move |c| {
                let project =
                    q::get_project(c, &id)?.ok_or_else(|| Error::not_found("project", &id))?;
                let tags = q::tags_of(c, std::slice::from_ref(&project.id))?
                    .remove(&project.id)
                    .unwrap_or_default();
                Ok(ProjectView { project, tags })
            })
            .await
    }

    /// Lists projects; `tags`/`tags_any`/`not_tags`/`not_tags_any` filter on tags.
    pub async fn list_projects(
        &self,
        ctx: &AuthContext,
        filter: q::ProjectFilter,
        tags: TagFilter,
    ) -> Result<Vec<ProjectView>, Error> {
        // Readers see every project; a domain-scoped token lists its
        // domain's; anybody else asks /v3/auth/projects, as upstream.
        let mut filter = filter;
        if !ctx.is_system_reader() {
            match &ctx.claims.domain {
                Some(d) => filter.domain_id = Some(d.id.clone()),
                None => return Err(Error::Forbidden("identity:list_projects".into())),
            }
        }
        self.db
            .read(move |c| {
                let projects = q::list_projects(c, &filter)?;
                let ids: Vec<String> = projects.iter().map(|p| p.id.clone()).collect();
                let mut all_tags = q::tags_of(c, &ids)?;
                Ok(projects
                    .into_iter()
                    .map(|p| {
                        let tags = all_tags.remove(&p.id).unwrap_or_default();
                        ProjectView { project: p, tags }
                    })
                    .filter(|v| tags.matches(&v.tags))
                    .collect())
            })
            .await
    }

    pub async fn update_project(
        self: &Arc<Self>,
        ctx: &AuthContext,
        id: String,
        patch: ProjectPatch,
    ) -> Result<ProjectView, Error> {
        policy::admin(ctx, "update_project")?;
        if let Some(tags) = &patch.tags {
            validate_tags(tags)?;
        }
        let this = self.clone();
        self.db
            .write(move |c| {
                let mut p =
                    q::get_project(c, &id)?.ok_or_else(|| Error::not_found("project", &id))?;
                let disabling = p.enabled && patch.enabled == Some(false);
                if let Some(name) = patch.name {
                    if name != p.name && q::find_project_by_name(c, &p.domain_id, &name)?.is_some()
                    {
                        return Err(Error::conflict(
                            "project",
                            format!(
                                "Duplicate entry found with name {name} at domain ID {}.",
                                p.domain_id
                            ),
                        ));
                    }
                    p.name = name;
                }
                if let Some(v) = patch.description {
                    p.description = v;
                }
                if let Some(v) = patch.enabled {
                    p.enabled = v;
                }
                if patch.options.is_some() {
                    p.options = options_text(patch.options);
                }
                q::update_project(c, &p)?;
                if let Some(tags) = &patch.tags {
                    q::set_tags(c, &p.id, tags)?;
                }
                if disabling {
                    this.revoke(c, project_event(&p.id))?;
                }
                let tags = q::tags_of(c, std::slice::from_ref(&p.id))?
                    .remove(&p.id)
                    .unwrap_or_default();
                Ok(ProjectView { project: p, tags })
            })
            .await
    }

    pub async fn delete_project(
        self: &Arc<Self>,
        ctx: &AuthContext,
        id: String,
    ) -> Result<(), Error> {
        policy::admin(ctx, "delete_project")?;
        let this = self.clone();
        self.db
            .write(move |c| {
                q::get_project(c, &id)?.ok_or_else(|| Error::not_found("project", &id))?;
                if q::count_children(c, &id)? > 0 {
                    return Err(Error::ForbiddenMessage(format!(
                        "Cannot delete the project {id} since it is not a leaf in the hierarchy."
                    )));
                }
                assign_q::delete_for(c, &id)?;
                q::delete_project(c, &id)?;
                this.revoke(c, project_event(&id))
            })
            .await
    }

    /// Project tags: `PUT/DELETE /v3/projects/{id}/tags[/{tag}]`.
    pub async fn edit_project_tags(
        self: &Arc<Self>,
        ctx: &AuthContext,
        id: String,
        edit: impl FnOnce(&mut Vec<String>) -> Result<(), Error> + Send + 'static,
    ) -> Result<Vec<String>, Error> {
        policy::admin(ctx, "update_project_tags")?;
        self.db
            .write(move |c| {
                q::get_project(c, &id)?.ok_or_else(|| Error::not_found("project", &id))?;
                let mut tags = q::tags_of(c, std::slice::from_ref(&id))?
                    .remove(&id)
                    .unwrap_or_default();
                edit(&mut tags)?;
                validate_tags(&tags)?;
                q::set_tags(c, &id, &tags)?;
                Ok(tags)
            })
            .await
    }

    /// `GET /v3/users/{id}/projects` and `GET /v3/auth/projects`.
    pub async fn projects_of_user(&self, user_id: String) -> Result<Vec<ProjectView>, Error> {
        self.db
            .read(move |c| {
                let ids = crate::assignment::projects_of_user(c, &user_id)?;
                let filter = q::ProjectFilter {
                    ids: Some(ids.clone()),
                    enabled: Some(true),
                    ..Default::default()
                };
                let projects = q::list_projects(c, &filter)?;
                let mut tags = q::tags_of(c, &ids)?;
                Ok(projects
                    .into_iter()
                    .map(|p| {
                        let t = tags.remove(&p.id).unwrap_or_default();
                        ProjectView {
                            project: p,
                            tags: t,
                        }
                    })
                    .collect())
            })
            .await
    }

    /// `GET /v3/auth/domains`.
    pub async fn domains_of_user(&self, user_id: String) -> Result<Vec<Domain>, Error> {
        self.db
            .read(move |c| {
                let ids = crate::assignment::domains_of_user(c, &user_id)?;
                let mut out = Vec::new();
                for id in ids {
                    if let Some(d) = q::get_domain(c, &id)?.filter(|d| d.enabled) {
                        out.push(d);
                    }
                }
                Ok(out)
            })
            .await
    }
}

/// Keystone's tag filters on project lists.
#[derive(Debug, Default, Clone)]
pub struct TagFilter {
    pub tags: Vec<String>,
    pub tags_any: Vec<String>,
    pub not_tags: Vec<String>,
    pub not_tags_any: Vec<String>,
}

impl TagFilter {
    pub fn matches(&self, tags: &[String]) -> bool {
        let has = |t: &String| tags.contains(t);
        (self.tags.is_empty() || self.tags.iter().all(has))
            && (self.tags_any.is_empty() || self.tags_any.iter().any(has))
            && (self.not_tags.is_empty() || !self.not_tags.iter().all(has))
            && (self.not_tags_any.is_empty() || !self.not_tags_any.iter().any(has))
    }
}
