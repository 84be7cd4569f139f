//! Host aggregates (`os-aggregates`): named sets of hosts with metadata.
//! An aggregate whose metadata has `availability_zone` makes its hosts that
//! zone; hosts in no such aggregate are in `[DEFAULT]
//! default_availability_zone`. The scheduler reads zones and metadata from
//! here (AvailabilityZoneFilter, AggregateInstanceExtraSpecsFilter).

use crate::context::Context;
use crate::error::{Error, Result};
use crate::store::models::AggregateRow;
use crate::store::{self, Conn};
use std::collections::{BTreeMap, HashMap, HashSet};

pub const AZ_KEY: &str = "availability_zone";

#[derive(Debug, Clone)]
pub struct Aggregate {
    pub row: AggregateRow,
    pub metadata: BTreeMap<String, String>,
    pub hosts: Vec<String>,
}

impl Aggregate {
    pub fn availability_zone(&self) -> Option<&str> {
        self.metadata.get(AZ_KEY).map(String::as_str)
    }
}

/// Every aggregate with its hosts.
pub fn all(c: &mut Conn) -> Result<Vec<Aggregate>> {
    let mut hosts: HashMap<String, Vec<String>> = HashMap::new();
    for (agg, host) in store::aggregates::memberships(c)? {
        hosts.entry(agg).or_default().push(host);
    }
    Ok(store::aggregates::all(c)?
        .into_iter()
        .map(|row| Aggregate {
            metadata: serde_json::from_str(&row.metadata).unwrap_or_default(),
            hosts: hosts.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// One aggregate by the integer id the API uses, or 404.
pub fn get(c: &mut Conn, id: &str) -> Result<Aggregate> {
    let not_found = || Error::NotFound(format!("Aggregate {id} could not be found."));
    let seq: i64 = id.parse().map_err(|_| not_found())?;
    let row = store::aggregates::by_seq(c, seq)?.ok_or_else(not_found)?;
    all(c)?
        .into_iter()
        .find(|a| a.row.id == row.id)
        .ok_or_else(not_found)
}

/// The zone of each host that is in a zoned aggregate.
pub fn host_zones(aggregates: &[Aggregate]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for a in aggregates {
        if let Some(zone) = a.availability_zone() {
            for h in &a.hosts {
                out.insert(h.clone(), zone.to_owned());
            }
        }
    }
    out
}

/// Each host's aggregate metadata, values of several aggregates merged.
pub fn host_metadata(
    aggregates: &[Aggregate],
) -> HashMap<String, BTreeMap<String, HashSet<String>>> {
    let mut out: HashMap<String, BTreeMap<String, HashSet<String>>> = HashMap::new();
    for a in aggregates {
        for h in &a.hosts {
            let meta = out.entry(h.clone()).or_default();
            for (k, v) in &a.metadata {
                meta.entry(k.clone()).or_default().insert(v.clone());
            }
        }
    }
    out
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.trim() != name || name.chars().count() > 255 {
        return Err(Error::bad_request(
            "Invalid input for field/attribute name. Value must be 1-255 printable characters without leading or trailing whitespace.",
        ));
    }
    Ok(())
}

fn check_zone_name(zone: &str) -> Result<()> {
    if zone.is_empty() || zone.chars().count() > 255 || zone.contains(':') {
        return Err(Error::bad_request(
            "Invalid input for field/attribute availability_zone. Value must be 1-255 characters without ':'.",
        ));
    }
    Ok(())
}

/// A host may be in one zone only: the zones its other aggregates give it
/// must agree with `zone`.
fn check_host_zone(all: &[Aggregate], id: &str, host: &str, zone: Option<&str>) -> Result<()> {
    let Some(zone) = zone else { return Ok(()) };
    let others: Vec<&str> = all
        .iter()
        .filter(|a| a.row.id != id && a.hosts.iter().any(|h| h == host))
        .filter_map(Aggregate::availability_zone)
        .filter(|z| *z != zone)
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    Err(Error::bad_request(format!(
        "One or more hosts already in availability zone(s) {others:?}"
    )))
}

fn save(c: &mut Conn, agg: &mut Aggregate) -> Result<()> {
    agg.row.metadata = serde_json::to_string(&agg.metadata).unwrap_or_else(|_| "{}".into());
    agg.row.updated_at = Some(compat_api::time::now_us());
    store::aggregates::update(c, &agg.row)?;
    Ok(())
}

pub fn create(c: &mut Conn, ctx: &Context, name: &str, zone: Option<&str>) -> Result<Aggregate> {
    ctx.require_admin("os_compute_api:os-aggregates:create")?;
    check_name(name)?;
    if let Some(z) = zone {
        check_zone_name(z)?;
    }
    if store::aggregates::by_name(c, name)?.is_some() {
        return Err(Error::conflict(format!("Aggregate {name} already exists.")));
    }
    let metadata: BTreeMap<String, String> = zone
        .map(|z| BTreeMap::from([(AZ_KEY.to_owned(), z.to_owned())]))
        .unwrap_or_default();
    let row = AggregateRow {
        id: uuid::Uuid::new_v4().to_string(),
        seq: store::aggregates::next_aggregate_seq(c)?,
        name: name.to_owned(),
        metadata: serde_json::to_string(&metadata).unwrap_or_else(|_| "{}".into()),
        created_at: compat_api::time::now_us(),
        updated_at: None,
    };
    store::aggregates::insert(c, &row)?;
    Ok(Aggregate {
        row,
        metadata,
        hosts: Vec::new(),
    })
}

/// `PUT`: a new name and/or zone (`Some(None)` clears the zone).
pub fn update(
    c: &mut Conn,
    ctx: &Context,
    id: &str,
    name: Option<String>,
    zone: Option<Option<String>>,
) -> Result<Aggregate> {
    ctx.require_admin("os_compute_api:os-aggregates:update")?;
    let mut agg = get(c, id)?;
    if let Some(name) = name {
        check_name(&name)?;
        if name != agg.row.name && store::aggregates::by_name(c, &name)?.is_some() {
            return Err(Error::conflict(format!("Aggregate {name} already exists.")));
        }
        agg.row.name = name;
    }
    if let Some(zone) = zone {
        set_zone(c, &mut agg, zone)?;
    }
    save(c, &mut agg)?;
    Ok(agg)
}

fn set_zone(c: &mut Conn, agg: &mut Aggregate, zone: Option<String>) -> Result<()> {
    match zone {
        Some(z) => {
            check_zone_name(&z)?;
            let all = all(c)?;
            for h in &agg.hosts {
                check_host_zone(&all, &agg.row.id, h, Some(&z)).map_err(|e| {
                    Error::bad_request(format!(
                        "Cannot update aggregate {}. Reason: {e}",
                        agg.row.seq
                    ))
                })?;
            }
            agg.metadata.insert(AZ_KEY.into(), z);
        }
        None => {
            agg.metadata.remove(AZ_KEY);
        }
    }
    Ok(())
}

/// `set_metadata`: a null value removes the key.
pub fn set_metadata(
    c: &mut Conn,
    ctx: &Context,
    id: &str,
    changes: BTreeMap<String, Option<String>>,
) -> Result<Aggregate> {
    ctx.require_admin("os_compute_api:os-aggregates:set_metadata")?;
    let mut agg = get(c, id)?;
    for (k, v) in changes {
        if k.is_empty()
            || k.chars().count() > 255
            || v.as_ref().is_some_and(|v| v.chars().count() > 255)
        {
            return Err(Error::bad_request(
                "Invalid input for field/attribute metadata. Keys must be 1-255 characters, values at most 255.",
            ));
        }
        if k == AZ_KEY {
            set_zone(c, &mut agg, v)?;
            continue;
        }
        match v {
            Some(v) => agg.metadata.insert(k, v),
            None => agg.metadata.remove(&k),
        };
    }
    save(c, &mut agg)?;
    Ok(agg)
}

pub fn add_host(c: &mut Conn, ctx: &Context, id: &str, host: &str) -> Result<Aggregate> {
    ctx.require_admin("os_compute_api:os-aggregates:add_host")?;
    let mut agg = get(c, id)?;
    if store::services::by_host(c, host, crate::agent::BINARY)?.is_none() {
        return Err(Error::NotFound(format!(
            "Compute host {host} could not be found."
        )));
    }
    if agg.hosts.iter().any(|h| h == host) {
        return Err(Error::conflict(format!(
            "Aggregate {id} already has host {host}."
        )));
    }
    let all = all(c)?;
    check_host_zone(&all, &agg.row.id, host, agg.availability_zone()).map_err(|e| {
        Error::bad_request(format!("Cannot add host to aggregate {id}. Reason: {e}"))
    })?;
    store::aggregates::add_host(c, &agg.row.id, host)?;
    agg.hosts.push(host.to_owned());
    save(c, &mut agg)?;
    Ok(agg)
}

pub fn remove_host(c: &mut Conn, ctx: &Context, id: &str, host: &str) -> Result<Aggregate> {
    ctx.require_admin("os_compute_api:os-aggregates:remove_host")?;
    let mut agg = get(c, id)?;
    if store::aggregates::remove_host(c, &agg.row.id, host)? == 0 {
        return Err(Error::NotFound(format!(
            "Cannot remove host {host} in aggregate {id}"
        )));
    }
    agg.hosts.retain(|h| h != host);
    save(c, &mut agg)?;
    Ok(agg)
}

pub fn delete(c: &mut Conn, ctx: &Context, id: &str) -> Result<()> {
    ctx.require_admin("os_compute_api:os-aggregates:delete")?;
    let agg = get(c, id)?;
    if !agg.hosts.is_empty() {
        return Err(Error::bad_request(format!(
            "Cannot remove aggregate {id}. Reason: Host aggregate is not empty"
        )));
    }
    store::aggregates::delete(c, &agg.row.id)?;
    Ok(())
}
