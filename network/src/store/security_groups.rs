//! Security groups, their rules and each project's default group.

use super::models::{SecurityGroupRow, SecurityGroupRuleRow};
use super::schema::{default_security_groups, security_group_rules, security_groups};
use super::{in_chunks, Conn, R};
use diesel::prelude::*;

super::crud!(security_groups, SecurityGroupRow);

pub mod rules {
    use super::super::models::SecurityGroupRuleRow;
    use super::super::schema::security_group_rules;
    use diesel::prelude::*;
    super::super::crud!(security_group_rules, SecurityGroupRuleRow);
}

pub fn default_of(c: &mut Conn, project_id: &str) -> R<Option<String>> {
    Ok(default_security_groups::table
        .find(project_id)
        .select(default_security_groups::security_group_id)
        .first(c)
        .optional()?)
}

/// Claims the default slot of a project; the primary key makes a
/// concurrent second claim fail, so a project never gets two.
pub fn set_default(c: &mut Conn, project_id: &str, group_id: &str) -> R<()> {
    diesel::insert_into(default_security_groups::table)
        .values((
            default_security_groups::project_id.eq(project_id),
            default_security_groups::security_group_id.eq(group_id),
        ))
        .execute(c)?;
    Ok(())
}

pub fn is_default(c: &mut Conn, group_id: &str) -> R<bool> {
    Ok(default_security_groups::table
        .filter(default_security_groups::security_group_id.eq(group_id))
        .count()
        .get_result::<i64>(c)?
        > 0)
}

pub fn clear_default(c: &mut Conn, group_id: &str) -> R<()> {
    diesel::delete(
        default_security_groups::table
            .filter(default_security_groups::security_group_id.eq(group_id)),
    )
    .execute(c)?;
    Ok(())
}

pub fn rules_of(c: &mut Conn, group_ids: &[String]) -> R<Vec<SecurityGroupRuleRow>> {
    in_chunks(group_ids, |chunk| {
        Ok(security_group_rules::table
            .filter(security_group_rules::security_group_id.eq_any(chunk))
            .order((security_group_rules::created_at, security_group_rules::id))
            .select(SecurityGroupRuleRow::as_select())
            .load(c)?)
    })
}

pub fn rules_with_remote(c: &mut Conn, group_id: &str) -> R<Vec<SecurityGroupRuleRow>> {
    Ok(security_group_rules::table
        .filter(security_group_rules::remote_group_id.eq(group_id))
        .select(SecurityGroupRuleRow::as_select())
        .load(c)?)
}

pub fn delete_rules_of(c: &mut Conn, group_id: &str) -> R<()> {
    diesel::delete(
        security_group_rules::table.filter(security_group_rules::security_group_id.eq(group_id)),
    )
    .execute(c)?;
    Ok(())
}

pub fn by_ids(c: &mut Conn, ids: &[String]) -> R<Vec<SecurityGroupRow>> {
    in_chunks(ids, |chunk| {
        Ok(security_groups::table
            .filter(security_groups::id.eq_any(chunk))
            .select(SecurityGroupRow::as_select())
            .load(c)?)
    })
}
