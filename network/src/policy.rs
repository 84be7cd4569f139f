//! Who may see and change what: neutron's default policy, for the rules
//! the API has so far. Owners act on their own resources, admins on all;
//! shared and external networks are visible to everyone.

use crate::error::{Error, Result};
use crate::store::Conn;

/// The caller as the domain sees it.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub project_id: Option<String>,
    pub is_admin: bool,
}

impl Caller {
    pub fn admin() -> Caller {
        Caller {
            project_id: None,
            is_admin: true,
        }
    }

    pub fn owns(&self, project_id: &str) -> bool {
        self.is_admin || self.project_id.as_deref() == Some(project_id)
    }

    /// The project a new resource belongs to: the caller's, or for an admin
    /// any project named in `project_id`/`tenant_id`.
    pub fn owner_for_create(&self, requested: Option<String>) -> Result<String> {
        match (requested, &self.project_id) {
            (Some(p), Some(own)) if &p == own => Ok(p),
            (Some(p), _) if self.is_admin => Ok(p),
            (Some(_), _) => Err(Error::bad_request(
                "Specifying 'project_id' other than the authenticated project in request is not allowed for the current user.",
            )),
            (None, Some(own)) => Ok(own.clone()),
            (None, None) => Err(Error::invalid_attr(
                "project_id",
                "a project must be given for a resource created without a project scope",
            )),
        }
    }

    /// What a list shows: everything to an admin, a project's share to its
    /// members (`own`), nothing to a caller without a project.
    pub fn scoped<T, E: Into<Error>>(
        &self,
        c: &mut Conn,
        all: impl FnOnce(&mut Conn) -> std::result::Result<Vec<T>, E>,
        own: impl FnOnce(&mut Conn, &str) -> std::result::Result<Vec<T>, E>,
    ) -> Result<Vec<T>> {
        match (&self.project_id, self.is_admin) {
            (_, true) => all(c).map_err(Into::into),
            (Some(p), false) => own(c, p).map_err(Into::into),
            (None, false) => Ok(Vec::new()),
        }
    }

    /// An admin-only attribute was given by someone else.
    pub fn require_admin(&self, action: &str) -> Result<()> {
        if self.is_admin {
            Ok(())
        } else {
            Err(Error::policy(action))
        }
    }
}

/// `project_id` and `tenant_id` in a request body are one attribute.
pub fn requested_project(
    project_id: Option<String>,
    tenant_id: Option<String>,
) -> Result<Option<String>> {
    match (project_id, tenant_id) {
        (Some(p), Some(t)) if p != t => {
            Err(Error::invalid("'project_id' and 'tenant_id' do not match"))
        }
        (p, t) => Ok(p.or(t)),
    }
}
