use super::models::FlavorRow;
use super::schema::{flavor_projects, flavors};
use super::{Conn, R};
use diesel::prelude::*;

pub fn get(c: &mut Conn, id: &str) -> R<Option<FlavorRow>> {
    Ok(flavors::table
        .find(id)
        .select(FlavorRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_name(c: &mut Conn, name: &str) -> R<Option<FlavorRow>> {
    Ok(flavors::table
        .filter(flavors::name.eq(name))
        .select(FlavorRow::as_select())
        .first(c)
        .optional()?)
}

pub fn all(c: &mut Conn) -> R<Vec<FlavorRow>> {
    Ok(flavors::table.select(FlavorRow::as_select()).load(c)?)
}

pub fn insert(c: &mut Conn, row: &FlavorRow) -> R<()> {
    diesel::insert_into(flavors::table).values(row).execute(c)?;
    Ok(())
}

pub fn update(c: &mut Conn, row: &FlavorRow) -> R<()> {
    diesel::update(flavors::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

pub fn delete(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(flavor_projects::table.filter(flavor_projects::flavor_id.eq(id))).execute(c)?;
    diesel::delete(flavors::table.find(id)).execute(c)?;
    Ok(())
}

/// The projects a private flavor is shared with.
pub fn projects(c: &mut Conn, flavor_id: &str) -> R<Vec<String>> {
    Ok(flavor_projects::table
        .filter(flavor_projects::flavor_id.eq(flavor_id))
        .order(flavor_projects::project_id)
        .select(flavor_projects::project_id)
        .load(c)?)
}

/// The private flavors shared with a project.
pub fn shared_with(c: &mut Conn, project_id: &str) -> R<Vec<String>> {
    Ok(flavor_projects::table
        .filter(flavor_projects::project_id.eq(project_id))
        .select(flavor_projects::flavor_id)
        .load(c)?)
}

pub fn has_access(c: &mut Conn, flavor_id: &str, project_id: &str) -> R<bool> {
    Ok(flavor_projects::table
        .find((flavor_id, project_id))
        .count()
        .get_result::<i64>(c)?
        > 0)
}

pub fn add_access(c: &mut Conn, flavor_id: &str, project_id: &str) -> R<()> {
    diesel::insert_into(flavor_projects::table)
        .values((
            flavor_projects::flavor_id.eq(flavor_id),
            flavor_projects::project_id.eq(project_id),
        ))
        .execute(c)?;
    Ok(())
}

pub fn remove_access(c: &mut Conn, flavor_id: &str, project_id: &str) -> R<usize> {
    Ok(diesel::delete(flavor_projects::table.find((flavor_id, project_id))).execute(c)?)
}
