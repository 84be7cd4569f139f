//! Image persistence: the image tables and their queries, on the shared SQL
//! plumbing of [`compat_api::db`].

pub mod images;
pub mod members;
pub mod migrations;
pub mod models;
pub mod schema;
pub mod tasks;

pub use compat_api::db::{AnyConnection, Backend, Db, StoreError};

use diesel::prelude::*;
use schema::image_generation;

/// Marks a change to images, properties, tags or members, in the writer's
/// transaction; cached list responses of older generations stop being used.
pub fn bump_generation(c: &mut AnyConnection) -> Result<(), StoreError> {
    diesel::update(image_generation::table.find(1))
        .set(image_generation::value.eq(image_generation::value + 1))
        .execute(c)?;
    Ok(())
}

pub fn generation(c: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(image_generation::table
        .find(1)
        .select(image_generation::value)
        .first(c)?)
}
