//! Users, password history, groups and group membership.

use super::models::{Group, Password, User};
use super::schema::{identity_groups, passwords, user_group_membership, users};
use super::{AnyConnection, StoreError};
use diesel::prelude::*;

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn get_user(c: &mut Conn, id: &str) -> R<Option<User>> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(c)
        .optional()?)
}

pub fn find_user_by_name(c: &mut Conn, domain_id: &str, name: &str) -> R<Option<User>> {
    Ok(users::table
        .filter(users::domain_id.eq(domain_id))
        .filter(users::name.eq(name))
        .select(User::as_select())
        .first(c)
        .optional()?)
}

pub fn list_users(
    c: &mut Conn,
    domain_id: Option<&str>,
    name: Option<&str>,
    enabled: Option<bool>,
) -> R<Vec<User>> {
    let mut q = users::table
        .select(User::as_select())
        .order(users::name)
        .into_boxed();
    if let Some(v) = domain_id {
        q = q.filter(users::domain_id.eq(v.to_owned()));
    }
    if let Some(v) = name {
        q = q.filter(users::name.eq(v.to_owned()));
    }
    if let Some(v) = enabled {
        q = q.filter(users::enabled.eq(v));
    }
    Ok(q.load(c)?)
}

pub fn list_users_by_ids(c: &mut Conn, ids: &[String]) -> R<Vec<User>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .order(users::name)
        .load(c)?)
}

pub fn insert_user(c: &mut Conn, u: &User) -> R<()> {
    diesel::insert_into(users::table).values(u).execute(c)?;
    Ok(())
}

pub fn update_user(c: &mut Conn, u: &User) -> R<()> {
    diesel::update(users::table.find(&u.id)).set(u).execute(c)?;
    Ok(())
}

pub fn delete_user(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(passwords::table.filter(passwords::user_id.eq(id))).execute(c)?;
    diesel::delete(user_group_membership::table.filter(user_group_membership::user_id.eq(id)))
        .execute(c)?;
    diesel::delete(users::table.find(id)).execute(c)?;
    Ok(())
}

pub fn record_auth_failure(c: &mut Conn, id: &str, count: i32, at: i64) -> R<()> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_auth_count.eq(count),
            users::failed_auth_at.eq(Some(at)),
        ))
        .execute(c)?;
    Ok(())
}

pub fn record_auth_success(c: &mut Conn, id: &str, at: i64) -> R<()> {
    diesel::update(users::table.find(id))
        .set((
            users::failed_auth_count.eq(0),
            users::failed_auth_at.eq(None::<i64>),
            users::last_active_at.eq(Some(at)),
        ))
        .execute(c)?;
    Ok(())
}

/// The user's passwords, newest first.
pub fn passwords_of(c: &mut Conn, user_id: &str) -> R<Vec<Password>> {
    Ok(passwords::table
        .filter(passwords::user_id.eq(user_id))
        .select(Password::as_select())
        .order((passwords::created_at.desc(), passwords::id.desc()))
        .load(c)?)
}

pub fn insert_password(c: &mut Conn, p: &Password) -> R<()> {
    diesel::insert_into(passwords::table).values(p).execute(c)?;
    Ok(())
}

/// Keeps the newest `keep` passwords of a user.
pub fn trim_passwords(c: &mut Conn, user_id: &str, keep: usize) -> R<()> {
    let old: Vec<String> = passwords_of(c, user_id)?
        .into_iter()
        .skip(keep)
        .map(|p| p.id)
        .collect();
    if !old.is_empty() {
        diesel::delete(passwords::table.filter(passwords::id.eq_any(old))).execute(c)?;
    }
    Ok(())
}

pub fn get_group(c: &mut Conn, id: &str) -> R<Option<Group>> {
    Ok(identity_groups::table
        .find(id)
        .select(Group::as_select())
        .first(c)
        .optional()?)
}

pub fn list_groups(c: &mut Conn, domain_id: Option<&str>, name: Option<&str>) -> R<Vec<Group>> {
    let mut q = identity_groups::table
        .select(Group::as_select())
        .order(identity_groups::name)
        .into_boxed();
    if let Some(v) = domain_id {
        q = q.filter(identity_groups::domain_id.eq(v.to_owned()));
    }
    if let Some(v) = name {
        q = q.filter(identity_groups::name.eq(v.to_owned()));
    }
    Ok(q.load(c)?)
}

pub fn list_groups_by_ids(c: &mut Conn, ids: &[String]) -> R<Vec<Group>> {
    Ok(identity_groups::table
        .filter(identity_groups::id.eq_any(ids))
        .select(Group::as_select())
        .order(identity_groups::name)
        .load(c)?)
}

pub fn insert_group(c: &mut Conn, g: &Group) -> R<()> {
    diesel::insert_into(identity_groups::table)
        .values(g)
        .execute(c)?;
    Ok(())
}

pub fn update_group(c: &mut Conn, g: &Group) -> R<()> {
    diesel::update(identity_groups::table.find(&g.id))
        .set(g)
        .execute(c)?;
    Ok(())
}

pub fn delete_group(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(user_group_membership::table.filter(user_group_membership::group_id.eq(id)))
        .execute(c)?;
    diesel::delete(identity_groups::table.find(id)).execute(c)?;
    Ok(())
}

pub fn group_ids_of_user(c: &mut Conn, user_id: &str) -> R<Vec<String>> {
    Ok(user_group_membership::table
        .filter(user_group_membership::user_id.eq(user_id))
        .select(user_group_membership::group_id)
        .load(c)?)
}

pub fn user_ids_in_group(c: &mut Conn, group_id: &str) -> R<Vec<String>> {
    Ok(user_group_membership::table
        .filter(user_group_membership::group_id.eq(group_id))
        .select(user_group_membership::user_id)
        .load(c)?)
}

pub fn is_member(c: &mut Conn, user_id: &str, group_id: &str) -> R<bool> {
    let n: i64 = user_group_membership::table
        .filter(user_group_membership::user_id.eq(user_id))
        .filter(user_group_membership::group_id.eq(group_id))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

pub fn add_member(c: &mut Conn, user_id: &str, group_id: &str) -> R<()> {
    if is_member(c, user_id, group_id)? {
        return Ok(());
    }
    diesel::insert_into(user_group_membership::table)
        .values((
            user_group_membership::user_id.eq(user_id),
            user_group_membership::group_id.eq(group_id),
        ))
        .execute(c)?;
    Ok(())
}

pub fn remove_member(c: &mut Conn, user_id: &str, group_id: &str) -> R<usize> {
    Ok(diesel::delete(
        user_group_membership::table
            .filter(user_group_membership::user_id.eq(user_id))
            .filter(user_group_membership::group_id.eq(group_id)),
    )
    .execute(c)?)
}
