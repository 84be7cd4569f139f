use super::models::KeyPairRow;
use super::schema::key_pairs;
use super::{Conn, R};
use diesel::prelude::*;

pub fn get(c: &mut Conn, user_id: &str, name: &str) -> R<Option<KeyPairRow>> {
    Ok(key_pairs::table
        .find((user_id, name))
        .select(KeyPairRow::as_select())
        .first(c)
        .optional()?)
}

pub fn of_user(c: &mut Conn, user_id: &str) -> R<Vec<KeyPairRow>> {
    Ok(key_pairs::table
        .filter(key_pairs::user_id.eq(user_id))
        .order(key_pairs::name)
        .select(KeyPairRow::as_select())
        .load(c)?)
}

pub fn count_of_user(c: &mut Conn, user_id: &str) -> R<i64> {
    Ok(key_pairs::table
        .filter(key_pairs::user_id.eq(user_id))
        .count()
        .get_result(c)?)
}

pub fn insert(c: &mut Conn, row: &KeyPairRow) -> R<()> {
    diesel::insert_into(key_pairs::table)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn delete(c: &mut Conn, user_id: &str, name: &str) -> R<usize> {
    Ok(diesel::delete(key_pairs::table.find((user_id, name))).execute(c)?)
}
