//! Security groups and rules: each project's `default` group (created on
//! first use, with upstream's default rules), rule validation, duplicate
//! detection and the guards around deletion.

use crate::attrs::{self, flexible_bool, Unknown};
use crate::error::{Error, Result};
use crate::policy::{requested_project, Caller};
use crate::store::models::{SecurityGroupRow, SecurityGroupRuleRow};
use crate::store::{self, Conn};
use crate::{quotas, Ctx};
use diesel::Connection;
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::Value;

/// Protocol names neutron accepts, with their IANA numbers.
const PROTOCOLS: &[(&str, u8)] = &[
    ("hopopt", 0),
    ("icmp", 1),
    ("igmp", 2),
    ("ipip", 4),
    ("tcp", 6),
    ("egp", 8),
    ("udp", 17),
    ("ipv6-encap", 41),
    ("ipv6-route", 43),
    ("ipv6-frag", 44),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("ipv6-icmp", 58),
    ("icmpv6", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("ospf", 89),
    ("pgm", 113),
    ("vrrp", 112),
    ("sctp", 132),
    ("udplite", 136),
    ("dccp", 33),
];

/// Protocols whose rules carry a port range.
const PORT_PROTOCOLS: &[u8] = &[6, 17, 33, 132, 136];
const ICMP_PROTOCOLS: &[u8] = &[1, 58];

#[derive(Debug, Clone)]
pub struct SecurityGroup {
    pub row: SecurityGroupRow,
    pub rules: Vec<SecurityGroupRuleRow>,
    pub tags: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SecurityGroupRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub stateful: Option<bool>,
    pub project_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

#[derive(Debug, Default, Deserialize)]
pub struct SecurityGroupRuleRequest {
    pub security_group_id: Option<String>,
    pub direction: Option<String>,
    pub ethertype: Option<String>,
    pub protocol: Option<Value>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub port_range_min: Option<i64>,
    #[serde(default, deserialize_with = "attrs::flexible_int")]
    pub port_range_max: Option<i64>,
    pub remote_ip_prefix: Option<String>,
    pub remote_group_id: Option<String>,
    pub remote_address_group_id: Option<String>,
    pub description: Option<String>,
    pub project_id: Option<String>,
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

pub fn visible(c: &mut Conn, caller: &Caller, id: &str) -> Result<SecurityGroupRow> {
    match store::security_groups::get(c, id)? {
        Some(g) if caller.owns(&g.project_id) => Ok(g),
        _ => Err(Error::security_group_not_found(id)),
    }
}

pub fn expand(c: &mut Conn, rows: Vec<SecurityGroupRow>) -> Result<Vec<SecurityGroup>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut rules: std::collections::HashMap<String, Vec<SecurityGroupRuleRow>> =
        Default::default();
    for r in store::security_groups::rules_of(c, &ids)? {
        rules
            .entry(r.security_group_id.clone())
            .or_default()
            .push(r);
    }
    let mut tags = store::tags::of(c, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| SecurityGroup {
            rules: rules.remove(&row.id).unwrap_or_default(),
            tags: tags.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

fn new_rule(
    group: &SecurityGroupRow,
    direction: &str,
    ethertype: &str,
    remote_group: Option<&str>,
    now: i64,
) -> SecurityGroupRuleRow {
    SecurityGroupRuleRow {
        id: uuid::Uuid::new_v4().to_string(),
        security_group_id: group.id.clone(),
        project_id: group.project_id.clone(),
        direction: direction.into(),
        ethertype: ethertype.into(),
        protocol: None,
        port_range_min: None,
        port_range_max: None,
        remote_ip_prefix: None,
        remote_group_id: remote_group.map(str::to_owned),
        description: String::new(),
        revision_number: 0,
        created_at: now,
        updated_at: now,
    }
}

/// Inserts a group with its egress-anything rules; a default group also
/// lets in everything from its own members.
fn insert_group(c: &mut Conn, row: &SecurityGroupRow, is_default: bool) -> Result<()> {
    store::security_groups::insert(c, row)?;
    for ethertype in ["IPv4", "IPv6"] {
        if is_default {
            let rule = new_rule(row, "ingress", ethertype, Some(&row.id), row.created_at);
            store::security_groups::rules::insert(c, &rule)?;
        }
        let rule = new_rule(row, "egress", ethertype, None, row.created_at);
        store::security_groups::rules::insert(c, &rule)?;
    }
    Ok(())
}

/// The id of a project's `default` group, created on first use. Two
/// concurrent first uses both try; the loser's insert is undone by its
/// savepoint and it takes the winner's group.
pub fn ensure_default(c: &mut Conn, project_id: &str) -> Result<String> {
    if let Some(id) = store::security_groups::default_of(c, project_id)? {
        return Ok(id);
    }
    let now = compat_api::time::now_us();
    let row = SecurityGroupRow {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project_id.to_owned(),
        name: "default".into(),
        description: "Default security group".into(),
        stateful: true,
        revision_number: 1,
        created_at: now,
        updated_at: now,
    };
    let created = c.transaction(|c| -> Result<()> {
        store::security_groups::set_default(c, project_id, &row.id)?;
        insert_group(c, &row, true)
    });
    match created {
        Ok(()) => Ok(row.id),
        Err(Error::Store(e)) if e.is_unique_violation() => {
            store::security_groups::default_of(c, project_id)?.ok_or(Error::Store(e))
        }
        Err(e) => Err(e),
    }
}

pub fn list(c: &mut Conn, caller: &Caller) -> Result<Vec<SecurityGroup>> {
    if let Some(p) = &caller.project_id {
        ensure_default(c, p)?;
    }
    let rows = caller.scoped(c, store::security_groups::all, |c, p| {
        store::security_groups::of_project(c, p)
    })?;
    expand(c, rows)
}

pub fn show(c: &mut Conn, caller: &Caller, id: &str) -> Result<SecurityGroup> {
    let row = visible(c, caller, id)?;
    Ok(expand(c, vec![row])?.remove(0))
}

fn refuse_default_name(name: Option<&str>) -> Result<()> {
    if name == Some("default") {
        return Err(Error::conflict(
            "SecurityGroupDefaultAlreadyExists",
            "Default security group already exists.",
        ));
    }
    Ok(())
}

pub fn create(c: &mut Conn, ctx: &Ctx, req: SecurityGroupRequest) -> Result<SecurityGroup> {
    attrs::refuse_unknown(&req.unknown)?;
    let project = ctx.caller.owner_for_create(requested_project(
        req.project_id.clone(),
        req.tenant_id.clone(),
    )?)?;
    ensure_default(c, &project)?;
    refuse_default_name(req.name.as_deref())?;
    quotas::check(c, ctx.conf, &project, "security_group", 1)?;
    let now = compat_api::time::now_us();
    let row = SecurityGroupRow {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: project,
        name: attrs::text("name", req.name)?.unwrap_or_default(),
        description: attrs::text("description", req.description)?.unwrap_or_default(),
        stateful: req.stateful.unwrap_or(true),
        revision_number: 1,
        created_at: now,
        updated_at: now,
    };
    insert_group(c, &row, false)?;
    Ok(expand(c, vec![row])?.remove(0))
}

pub fn update(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
    req: SecurityGroupRequest,
    if_match: Option<i64>,
) -> Result<SecurityGroup> {
    attrs::refuse_unknown(&req.unknown)?;
    attrs::refuse_read_only(
        "project_id",
        req.project_id.is_some() || req.tenant_id.is_some(),
    )?;
    let mut row = visible(c, ctx.caller, id)?;
    attrs::check_revision(if_match, row.revision_number)?;
    if let Some(name) = attrs::text("name", req.name)? {
        if row.name == "default" && name != "default" {
            return Err(Error::conflict(
                "SecurityGroupCannotUpdateDefault",
                "Updating default security group not allowed.",
            ));
        }
        if row.name != "default" {
            refuse_default_name(Some(&name))?;
        }
        row.name = name;
    }
    if let Some(d) = attrs::text("description", req.description)? {
        row.description = d;
    }
    if let Some(s) = req.stateful {
        row.stateful = s;
    }
    attrs::touch(&mut row.revision_number, &mut row.updated_at);
    store::security_groups::update(c, &row)?;
    Ok(expand(c, vec![row])?.remove(0))
}

pub fn delete(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<()> {
    let row = visible(c, ctx.caller, id)?;
    if store::security_groups::is_default(c, id)? && !ctx.caller.is_admin {
        return Err(Error::conflict(
            "SecurityGroupCannotRemoveDefault",
            "Insufficient rights for removing default security group.",
        ));
    }
    if store::ports::count_using_group(c, id)? > 0 {
        return Err(Error::conflict(
            "SecurityGroupInUse",
            format!("Security Group {id} in use."),
        ));
    }
    for rule in store::security_groups::rules_with_remote(c, id)? {
        store::security_groups::rules::delete(c, &rule.id)?;
    }
    store::security_groups::delete_rules_of(c, id)?;
    store::security_groups::clear_default(c, id)?;
    store::security_groups::delete(c, &row.id)?;
    Ok(())
}

// --- Rules -----------------------------------------------------------------

pub fn rule_visible(c: &mut Conn, caller: &Caller, id: &str) -> Result<SecurityGroupRuleRow> {
    let not_found = || {
        Error::not_found(
            "SecurityGroupRuleNotFound",
            format!("Security group rule {id} does not exist"),
        )
    };
    let rule = store::security_groups::rules::get(c, id)?.ok_or_else(not_found)?;
    if caller.owns(&rule.project_id) || visible(c, caller, &rule.security_group_id).is_ok() {
        return Ok(rule);
    }
    Err(not_found())
}

pub fn list_rules(c: &mut Conn, caller: &Caller) -> Result<Vec<SecurityGroupRuleRow>> {
    if let Some(p) = &caller.project_id {
        ensure_default(c, p)?;
    }
    caller.scoped(c, store::security_groups::rules::all, |c, p| {
        let groups: Vec<String> = store::security_groups::of_project(c, p)?
            .into_iter()
            .map(|g| g.id)
            .collect();
        let mut rules = store::security_groups::rules_of(c, &groups)?;
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(rules)
    })
}

/// A protocol as given (name or number, any case) → (stored text, number).
fn protocol_of(value: &Value) -> Result<Option<(String, u8)>> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() || s.eq_ignore_ascii_case("any") => return Ok(None),
        Value::String(s) => s.to_ascii_lowercase(),
        other => other.to_string(),
    };
    if let Ok(n) = text.parse::<i64>() {
        return match u8::try_from(n) {
            Ok(n) => Ok(Some((n.to_string(), n))),
            Err(_) => Err(invalid_protocol(&text)),
        };
    }
    PROTOCOLS
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(name, n)| Some(((*name).to_owned(), *n)))
        .ok_or_else(|| invalid_protocol(&text))
}

fn invalid_protocol(text: &str) -> Error {
    let names: Vec<&str> = PROTOCOLS.iter().map(|(n, _)| *n).collect();
    Error::bad_request(format!(
        "Security group rule protocol {text} not supported. Only protocol values {names:?} and integer representations [0 to 255] are supported."
    ))
}

fn check_ports(protocol: Option<u8>, min: Option<i64>, max: Option<i64>) -> Result<()> {
    if min.is_none() && max.is_none() {
        return Ok(());
    }
    let Some(p) = protocol else {
        return Err(Error::bad_request(
            "Must also specify protocol if port range is given.",
        ));
    };
    if ICMP_PROTOCOLS.contains(&p) {
        if let Some(t) = min.filter(|t| !(0..=255).contains(t)) {
            return Err(Error::bad_request(format!(
                "Invalid value for ICMP type (port_range_min) {t}. It must be 0 to 255."
            )));
        }
        if let Some(code) = max {
            if min.is_none() {
                return Err(Error::bad_request(format!(
                    "ICMP code (port-range-max) {code} is provided but ICMP type (port-range-min) is missing."
                )));
            }
            if !(0..=255).contains(&code) {
                return Err(Error::bad_request(format!(
                    "Invalid value for ICMP code (port_range_max) {code}. It must be 0 to 255."
                )));
            }
        }
        return Ok(());
    }
    if !PORT_PROTOCOLS.contains(&p) {
        return Err(Error::bad_request(format!(
            "Invalid protocol {p} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP."
        )));
    }
    for port in [min, max].into_iter().flatten() {
        if !(1..=65535).contains(&port) {
            return Err(Error::bad_request(format!("Invalid value for port {port}")));
        }
    }
    match (min, max) {
        (Some(a), Some(b)) if a > b => Err(Error::bad_request(
            "For TCP/UDP protocols, port_range_min must be <= port_range_max",
        )),
        (Some(_), None) | (None, Some(_)) => Err(Error::bad_request(
            "For TCP/UDP protocols, port_range_min must be <= port_range_max",
        )),
        _ => Ok(()),
    }
}

fn ethertype_of(value: Option<&str>) -> Result<String> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("ipv4") => Ok("IPv4".into()),
        Some("ipv6") => Ok("IPv6".into()),
        Some(_) => Err(Error::bad_request(format!(
            "Invalid input for ethertype. Reason: '{}' is not in ['IPv4', 'IPv6'].",
            value.unwrap_or_default()
        ))),
    }
}

fn remote_prefix(text: &str, ethertype: &str) -> Result<String> {
    let net: IpNet = text
        .parse()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| {
            Error::invalid_attr(
                "remote_ip_prefix",
                format!("'{text}' is not a valid IP subnet"),
            )
        })?;
    let version = if net.addr().is_ipv4() { "IPv4" } else { "IPv6" };
    if version != ethertype {
        return Err(Error::bad_request(format!(
            "Conflicting value ethertype {ethertype} for CIDR {text}"
        )));
    }
    Ok(net.to_string())
}

fn same_rule(a: &SecurityGroupRuleRow, b: &SecurityGroupRuleRow) -> bool {
    let number = |p: &Option<String>| {
        p.as_deref()
            .and_then(|p| protocol_of(&Value::String(p.into())).ok().flatten())
            .map(|(_, n)| n)
    };
    let prefix = |p: &Option<String>| {
        p.as_deref()
            .filter(|p| !matches!(*p, "0.0.0.0/0" | "::/0"))
            .map(str::to_owned)
    };
    a.direction == b.direction
        && a.ethertype == b.ethertype
        && number(&a.protocol) == number(&b.protocol)
        && a.port_range_min == b.port_range_min
        && a.port_range_max == b.port_range_max
        && prefix(&a.remote_ip_prefix) == prefix(&b.remote_ip_prefix)
        && a.remote_group_id == b.remote_group_id
}

pub fn create_rule(
    c: &mut Conn,
    ctx: &Ctx,
    req: SecurityGroupRuleRequest,
) -> Result<SecurityGroupRuleRow> {
    attrs::refuse_unknown(&req.unknown)?;
    let group_id = req.security_group_id.clone().ok_or_else(|| {
        Error::bad_request(
            "Failed to parse request. Required attribute 'security_group_id' not specified",
        )
    })?;
    let group = visible(c, ctx.caller, &group_id)?;
    let direction = match req.direction.as_deref() {
        Some(d @ ("ingress" | "egress")) => d.to_owned(),
        Some(d) => {
            return Err(Error::invalid_attr(
                "direction",
                format!("'{d}' is not in ['ingress', 'egress']"),
            ))
        }
        None => {
            return Err(Error::bad_request(
                "Failed to parse request. Required attribute 'direction' not specified",
            ))
        }
    };
    let ethertype = ethertype_of(req.ethertype.as_deref())?;
    let protocol = match &req.protocol {
        Some(p) => protocol_of(p)?,
        None => None,
    };
    check_ports(
        protocol.as_ref().map(|(_, n)| *n),
        req.port_range_min,
        req.port_range_max,
    )?;
    if req.remote_ip_prefix.is_some() && req.remote_group_id.is_some() {
        return Err(Error::bad_request(
            "Only remote_ip_prefix or remote_group_id may be provided.",
        ));
    }
    if req.remote_address_group_id.is_some() {
        return Err(Error::bad_request(
            "Unrecognized attribute(s) 'remote_address_group_id'",
        ));
    }
    let prefix = req
        .remote_ip_prefix
        .as_deref()
        .map(|p| remote_prefix(p, &ethertype))
        .transpose()?;
    if let Some(remote) = &req.remote_group_id {
        visible(c, ctx.caller, remote)?;
    }
    let project = match requested_project(req.project_id.clone(), req.tenant_id.clone())? {
        Some(p) => ctx.caller.owner_for_create(Some(p))?,
        None => group.project_id.clone(),
    };
    quotas::check(c, ctx.conf, &project, "security_group_rule", 1)?;
    let now = compat_api::time::now_us();
    let (min, max) = (
        req.port_range_min.map(|v| v as i32),
        req.port_range_max.map(|v| v as i32),
    );
    let rule = SecurityGroupRuleRow {
        id: uuid::Uuid::new_v4().to_string(),
        security_group_id: group.id.clone(),
        project_id: project,
        direction,
        ethertype,
        protocol: protocol.map(|(text, _)| text),
        port_range_min: min,
        port_range_max: max,
        remote_ip_prefix: prefix,
        remote_group_id: req.remote_group_id,
        description: attrs::text("description", req.description)?.unwrap_or_default(),
        revision_number: 0,
        created_at: now,
        updated_at: now,
    };
    if let Some(existing) = store::security_groups::rules_of(c, std::slice::from_ref(&group.id))?
        .into_iter()
        .find(|r| same_rule(r, &rule))
    {
        return Err(Error::conflict(
            "SecurityGroupRuleExists",
            format!(
                "Security group rule already exists. Rule id is {}.",
                existing.id
            ),
        ));
    }
    store::security_groups::rules::insert(c, &rule)?;
    bump_group(c, &group)?;
    Ok(rule)
}

/// A rule change is a change of its group (`revision_number`).
fn bump_group(c: &mut Conn, group: &SecurityGroupRow) -> Result<()> {
    let mut g = group.clone();
    attrs::touch(&mut g.revision_number, &mut g.updated_at);
    store::security_groups::update(c, &g)?;
    Ok(())
}

pub fn delete_rule(c: &mut Conn, ctx: &Ctx, id: &str) -> Result<()> {
    let rule = rule_visible(c, ctx.caller, id)?;
    if !ctx.caller.owns(&rule.project_id) {
        return Err(Error::policy("delete_security_group_rule"));
    }
    store::security_groups::rules::delete(c, id)?;
    if let Some(group) = store::security_groups::get(c, &rule.security_group_id)? {
        bump_group(c, &group)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn protocols_by_name_or_number() {
        assert_eq!(protocol_of(&json!("TCP")).unwrap(), Some(("tcp".into(), 6)));
        assert_eq!(protocol_of(&json!(17)).unwrap(), Some(("17".into(), 17)));
        assert_eq!(protocol_of(&json!("6")).unwrap(), Some(("6".into(), 6)));
        assert!(protocol_of(&json!("bad")).is_err());
        assert!(protocol_of(&json!(256)).is_err());
    }

    #[test]
    fn port_ranges() {
        assert!(check_ports(Some(6), Some(22), Some(22)).is_ok());
        assert!(check_ports(Some(6), Some(80), Some(22)).is_err());
        assert!(check_ports(Some(6), Some(0), Some(22)).is_err());
        assert!(check_ports(Some(1), Some(8), Some(0)).is_ok());
        assert!(check_ports(Some(1), None, Some(0)).is_err());
        assert!(check_ports(None, Some(1), Some(2)).is_err());
        assert!(check_ports(Some(47), Some(1), Some(2)).is_err());
    }
}
