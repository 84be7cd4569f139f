//! The `migrations` table: resizes and cold migrations.

use super::models::MigrationRow;
use super::schema::migrations;
use super::{next_seq, Conn, R};
use diesel::prelude::*;

pub fn next_migration_seq(c: &mut Conn) -> R<i64> {
    Ok(next_seq!(c, migrations))
}

pub fn insert(c: &mut Conn, row: &MigrationRow) -> R<()> {
    diesel::insert_into(migrations::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn update(c: &mut Conn, row: &MigrationRow) -> R<()> {
    diesel::update(migrations::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

pub fn get(c: &mut Conn, id: &str) -> R<Option<MigrationRow>> {
    Ok(migrations::table
        .find(id)
        .select(MigrationRow::as_select())
        .first(c)
        .optional()?)
}

/// The instance's latest move in one of `statuses`.
pub fn latest_of(c: &mut Conn, instance_id: &str, statuses: &[&str]) -> R<Option<MigrationRow>> {
    Ok(migrations::table
        .filter(migrations::instance_id.eq(instance_id))
        .filter(migrations::status.eq_any(statuses))
        .order(migrations::seq.desc())
        .select(MigrationRow::as_select())
        .first(c)
        .optional()?)
}

/// Every move in one of `statuses`, oldest first.
pub fn with_status(c: &mut Conn, statuses: &[&str]) -> R<Vec<MigrationRow>> {
    Ok(migrations::table
        .filter(migrations::status.eq_any(statuses))
        .order(migrations::seq)
        .select(MigrationRow::as_select())
        .load(c)?)
}

/// Filters of `GET /os-migrations`.
#[derive(Debug, Default, Clone)]
pub struct MigrationQuery {
    pub instance_id: Option<String>,
    pub status: Option<String>,
    pub migration_type: Option<String>,
    pub host: Option<String>,
    pub project_id: Option<String>,
    pub user_id: Option<String>,
    pub changes_since: Option<i64>,
    pub changes_before: Option<i64>,
}

/// Newest first, as nova lists them.
pub fn list(c: &mut Conn, q: &MigrationQuery) -> R<Vec<MigrationRow>> {
    let mut query = migrations::table.into_boxed();
    if let Some(v) = &q.instance_id {
        query = query.filter(migrations::instance_id.eq(v.clone()));
    }
    if let Some(v) = &q.status {
        query = query.filter(migrations::status.eq(v.clone()));
    }
    if let Some(v) = &q.migration_type {
        query = query.filter(migrations::migration_type.eq(v.clone()));
    }
    if let Some(v) = &q.host {
        query = query.filter(
            migrations::source_compute
                .eq(v.clone())
                .or(migrations::dest_compute.eq(v.clone())),
        );
    }
    if let Some(v) = &q.project_id {
        query = query.filter(migrations::project_id.eq(v.clone()));
    }
    if let Some(v) = &q.user_id {
        query = query.filter(migrations::user_id.eq(v.clone()));
    }
    if let Some(v) = q.changes_since {
        query = query.filter(migrations::updated_at.ge(v));
    }
    if let Some(v) = q.changes_before {
        query = query.filter(migrations::updated_at.le(v));
    }
    Ok(query
        .order(migrations::seq.desc())
        .select(MigrationRow::as_select())
        .load(c)?)
}
