//! How instances and flavors look on the wire, per microversion.

use super::Req;
use crate::flavors::Flavor;
use crate::instances::Instance;
use compat_api::time::{iso_micros_naive, iso_seconds_z};
use serde_json::{json, Map, Value};

pub fn links(req: &Req, kind: &str, id: &str) -> Value {
    json!([
        {"rel": "self", "href": format!("{}/{kind}/{id}", req.url)},
        {"rel": "bookmark", "href": format!("{}/{kind}/{id}", req.bookmark)},
    ])
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
    Sha224::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `addresses`: per network label, fixed then floating addresses.
pub fn addresses(inst: &Instance, extended: bool) -> Value {
    let mut out = Map::new();
    if inst.row.vm_state == crate::states::vm::BUILDING {
        return Value::Object(out);
    }
    for vif in &inst.vifs {
        let entry = out
            .entry(vif.network_label.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(list) = entry else { continue };
        for ip in &vif.ips {
            let mut a = json!({"version": ip.version, "addr": ip.address});
            if extended {
                a["OS-EXT-IPS:type"] = json!(ip.kind);
                a["OS-EXT-IPS-MAC:mac_addr"] = json!(vif.mac);
            }
            list.push(a);
        }
    }
    Value::Object(out)
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
    let r = &inst.row;
    let status = if inst.is_deleted() {
        "DELETED"
    } else {
        inst.status()
    };
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "status": status,
        "tenant_id": r.project_id,
        "user_id": r.user_id,
        "metadata": inst.metadata,
        "hostId": host_id(&r.project_id, r.host.as_deref()),
        "image": image(req, inst, extras.image_properties),
        "flavor": flavor(req, inst),
        "created": iso_seconds_z(r.created_at),
        "updated": iso_seconds_z(r.updated_at),
        "addresses": addresses(inst, full),
        "accessIPv4": r.access_ipv4.clone().unwrap_or_default(),
        "accessIPv6": r.access_ipv6.clone().unwrap_or_default(),
        "links": links(req, "servers", &r.id),
        "OS-DCF:diskConfig": "MANUAL",
    });
    let m = v.as_object_mut().expect("an object literal");
    if matches!(
        status,
        "ACTIVE" | "BUILD" | "REBUILD" | "RESIZE" | "VERIFY_RESIZE" | "MIGRATING"
    ) {
        m.insert(
            "progress".into(),
            json!(if status == "ACTIVE" { 100 } else { 0 }),
        );
    }
    if let (Some(f), true) = (&inst.fault, matches!(status, "ERROR" | "DELETED")) {
        let mut fault =
            json!({"code": f.code, "created": iso_seconds_z(f.created), "message": f.message});
        if let Some(d) = f
            .details
            .as_ref()
            .filter(|d| !d.is_empty() && (req.ctx.is_admin || f.code != 500))
        {
            fault["details"] = json!(d);
        }
        m.insert("fault".into(), fault);
    }
    if full {
        full_fields(req, inst, m, extras);
    }
    if req.at_least(9) {
        m.insert("locked".into(), json!(r.locked_by.is_some()));
    }
    if req.at_least(19) {
        m.insert("description".into(), json!(r.description));
    }
    if req.at_least(26) {
        m.insert("tags".into(), json!(inst.tags));
    }
    if req.at_least(63) {
        m.insert("trusted_image_certificates".into(), Value::Null);
    }
    if req.at_least(73) {
        m.insert("locked_reason".into(), json!(r.locked_reason));
    }
    if let (true, Some(groups)) = (req.at_least(71), &extras.server_groups) {
        m.insert("server_groups".into(), json!(groups));
    }
    if full && req.at_least(96) {
        m.insert(
            "pinned_availability_zone".into(),
            json!(r.availability_zone),
        );
    }
    if full && req.at_least(100) {
        m.insert(
            "scheduler_hints".into(),
            extras.scheduler_hints.cloned().unwrap_or_else(|| json!({})),
        );
    }
    v
}

fn full_fields(req: &Req, inst: &Instance, m: &mut Map<String, Value>, extras: &Extras) {
    let r = &inst.row;
    let usg = |t: Option<i64>| t.map(iso_micros_naive);
    m.insert(
        "OS-EXT-AZ:availability_zone".into(),
        json!(r.availability_zone.clone().unwrap_or_default()),
    );
    m.insert("config_drive".into(), json!(r.config_drive));
    m.insert("key_name".into(), json!(r.key_name));
    m.insert("OS-SRV-USG:launched_at".into(), json!(usg(r.launched_at)));
    m.insert("OS-SRV-USG:terminated_at".into(), json!(usg(r.deleted_at)));
    m.insert("OS-EXT-STS:task_state".into(), json!(r.task_state));
    m.insert("OS-EXT-STS:vm_state".into(), json!(r.vm_state));
    m.insert("OS-EXT-STS:power_state".into(), json!(r.power_state));
    m.insert("os-extended-volumes:volumes_attached".into(), json!([]));
    if !inst.security_groups.is_empty() {
        let groups: Vec<Value> = inst
            .security_groups
            .iter()
            .map(|n| json!({"name": n}))
            .collect();
        m.insert("security_groups".into(), Value::Array(groups));
    }
    if req.ctx.is_admin {
        m.insert("OS-EXT-SRV-ATTR:host".into(), json!(r.host));
        m.insert(
            "OS-EXT-SRV-ATTR:instance_name".into(),
            json!(inst.guest_name()),
        );
        m.insert("OS-EXT-SRV-ATTR:hypervisor_hostname".into(), json!(r.node));
        if req.at_least(3) {
            m.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(r.hostname));
            m.insert("OS-EXT-SRV-ATTR:kernel_id".into(), json!(""));
            m.insert("OS-EXT-SRV-ATTR:ramdisk_id".into(), json!(""));
            m.insert(
                "OS-EXT-SRV-ATTR:launch_index".into(),
                json!(extras.launch_index.unwrap_or(0)),
            );
            m.insert(
                "OS-EXT-SRV-ATTR:reservation_id".into(),
                json!(r.reservation_id),
            );
            m.insert("OS-EXT-SRV-ATTR:root_device_name".into(), json!("/dev/vda"));
            m.insert("OS-EXT-SRV-ATTR:user_data".into(), json!(extras.user_data));
        }
        if req.at_least(16) {
            m.insert(
                "host_status".into(),
                json!(if r.host.is_some() { "UP" } else { "" }),
            );
        }
    } else if req.at_least(90) {
        m.insert("OS-EXT-SRV-ATTR:hostname".into(), json!(r.hostname));
    }
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
