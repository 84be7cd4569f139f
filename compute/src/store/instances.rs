use super::models::{InstanceExtraRow, InstanceRow};
use super::schema::{instance_extra, instances};
use super::{Conn, R};
use diesel::prelude::*;

pub fn get(c: &mut Conn, id: &str) -> R<Option<InstanceRow>> {
    Ok(instances::table
        .find(id)
        .select(InstanceRow::as_select())
        .first(c)
        .optional()?)
}

pub fn extra(c: &mut Conn, id: &str) -> R<Option<InstanceExtraRow>> {
    Ok(instance_extra::table
        .find(id)
        .select(InstanceExtraRow::as_select())
        .first(c)
        .optional()?)
}

pub fn insert(c: &mut Conn, row: &InstanceRow, extra: &InstanceExtraRow) -> R<()> {
    diesel::insert_into(instances::table)
        .values(row)
        .execute(c)?;
    diesel::insert_into(instance_extra::table)
        .values(extra)
        .execute(c)?;
    Ok(())
}

/// Takes the instance's row lock for the rest of the transaction, so a
/// read-modify-write cannot lose a concurrent one (MySQL's repeatable
/// read and PostgreSQL's read committed both would). Must be the first
/// statement of the transaction: on MySQL the first plain read fixes the
/// snapshot, which has to come after the lock. SQLite serialises writers.
pub fn lock(c: &mut Conn, id: &str) -> R<()> {
    diesel::update(instances::table.find(id))
        .set(instances::updated_at.eq(instances::updated_at))
        .execute(c)?;
    Ok(())
}

pub fn update(c: &mut Conn, row: &InstanceRow) -> R<()> {
    diesel::update(instances::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

pub fn update_extra(c: &mut Conn, row: &InstanceExtraRow) -> R<()> {
    diesel::update(instance_extra::table.find(&row.instance_id))
        .set(row)
        .execute(c)?;
    Ok(())
}

/// Removes an instance's rows for good (a soft-deleted instance is kept).
pub fn purge(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(instance_extra::table.find(id)).execute(c)?;
    diesel::delete(instances::table.find(id)).execute(c)?;
    Ok(())
}

/// Instances a host is responsible for (not deleted).
pub fn on_host(c: &mut Conn, host: &str) -> R<Vec<InstanceRow>> {
    Ok(instances::table
        .filter(instances::host.eq(host))
        .filter(instances::deleted_at.is_null())
        .select(InstanceRow::as_select())
        .load(c)?)
}

/// Instances on a compute node (not deleted).
pub fn on_node(c: &mut Conn, node: &str) -> R<Vec<InstanceRow>> {
    Ok(instances::table
        .filter(instances::node.eq(node))
        .filter(instances::deleted_at.is_null())
        .order(instances::created_at)
        .select(InstanceRow::as_select())
        .load(c)?)
}

#[derive(QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    cores: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ram: i64,
}

/// What a project's live instances use: (instances, vcpus, memory MB).
pub fn usage(c: &mut Conn, project_id: &str) -> R<(i64, i64, i64)> {
    // Each backend types SUM differently (NUMERIC, DECIMAL): cast to a
    // 64-bit integer in its own spelling.
    let int = match super::Backend::of(c) {
        super::Backend::Mysql => "SIGNED",
        _ => "BIGINT",
    };
    let sql = format!(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(vcpus), 0) AS {int}) AS cores, \
         CAST(COALESCE(SUM(memory_mb), 0) AS {int}) AS ram FROM instances \
         WHERE project_id = ? AND deleted_at IS NULL"
    );
    let sql = match super::Backend::of(c) {
        super::Backend::Postgresql => sql.replace('?', "$1"),
        _ => sql,
    };
    let row: UsageRow = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(project_id)
        .get_result(c)?;
    Ok((row.n, row.cores, row.ram))
}

/// The SQL part of a server list; the API applies the rest in memory.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub project_id: Option<String>,
    /// `Some(true)`: only deleted; `Some(false)` or None: only live.
    pub deleted: Option<bool>,
    pub host: Option<String>,
    pub vm_states: Option<Vec<String>>,
    pub image_ref: Option<String>,
    pub reservation_id: Option<String>,
    pub changes_since: Option<i64>,
    pub changes_before: Option<i64>,
    pub ids: Option<Vec<String>>,
    /// Rows after this one in list order (`created_at` then `id`, newest first).
    pub after: Option<(i64, String)>,
    pub limit: Option<i64>,
}

pub fn list(c: &mut Conn, q: &ListQuery) -> R<Vec<InstanceRow>> {
    let mut query = instances::table
        .select(InstanceRow::as_select())
        .into_boxed();
    if let Some(p) = &q.project_id {
        query = query.filter(instances::project_id.eq(p.clone()));
    }
    query = match (
        q.deleted,
        q.changes_since.is_some() || q.changes_before.is_some(),
    ) {
        (Some(true), _) => query.filter(instances::deleted_at.is_not_null()),
        // changes-since shows deleted instances too, as nova does.
        (None, true) => query,
        _ => query.filter(instances::deleted_at.is_null()),
    };
    if let Some(h) = &q.host {
        query = query.filter(instances::host.eq(h.clone()));
    }
    if let Some(states) = &q.vm_states {
        query = query.filter(instances::vm_state.eq_any(states.clone()));
    }
    if let Some(image) = &q.image_ref {
        query = query.filter(instances::image_ref.eq(image.clone()));
    }
    if let Some(r) = &q.reservation_id {
        query = query.filter(instances::reservation_id.eq(r.clone()));
    }
    if let Some(since) = q.changes_since {
        query = query.filter(instances::updated_at.ge(since));
    }
    if let Some(before) = q.changes_before {
        query = query.filter(instances::updated_at.le(before));
    }
    if let Some(ids) = &q.ids {
        query = query.filter(instances::id.eq_any(ids.clone()));
    }
    if let Some((created, id)) = &q.after {
        query = query.filter(
            instances::created_at.lt(*created).or(instances::created_at
                .eq(*created)
                .and(instances::id.lt(id.clone()))),
        );
    }
    query = query.order((instances::created_at.desc(), instances::id.desc()));
    if let Some(limit) = q.limit {
        query = query.limit(limit);
    }
    Ok(query.load(c)?)
}

/// Instances that existed at some time in `[start, end]` (deleted ones
/// included), in nova's order for usage reports (project, then id): at most
/// `limit` of them, after the `(project_id, id)` key `after` if given.
pub fn existing_between(
    c: &mut Conn,
    project_id: Option<&str>,
    start: i64,
    end: i64,
    after: Option<(String, String)>,
    limit: i64,
) -> R<Vec<InstanceRow>> {
    let mut q = instances::table
        .select(InstanceRow::as_select())
        .filter(instances::created_at.le(end))
        .filter(
            instances::deleted_at
                .is_null()
                .or(instances::deleted_at.ge(start)),
        )
        .into_boxed();
    if let Some(p) = project_id {
        q = q.filter(instances::project_id.eq(p.to_owned()));
    }
    if let Some((project, id)) = after {
        q = q.filter(
            instances::project_id
                .gt(project.clone())
                .or(instances::project_id.eq(project).and(instances::id.gt(id))),
        );
    }
    Ok(q.order((instances::project_id, instances::id))
        .limit(limit)
        .load(c)?)
}
