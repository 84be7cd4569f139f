//! `os-interface` and `diagnostics`: asked of the instance's host agent
//! with an RPC call, since the answer comes from its hypervisor.

use crate::agent::calls::{decode_error, AttachRequest, DetachRequest, INTERFACE_STATES};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{self, Instance, Vif};
use crate::servers::check_unlocked;
use crate::ComputeService;
use compat_api::bus::Message;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// How long an agent may take to answer a call.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

impl ComputeService {
    /// Calls `method` on the agent of the instance's host.
    async fn call_host<T: serde::Serialize>(
        &self,
        ctx: &Context,
        inst: &Instance,
        method: &str,
        args: T,
    ) -> Result<Value> {
        let Some(host) = inst.row.host.as_deref() else {
            return Err(Error::conflict(format!(
                "Instance {} has no host.",
                inst.id()
            )));
        };
        let msg = Message::new(method, args, ctx.to_value())
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        self.bus
            .call(&crate::agent::topic(host), msg, CALL_TIMEOUT)
            .await
            .map_err(|e| match e {
                compat_api::bus::BusError::Remote(text) => decode_error(&text),
                other => Error::Unavailable(other.to_string()),
            })
    }

    /// An instance whose interfaces may change now.
    async fn interfaces_ready(&self, ctx: &Context, id: &str, action: &str) -> Result<Instance> {
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        let inst = self
            .read(move |c| instances::visible(c, &ctx2, &id2))
            .await?;
        check_unlocked(ctx, &inst)?;
        if !INTERFACE_STATES.contains(&inst.row.vm_state.as_str()) {
            return Err(Error::invalid_state(
                action,
                id,
                "vm_state",
                &inst.row.vm_state,
            ));
        }
        if let Some(t) = &inst.row.task_state {
            return Err(Error::invalid_state(action, id, "task_state", t));
        }
        Ok(inst)
    }

    pub async fn attach_interface(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        port_id: Option<String>,
        network_id: Option<String>,
        fixed_ip: Option<String>,
    ) -> Result<Vif> {
        let inst = self.interfaces_ready(ctx, id, "attach_interface").await?;
        let req = AttachRequest {
            instance_id: id.to_owned(),
            port_id,
            network_id,
            fixed_ip,
        };
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        self.write(move |c| crate::actions::record(c, &ctx2, &id2, "attach_interface"))
            .await?;
        let vif = self.call_host(ctx, &inst, "attach_interface", req).await?;
        serde_json::from_value(vif).map_err(|e| Error::Unavailable(e.to_string()))
    }

    pub async fn detach_interface(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        port_id: &str,
    ) -> Result<()> {
        let inst = self.interfaces_ready(ctx, id, "detach_interface").await?;
        if !inst.vifs.iter().any(|v| v.port_id == port_id) {
            return Err(Error::NotFound(format!("Port {port_id} is not attached")));
        }
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        self.write(move |c| crate::actions::record(c, &ctx2, &id2, "detach_interface"))
            .await?;
        let req = DetachRequest {
            instance_id: id.to_owned(),
            port_id: port_id.to_owned(),
        };
        self.call_host(ctx, &inst, "detach_interface", req).await?;
        Ok(())
    }

    /// The hypervisor's view of a running guest (admin).
    pub async fn diagnostics(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
    ) -> Result<(Instance, Value)> {
        ctx.require_admin("os_compute_api:os-server-diagnostics")?;
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        let inst = self
            .read(move |c| instances::visible(c, &ctx2, &id2))
            .await?;
        let value = self.call_host(ctx, &inst, "get_diagnostics", id).await?;
        Ok((inst, value))
    }
}
