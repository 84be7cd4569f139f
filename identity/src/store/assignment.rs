//! Roles, implied roles and role assignments.

use super::models::{Assignment, Role};
use super::schema::{assignments, implied_roles, roles};
use super::{AnyConnection, StoreError};
use diesel::prelude::*;

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn get_role(c: &mut Conn, id: &str) -> R<Option<Role>> {
    Ok(roles::table
        .find(id)
        .select(Role::as_select())
        .first(c)
        .optional()?)
}

pub fn list_roles(c: &mut Conn, name: Option<&str>, domain_id: Option<&str>) -> R<Vec<Role>> {
    let mut q = roles::table
        .select(Role::as_select())
        .order(roles::name)
        .into_boxed();
    if let Some(v) = name {
        q = q.filter(roles::name.eq(v.to_owned()));
    }
    q = q.filter(roles::domain_id.eq(domain_id.unwrap_or("").to_owned()));
    Ok(q.load(c)?)
}

pub fn all_roles(c: &mut Conn) -> R<Vec<Role>> {
    Ok(roles::table.select(Role::as_select()).load(c)?)
}

pub fn insert_role(c: &mut Conn, r: &Role) -> R<()> {
    diesel::insert_into(roles::table).values(r).execute(c)?;
    Ok(())
}

pub fn update_role(c: &mut Conn, r: &Role) -> R<()> {
    diesel::update(roles::table.find(&r.id)).set(r).execute(c)?;
    Ok(())
}

pub fn delete_role(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(assignments::table.filter(assignments::role_id.eq(id))).execute(c)?;
    diesel::delete(
        implied_roles::table.filter(
            implied_roles::prior_role_id
                .eq(id)
                .or(implied_roles::implied_role_id.eq(id)),
        ),
    )
    .execute(c)?;
    diesel::delete(roles::table.find(id)).execute(c)?;
    Ok(())
}

/// Every `(prior, implied)` pair.
pub fn implications(c: &mut Conn) -> R<Vec<(String, String)>> {
    Ok(implied_roles::table
        .select((implied_roles::prior_role_id, implied_roles::implied_role_id))
        .load(c)?)
}

pub fn add_implication(c: &mut Conn, prior: &str, implied: &str) -> R<()> {
    diesel::insert_into(implied_roles::table)
        .values((
            implied_roles::prior_role_id.eq(prior),
            implied_roles::implied_role_id.eq(implied),
        ))
        .execute(c)?;
    Ok(())
}

pub fn remove_implication(c: &mut Conn, prior: &str, implied: &str) -> R<usize> {
    Ok(diesel::delete(
        implied_roles::table
            .filter(implied_roles::prior_role_id.eq(prior))
            .filter(implied_roles::implied_role_id.eq(implied)),
    )
    .execute(c)?)
}

#[derive(Debug, Default, Clone)]
pub struct AssignmentFilter {
    pub kinds: Option<Vec<String>>,
    pub actor_ids: Option<Vec<String>>,
    pub target_ids: Option<Vec<String>>,
    pub role_id: Option<String>,
    pub inherited: Option<bool>,
}

pub fn list_assignments(c: &mut Conn, f: &AssignmentFilter) -> R<Vec<Assignment>> {
    let mut q = assignments::table
        .select(Assignment::as_select())
        .into_boxed();
    if let Some(v) = &f.kinds {
        q = q.filter(assignments::kind.eq_any(v.clone()));
    }
    if let Some(v) = &f.actor_ids {
        q = q.filter(assignments::actor_id.eq_any(v.clone()));
    }
    if let Some(v) = &f.target_ids {
        q = q.filter(assignments::target_id.eq_any(v.clone()));
    }
    if let Some(v) = &f.role_id {
        q = q.filter(assignments::role_id.eq(v.clone()));
    }
    if let Some(v) = f.inherited {
        q = q.filter(assignments::inherited.eq(v));
    }
    Ok(q.load(c)?)
}

pub fn exists(c: &mut Conn, a: &Assignment) -> R<bool> {
    let n: i64 = assignments::table
        .filter(assignments::kind.eq(&a.kind))
        .filter(assignments::actor_id.eq(&a.actor_id))
        .filter(assignments::target_id.eq(&a.target_id))
        .filter(assignments::role_id.eq(&a.role_id))
        .filter(assignments::inherited.eq(a.inherited))
        .count()
        .get_result(c)?;
    Ok(n > 0)
}

pub fn insert_assignment(c: &mut Conn, a: &Assignment) -> R<()> {
    if exists(c, a)? {
        return Ok(());
    }
    diesel::insert_into(assignments::table)
        .values(a)
        .execute(c)?;
    Ok(())
}

pub fn delete_assignment(c: &mut Conn, a: &Assignment) -> R<usize> {
    Ok(diesel::delete(
        assignments::table
            .filter(assignments::kind.eq(&a.kind))
            .filter(assignments::actor_id.eq(&a.actor_id))
            .filter(assignments::target_id.eq(&a.target_id))
            .filter(assignments::role_id.eq(&a.role_id))
            .filter(assignments::inherited.eq(a.inherited)),
    )
    .execute(c)?)
}

/// Removes every assignment naming `id` as actor or target.
pub fn delete_for(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(
        assignments::table.filter(
            assignments::actor_id
                .eq(id)
                .or(assignments::target_id.eq(id)),
        ),
    )
    .execute(c)?;
    Ok(())
}
