//! Authorization, following keystone's default policies: the `admin` role
//! administers the cloud (in any scope, as upstream before `enforce_scope`);
//! `reader` and `member` in system scope read everything; everybody else
//! sees only what is theirs. Refusals name the policy rule, as keystone does.

use crate::error::Error;
use compat_api::AuthContext;

fn deny(action: &str) -> Error {
    Error::Forbidden(format!("identity:{action}"))
}

/// Create, update or delete anything global.
pub fn admin(ctx: &AuthContext, action: &str) -> Result<(), Error> {
    if ctx.is_admin() {
        return Ok(());
    }
    Err(deny(action))
}

/// List or show the cloud's shared data (roles, services, endpoints, ...).
pub fn reader(ctx: &AuthContext, action: &str) -> Result<(), Error> {
    if ctx.is_system_reader() {
        return Ok(());
    }
    Err(deny(action))
}

/// Acting on one's own user (or being an admin).
pub fn owner_or_admin(ctx: &AuthContext, user_id: &str, action: &str) -> Result<(), Error> {
    if ctx.user_id() == user_id || ctx.is_admin() {
        return Ok(());
    }
    Err(deny(action))
}

/// Reading a domain: readers, and anyone scoped to it or to a project in it.
pub fn get_domain(ctx: &AuthContext, domain_id: &str) -> Result<(), Error> {
    if ctx.is_system_reader() || ctx.scope_domain_id() == Some(domain_id) {
        return Ok(());
    }
    Err(deny("get_domain"))
}

/// Reading a project: readers, and anyone scoped to it.
pub fn get_project(ctx: &AuthContext, project_id: &str) -> Result<(), Error> {
    if ctx.is_system_reader() || ctx.project_id() == Some(project_id) {
        return Ok(());
    }
    Err(deny("get_project"))
}
