//! Subnet pools (`subnet_allocation`): prefixes from which subnets take
//! their CIDR by prefix length.

use crate::attrs::{self, flexible_bool, Unknown};
use crate::error::{Error, Result};
use crate::ipam;
use crate::policy::{requested_project, Caller};
use crate::store::models::SubnetPoolRow;
use crate::store::{self, Conn};
use crate::subnets::json;
use crate::{quotas, Ctx};
use ipnet::IpNet;
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct SubnetPool {
    pub row: SubnetPoolRow,
    pub prefixes: Vec<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubnetPoolRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub prefixes: Option<Vec<String>>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub default_prefixlen: Option<i64>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub min_prefixlen: Option<i64>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub max_prefixlen: Option<i64>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub shared: Option<bool>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub is_default: Option<bool>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub default_quota: Option<i64>,
    #[serde(default, deserialize_with = "attrs::nullable")]
    pub address_scope_id: Option<Option<String>>,
    pub project_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

fn decode(row: SubnetPoolRow, tags: Vec<String>) -> SubnetPool {
    SubnetPool {
        prefixes: serde_json::from_str(&row.prefixes).unwrap_or_default(),
        tags,
        row,
    }
}

pub fn expand(c: &mut Conn, rows: Vec<SubnetPoolRow>) -> Result<Vec<SubnetPool>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut tags = store::tags::of(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = tags.remove(&r.id).unwrap_or_default();
            decode(r, t)
        })
        .collect())
}

pub fn visible(c: &mut Conn, caller: &Caller, id: &str) -> Result<SubnetPoolRow> {
    match store::subnetpools::get(c, id)? {
        Some(p) if caller.owns(&p.project_id) || p.shared => Ok(p),
        _ => Err(Error::not_found(
            "SubnetPoolNotFound",
            format!("Subnet pool {id} could not be found."),
        )),
    }
}

pub fn list(c: &mut Conn, caller: &Caller) -> Result<Vec<SubnetPool>> {
    let rows = caller.scoped(c, store::subnetpools::all, |c, p| {
        store::subnetpools::visible_to(c, p)
    })?;
    expand(c, rows)
}

pub fn show(c: &mut Conn, caller: &Caller, id: &str) -> Result<SubnetPool> {
    let row = visible(c, caller, id)?;
    Ok(expand(c, vec![row])?.remove(0))
}

fn parse_prefixes(prefixes: &[String]) -> Result<(Vec<IpNet>, i32)> {
    let mut nets = Vec::new();
    for p in prefixes {
        let net: IpNet = p.parse().map_err(|_| {
            Error::invalid_attr("prefixes", format!("'{p}' is not a valid IP subnet"))
        })?;
        nets.push(net.trunc());
    }
    let Some(first) = nets.first() else {
        return Err(Error::invalid_attr(
            "prefixes",
            "at least one prefix is required",
        ));
    };
    let version = ipam::version_of(&first.addr());
    if nets.iter().any(|n| ipam::version_of(&n.addr()) != version) {
        return Err(Error::invalid(
            "Illegal subnetpool: mixed IP versions in prefixes",
        ));
    }
    Ok((IpNet::aggregate(&nets), version))
}

fn prefix_bounds(
    version: i32,
    req: &SubnetPoolRequest,
    current: Option<&SubnetPoolRow>,
) -> Result<(i32, i32, i32)> {
    let bits = if version == 4 { 32 } else { 128 };
    let min = req
        .min_prefixlen
        .map(|v| v as i32)
        .or(current.map(|c| c.min_prefixlen))
        .unwrap_or(if version == 4 { 8 } else { 64 });
    let max = req
        .max_prefixlen
        .map(|v| v as i32)
        .or(current.map(|c| c.max_prefixlen))
        .unwrap_or(bits);
    let default = req
        .default_prefixlen
        .map(|v| v as i32)
        .or(current.map(|c| c.default_prefixlen))
        .unwrap_or(min);
    if !(0..=bits).contains(&min)
        || !(0..=bits).contains(&max)
        || min > max
        || default < min
        || default > max
    {
        return Err(Error::invalid(format!(
            "Illegal prefix bounds: min_prefixlen={min}, default_prefixlen={default}, max_prefixlen={max}"
        )));
    }
    Ok((min, default, max))
}

pub fn create(c: &mut Conn, ctx: &Ctx, req: SubnetPoolRequest) -> Result<SubnetPool> {
    attrs::refuse_unknown(&req.unknown)?;
    if req.shared == Some(true) {
        ctx.caller.require_admin("create_subnetpool:shared")?;
    }
    if req.is_default == Some(true) {
        ctx.caller.require_admin("create_subnetpool:is_default")?;
    }
    let project = ctx.caller.owner_for_create(requested_project(
        req.project_id.clone(),
        req.tenant_id.clone(),
    )?)?;
    quotas::check(c, ctx.conf, &project, "subnetpool", 1)?;
    let prefixes = req.prefixes.as_deref().ok_or_else(|| {
        Error::bad_request("Failed to parse request. Required attribute 'prefixes' not specified")
    })?;
    let (nets, version) = parse_prefixes(prefixes)?;
    let (min, default, max) = prefix_bounds(version, &req, None)?;
    if req.is_default == Some(true) && store::subnetpools::default_for(c, version)?.is_some() {
        return Err(Error::invalid(format!(
            "A default subnetpool for IPv{version} already exists"
        )));
    }
    let now = compat_api::time::now_us();
    let row = SubnetPoolRow {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project,
        name: attrs::text("name", req.name)?.unwrap_or_default(),
        description: attrs::text("description", req.description)?.unwrap_or_default(),
        ip_version: version,
        prefixes: json(&nets.iter().map(ToString::to_string).collect::<Vec<_>>()),
        default_prefixlen: default,
        min_prefixlen: min,
        max_prefixlen: max,
        shared: req.shared.unwrap_or(false),
        is_default: req.is_default.unwrap_or(false),
        default_quota: req.default_quota.map(|q| q as i32),
        address_scope_id: req.address_scope_id.flatten(),
        revision_number: 1,
        created_at: now,
        updated_at: now,
    };
    store::subnetpools::insert(c, &row)?;
    Ok(decode(row, Vec::new()))
}

pub fn update(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: SubnetPoolRequest,
    if_match: Option<i64>,
) -> Result<SubnetPool> {
    attrs::refuse_unknown(&req.unknown)?;
    attrs::refuse_read_only(
        "project_id",
        req.project_id.is_some() || req.tenant_id.is_some(),
    )?;
    attrs::refuse_read_only("shared", req.shared.is_some())?;
    let mut row = visible(c, ctx.caller, id)?;
    if !ctx.caller.owns(&row.project_id) {
        return Err(Error::policy("update_subnetpool"));
    }
    attrs::check_revision(if_match, row.revision_number)?;
    if req.is_default.is_some() {
        ctx.caller.require_admin("update_subnetpool:is_default")?;
    }
    let (min, default, max) = prefix_bounds(row.ip_version, &req, Some(&row))?;
    if let Some(prefixes) = &req.prefixes {
        let (nets, version) = parse_prefixes(prefixes)?;
        if version != row.ip_version {
            return Err(Error::invalid(
                "Illegal subnetpool: prefixes of another IP version",
            ));
        }
        let old: Vec<IpNet> = decode(row.clone(), Vec::new())
            .prefixes
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        // Prefixes may grow, never shrink: subnets may already use them.
        if old.iter().any(|o| !nets.iter().any(|n| n.contains(o))) {
            return Err(Error::invalid(
                "Illegal update to prefixes: existing prefixes must remain",
            ));
        }
        row.prefixes = json(&nets.iter().map(ToString::to_string).collect::<Vec<_>>());
    }
    row.min_prefixlen = min;
    row.default_prefixlen = default;
    row.max_prefixlen = max;
    if let Some(name) = attrs::text("name", req.name)? {
        row.name = name;
    }
    if let Some(d) = attrs::text("description", req.description)? {
        row.description = d;
    }
    if let Some(v) = req.is_default {
        row.is_default = v;
    }
    if let Some(q) = req.default_quota {
        row.default_quota = Some(q as i32);
    }
    if let Some(scope) = req.address_scope_id {
        row.address_scope_id = scope;
    }
    attrs::touch(&mut row.revision_number, &mut row.updated_at);
    store::subnetpools::update(c, &row)?;
    Ok(expand(c, vec![row])?.remove(0))
}

pub fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<()> {
    let row = visible(c, ctx.caller, id)?;
    if !ctx.caller.owns(&row.project_id) {
        return Err(Error::policy("delete_subnetpool"));
    }
    if !store::subnets::of_subnetpool(c, id)?.is_empty() {
        return Err(Error::conflict(
            "SubnetPoolInUse",
            format!(
                "Unable to complete operation on subnet pool {id}. Subnets are allocated from it."
            ),
        ));
    }
    store::subnetpools::delete(c, id)?;
    Ok(())
}

fn used_by_pool(c: &mut Conn, pool_id: &str) -> Result<Vec<IpNet>> {
    Ok(store::subnets::of_subnetpool(c, pool_id)?
        .into_iter()
        .filter_map(|s| s.cidr.parse().ok())
        .collect())
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A client-chosen CIDR for a subnet of a pool: inside the pool, within its
/// prefix bounds and free.
pub fn check_cidr_in_pool(c: &mut Conn, caller: &Caller, pool_id: &str, net: &IpNet) -> Result<()> {
    let pool = decode(visible(c, caller, pool_id)?, Vec::new());
    let inside = pool
        .prefixes
        .iter()
        .filter_map(|p| p.parse::<IpNet>().ok())
        .any(|p| p.contains(net));
    let len = net.prefix_len() as i32;
    if !inside || len < pool.row.min_prefixlen || len > pool.row.max_prefixlen {
        return Err(Error::bad_request(format!(
            "Cidr {net} is not within the prefixes or prefix bounds of subnet pool {pool_id}"
        )));
    }
    if used_by_pool(c, pool_id)?.iter().any(|u| overlaps(u, net)) {
        return Err(Error::conflict(
            "SubnetAllocationError",
            format!(
                "Failed to allocate subnet: Cidr {net} overlaps with another subnet of the pool"
            ),
        ));
    }
    Ok(())
}

/// The first free block of `prefixlen` (or the pool's default) in a pool.
pub fn allocate(
    c: &mut Conn,
    caller: &Caller,
    pool_id: &str,
    prefixlen: Option<i64>,
) -> Result<IpNet> {
    let pool = decode(visible(c, caller, pool_id)?, Vec::new());
    let len = prefixlen
        .map(|p| p as i32)
        .unwrap_or(pool.row.default_prefixlen);
    if len < pool.row.min_prefixlen || len > pool.row.max_prefixlen {
        return Err(Error::bad_request(format!(
            "Unable to allocate subnet with prefix length {len}, minimum allowed prefix is {}, maximum allowed prefix is {}",
            pool.row.min_prefixlen, pool.row.max_prefixlen
        )));
    }
    let used = used_by_pool(c, pool_id)?;
    for prefix in pool.prefixes.iter().filter_map(|p| p.parse::<IpNet>().ok()) {
        let Ok(blocks) = prefix.subnets(len as u8) else {
            continue;
        };
        if let Some(free) = blocks
            .into_iter()
            .find(|b| !used.iter().any(|u| overlaps(u, b)))
        {
            return Ok(free);
        }
    }
    Err(Error::conflict(
        "SubnetAllocationError",
        format!(
            "Failed to allocate subnet: Insufficient prefix space to allocate subnet size /{len}."
        ),
    ))
}
