//! Image members: the projects a shared image is offered to.

use super::models::MemberRow;
use super::schema::image_members;
use super::{bump_generation, AnyConnection, StoreError};
use diesel::prelude::*;

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn get(c: &mut Conn, image_id: &str, member: &str) -> R<Option<MemberRow>> {
    Ok(image_members::table
        .find((image_id, member))
        .select(MemberRow::as_select())
        .first(c)
        .optional()?)
}

pub fn list(c: &mut Conn, image_id: &str) -> R<Vec<MemberRow>> {
    Ok(image_members::table
        .filter(image_members::image_id.eq(image_id))
        .order(image_members::created_at)
        .select(MemberRow::as_select())
        .load(c)?)
}

pub fn count(c: &mut Conn, image_id: &str) -> R<i64> {
    Ok(image_members::table
        .filter(image_members::image_id.eq(image_id))
        .count()
        .get_result(c)?)
}

pub fn insert(c: &mut Conn, row: &MemberRow) -> R<()> {
    diesel::insert_into(image_members::table)
        .values(row)
        .execute(c)?;
    bump_generation(c)
}

pub fn update(c: &mut Conn, row: &MemberRow) -> R<()> {
    diesel::update(image_members::table.find((&row.image_id, &row.member)))
        .set(row)
        .execute(c)?;
    bump_generation(c)
}

pub fn delete(c: &mut Conn, image_id: &str, member: &str) -> R<bool> {
    let removed = diesel::delete(image_members::table.find((image_id, member))).execute(c)? == 1;
    if removed {
        bump_generation(c)?;
    }
    Ok(removed)
}
