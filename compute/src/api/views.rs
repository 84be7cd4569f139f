//! How instances and flavors look on the wire, per microversion.

use super::Req;
use crate::flavors::Flavor;
use crate::instances::Instance;
use compat_api::time::{iso_micros_naive, iso_seconds_z};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn links(req: &Req, kind: &str, id: &str) -> Value {
    serde_json::to_value(Links { req, kind, id }).unwrap_or_default()
}

/// `self` and `bookmark` links of a resource.
struct Links<'a> {
    req: &'a Req,
    kind: &'a str,
    id: &'a str,
}

impl Serialize for Links<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (kind, id) = (self.kind, self.id);
        let mut seq = s.serialize_seq(Some(2))?;
        seq.serialize_element(&Link {
            rel: "self",
            href: format!("{}/{kind}/{id}", self.req.url),
        })?;
        seq.serialize_element(&Link {
            rel: "bookmark",
            href: format!("{}/{kind}/{id}", self.req.bookmark),
        })?;
        seq.end()
    }
}

#[derive(Serialize)]
struct Link {
    rel: &'static str,
    href: String,
}

/// nova's `hostId`: sha224 of project id and host, hex.
fn host_id(project_id: &str, host: Option<&str>) -> String {
    let Some(host) = host.filter(|h| !h.is_empty()) else {
        return String::new();
    };
    sha224_hex(format!("{project_id}{host}").as_bytes())
}

fn sha224_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha224};
    use std::fmt::Write;
    Sha224::digest(data)
        .iter()
        .fold(String::with_capacity(56), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// `addresses`: per network label, fixed then floating addresses.
pub fn addresses(inst: &Instance, extended: bool) -> Value {
    serde_json::to_value(Addresses { inst, extended }).unwrap_or_default()
}

struct Addresses<'a> {
    inst: &'a Instance,
    /// With the `OS-EXT-IPS` type and MAC address of each.
    extended: bool,
}

#[derive(Serialize)]
struct Address<'a> {
    version: u8,
    addr: &'a str,
    #[serde(rename = "OS-EXT-IPS:type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(
        rename = "OS-EXT-IPS-MAC:mac_addr",
        skip_serializing_if = "Option::is_none"
    )]
    mac: Option<&'a str>,
}

impl Serialize for Addresses<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let inst = self.inst;
        let mut by_label: BTreeMap<&str, Vec<Address>> = BTreeMap::new();
        if inst.row.vm_state != crate::states::vm::BUILDING {
            for vif in &inst.vifs {
                let list = by_label.entry(vif.network_label.as_str()).or_default();
                list.extend(vif.ips.iter().map(|ip| Address {
                    version: ip.version,
                    addr: &ip.address,
                    kind: self.extended.then_some(ip.kind.as_str()),
                    mac: self.extended.then_some(vif.mac.as_str()),
                }));
            }
        }
        by_label.serialize(s)
    }
}

fn flavor(req: &Req, inst: &Instance) -> Value {
    let f = &inst.flavor;
    if !req.at_least(47) {
        return json!({
            "id": f.id,
            "links": [{"rel": "bookmark", "href": format!("{}/flavors/{}", req.bookmark, f.id)}],
        });
    }
    json!({
        "vcpus": f.vcpus, "ram": f.memory_mb, "disk": f.root_gb, "ephemeral": f.ephemeral_gb,
        "swap": f.swap, "original_name": f.name, "extra_specs": f.extra_specs,
    })
}

fn image(req: &Req, inst: &Instance, properties: Option<&Value>) -> Value {
    if inst.row.image_ref.is_empty() {
        return json!("");
    }
    let mut v = json!({
        "id": inst.row.image_ref,
        "links": [{"rel": "bookmark", "href": format!("{}/images/{}", req.bookmark, inst.row.image_ref)}],
    });
    if req.at_least(98) {
        v["properties"] = properties.cloned().unwrap_or_else(|| json!({}));
    }
    v
}

/// What only the show view (not the update view before 2.75) carries.
#[derive(Default)]
pub struct Extras<'a> {
    pub image_properties: Option<&'a Value>,
    pub scheduler_hints: Option<&'a Value>,
    pub user_data: Option<&'a str>,
    pub launch_index: Option<i32>,
    /// The server's group (at most one), shown from 2.71 by the single
    /// server responses (show, update, rebuild), not by lists.
    pub server_groups: Option<Vec<String>>,
}

/// The body of `GET /servers/{id}` and each item of `/servers/detail`
/// (`full`), or of an update response before 2.75 (not `full`).
pub fn server(req: &Req, inst: &Instance, full: bool, extras: &Extras) -> Value {
    serde_json::to_value(ServerView {
        req,
        inst,
        full,
        extras,
    })
    .unwrap_or_default()
}

/// A server as [`server`] renders it, written straight to the response:
/// lists of a thousand servers skip building a JSON tree per server.
pub struct ServerView<'a> {
    pub req: &'a Req,
    pub inst: &'a Instance,
    pub full: bool,
    pub extras: &'a Extras<'a>,
}

impl Serialize for ServerView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (req, inst, extras) = (self.req, self.inst, self.extras);
        let r = &inst.row;
        let status = if inst.is_deleted() {
            "DELETED"
        } else {
            inst.status()
        };
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &r.id)?;
        m.serialize_entry("name", &r.name)?;
        m.serialize_entry("status", status)?;
        m.serialize_entry("tenant_id", &r.project_id)?;
        m.serialize_entry("user_id", &r.user_id)?;
        m.serialize_entry("metadata", &inst.metadata)?;
        m.serialize_entry("hostId", &host_id(&r.project_id, r.host.as_deref()))?;
        m.serialize_entry("image", &image(req, inst, extras.image_properties))?;
        m.serialize_entry("flavor", &flavor(req, inst))?;
        m.serialize_entry("created", &iso_seconds_z(r.created_at))?;
        m.serialize_entry("updated", &iso_seconds_z(r.updated_at))?;
        m.serialize_entry(
            "addresses",
            &Addresses {
                inst,
                extended: self.full,
            },
        )?;
        m.serialize_entry("accessIPv4", r.access_ipv4.as_deref().unwrap_or_default())?;
        m.serialize_entry("accessIPv6", r.access_ipv6.as_deref().unwrap_or_default())?;
        m.serialize_entry(
            "links",
            &Links {
                req,
                kind: "servers",
                id: &r.id,
            },
        )?;
        m.serialize_entry("OS-DCF:diskConfig", "MANUAL")?;
        if matches!(
            status,
            "ACTIVE" | "BUILD" | "REBUILD" | "RESIZE" | "VERIFY_RESIZE" | "MIGRATING"
        ) {
            m.serialize_entry("progress", &if status == "ACTIVE" { 100 } else { 0 })?;
        }
        if let (Some(f), true) = (&inst.fault, matches!(status, "ERROR" | "DELETED")) {
            m.serialize_entry("fault", &fault(req, f))?;
        }
        if self.full {
            full_fields(req, inst, &mut m, extras)?;
        }
        if req.at_least(9) {
            m.serialize_entry("locked", &r.locked_by.is_some())?;
        }
        if req.at_least(19) {
            m.serialize_entry("description", &r.description)?;
        }
        if req.at_least(26) {
            m.serialize_entry("tags", &inst.tags)?;
        }
        if req.at_least(63) {
            m.serialize_entry("trusted_image_certificates", &Value::Null)?;
        }
        if req.at_least(73) {
            m.serialize_entry("locked_reason", &r.locked_reason)?;
        }
        if let (true, Some(groups)) = (req.at_least(71), &extras.server_groups) {
            m.serialize_entry("server_groups", groups)?;
        }
        if self.full && req.at_least(96) {
            m.serialize_entry("pinned_availability_zone", &r.availability_zone)?;
        }
        if self.full && req.at_least(100) {
            let empty = json!({});
            m.serialize_entry("scheduler_hints", extras.scheduler_hints.unwrap_or(&empty))?;
        }
        m.end()
    }
}

fn fault(req: &Req, f: &crate::instances::Fault) -> Value {
    let mut fault =
        json!({"code": f.code, "created": iso_seconds_z(f.created), "message": f.message});
    if let Some(d) = f
        .details
        .as_ref()
        .filter(|d| !d.is_empty() && (req.ctx.is_admin || f.code != 500))
    {
        fault["details"] = json!(d);
    }
    fault
}

fn full_fields<M: SerializeMap>(
    req: &Req,
    inst: &Instance,
    m: &mut M,
    extras: &Extras,
) -> Result<(), M::Error> {
    let r = &inst.row;
    let usg = |t: Option<i64>| t.map(iso_micros_naive);
    m.serialize_entry(
        "OS-EXT-AZ:availability_zone",
        r.availability_zone.as_deref().unwrap_or_default(),
    )?;
    m.serialize_entry("config_drive", &r.config_drive)?;
    m.serialize_entry("key_name", &r.key_name)?;
    m.serialize_entry("OS-SRV-USG:launched_at", &usg(r.launched_at))?;
    m.serialize_entry("OS-SRV-USG:terminated_at", &usg(r.deleted_at))?;
    m.serialize_entry("OS-EXT-STS:task_state", &r.task_state)?;
    m.serialize_entry("OS-EXT-STS:vm_state", &r.vm_state)?;
    m.serialize_entry("OS-EXT-STS:power_state", &r.power_state)?;
    m.serialize_entry("os-extended-volumes:volumes_attached", &[(); 0])?;
    if !inst.security_groups.is_empty() {
        let groups: Vec<Value> = inst
            .security_groups
            .iter()
            .map(|n| json!({"name": n}))
            .collect();
        m.serialize_entry("security_groups", &groups)?;
    }
    if req.ctx.is_admin {
        m.serialize_entry("OS-EXT-SRV-ATTR:host", &r.host)?;
        m.serialize_entry("OS-EXT-SRV-ATTR:instance_name", &inst.guest_name())?;
        m.serialize_entry("OS-EXT-SRV-ATTR:hypervisor_hostname", &r.node)?;
        if req.at_least(3) {
            m.serialize_entry("OS-EXT-SRV-ATTR:hostname", &r.hostname)?;
            m.serialize_entry("OS-EXT-SRV-ATTR:kernel_id", "")?;
            m.serialize_entry("OS-EXT-SRV-ATTR:ramdisk_id", "")?;
            m.serialize_entry(
                "OS-EXT-SRV-ATTR:launch_index",
                &extras.launch_index.unwrap_or(0),
            )?;
            m.serialize_entry("OS-EXT-SRV-ATTR:reservation_id", &r.reservation_id)?;
            m.serialize_entry("OS-EXT-SRV-ATTR:root_device_name", "/dev/vda")?;
            m.serialize_entry("OS-EXT-SRV-ATTR:user_data", &extras.user_data)?;
        }
        if req.at_least(16) {
            let host_status = if r.host.is_some() { "UP" } else { "" };
            m.serialize_entry("host_status", host_status)?;
        }
    } else if req.at_least(90) {
        m.serialize_entry("OS-EXT-SRV-ATTR:hostname", &r.hostname)?;
    }
    Ok(())
}

/// A flavor as `GET /flavors/{id}` shows it.
pub fn flavor_view(req: &Req, f: &Flavor) -> Value {
    let r = &f.row;
    let swap = if r.swap == 0 && !req.at_least(75) {
        json!("")
    } else {
        json!(r.swap)
    };
    let mut v = json!({
        "id": r.id, "name": r.name, "ram": r.memory_mb, "disk": r.root_gb, "vcpus": r.vcpus,
        "swap": swap,
        "OS-FLV-EXT-DATA:ephemeral": r.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": false,
        "os-flavor-access:is_public": r.is_public,
        "rxtx_factor": r.rxtx_factor,
        "links": links(req, "flavors", &r.id),
    });
    if req.at_least(55) {
        v["description"] = json!(r.description);
    }
    if req.at_least(61) {
        v["extra_specs"] = json!(f.extra_specs);
    }
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha224_matches_known_vectors() {
        assert_eq!(
            super::sha224_hex(b"abc"),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
        );
        assert_eq!(
            super::sha224_hex(b""),
            "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f"
        );
    }
}
