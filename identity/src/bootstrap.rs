//! First-start setup, as `keystone-manage bootstrap`: the default domain, the
//! admin/member/reader roles (admin implies member implies reader), the
//! `admin` and `demo` projects, the `admin` user, the region and the catalog
//! entries of the services this cloud runs. Idempotent: a second run reuses
//! everything and only adds what is missing.

use crate::assignment::{kind, SYSTEM_TARGET};
use crate::error::Error;
use crate::store::models::{
    Assignment, Domain, Endpoint, Password, Project, Region, Role, Service, User,
};
use crate::store::{
    assignment as roles_q, catalog as cat_q, identity as users_q, new_id, resource as res_q,
    AnyConnection,
};
use crate::{password, Identity};
use compat_api::time::now_us;

/// A catalog entry: every interface gets the same URL.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    pub service_type: String,
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    /// The admin password; generated on first start when absent.
    pub admin_password: Option<String>,
    /// Reset the admin password of an existing admin user (manage bootstrap).
    pub reset_password: bool,
    pub region: String,
    pub services: Vec<CatalogEntry>,
}

#[derive(Debug, Clone, Default)]
pub struct BootstrapReport {
    /// Set when the admin user was created with a generated password.
    pub generated_password: Option<String>,
    pub admin_created: bool,
    pub admin_password: Option<String>,
    /// The `admin` project, which owns the resources other services bootstrap.
    pub admin_project_id: String,
}

fn ensure_role(c: &mut AnyConnection, name: &str) -> Result<Role, Error> {
    if let Some(r) = roles_q::list_roles(c, Some(name), None)?.into_iter().next() {
        return Ok(r);
    }
    let role = Role {
        id: new_id(),
        name: name.into(),
        domain_id: String::new(),
        description: String::new(),
        options: "{}".into(),
    };
    roles_q::insert_role(c, &role)?;
    Ok(role)
}

fn ensure_project(
    c: &mut AnyConnection,
    domain_id: &str,
    name: &str,
    description: &str,
) -> Result<Project, Error> {
    if let Some(p) = res_q::find_project_by_name(c, domain_id, name)? {
        return Ok(p);
    }
    let project = Project {
        id: new_id(),
        name: name.into(),
        domain_id: domain_id.into(),
        parent_id: None,
        description: description.into(),
        enabled: true,
        options: "{}".into(),
        created_at: now_us(),
    };
    res_q::insert_project(c, &project)?;
    Ok(project)
}

fn grant(
    c: &mut AnyConnection,
    kind: &str,
    actor: &str,
    target: &str,
    role: &str,
) -> Result<(), Error> {
    Ok(roles_q::insert_assignment(
        c,
        &Assignment {
            kind: kind.into(),
            actor_id: actor.into(),
            target_id: target.into(),
            role_id: role.into(),
            inherited: false,
        },
    )?)
}

fn ensure_catalog(
    c: &mut AnyConnection,
    region: &str,
    entries: &[CatalogEntry],
) -> Result<(), Error> {
    if cat_q::get_region(c, region)?.is_none() {
        cat_q::insert_region(
            c,
            &Region {
                id: region.into(),
                description: String::new(),
                parent_region_id: None,
                extra: "{}".into(),
            },
        )?;
    }
    for entry in entries {
        let service = match cat_q::list_services(c, Some(&entry.service_type), None)?
            .into_iter()
            .next()
        {
            Some(s) => s,
            None => {
                let s = Service {
                    id: new_id(),
                    service_type: entry.service_type.clone(),
                    name: entry.name.clone(),
                    description: String::new(),
                    enabled: true,
                    extra: "{}".into(),
                };
                cat_q::insert_service(c, &s)?;
                s
            }
        };
        for interface in crate::catalog::admin::INTERFACES {
            let filter = cat_q::EndpointFilter {
                service_id: Some(service.id.clone()),
                interface: Some(interface.into()),
                region_id: Some(region.into()),
            };
            match cat_q::list_endpoints(c, &filter)?.into_iter().next() {
                Some(mut e) if e.url != entry.url => {
                    e.url = entry.url.clone();
                    cat_q::update_endpoint(c, &e)?;
                }
                Some(_) => {}
                None => cat_q::insert_endpoint(
                    c,
                    &Endpoint {
                        id: new_id(),
                        service_id: service.id.clone(),
                        interface: interface.into(),
                        url: entry.url.clone(),
                        region_id: Some(region.into()),
                        enabled: true,
                        extra: "{}".into(),
                    },
                )?,
            }
        }
    }
    Ok(())
}

fn random_password() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Identity {
    pub fn bootstrap(&self, opts: &BootstrapOptions) -> Result<BootstrapReport, Error> {
        let domain_id = self.conf.default_domain_id.clone();
        let existing_admin = self
            .db
            .run_sync(|c| users_q::find_user_by_name(c, &domain_id, "admin"))?;
        let mut report = BootstrapReport::default();
        let new_password = match (&existing_admin, &opts.admin_password) {
            (None, Some(p)) => Some(p.clone()),
            (None, None) => {
                let p = random_password();
                report.generated_password = Some(p.clone());
                Some(p)
            }
            (Some(_), Some(p)) if opts.reset_password => Some(p.clone()),
            (Some(_), _) => None,
        };
        report.admin_password = new_password.clone().or(opts.admin_password.clone());
        let hashed = match &new_password {
            Some(p) => Some(password::hash(p, self.conf.password_hash_rounds)?),
            None => None,
        };
        report.admin_created = existing_admin.is_none();
        report.admin_project_id = self.db.write_sync(|c| -> Result<String, Error> {
            if res_q::get_domain(c, &domain_id)?.is_none() {
                res_q::insert_domain(
                    c,
                    &Domain {
                        id: domain_id.clone(),
                        name: "Default".into(),
                        description: "The default domain".into(),
                        enabled: true,
                        options: "{}".into(),
                        created_at: now_us(),
                    },
                )?;
            }
            let admin_role = ensure_role(c, "admin")?;
            let member = ensure_role(c, "member")?;
            let reader = ensure_role(c, "reader")?;
            let implications = roles_q::implications(c)?;
            for (p, i) in [(&admin_role.id, &member.id), (&member.id, &reader.id)] {
                if !implications.contains(&(p.clone(), i.clone())) {
                    roles_q::add_implication(c, p, i)?;
                }
            }
            let admin_project = ensure_project(
                c,
                &domain_id,
                "admin",
                "Bootstrap project for the cloud administrator",
            )?;
            ensure_project(c, &domain_id, "demo", "Demo project")?;
            let user = match users_q::find_user_by_name(c, &domain_id, "admin")? {
                Some(u) => u,
                None => {
                    let u = User {
                        id: new_id(),
                        name: "admin".into(),
                        domain_id: domain_id.clone(),
                        enabled: true,
                        default_project_id: Some(admin_project.id.clone()),
                        extra: "{}".into(),
                        options: "{}".into(),
                        created_at: now_us(),
                        last_active_at: None,
                        failed_auth_count: 0,
                        failed_auth_at: None,
                    };
                    users_q::insert_user(c, &u)?;
                    u
                }
            };
            if let Some(h) = &hashed {
                users_q::insert_password(
                    c,
                    &Password {
                        id: new_id(),
                        user_id: user.id.clone(),
                        password_hash: h.clone(),
                        created_at: now_us(),
                        expires_at: None,
                        self_service: false,
                    },
                )?;
            }
            grant(
                c,
                kind::USER_PROJECT,
                &user.id,
                &admin_project.id,
                &admin_role.id,
            )?;
            grant(
                c,
                kind::USER_SYSTEM,
                &user.id,
                SYSTEM_TARGET,
                &admin_role.id,
            )?;
            ensure_catalog(c, &opts.region, &opts.services)?;
            Ok(admin_project.id)
        })?;
        self.catalog.invalidate();
        Ok(report)
    }
}
