//! The tasks of images: one per interoperable import.

use super::models::TaskRow;
use super::schema::image_tasks;
use super::{AnyConnection, StoreError};
use diesel::prelude::*;

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn insert(c: &mut Conn, row: &TaskRow) -> R<()> {
    diesel::insert_into(image_tasks::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn get(c: &mut Conn, id: &str) -> R<Option<TaskRow>> {
    Ok(image_tasks::table
        .find(id)
        .select(TaskRow::as_select())
        .first(c)
        .optional()?)
}

pub fn update(c: &mut Conn, row: &TaskRow) -> R<()> {
    diesel::update(image_tasks::table.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

/// An image's tasks that have not expired at `now`, oldest first.
pub fn of_image(c: &mut Conn, image_id: &str, now: i64) -> R<Vec<TaskRow>> {
    Ok(image_tasks::table
        .filter(image_tasks::image_id.eq(image_id))
        .filter(
            image_tasks::expires_at
                .is_null()
                .or(image_tasks::expires_at.ge(now)),
        )
        .order((image_tasks::created_at, image_tasks::id))
        .select(TaskRow::as_select())
        .load(c)?)
}

/// Removes tasks that expired before `now`; returns how many.
pub fn delete_expired(c: &mut Conn, now: i64) -> R<usize> {
    Ok(diesel::delete(image_tasks::table.filter(image_tasks::expires_at.lt(now))).execute(c)?)
}

/// Ends the tasks a crash cut short (`pending`, `processing`) as
/// `failure` with `message`; returns how many.
pub fn fail_unfinished(c: &mut Conn, message: &str, now: i64, expires_at: i64) -> R<usize> {
    Ok(diesel::update(
        image_tasks::table.filter(image_tasks::status.eq_any(["pending", "processing"])),
    )
    .set((
        image_tasks::status.eq("failure"),
        image_tasks::message.eq(message),
        image_tasks::expires_at.eq(Some(expires_at)),
        image_tasks::updated_at.eq(now),
    ))
    .execute(c)?)
}
