//! Server groups (`os-server-groups`): instances booted with the `group`
//! scheduler hint join the group, and its policy constrains where they go.
//! `affinity` and `anti-affinity` are filters; the soft policies (2.15)
//! are accepted and recorded but, lacking their weighers, do not steer
//! placement yet. `max_server_per_host` (2.64) is recorded, not enforced.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::models::ServerGroupRow;
use crate::store::{self, Conn};
use serde_json::{Map, Value};

pub const POLICIES: &[&str] = &["affinity", "anti-affinity"];
pub const SOFT_POLICIES: &[&str] = &["soft-affinity", "soft-anti-affinity"];

#[derive(Debug, Clone)]
pub struct ServerGroup {
    pub row: ServerGroupRow,
    pub rules: Map<String, Value>,
    /// Live instances in the group.
    pub members: Vec<String>,
}

fn not_found(id: &str) -> Error {
    Error::NotFound(format!("Instance group {id} could not be found."))
}

fn expand(c: &mut Conn, row: ServerGroupRow) -> Result<ServerGroup> {
    let mut members = Vec::new();
    for id in store::server_groups::members(c, &row.id)? {
        if store::instances::get(c, &id)?.is_some_and(|i| i.deleted_at.is_none()) {
            members.push(id);
        }
    }
    Ok(ServerGroup {
        rules: serde_json::from_str(&row.rules).unwrap_or_default(),
        members,
        row,
    })
}

/// A group `ctx` may see, or 404.
pub fn visible(c: &mut Conn, ctx: &Context, id: &str) -> Result<ServerGroup> {
    match store::server_groups::get(c, id)? {
        Some(row) if ctx.owns(&row.project_id) => expand(c, row),
        _ => Err(not_found(id)),
    }
}

pub fn list(c: &mut Conn, ctx: &Context, all_projects: bool) -> Result<Vec<ServerGroup>> {
    let scope = (!(all_projects && ctx.is_admin)).then_some(ctx.project_id.as_str());
    let rows = store::server_groups::list(c, scope)?;
    rows.into_iter().map(|r| expand(c, r)).collect()
}

pub fn create(
    c: &mut Conn,
    ctx: &Context,
    name: &str,
    policy: &str,
    rules: Map<String, Value>,
) -> Result<ServerGroup> {
    let row = ServerGroupRow {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.to_owned(),
        project_id: ctx.project_id.clone(),
        user_id: ctx.user_id.clone(),
        policy: policy.to_owned(),
        rules: Value::Object(rules).to_string(),
        created_at: compat_api::time::now_us(),
    };
    store::server_groups::insert(c, &row)?;
    expand(c, row)
}

pub fn delete(c: &mut Conn, ctx: &Context, id: &str) -> Result<()> {
    let group = visible(c, ctx, id)?;
    store::server_groups::delete(c, &group.row.id)?;
    Ok(())
}

/// The hosts the group's live members are on.
pub fn member_hosts(c: &mut Conn, group_id: &str) -> Result<Vec<String>> {
    let mut hosts = Vec::new();
    for id in store::server_groups::members(c, group_id)? {
        let Some(row) = store::instances::get(c, &id)? else {
            continue;
        };
        if let (None, Some(h)) = (row.deleted_at, row.host) {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    Ok(hosts)
}
