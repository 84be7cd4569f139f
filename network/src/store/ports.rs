//! Ports, their IP allocations and their security groups.

use super::models::{IpAllocationRow, PortRow};
use super::schema::{ip_allocations, port_security_groups, ports};
use super::{in_chunks, Conn, StoreError, R};
use diesel::prelude::*;
use std::collections::HashMap;

super::crud!(ports, PortRow);

pub fn of_network(c: &mut Conn, network_id: &str) -> R<Vec<PortRow>> {
    Ok(ports::table
        .filter(ports::network_id.eq(network_id))
        .order(ports::id)
        .select(PortRow::as_select())
        .load(c)?)
}

pub fn of_device(c: &mut Conn, device_id: &str) -> R<Vec<PortRow>> {
    Ok(ports::table
        .filter(ports::device_id.eq(device_id))
        .order(ports::id)
        .select(PortRow::as_select())
        .load(c)?)
}

/// Ports a project sees: its own and those on networks it owns.
pub fn visible_to(c: &mut Conn, project_id: &str, own_networks: &[String]) -> R<Vec<PortRow>> {
    Ok(ports::table
        .filter(
            ports::project_id
                .eq(project_id)
                .or(ports::network_id.eq_any(own_networks)),
        )
        .order(ports::id)
        .select(PortRow::as_select())
        .load(c)?)
}

/// One page in id order: the fast path of an unfiltered paged list.
pub fn page(c: &mut Conn, after: Option<&str>, limit: i64) -> R<Vec<PortRow>> {
    let mut q = ports::table
        .select(PortRow::as_select())
        .order(ports::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(ports::id.gt(after.to_owned()));
    }
    Ok(q.load(c)?)
}

pub fn by_ids(c: &mut Conn, ids: &[String]) -> R<Vec<PortRow>> {
    in_chunks(ids, |chunk| {
        Ok(ports::table
            .filter(ports::id.eq_any(chunk))
            .select(PortRow::as_select())
            .load(c)?)
    })
}

pub fn count_on_network(c: &mut Conn, network_id: &str) -> R<i64> {
    Ok(ports::table
        .filter(ports::network_id.eq(network_id))
        .count()
        .get_result(c)?)
}

pub fn mac_in_use(c: &mut Conn, network_id: &str, mac: &str) -> R<bool> {
    Ok(ports::table
        .filter(ports::network_id.eq(network_id))
        .filter(ports::mac_address.eq(mac))
        .count()
        .get_result::<i64>(c)?
        > 0)
}

/// Deletes the port with its allocations and group bindings.
pub fn delete_with_children(c: &mut Conn, id: &str) -> R<()> {
    diesel::delete(ip_allocations::table.filter(ip_allocations::port_id.eq(id))).execute(c)?;
    set_security_groups(c, id, &[])?;
    delete(c, id)
}

// --- IP allocations ---------------------------------------------------------

pub fn ips_of(c: &mut Conn, port_ids: &[String]) -> R<HashMap<String, Vec<IpAllocationRow>>> {
    let rows: Vec<IpAllocationRow> = in_chunks(port_ids, |chunk| {
        Ok(ip_allocations::table
            .filter(ip_allocations::port_id.eq_any(chunk))
            .select(IpAllocationRow::as_select())
            .load(c)?)
    })?;
    let mut out: HashMap<String, Vec<IpAllocationRow>> = HashMap::new();
    for row in rows {
        out.entry(row.port_id.clone()).or_default().push(row);
    }
    Ok(out)
}

pub fn ips_of_port(c: &mut Conn, port_id: &str) -> R<Vec<IpAllocationRow>> {
    Ok(ip_allocations::table
        .filter(ip_allocations::port_id.eq(port_id))
        .select(IpAllocationRow::as_select())
        .load(c)?)
}

/// Records an allocation in a savepoint. `Ok(false)` when the address is
/// taken (the primary key refused it): the caller tries another, and the
/// surrounding transaction stays usable on every backend.
pub fn try_allocate(c: &mut Conn, row: &IpAllocationRow) -> R<bool> {
    let result = c.transaction(|c| {
        diesel::insert_into(ip_allocations::table)
            .values(row)
            .execute(c)
    });
    match result.map_err(StoreError::from) {
        Ok(_) => Ok(true),
        Err(e) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn release(c: &mut Conn, subnet_id: &str, ip: &str) -> R<()> {
    diesel::delete(ip_allocations::table.find((subnet_id, ip))).execute(c)?;
    Ok(())
}

pub fn allocation(c: &mut Conn, subnet_id: &str, ip: &str) -> R<Option<IpAllocationRow>> {
    Ok(ip_allocations::table
        .find((subnet_id, ip))
        .select(IpAllocationRow::as_select())
        .first(c)
        .optional()?)
}

pub fn allocated_in(c: &mut Conn, subnet_id: &str) -> R<Vec<String>> {
    Ok(ip_allocations::table
        .filter(ip_allocations::subnet_id.eq(subnet_id))
        .select(ip_allocations::ip_address)
        .load(c)?)
}

pub fn count_in_subnets(c: &mut Conn, subnet_ids: &[String]) -> R<HashMap<String, i64>> {
    let rows: Vec<String> = in_chunks(subnet_ids, |chunk| {
        Ok(ip_allocations::table
            .filter(ip_allocations::subnet_id.eq_any(chunk))
            .select(ip_allocations::subnet_id)
            .load(c)?)
    })?;
    let mut out = HashMap::new();
    for s in rows {
        *out.entry(s).or_insert(0) += 1;
    }
    Ok(out)
}

/// Ports holding addresses of a subnet.
pub fn ports_in_subnet(c: &mut Conn, subnet_id: &str) -> R<Vec<String>> {
    Ok(ip_allocations::table
        .filter(ip_allocations::subnet_id.eq(subnet_id))
        .select(ip_allocations::port_id)
        .distinct()
        .load(c)?)
}

// --- Security groups of ports -------------------------------------------------

pub fn security_groups_of(c: &mut Conn, port_ids: &[String]) -> R<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = in_chunks(port_ids, |chunk| {
        Ok(port_security_groups::table
            .filter(port_security_groups::port_id.eq_any(chunk))
            .order(port_security_groups::security_group_id)
            .load(c)?)
    })?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (port, group) in rows {
        out.entry(port).or_default().push(group);
    }
    Ok(out)
}

pub fn set_security_groups(c: &mut Conn, port_id: &str, groups: &[String]) -> R<()> {
    diesel::delete(port_security_groups::table.filter(port_security_groups::port_id.eq(port_id)))
        .execute(c)?;
    for group in groups {
        diesel::insert_into(port_security_groups::table)
            .values((
                port_security_groups::port_id.eq(port_id),
                port_security_groups::security_group_id.eq(group),
            ))
            .execute(c)?;
    }
    Ok(())
}

pub fn count_using_group(c: &mut Conn, group_id: &str) -> R<i64> {
    Ok(port_security_groups::table
        .filter(port_security_groups::security_group_id.eq(group_id))
        .count()
        .get_result(c)?)
}
