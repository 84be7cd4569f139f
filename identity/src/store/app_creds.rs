//! Application credentials (with their roles) and credentials.

use super::models::{AppCred, Credential};
use super::schema::{
    application_credential_roles as acr, application_credentials as ac, credentials,
};
use super::{AnyConnection, StoreError};
use diesel::prelude::*;

type Conn = AnyConnection;
type R<T> = Result<T, StoreError>;

pub fn get(c: &mut Conn, id: &str) -> R<Option<AppCred>> {
    Ok(ac::table
        .find(id)
        .select(AppCred::as_select())
        .first(c)
        .optional()?)
}

pub fn find_by_name(c: &mut Conn, user_id: &str, name: &str) -> R<Option<AppCred>> {
    Ok(ac::table
        .filter(ac::user_id.eq(user_id))
        .filter(ac::name.eq(name))
        .select(AppCred::as_select())
        .first(c)
        .optional()?)
}

pub fn list_for_user(c: &mut Conn, user_id: &str, name: Option<&str>) -> R<Vec<AppCred>> {
    let mut q = ac::table
        .filter(ac::user_id.eq(user_id.to_owned()))
        .select(AppCred::as_select())
        .order(ac::name)
        .into_boxed();
    if let Some(n) = name {
        q = q.filter(ac::name.eq(n.to_owned()));
    }
    Ok(q.load(c)?)
}

pub fn role_ids(c: &mut Conn, id: &str) -> R<Vec<String>> {
    Ok(acr::table
        .filter(acr::application_credential_id.eq(id))
        .select(acr::role_id)
        .load(c)?)
}

pub fn insert(c: &mut Conn, cred: &AppCred, role_ids: &[String]) -> R<()> {
    diesel::insert_into(ac::table).values(cred).execute(c)?;
    for role in role_ids {
        diesel::insert_into(acr::table)
            .values((
                acr::application_credential_id.eq(&cred.id),
                acr::role_id.eq(role),
            ))
            .execute(c)?;
    }
    Ok(())
}

pub fn delete(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(acr::table.filter(acr::application_credential_id.eq(id))).execute(c)?;
    diesel::delete(ac::table.find(id)).execute(c)?;
    Ok(())
}

/// Ids of the user's application credentials (optionally only those on a project).
pub fn ids_for(c: &mut Conn, user_id: &str, project_id: Option<&str>) -> R<Vec<String>> {
    let mut q = ac::table
        .filter(ac::user_id.eq(user_id.to_owned()))
        .select(ac::id)
        .into_boxed();
    if let Some(p) = project_id {
        q = q.filter(ac::project_id.eq(p.to_owned()));
    }
    Ok(q.load(c)?)
}

pub fn get_credential(c: &mut Conn, id: &str) -> R<Option<Credential>> {
    Ok(credentials::table
        .find(id)
        .select(Credential::as_select())
        .first(c)
        .optional()?)
}

pub fn list_credentials(
    c: &mut Conn,
    user_id: Option<&str>,
    cred_type: Option<&str>,
) -> R<Vec<Credential>> {
    let mut q = credentials::table
        .select(Credential::as_select())
        .order(credentials::id)
        .into_boxed();
    if let Some(v) = user_id {
        q = q.filter(credentials::user_id.eq(v.to_owned()));
    }
    if let Some(v) = cred_type {
        q = q.filter(credentials::cred_type.eq(v.to_owned()));
    }
    Ok(q.load(c)?)
}

pub fn insert_credential(c: &mut Conn, cred: &Credential) -> R<()> {
    diesel::insert_into(credentials::table)
        .values(cred)
        .execute(c)?;
    Ok(())
}

pub fn update_credential(c: &mut Conn, cred: &Credential) -> R<()> {
    diesel::update(credentials::table.find(&cred.id))
        .set(cred)
        .execute(c)?;
    Ok(())
}

pub fn delete_credential(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(credentials::table.find(id)).execute(c)?;
    Ok(())
}

pub fn delete_credentials_of_user(c: &mut Conn, user_id: &str) -> R<()> {
    diesel::delete(credentials::table.filter(credentials::user_id.eq(user_id))).execute(c)?;
    Ok(())
}
