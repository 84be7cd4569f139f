//! `standard-attr-tag`: tags of any resource, keyed by its id.

use super::schema::resource_tags;
use super::{in_chunks, Conn, R};
use diesel::prelude::*;
use std::collections::HashMap;

pub fn of(c: &mut Conn, ids: &[String]) -> R<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = in_chunks(ids, |chunk| {
        Ok(resource_tags::table
            .filter(resource_tags::resource_id.eq_any(chunk))
            .order((resource_tags::resource_id, resource_tags::tag))
            .load(c)?)
    })?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (id, tag) in rows {
        out.entry(id).or_default().push(tag);
    }
    Ok(out)
}

pub fn of_one(c: &mut Conn, id: &str) -> R<Vec<String>> {
    Ok(resource_tags::table
        .filter(resource_tags::resource_id.eq(id))
        .order(resource_tags::tag)
        .select(resource_tags::tag)
        .load(c)?)
}

pub fn add(c: &mut Conn, id: &str, tag: &str) -> R<()> {
    let exists = resource_tags::table
        .find((id, tag))
        .count()
        .get_result::<i64>(c)?
        > 0;
    if !exists {
        diesel::insert_into(resource_tags::table)
            .values((
                resource_tags::resource_id.eq(id),
                resource_tags::tag.eq(tag),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// Returns whether the tag was there.
pub fn remove(c: &mut Conn, id: &str, tag: &str) -> R<bool> {
    Ok(diesel::delete(resource_tags::table.find((id, tag))).execute(c)? == 1)
}

pub fn delete_all(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(resource_tags::table.filter(resource_tags::resource_id.eq(id))).execute(c)?;
    Ok(())
}

pub fn replace(c: &mut Conn, id: &str, tags: &[String]) -> R<()> {
    delete_all(c, id)?;
    for tag in tags {
        add(c, id, tag)?;
    }
    Ok(())
}
