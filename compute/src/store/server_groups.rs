//! Server groups and their members.

use super::models::ServerGroupRow;
use super::schema::{server_group_members, server_groups};
use super::{Conn, R};
use diesel::prelude::*;

pub fn get(c: &mut Conn, id: &str) -> R<Option<ServerGroupRow>> {
    Ok(server_groups::table
        .find(id)
        .select(ServerGroupRow::as_select())
        .first(c)
        .optional()?)
}

/// All groups, or a project's.
pub fn list(c: &mut Conn, project_id: Option<&str>) -> R<Vec<ServerGroupRow>> {
    let mut q = server_groups::table.into_boxed();
    if let Some(p) = project_id {
        q = q.filter(server_groups::project_id.eq(p.to_owned()));
    }
    Ok(q.order((server_groups::created_at, server_groups::id))
        .select(ServerGroupRow::as_select())
        .load(c)?)
}

pub fn insert(c: &mut Conn, row: &ServerGroupRow) -> R<()> {
    diesel::insert_into(server_groups::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn delete(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(server_group_members::table.filter(server_group_members::group_id.eq(id)))
        .execute(c)?;
    diesel::delete(server_groups::table.find(id)).execute(c)?;
    Ok(())
}

pub fn members(c: &mut Conn, group_id: &str) -> R<Vec<String>> {
    Ok(server_group_members::table
        .filter(server_group_members::group_id.eq(group_id))
        .select(server_group_members::instance_id)
        .order(server_group_members::instance_id)
        .load(c)?)
}

pub fn add_member(c: &mut Conn, group_id: &str, instance_id: &str) -> R<()> {
    diesel::insert_into(server_group_members::table)
        .values((
            server_group_members::group_id.eq(group_id),
            server_group_members::instance_id.eq(instance_id),
        ))
        .execute(c)?;
    Ok(())
}

/// Takes a deleted instance out of its groups.
pub fn remove_instance(c: &mut Conn, instance_id: &str) -> R<()> {
    diesel::delete(
        server_group_members::table.filter(server_group_members::instance_id.eq(instance_id)),
    )
    .execute(c)?;
    Ok(())
}

/// The group an instance belongs to, if any.
pub fn of_instance(c: &mut Conn, instance_id: &str) -> R<Option<String>> {
    Ok(server_group_members::table
        .filter(server_group_members::instance_id.eq(instance_id))
        .select(server_group_members::group_id)
        .first(c)
        .optional()?)
}
