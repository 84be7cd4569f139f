//! What the agent answers (RPC calls rather than casts): attaching and
//! detaching interfaces, and guest diagnostics. Each returns a JSON value
//! or the error's message, sent back on the caller's reply queue.

use super::Agent;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{self, Instance, Vif};
use crate::states::vm;
use crate::virt::Diagnostics;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// `attach_interface`: a port of the user's, or a new one on a network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachRequest {
    pub instance_id: String,
    pub port_id: Option<String>,
    pub network_id: Option<String>,
    pub fixed_ip: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetachRequest {
    pub instance_id: String,
    pub port_id: String,
}

/// States in which interfaces may be attached or detached.
pub const INTERFACE_STATES: &[&str] = &[vm::ACTIVE, vm::PAUSED, vm::STOPPED, vm::SUSPENDED];

/// Call errors travel as text: a prefix keeps their kind.
pub fn encode_error(e: Error) -> String {
    match e {
        Error::NotFound(m) => format!("NotFound: {m}"),
        Error::BadRequest(m) => format!("BadRequest: {m}"),
        Error::Conflict(m) => format!("Conflict: {m}"),
        Error::Forbidden(m) => format!("Forbidden: {m}"),
        other => other.to_string(),
    }
}

/// An error kind's prefix and how to rebuild it.
type ErrorKind = (&'static str, fn(String) -> Error);

pub fn decode_error(text: &str) -> Error {
    let kinds: [ErrorKind; 4] = [
        ("NotFound: ", Error::NotFound),
        ("BadRequest: ", Error::BadRequest),
        ("Conflict: ", Error::Conflict),
        ("Forbidden: ", Error::Forbidden),
    ];
    for (prefix, make) in kinds {
        if let Some(m) = text.strip_prefix(prefix) {
            return make(m.to_owned());
        }
    }
    Error::Unavailable(text.to_owned())
}

fn to_value<T: Serialize>(v: T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Unavailable(e.to_string()))
}

impl Agent {
    /// Answers a call, or None if `method` is not one.
    pub(super) async fn answer(
        self: &Arc<Self>,
        ctx: &Context,
        m: &compat_api::bus::Message,
    ) -> Option<std::result::Result<Value, String>> {
        let result = match m.method.as_str() {
            "attach_interface" => match m.args::<AttachRequest>() {
                Ok(req) => self.attach_interface(ctx, req).await.and_then(to_value),
                Err(e) => Err(Error::bad_request(e.to_string())),
            },
            "detach_interface" => match m.args::<DetachRequest>() {
                Ok(req) => self.detach_interface(ctx, req).await.map(|()| Value::Null),
                Err(e) => Err(Error::bad_request(e.to_string())),
            },
            "get_diagnostics" => match m.args::<String>() {
                Ok(id) => self.diagnostics(&id).and_then(to_value_diag),
                Err(e) => Err(Error::bad_request(e.to_string())),
            },
            _ => return None,
        };
        Some(result.map_err(encode_error))
    }

    async fn attach_interface(&self, ctx: &Context, req: AttachRequest) -> Result<Vif> {
        let lock = self.lock_for(&req.instance_id);
        let _guard = lock.lock().await;
        let inst = self.load_for_interfaces(&req.instance_id).await?;
        let net = &self.svc.network;
        let (port_id, preserve) = match (&req.port_id, &req.network_id) {
            (Some(p), _) => {
                let port = net.show_port(ctx, p).await?;
                if !port.device_id.is_empty() {
                    return Err(Error::conflict(format!("Port {p} is still in use.")));
                }
                (p.clone(), true)
            }
            (None, Some(n)) => {
                let groups = self
                    .svc
                    .security_group_ids(&inst.row.project_id, &inst.security_groups)
                    .await?;
                let port = net
                    .create_port(ctx, n, req.fixed_ip.clone(), inst.id(), groups)
                    .await?;
                (port, false)
            }
            (None, None) => return Err(Error::bad_request("A port or a network is required.")),
        };
        let mut vif = match net.bind_port(&port_id, &self.host, inst.id()).await {
            Ok(v) => v,
            Err(e) => {
                self.release_port(&port_id, preserve).await;
                return Err(e);
            }
        };
        vif.preserve_on_delete = preserve;
        if let Err(e) = self.driver.attach_interface(inst.id(), &vif).await {
            self.release_port(&port_id, preserve).await;
            return Err(Error::Unavailable(e.to_string()));
        }
        let added = vif.clone();
        self.svc
            .update_instance(ctx, "compute", inst.id(), move |i| {
                i.vifs.push(added);
                true
            })
            .await?;
        Ok(vif)
    }

    async fn detach_interface(&self, ctx: &Context, req: DetachRequest) -> Result<()> {
        let lock = self.lock_for(&req.instance_id);
        let _guard = lock.lock().await;
        let inst = self.load_for_interfaces(&req.instance_id).await?;
        let Some(vif) = inst.vifs.iter().find(|v| v.port_id == req.port_id).cloned() else {
            return Err(Error::NotFound(format!(
                "Port {} is not attached",
                req.port_id
            )));
        };
        if let Err(e) = self.driver.detach_interface(inst.id(), &vif).await {
            tracing::warn!("{}: unplugging {}: {e}", self.host, vif.port_id);
        }
        self.release_port(&vif.port_id, vif.preserve_on_delete)
            .await;
        let port = vif.port_id.clone();
        self.svc
            .update_instance(ctx, "compute", inst.id(), move |i| {
                i.vifs.retain(|v| v.port_id != port);
                true
            })
            .await?;
        Ok(())
    }

    async fn load_for_interfaces(&self, id: &str) -> Result<Instance> {
        let id2 = id.to_owned();
        let inst = self.svc.read(move |c| instances::load(c, &id2)).await?;
        if inst.is_deleted() {
            return Err(Error::instance_not_found(id));
        }
        Ok(inst)
    }

    fn diagnostics(&self, id: &str) -> Result<Diagnostics> {
        self.driver
            .diagnostics(id)
            .map_err(|e| Error::conflict(e.to_string()))
    }
}

fn to_value_diag(d: Diagnostics) -> Result<Value> {
    Ok(serde_json::json!({
        "state": d.state,
        "driver": d.driver,
        "hypervisor": d.hypervisor,
        "hypervisor_os": d.hypervisor_os,
        "uptime": d.uptime_s,
        "num_cpus": d.num_cpus,
        "memory_mb": d.memory_mb,
        "nics": d.nics,
        "disk_gb": d.disk_gb,
    }))
}
