use super::schema::{compute_quota_classes, compute_quotas};
use super::{Conn, R};
use diesel::prelude::*;
use std::collections::BTreeMap;

pub fn of_project(c: &mut Conn, project_id: &str) -> R<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = compute_quotas::table
        .filter(compute_quotas::project_id.eq(project_id))
        .select((compute_quotas::resource, compute_quotas::hard_limit))
        .load(c)?;
    Ok(rows.into_iter().collect())
}

pub fn set(c: &mut Conn, project_id: &str, resource: &str, limit: i64) -> R<()> {
    diesel::delete(compute_quotas::table.find((project_id, resource))).execute(c)?;
    diesel::insert_into(compute_quotas::table)
        .values((
            compute_quotas::project_id.eq(project_id),
            compute_quotas::resource.eq(resource),
            compute_quotas::hard_limit.eq(limit),
        ))
        .execute(c)?;
    Ok(())
}

pub fn delete_project(c: &mut Conn, project_id: &str) -> R<()> {
    diesel::delete(compute_quotas::table.filter(compute_quotas::project_id.eq(project_id)))
        .execute(c)?;
    Ok(())
}

pub fn of_class(c: &mut Conn, class: &str) -> R<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = compute_quota_classes::table
        .filter(compute_quota_classes::class_name.eq(class))
        .select((
            compute_quota_classes::resource,
            compute_quota_classes::hard_limit,
        ))
        .load(c)?;
    Ok(rows.into_iter().collect())
}

pub fn set_class(c: &mut Conn, class: &str, resource: &str, limit: i64) -> R<()> {
    diesel::delete(compute_quota_classes::table.find((class, resource))).execute(c)?;
    diesel::insert_into(compute_quota_classes::table)
        .values((
            compute_quota_classes::class_name.eq(class),
            compute_quota_classes::resource.eq(resource),
            compute_quota_classes::hard_limit.eq(limit),
        ))
        .execute(c)?;
    Ok(())
}
