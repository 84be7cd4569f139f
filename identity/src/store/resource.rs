//! Domains, projects and project tags.

use super::models::{Domain, Project};
use super::schema::{domains, project_tags, projects};
use super::{AnyConnection, StoreError};
use diesel::prelude::*;
use std::collections::HashMap;

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn get_domain(c: &mut Conn, id: &str) -> R<Option<Domain>> {
    Ok(domains::table
        .find(id)
        .select(Domain::as_select())
        .first(c)
        .optional()?)
}

pub fn find_domain_by_name(c: &mut Conn, name: &str) -> R<Option<Domain>> {
    Ok(domains::table
        .filter(domains::name.eq(name))
        .select(Domain::as_select())
        .first(c)
        .optional()?)
}

pub fn list_domains(c: &mut Conn, name: Option<&str>, enabled: Option<bool>) -> R<Vec<Domain>> {
    let mut q = domains::table
        .select(Domain::as_select())
        .order(domains::name)
        .into_boxed();
    if let Some(name) = name {
        q = q.filter(domains::name.eq(name.to_owned()));
    }
    if let Some(enabled) = enabled {
        q = q.filter(domains::enabled.eq(enabled));
    }
    Ok(q.load(c)?)
}

pub fn insert_domain(c: &mut Conn, d: &Domain) -> R<()> {
    diesel::insert_into(domains::table).values(d).execute(c)?;
    Ok(())
}

pub fn update_domain(c: &mut Conn, d: &Domain) -> R<()> {
    diesel::update(domains::table.find(&d.id))
        .set(d)
        .execute(c)?;
    Ok(())
}

pub fn delete_domain(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(domains::table.find(id)).execute(c)?;
    Ok(())
}

pub fn get_project(c: &mut Conn, id: &str) -> R<Option<Project>> {
    Ok(projects::table
        .find(id)
        .select(Project::as_select())
        .first(c)
        .optional()?)
}

pub fn find_project_by_name(c: &mut Conn, domain_id: &str, name: &str) -> R<Option<Project>> {
    Ok(projects::table
        .filter(projects::domain_id.eq(domain_id))
        .filter(projects::name.eq(name))
        .select(Project::as_select())
        .first(c)
        .optional()?)
}

#[derive(Debug, Default, Clone)]
pub struct ProjectFilter {
    pub domain_id: Option<String>,
    pub name: Option<String>,
    pub parent_id: Option<String>,
    pub enabled: Option<bool>,
    pub ids: Option<Vec<String>>,
}

pub fn list_projects(c: &mut Conn, f: &ProjectFilter) -> R<Vec<Project>> {
    let mut q = projects::table
        .select(Project::as_select())
        .order(projects::name)
        .into_boxed();
    if let Some(v) = &f.domain_id {
        q = q.filter(projects::domain_id.eq(v.clone()));
    }
    if let Some(v) = &f.name {
        q = q.filter(projects::name.eq(v.clone()));
    }
    if let Some(v) = &f.parent_id {
        q = q.filter(projects::parent_id.eq(v.clone()));
    }
    if let Some(v) = f.enabled {
        q = q.filter(projects::enabled.eq(v));
    }
    if let Some(ids) = &f.ids {
        q = q.filter(projects::id.eq_any(ids.clone()));
    }
    Ok(q.load(c)?)
}

pub fn insert_project(c: &mut Conn, p: &Project) -> R<()> {
    diesel::insert_into(projects::table).values(p).execute(c)?;
    Ok(())
}

pub fn update_project(c: &mut Conn, p: &Project) -> R<()> {
    diesel::update(projects::table.find(&p.id))
        .set(p)
        .execute(c)?;
    Ok(())
}

pub fn delete_project(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(project_tags::table.filter(project_tags::project_id.eq(id))).execute(c)?;
    diesel::delete(projects::table.find(id)).execute(c)?;
    Ok(())
}

pub fn count_children(c: &mut Conn, id: &str) -> R<i64> {
    Ok(projects::table
        .filter(projects::parent_id.eq(id))
        .count()
        .get_result(c)?)
}

pub fn tags_of(c: &mut Conn, project_ids: &[String]) -> R<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = project_tags::table
        .filter(project_tags::project_id.eq_any(project_ids))
        .select((project_tags::project_id, project_tags::name))
        .order(project_tags::name)
        .load(c)?;
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (pid, tag) in rows {
        map.entry(pid).or_default().push(tag);
    }
    Ok(map)
}

pub fn set_tags(c: &mut Conn, project_id: &str, tags: &[String]) -> R<()> {
    diesel::delete(project_tags::table.filter(project_tags::project_id.eq(project_id)))
        .execute(c)?;
    for tag in tags {
        diesel::insert_into(project_tags::table)
            .values((
                project_tags::project_id.eq(project_id),
                project_tags::name.eq(tag),
            ))
            .execute(c)?;
    }
    Ok(())
}
