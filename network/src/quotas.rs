//! Quotas: configured defaults, per-project overrides, enforcement.

use crate::config::{NetworkConfig, QUOTA_DEFAULTS};
use crate::error::{Error, Result};
use crate::store::{self, Conn};
use std::collections::BTreeMap;

/// The limits of a project: defaults with its overrides applied.
pub fn limits(
    c: &mut Conn,
    conf: &NetworkConfig,
    project_id: &str,
) -> Result<BTreeMap<String, i64>> {
    let mut out = conf.quotas.clone();
    for (resource, limit) in store::quotas::of_project(c, project_id)? {
        out.insert(resource, limit as i64);
    }
    Ok(out)
}

pub fn is_known(resource: &str) -> bool {
    QUOTA_DEFAULTS.iter().any(|(r, _)| *r == resource)
}

/// How many of `resource` a project has.
pub fn usage(c: &mut Conn, project_id: &str, resource: &str) -> Result<i64> {
    Ok(match resource {
        "network" => store::networks::count_of_project(c, project_id)?,
        "subnet" => store::subnets::count_of_project(c, project_id)?,
        "subnetpool" => store::subnetpools::count_of_project(c, project_id)?,
        "port" => store::ports::count_of_project(c, project_id)?,
        "router" => store::routers::count_of_project(c, project_id)?,
        "floatingip" => store::floating_ips::count_of_project(c, project_id)?,
        "security_group" => store::security_groups::count_of_project(c, project_id)?,
        "security_group_rule" => store::security_groups::rules::count_of_project(c, project_id)?,
        _ => 0,
    })
}

/// Refuses with `OverQuota` when `adding` more would pass the limit.
pub fn check(
    c: &mut Conn,
    conf: &NetworkConfig,
    project_id: &str,
    resource: &str,
    adding: i64,
) -> Result<()> {
    // Ports of routers and floating IPs belong to no project.
    if project_id.is_empty() {
        return Ok(());
    }
    let limit = limits(c, conf, project_id)?
        .get(resource)
        .copied()
        .unwrap_or(-1);
    if limit < 0 {
        return Ok(());
    }
    if usage(c, project_id, resource)? + adding > limit {
        return Err(Error::conflict(
            "OverQuota",
            format!("Quota exceeded for resources: ['{resource}']."),
        ));
    }
    Ok(())
}

/// `PUT /v2.0/quotas/{project_id}`: every value an integer ≥ -1 and, unless
/// forced, not below what the project already uses.
pub fn update(
    c: &mut Conn,
    project_id: &str,
    values: &BTreeMap<String, i64>,
    check_usage: bool,
) -> Result<()> {
    for (resource, limit) in values {
        if !is_known(resource) {
            return Err(Error::bad_request(format!(
                "Unrecognized attribute(s) '{resource}'"
            )));
        }
        if *limit < -1 || *limit > i32::MAX as i64 {
            return Err(Error::invalid_attr(
                resource,
                format!("'{limit}' should be greater than or equal to -1"),
            ));
        }
    }
    for (resource, limit) in values {
        if check_usage && *limit >= 0 {
            let used = usage(c, project_id, resource)?;
            if used > *limit {
                return Err(Error::bad_request(format!(
                    "Quota limit {limit} for {resource} must be greater than or equal to already used {used}"
                )));
            }
        }
        store::quotas::set(c, project_id, resource, *limit as i32)?;
    }
    Ok(())
}
