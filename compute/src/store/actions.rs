use super::models::InstanceActionRow;
use super::schema::instance_actions;
use super::{Conn, R};
use diesel::prelude::*;

pub fn insert(c: &mut Conn, row: &InstanceActionRow) -> R<()> {
    diesel::insert_into(instance_actions::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn update(c: &mut Conn, row: &InstanceActionRow) -> R<()> {
    diesel::update(instance_actions::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

/// The actions of an instance, newest first.
pub fn of_instance(c: &mut Conn, instance_id: &str) -> R<Vec<InstanceActionRow>> {
    Ok(instance_actions::table
        .filter(instance_actions::instance_id.eq(instance_id))
        .order((
            instance_actions::start_time.desc(),
            instance_actions::id.desc(),
        ))
        .select(InstanceActionRow::as_select())
        .load(c)?)
}

pub fn by_request(
    c: &mut Conn,
    instance_id: &str,
    request_id: &str,
) -> R<Option<InstanceActionRow>> {
    Ok(instance_actions::table
        .filter(instance_actions::instance_id.eq(instance_id))
        .filter(instance_actions::request_id.eq(request_id))
        .select(InstanceActionRow::as_select())
        .first(c)
        .optional()?)
}

/// The latest action of an instance (the one its events belong to).
pub fn latest(c: &mut Conn, instance_id: &str) -> R<Option<InstanceActionRow>> {
    Ok(instance_actions::table
        .filter(instance_actions::instance_id.eq(instance_id))
        .order((
            instance_actions::start_time.desc(),
            instance_actions::id.desc(),
        ))
        .select(InstanceActionRow::as_select())
        .first(c)
        .optional()?)
}
