//! Compute quotas: limits per project (`os-quota-sets`, defaults from
//! `[quota]` and the `default` quota class), usage counted from the
//! instances themselves, so nothing can leak.

use crate::config::ComputeConfig;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::{self, Conn};
use std::collections::BTreeMap;

/// The limits that apply to a project: class `default`, then the project's own.
pub fn limits(
    c: &mut Conn,
    conf: &ComputeConfig,
    project_id: &str,
) -> Result<BTreeMap<String, i64>> {
    let mut out: BTreeMap<String, i64> = conf.quotas.clone();
    out.extend(store::quotas::of_class(c, "default")?);
    out.extend(store::quotas::of_project(c, project_id)?);
    Ok(out)
}

pub fn defaults(c: &mut Conn, conf: &ComputeConfig) -> Result<BTreeMap<String, i64>> {
    class_limits(c, conf, "default")
}

/// What a project uses of the counted resources.
pub fn usage(c: &mut Conn, project_id: &str) -> Result<BTreeMap<String, i64>> {
    let (instances, cores, ram) = store::instances::usage(c, project_id)?;
    Ok(BTreeMap::from([
        ("instances".to_owned(), instances),
        ("cores".to_owned(), cores),
        ("ram".to_owned(), ram),
    ]))
}

/// A resource over its limit: (name, requested, used, limit).
type Over<'a> = (&'a str, i64, i64, i64);

/// Refuses `count` more instances of this size if a limit would be passed,
/// with nova's message (403).
pub fn check_instances(
    c: &mut Conn,
    conf: &ComputeConfig,
    project_id: &str,
    count: i64,
    vcpus: i64,
    ram: i64,
) -> Result<()> {
    let wanted = [
        ("cores", vcpus * count),
        ("instances", count),
        ("ram", ram * count),
    ];
    check(c, conf, project_id, &wanted)
}

/// Refuses a resize that adds `vcpus` and `ram` beyond the limits.
pub fn check_resources(
    c: &mut Conn,
    conf: &ComputeConfig,
    project_id: &str,
    vcpus: i64,
    ram: i64,
) -> Result<()> {
    check(c, conf, project_id, &[("cores", vcpus), ("ram", ram)])
}

fn check(
    c: &mut Conn,
    conf: &ComputeConfig,
    project_id: &str,
    wanted: &[(&str, i64)],
) -> Result<()> {
    let limits = limits(c, conf, project_id)?;
    let used = usage(c, project_id)?;
    let over: Vec<Over> = wanted
        .iter()
        .filter_map(|(res, req)| {
            let limit = *limits.get(*res).unwrap_or(&-1);
            let have = *used.get(*res).unwrap_or(&0);
            (limit >= 0 && have + req > limit).then_some((*res, *req, have, limit))
        })
        .collect();
    if over.is_empty() {
        return Ok(());
    }
    let join = |f: &dyn Fn(&Over) -> String| over.iter().map(f).collect::<Vec<_>>().join(", ");
    Err(Error::OverQuota(format!(
        "Quota exceeded for {}: Requested {}, but already used {} of {} {}",
        join(&|o| o.0.to_owned()),
        join(&|o| o.1.to_string()),
        join(&|o| o.2.to_string()),
        join(&|o| o.3.to_string()),
        join(&|o| o.0.to_owned()),
    )))
}

/// `PUT /os-quota-sets/{project}`: admin only; with `force` false a limit
/// below what is in use is refused.
pub fn update(
    c: &mut Conn,
    ctx: &Context,
    conf: &ComputeConfig,
    project_id: &str,
    values: BTreeMap<String, i64>,
    force: bool,
) -> Result<BTreeMap<String, i64>> {
    ctx.require_admin("os_compute_api:os-quota-sets:update")?;
    let used = usage(c, project_id)?;
    for (res, limit) in &values {
        if !conf.quotas.contains_key(res) {
            return Err(Error::bad_request(format!("Bad key(s) {res} in quota_set")));
        }
        if *limit < -1 {
            return Err(Error::bad_request(format!(
                "Quota limit {limit} for {res} must be -1 or greater."
            )));
        }
        let in_use = used.get(res).copied().unwrap_or(0);
        if !force && *limit >= 0 && *limit < in_use {
            return Err(Error::bad_request(format!(
                "Quota limit {limit} for {res} must be greater than or equal to already used and reserved {in_use}."
            )));
        }
    }
    for (res, limit) in values {
        store::quotas::set(c, project_id, &res, limit)?;
    }
    limits(c, conf, project_id)
}

/// The limits of a quota class: `[quota]` overridden by what was set for
/// it. Only the `default` class applies to projects (as in nova).
pub fn class_limits(
    c: &mut Conn,
    conf: &ComputeConfig,
    class: &str,
) -> Result<BTreeMap<String, i64>> {
    let mut out: BTreeMap<String, i64> = conf.quotas.clone();
    out.extend(store::quotas::of_class(c, class)?);
    Ok(out)
}

/// `PUT /os-quota-class-sets/{class}` (admin).
pub fn update_class(
    c: &mut Conn,
    ctx: &Context,
    conf: &ComputeConfig,
    class: &str,
    values: BTreeMap<String, i64>,
) -> Result<BTreeMap<String, i64>> {
    ctx.require_admin("os_compute_api:os-quota-class-sets:update")?;
    if class.is_empty() || class.chars().count() > 255 {
        return Err(Error::bad_request(
            "The quota class name must be 1-255 characters.",
        ));
    }
    for (res, limit) in &values {
        if !conf.quotas.contains_key(res) {
            return Err(Error::bad_request(format!(
                "Bad key(s) {res} in quota_class_set"
            )));
        }
        if *limit < -1 {
            return Err(Error::bad_request(format!(
                "Quota limit {limit} for {res} must be -1 or greater."
            )));
        }
    }
    for (res, limit) in values {
        store::quotas::set_class(c, class, &res, limit)?;
    }
    class_limits(c, conf, class)
}

pub fn reset(c: &mut Conn, ctx: &Context, project_id: &str) -> Result<()> {
    ctx.require_admin("os_compute_api:os-quota-sets:delete")?;
    store::quotas::delete_project(c, project_id)?;
    Ok(())
}

/// Too many metadata items for the limit (-1: none) is nova's 403.
pub fn check_metadata_count(limit: i64, count: usize) -> Result<()> {
    if limit >= 0 && count as i64 > limit {
        return Err(Error::OverQuota(format!(
            "Maximum number of metadata items exceeds {limit}"
        )));
    }
    Ok(())
}

impl crate::ComputeService {
    /// The project's `metadata_items` limit (-1 for none).
    pub async fn metadata_limit(&self, ctx: &Context) -> Result<i64> {
        let (conf, project) = (self.conf.clone(), ctx.project_id.clone());
        let l = self.read(move |c| limits(c, &conf, &project)).await?;
        Ok(*l.get("metadata_items").unwrap_or(&-1))
    }
}
