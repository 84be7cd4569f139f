//! An instance as the domain handles it: its row with the JSON columns
//! decoded, and the value types kept in them.

use crate::error::{Error, Result};
use crate::store::models::{InstanceExtraRow, InstanceRow};
use crate::store::{self, Conn};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The flavor an instance was built with, kept whole so that later flavor
/// changes or deletion do not change the instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlavorSnapshot {
    pub id: String,
    pub name: String,
    pub memory_mb: i32,
    pub vcpus: i32,
    pub root_gb: i32,
    pub ephemeral_gb: i32,
    pub swap: i32,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub extra_specs: BTreeMap<String, String>,
}

/// One address of a VIF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VifIp {
    pub address: String,
    pub version: u8,
    /// `fixed` or `floating`
    #[serde(rename = "type")]
    pub kind: String,
    pub cidr: String,
    pub gateway: Option<String>,
    #[serde(default)]
    pub subnet_id: Option<String>,
}

/// A plugged network interface (nova's network info cache entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vif {
    pub port_id: String,
    pub network_id: String,
    /// The network's name: the key of `addresses`.
    pub network_label: String,
    pub mac: String,
    pub vif_type: String,
    pub bridge: String,
    pub mtu: i32,
    pub ips: Vec<VifIp>,
    /// The user brought the port: unbind it on delete, do not delete it.
    #[serde(default)]
    pub preserve_on_delete: bool,
}

/// What went wrong, shown as `fault` on an ERROR instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub code: u16,
    pub message: String,
    pub details: Option<String>,
    pub created: i64,
}

impl Fault {
    /// A server-side failure (500), as of now.
    pub fn internal(message: impl Into<String>) -> Fault {
        Fault {
            code: 500,
            message: message.into(),
            details: None,
            created: compat_api::time::now_us(),
        }
    }
}

/// One entry of the `networks` a server was asked to have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestedNetwork {
    pub network_id: Option<String>,
    pub port_id: Option<String>,
    pub fixed_ip: Option<String>,
}

/// The `networks` of a create request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkRequest {
    /// Any network the project can use (`"auto"`, or nothing given before 2.37).
    Auto,
    /// No network at all.
    None,
    List(Vec<RequestedNetwork>),
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub row: InstanceRow,
    pub flavor: FlavorSnapshot,
    pub metadata: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub security_groups: Vec<String>,
    pub vifs: Vec<Vif>,
    pub fault: Option<Fault>,
}

pub fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn from_json<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

impl Instance {
    pub fn from_row(row: InstanceRow) -> Instance {
        let flavor = serde_json::from_str(&row.flavor).unwrap_or_else(|_| FlavorSnapshot {
            id: String::new(),
            name: String::new(),
            memory_mb: row.memory_mb,
            vcpus: row.vcpus,
            root_gb: 0,
            ephemeral_gb: 0,
            swap: 0,
            description: None,
            extra_specs: BTreeMap::new(),
        });
        Instance {
            flavor,
            metadata: from_json(&row.metadata),
            tags: from_json(&row.tags),
            security_groups: from_json(&row.security_groups),
            vifs: from_json(&row.network_info),
            fault: row
                .fault
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok()),
            row,
        }
    }

    /// Writes the decoded fields back into the row.
    pub fn sync_row(&mut self) {
        self.row.metadata = to_json(&self.metadata);
        self.row.tags = to_json(&self.tags);
        self.row.security_groups = to_json(&self.security_groups);
        self.row.network_info = to_json(&self.vifs);
        self.row.fault = self.fault.as_ref().map(to_json);
        self.row.flavor = to_json(&self.flavor);
        self.row.vcpus = self.flavor.vcpus;
        self.row.memory_mb = self.flavor.memory_mb;
    }

    pub fn id(&self) -> &str {
        &self.row.id
    }

    pub fn is_deleted(&self) -> bool {
        self.row.deleted_at.is_some()
    }

    pub fn status(&self) -> &'static str {
        crate::states::status(&self.row.vm_state, self.row.task_state.as_deref())
    }

    /// The hypervisor's name for the guest.
    pub fn guest_name(&self) -> String {
        format!("instance-{}", &self.row.id[..8.min(self.row.id.len())])
    }
}

/// A live instance `ctx` may see, or 404.
pub fn visible(c: &mut Conn, ctx: &crate::context::Context, id: &str) -> Result<Instance> {
    match store::instances::get(c, id)? {
        Some(row) if row.deleted_at.is_none() && ctx.owns(&row.project_id) => {
            Ok(Instance::from_row(row))
        }
        _ => Err(Error::instance_not_found(id)),
    }
}

/// [`visible`], locked for the rest of a write transaction (see
/// [`store::instances::lock`]; call it first).
pub fn visible_for_update(
    c: &mut Conn,
    ctx: &crate::context::Context,
    id: &str,
) -> Result<Instance> {
    store::instances::lock(c, id)?;
    visible(c, ctx, id)
}

/// [`load`], locked for the rest of a write transaction (call it first).
pub fn load_for_update(c: &mut Conn, id: &str) -> Result<Instance> {
    store::instances::lock(c, id)?;
    load(c, id)
}

/// Any instance, deleted or not (agents, the conductor).
pub fn load(c: &mut Conn, id: &str) -> Result<Instance> {
    store::instances::get(c, id)?
        .map(Instance::from_row)
        .ok_or_else(|| Error::instance_not_found(id))
}

pub fn extra(c: &mut Conn, id: &str) -> Result<InstanceExtraRow> {
    store::instances::extra(c, id)?.ok_or_else(|| Error::instance_not_found(id))
}

pub fn save(c: &mut Conn, inst: &mut Instance) -> Result<()> {
    inst.sync_row();
    inst.row.updated_at = compat_api::time::now_us();
    store::instances::update(c, &inst.row)?;
    Ok(())
}

/// The metadata a request may set: keys 1-255 characters, values up to 255.
pub fn check_metadata(meta: &BTreeMap<String, Value>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, v) in meta {
        let Some(v) = v.as_str() else {
            return Err(Error::bad_request(format!(
                "Invalid input for field/attribute metadata. Value: {v} is not of type 'string'"
            )));
        };
        if k.is_empty() || k.chars().count() > 255 {
            return Err(Error::bad_request(
                "Invalid input for field/attribute metadata. Metadata keys must be 1-255 characters",
            ));
        }
        if v.chars().count() > 255 {
            return Err(Error::bad_request(
                "Invalid input for field/attribute metadata. Metadata values must be at most 255 characters",
            ));
        }
        out.insert(k.clone(), v.to_owned());
    }
    Ok(out)
}

/// Most tags a server may have.
pub const MAX_TAGS: usize = 50;

/// A tag: 1-60 characters, no `/` or `,` (they separate tags in URLs and
/// filters).
pub fn check_tag(tag: &str) -> Result<()> {
    let n = tag.chars().count();
    if n == 0 || n > 60 {
        return Err(Error::bad_request(format!(
            "Invalid input for field/attribute tags. Value: {tag}. Tags must be 1-60 characters"
        )));
    }
    if tag.contains('/') || tag.contains(',') {
        return Err(Error::bad_request(format!(
            "Invalid input for field/attribute tags. Value: {tag}. Tags may not contain '/' or ','"
        )));
    }
    Ok(())
}

/// A list of tags as a request gives it: each checked, duplicates
/// dropped, at most [`MAX_TAGS`].
pub fn check_tags(tags: &[Value]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let Some(tag) = t.as_str() else {
            return Err(Error::bad_request(format!(
                "Invalid input for field/attribute tags. Value: {t}. {t} is not of type 'string'"
            )));
        };
        check_tag(tag)?;
        if !out.iter().any(|x| x == tag) {
            out.push(tag.to_owned());
        }
    }
    check_tag_count(out.len())?;
    Ok(out)
}

pub fn check_tag_count(n: usize) -> Result<()> {
    if n > MAX_TAGS {
        return Err(Error::bad_request(format!(
            "The number of tags exceeded the per-server limit {MAX_TAGS}"
        )));
    }
    Ok(())
}
