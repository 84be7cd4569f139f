//! Per-project quota overrides (defaults come from the configuration).

use super::schema::quotas;
use super::{Conn, R};
use diesel::prelude::*;

pub fn of_project(c: &mut Conn, project_id: &str) -> R<Vec<(String, i32)>> {
    Ok(quotas::table
        .filter(quotas::project_id.eq(project_id))
        .select((quotas::resource, quotas::hard_limit))
        .load(c)?)
}

/// Projects with at least one override.
pub fn projects(c: &mut Conn) -> R<Vec<String>> {
    Ok(quotas::table
        .select(quotas::project_id)
        .distinct()
        .order(quotas::project_id)
        .load(c)?)
}

pub fn set(c: &mut Conn, project_id: &str, resource: &str, limit: i32) -> R<()> {
    diesel::delete(quotas::table.find((project_id, resource))).execute(c)?;
    diesel::insert_into(quotas::table)
        .values((
            quotas::project_id.eq(project_id),
            quotas::resource.eq(resource),
            quotas::hard_limit.eq(limit),
        ))
        .execute(c)?;
    Ok(())
}

pub fn reset(c: &mut Conn, project_id: &str) -> R<usize> {
    Ok(diesel::delete(quotas::table.filter(quotas::project_id.eq(project_id))).execute(c)?)
}
