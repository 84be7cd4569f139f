//! The compute host agent (nova-compute): one per host, consuming
//! `compute.<host>`. It builds, powers and deletes guests through its
//! [`Driver`], keeps their state in the database, reports the host's
//! resources and liveness, and at start-up settles what a restart
//! interrupted (nova's `init_host`).

use crate::conductor::{BuildRequest, CONDUCTOR_TOPIC};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{self, Fault, Instance, NetworkRequest, Vif};
use crate::states::{power, task, vm};
use crate::store::models::{ComputeNodeRow, MigrationRow, NodeChangeRow, ServiceRow};
use crate::store::{self, Conn};
use crate::virt::{Driver, GuestSpec, NodeResources};
use crate::ComputeService;
use compat_api::bus::{Delivery, Message};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod calls;
mod moves;
pub mod tasks;

pub fn topic(host: &str) -> String {
    format!("compute.{host}")
}

pub const BINARY: &str = "nova-compute";

/// The power actions an agent performs, by the message that asks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerAction {
    Stop,
    Start,
    RebootSoft,
    RebootHard,
    Pause,
    Unpause,
    Suspend,
    Resume,
    /// A delete while `reclaim_instance_interval` holds deletes back.
    SoftDelete,
    Restore,
}

impl PowerAction {
    /// The notification name (`instance.<name>.start`).
    fn event(&self) -> &'static str {
        match self {
            PowerAction::Stop => "power_off",
            PowerAction::Start => "power_on",
            PowerAction::RebootSoft | PowerAction::RebootHard => "reboot",
            PowerAction::Pause => "pause",
            PowerAction::Unpause => "unpause",
            PowerAction::Suspend => "suspend",
            PowerAction::Resume => "resume",
            PowerAction::SoftDelete => "soft_delete",
            PowerAction::Restore => "restore",
        }
    }

    /// The vm_state and power_state after it succeeds.
    fn outcome(&self) -> (&'static str, i32) {
        match self {
            PowerAction::Stop => (vm::STOPPED, power::SHUTDOWN),
            PowerAction::Pause => (vm::PAUSED, power::PAUSED),
            PowerAction::Suspend => (vm::SUSPENDED, power::SUSPENDED),
            PowerAction::SoftDelete => (vm::SOFT_DELETED, power::SHUTDOWN),
            _ => (vm::ACTIVE, power::RUNNING),
        }
    }

    /// The instance-action event name nova records.
    pub fn event_name(&self) -> &'static str {
        match self {
            PowerAction::Stop => "compute_stop_instance",
            PowerAction::Start => "compute_start_instance",
            PowerAction::RebootSoft | PowerAction::RebootHard => "compute_reboot_instance",
            PowerAction::Pause => "compute_pause_instance",
            PowerAction::Unpause => "compute_unpause_instance",
            PowerAction::Suspend => "compute_suspend_instance",
            PowerAction::Resume => "compute_resume_instance",
            PowerAction::SoftDelete => "compute_soft_delete_instance",
            PowerAction::Restore => "compute_restore_instance",
        }
    }
}

pub struct Agent {
    svc: Arc<ComputeService>,
    driver: Arc<dyn Driver>,
    host: String,
    /// One operation at a time per instance.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Agent {
    pub fn new(svc: Arc<ComputeService>, driver: Arc<dyn Driver>) -> Arc<Agent> {
        Arc::new(Agent {
            host: driver.host().to_owned(),
            svc,
            driver,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// Registers the service, reports resources, settles leftovers, then
    /// serves its topic and runs its periodic tasks.
    pub async fn start(self: Arc<Self>) -> Result<()> {
        self.register().await?;
        self.update_available_resource().await?;
        self.init_host().await;
        let sub = self.svc.bus.subscribe(&topic(&self.host));
        let me = self.clone();
        tokio::spawn(async move {
            while let Some(Delivery::Message(m)) = sub.recv().await {
                let me = me.clone();
                tokio::spawn(async move { me.handle(m).await });
            }
        });
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(me.svc.conf.report_interval);
            loop {
                tick.tick().await;
                if let Err(e) = me.heartbeat().await {
                    tracing::warn!("{}: cannot report state: {e}", me.host);
                }
            }
        });
        let reclaim = self.svc.conf.reclaim_instance_interval;
        if !reclaim.is_zero() {
            let me = self.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(reclaim.min(Duration::from_secs(60)));
                loop {
                    tick.tick().await;
                    if let Err(e) = me.reclaim_queued_deletes(reclaim).await {
                        tracing::warn!("{}: reclaiming soft-deleted instances: {e}", me.host);
                    }
                }
            });
        }
        let me = self;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(me.svc.conf.update_resources_interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = me.update_available_resource().await {
                    tracing::warn!("{}: resource update failed: {e}", me.host);
                }
            }
        });
        Ok(())
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks.entry(id.to_owned()).or_default().clone()
    }

    async fn handle(self: Arc<Self>, m: Message) {
        let ctx = Context::from_value(&m.context);
        if let Some(answer) = self.answer(&ctx, &m).await {
            return self.svc.bus.reply(&m, answer);
        }
        let result = match m.method.as_str() {
            "build_and_run_instance" => match m.args::<BuildRequest>() {
                Ok(req) => {
                    self.build_and_run(&ctx, req).await;
                    Ok(())
                }
                Err(e) => Err(Error::bad_request(e.to_string())),
            },
            "terminate_instance" => match m.args::<String>() {
                Ok(id) => self.terminate(&ctx, &id).await,
                Err(e) => Err(Error::bad_request(e.to_string())),
            },
            "power_action" => match m.args::<(String, PowerAction)>() {
                Ok((id, action)) => self.power_action(&ctx, &id, action).await,
                Err(e) => Err(Error::bad_request(e.to_string())),
            },
            "resize_instance" => {
                self.clone()
                    .with_args(&m, Self::resize_instance, &ctx)
                    .await
            }
            "finish_resize" => self.clone().with_args(&m, Self::finish_resize, &ctx).await,
            "confirm_resize" => self.clone().with_args(&m, Self::confirm_resize, &ctx).await,
            "revert_resize" => self.clone().with_args(&m, Self::revert_resize, &ctx).await,
            "finish_revert_resize" => {
                self.clone()
                    .with_args(&m, Self::finish_revert_resize, &ctx)
                    .await
            }
            "rebuild_instance" => self.clone().with_args(&m, Self::rebuild, &ctx).await,
            "snapshot_instance" => self.clone().with_args(&m, Self::snapshot, &ctx).await,
            "set_admin_password" => {
                self.clone()
                    .with_args(&m, Self::set_admin_password, &ctx)
                    .await
            }
            other => Err(Error::bad_request(format!("unknown method {other}"))),
        };
        if let Err(e) = result {
            tracing::error!("{}: {} failed: {e}", self.host, m.method);
        }
    }

    /// Decodes a message's arguments and runs `f` with them.
    async fn with_args<T, F, Fut>(self: Arc<Self>, m: &Message, f: F, ctx: &Context) -> Result<()>
    where
        T: serde::de::DeserializeOwned,
        F: FnOnce(Arc<Self>, Context, T) -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let args = m
            .args::<T>()
            .map_err(|e| Error::bad_request(e.to_string()))?;
        f(self, ctx.clone(), args).await
    }

    /// Sets the task state of a live instance; None if it is gone or being
    /// deleted (the delete wins).
    async fn set_task(
        &self,
        ctx: &Context,
        id: &str,
        task_state: &'static str,
    ) -> Result<Option<Instance>> {
        self.svc
            .update_instance(ctx, "compute", id, move |i| {
                if i.is_deleted() || i.row.task_state.as_deref() == Some(task::DELETING) {
                    return false;
                }
                i.row.task_state = Some(task_state.into());
                true
            })
            .await
    }

    /// `instance.<event>` from this host.
    fn notify(&self, ctx: &Context, inst: &Instance, event: &str) {
        self.svc
            .notifier
            .instance_action(ctx, "compute", &self.host, inst, event);
    }

    /// Starts (None) or ends an instance-action event on this host.
    async fn event(&self, id: &str, name: &str, result: Option<&str>) {
        self.svc.record_event(id, name, &self.host, result).await;
    }

    // ---- building ------------------------------------------------------

    async fn build_and_run(self: &Arc<Self>, ctx: &Context, req: BuildRequest) {
        let id = req.spec.instance_id.clone();
        let lock = self.lock_for(&id);
        let _guard = lock.lock().await;
        let svc = &self.svc;
        let started = svc
            .update_instance(ctx, "compute", &id, |inst| {
                if inst.is_deleted() || inst.row.task_state.as_deref() == Some(task::DELETING) {
                    return false;
                }
                inst.row.task_state = Some(task::NETWORKING.into());
                true
            })
            .await;
        let inst = match started {
            Ok(Some(inst)) => inst,
            // Deleted before it was built: the delete released everything.
            _ => return,
        };
        svc.record_event(&id, "compute__do_build_and_run_instance", &self.host, None)
            .await;
        svc.notifier
            .instance_action(ctx, "compute", &self.host, &inst, "create.start");
        match self.build(ctx, &inst).await {
            Ok(done) => {
                svc.record_event(
                    &id,
                    "compute__do_build_and_run_instance",
                    &self.host,
                    Some("Success"),
                )
                .await;
                svc.notifier
                    .instance_action(ctx, "compute", &self.host, &done, "create.end");
            }
            Err((vifs, e)) => {
                svc.record_event(
                    &id,
                    "compute__do_build_and_run_instance",
                    &self.host,
                    Some("Error"),
                )
                .await;
                self.abort_build(ctx, &inst, vifs, req, e).await;
            }
        }
    }

    /// Networks, then the guest. On failure returns what was plugged, so
    /// it can be unplugged.
    async fn build(
        &self,
        ctx: &Context,
        inst: &Instance,
    ) -> std::result::Result<Instance, (Vec<Vif>, String)> {
        let id = inst.id().to_owned();
        let extra = {
            let id = id.clone();
            self.svc.read(move |c| instances::extra(c, &id)).await
        }
        .map_err(|e| (Vec::new(), e.to_string()))?;
        let requested: NetworkRequest =
            serde_json::from_str(&extra.requested_networks).unwrap_or(NetworkRequest::None);
        let vifs = self.allocate_networks(ctx, inst, &requested).await?;
        let plugged = vifs.clone();
        let spawning = self
            .svc
            .update_instance(ctx, "compute", &id, move |i| {
                i.vifs = plugged;
                i.row.task_state = Some(task::SPAWNING.into());
                true
            })
            .await
            .map_err(|e| (vifs.clone(), e.to_string()))?
            .ok_or_else(|| (vifs.clone(), "instance vanished".to_string()))?;
        let spec = GuestSpec {
            user_data: extra.user_data.clone(),
            ..guest_spec(&spawning)
        };
        self.driver
            .spawn(&spec)
            .await
            .map_err(|e| (vifs.clone(), e.to_string()))?;
        let done = self
            .svc
            .update_instance(ctx, "compute", &id, |i| {
                i.row.vm_state = vm::ACTIVE.into();
                i.row.task_state = None;
                i.row.power_state = power::RUNNING;
                i.row.launched_at = Some(compat_api::time::now_us());
                true
            })
            .await
            .map_err(|e| (vifs.clone(), e.to_string()))?;
        done.ok_or_else(|| (vifs, "instance vanished".to_string()))
    }

    async fn allocate_networks(
        &self,
        ctx: &Context,
        inst: &Instance,
        requested: &NetworkRequest,
    ) -> std::result::Result<Vec<Vif>, (Vec<Vif>, String)> {
        let NetworkRequest::List(list) = requested else {
            return Ok(Vec::new());
        };
        let net = &self.svc.network;
        let groups = self
            .svc
            .security_group_ids(&inst.row.project_id, &inst.security_groups)
            .await
            .map_err(|e| (Vec::new(), e.to_string()))?;
        let mut vifs: Vec<Vif> = Vec::new();
        for r in list {
            let (port_id, preserve) = match (&r.port_id, &r.network_id) {
                (Some(p), _) => (p.clone(), true),
                (None, Some(n)) => {
                    let created = net
                        .create_port(ctx, n, r.fixed_ip.clone(), inst.id(), groups.clone())
                        .await
                        .map_err(|e| (vifs.clone(), e.to_string()))?;
                    (created, false)
                }
                (None, None) => continue,
            };
            match net.bind_port(&port_id, &self.host, inst.id()).await {
                Ok(mut vif) => {
                    vif.preserve_on_delete = preserve;
                    vifs.push(vif);
                }
                Err(e) => {
                    if !preserve {
                        let _ = net.delete_port(&port_id).await;
                    }
                    return Err((vifs, e.to_string()));
                }
            }
        }
        Ok(vifs)
    }

    async fn deallocate_networks(&self, vifs: &[Vif]) {
        for vif in vifs {
            self.release_port(&vif.port_id, vif.preserve_on_delete)
                .await;
        }
    }

    /// A port the user brought is unbound and kept; one made for the
    /// instance is deleted.
    async fn release_port(&self, port_id: &str, preserve: bool) {
        let net = &self.svc.network;
        let result = if preserve {
            net.unbind_port(port_id).await
        } else {
            net.delete_port(port_id).await
        };
        if let Err(e) = result {
            tracing::warn!("{}: cannot release port {port_id}: {e}", self.host);
        }
    }

    /// Undoes a failed build, then reschedules it or puts it in ERROR.
    async fn abort_build(
        self: &Arc<Self>,
        ctx: &Context,
        inst: &Instance,
        vifs: Vec<Vif>,
        mut req: BuildRequest,
        error: String,
    ) {
        let id = inst.id().to_owned();
        tracing::warn!("{}: build of {id} failed: {error}", self.host);
        let _ = self.driver.destroy(&id).await;
        self.deallocate_networks(&vifs).await;
        let host = self.host.clone();
        let retry = req.attempt < self.svc.scheduler.max_attempts;
        let message = error.clone();
        let updated = self
            .svc
            .update_instance(ctx, "compute", &id, move |i| {
                i.vifs.clear();
                if i.is_deleted() || i.row.task_state.as_deref() == Some(task::DELETING) {
                    return true;
                }
                if retry {
                    i.row.task_state = Some(task::SCHEDULING.into());
                } else {
                    i.row.vm_state = vm::ERROR.into();
                    i.row.task_state = None;
                    i.fault = Some(Fault::internal(format!(
                        "Build of instance {} aborted: {message}",
                        i.row.id
                    )));
                }
                i.row.host = None;
                i.row.node = None;
                true
            })
            .await;
        let id2 = id.clone();
        let _ = self
            .svc
            .write(move |c| {
                store::nodes::release(c, &id2)?;
                Ok(())
            })
            .await;
        let Ok(Some(now)) = updated else { return };
        if now.row.vm_state == vm::ERROR {
            self.svc
                .notifier
                .instance_action(ctx, "compute", &host, &now, "create.error");
            return;
        }
        if now.is_deleted() || now.row.task_state.as_deref() == Some(task::DELETING) {
            return;
        }
        req.attempt += 1;
        req.spec.ignore_hosts.push(host);
        req.last_error = Some(error);
        match Message::new("build_instances", vec![req], ctx.to_value()) {
            Ok(m) => {
                if let Err(e) = self.svc.bus.cast(CONDUCTOR_TOPIC, m) {
                    tracing::error!("cannot reschedule {id}: {e}");
                }
            }
            Err(e) => tracing::error!("cannot reschedule {id}: {e}"),
        }
    }

    // ---- deleting ------------------------------------------------------

    async fn terminate(self: &Arc<Self>, ctx: &Context, id: &str) -> Result<()> {
        let lock = self.lock_for(id);
        let _guard = lock.lock().await;
        let inst = {
            let id = id.to_owned();
            self.svc.read(move |c| instances::load(c, &id)).await?
        };
        if inst.is_deleted() {
            return Ok(());
        }
        self.svc
            .notifier
            .instance_action(ctx, "compute", &self.host, &inst, "delete.start");
        self.driver
            .destroy(id)
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        self.deallocate_networks(&inst.vifs).await;
        let gone = self.svc.finish_delete(ctx, "compute", id).await?;
        if let Some(gone) = gone {
            self.svc
                .notifier
                .instance_action(ctx, "compute", &self.host, &gone, "delete.end");
        }
        Ok(())
    }

    // ---- power ---------------------------------------------------------

    async fn power_action(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        action: PowerAction,
    ) -> Result<()> {
        let lock = self.lock_for(id);
        let _guard = lock.lock().await;
        let inst = {
            let id = id.to_owned();
            self.svc.read(move |c| instances::load(c, &id)).await?
        };
        if inst.is_deleted() {
            return Ok(());
        }
        let event = action.event();
        self.svc
            .record_event(id, action.event_name(), &self.host, None)
            .await;
        self.svc.notifier.instance_action(
            ctx,
            "compute",
            &self.host,
            &inst,
            &format!("{event}.start"),
        );
        let d = &self.driver;
        let result = match action {
            PowerAction::Stop => d.power_off(id).await,
            PowerAction::Start => d.power_on(id).await,
            PowerAction::RebootSoft => d.reboot(id, false).await,
            PowerAction::RebootHard => d.reboot(id, true).await,
            PowerAction::Pause => d.pause(id).await,
            PowerAction::Unpause => d.unpause(id).await,
            PowerAction::Suspend => d.suspend(id).await,
            PowerAction::Resume => d.resume(id).await,
            // What nova does for drivers without a soft delete of their own.
            PowerAction::SoftDelete => d.power_off(id).await,
            PowerAction::Restore => d.power_on(id).await,
        };
        let ok = result.is_ok();
        if let Err(e) = &result {
            tracing::warn!("{}: {event} of {id} failed: {e}", self.host);
        }
        let (state, power_state) = action.outcome();
        let done = self
            .svc
            .update_instance(ctx, "compute", id, move |i| {
                if ok {
                    i.row.vm_state = state.into();
                    i.row.power_state = power_state;
                }
                i.row.task_state = None;
                true
            })
            .await?;
        self.svc
            .record_event(
                id,
                action.event_name(),
                &self.host,
                Some(if ok { "Success" } else { "Error" }),
            )
            .await;
        if let (true, Some(done)) = (ok, done) {
            self.svc.notifier.instance_action(
                ctx,
                "compute",
                &self.host,
                &done,
                &format!("{event}.end"),
            );
        }
        Ok(())
    }

    pub fn console_output(&self, id: &str) -> Result<String> {
        self.driver
            .console_output(id)
            .map_err(|e| Error::NotFound(e.to_string()))
    }

    // ---- the host ------------------------------------------------------

    async fn register(&self) -> Result<()> {
        let host = self.host.clone();
        self.svc
            .write(move |c| {
                if store::services::by_host(c, &host, BINARY)?.is_some() {
                    return Ok(());
                }
                let now = compat_api::time::now_us();
                let row = ServiceRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    seq: store::services::next_service_seq(c)?,
                    host: host.clone(),
                    service_binary: BINARY.into(),
                    topic: "compute".into(),
                    disabled: false,
                    disabled_reason: None,
                    forced_down: false,
                    last_seen_up: Some(now),
                    created_at: now,
                    updated_at: now,
                };
                store::services::insert(c, &row)?;
                Ok(())
            })
            .await
    }

    async fn heartbeat(&self) -> Result<()> {
        let host = self.host.clone();
        self.svc
            .write(move |c| {
                if let Some(s) = store::services::by_host(c, &host, BINARY)? {
                    store::services::seen_up(c, &s.id, compat_api::time::now_us())?;
                }
                Ok(())
            })
            .await
    }

    /// The resource tracker: records each node the driver reports (with
    /// this host's ratios and reservations, logging any change), and
    /// deletes this host's nodes the driver no longer reports.
    pub async fn update_available_resource(&self) -> Result<()> {
        let nodes = self.driver.node_resources();
        let host = self.host.clone();
        let policy = self.svc.conf.node_policy.clone();
        let changed_by = format!("nova.conf on {host}");
        self.svc
            .write(move |c| {
                for n in &nodes {
                    upsert_node(c, &host, n, &policy, &changed_by)?;
                }
                for orphan in store::nodes::of_host(c, &host)? {
                    if !nodes
                        .iter()
                        .any(|n| n.hypervisor_hostname == orphan.hypervisor_hostname)
                    {
                        tracing::warn!(
                            "deleting orphan compute node {} (hypervisor host {}) on {host}",
                            orphan.id,
                            orphan.hypervisor_hostname
                        );
                        store::nodes::delete(c, &orphan.id)?;
                    }
                }
                Ok(())
            })
            .await
    }

    /// Deletes for good the soft-deleted instances of this host that have
    /// waited `interval` since their delete (nova's `_reclaim_queued_deletes`).
    async fn reclaim_queued_deletes(self: &Arc<Self>, interval: Duration) -> Result<()> {
        let cutoff = compat_api::time::now_us() - interval.as_micros() as i64;
        let host = self.host.clone();
        let rows = self
            .svc
            .read(move |c| Ok(store::instances::on_host(c, &host)?))
            .await?;
        let due = rows.into_iter().filter(|r| {
            r.vm_state == vm::SOFT_DELETED && r.task_state.is_none() && r.updated_at <= cutoff
        });
        let ctx = Context::service();
        for row in due {
            let marked = self
                .svc
                .update_instance(&ctx, "compute", &row.id, |i| {
                    let waiting = i.row.vm_state == vm::SOFT_DELETED && i.row.task_state.is_none();
                    if waiting {
                        i.row.task_state = Some(task::DELETING.into());
                    }
                    waiting
                })
                .await?;
            if marked.is_some() {
                tracing::info!("{}: reclaiming soft-deleted instance {}", self.host, row.id);
                self.terminate(&ctx, &row.id).await?;
            }
        }
        Ok(())
    }

    /// After a restart: finishes deletes, fails builds that were cut off,
    /// settles moves that were under way (`resume_move`), and brings back
    /// guests the hypervisor lost (the fake one forgets everything), in the
    /// power state the database records.
    async fn init_host(self: &Arc<Self>) {
        let host = self.host.clone();
        let loaded = self
            .svc
            .read(move |c| {
                let rows = store::instances::on_host(c, &host)?;
                let moves = store::moves::with_status(c, crate::moves::OPEN)?;
                Ok((rows, moves))
            })
            .await;
        let (on_host, moves) = match loaded {
            Ok(found) => found,
            Err(e) => return tracing::error!("{}: init_host: {e}", self.host),
        };
        let mut moves: HashMap<String, MigrationRow> = moves
            .into_iter()
            .map(|m| (m.instance_id.clone(), m))
            .collect();
        let ctx = Context::service();
        let guests = self.driver.list_guests();
        for row in on_host {
            let inst = Instance::from_row(row);
            let id = inst.id().to_owned();
            let result = match moves.remove(&id) {
                Some(m) if inst.row.task_state.as_deref() != Some(task::DELETING) => {
                    self.clone().resume_move(&ctx, &inst, m, &guests).await
                }
                _ => self.init_instance(&ctx, &inst, &guests).await,
            };
            if let Err(e) = result {
                tracing::warn!("{}: init_host: instance {id}: {e}", self.host);
            }
        }
    }

    /// One instance this host had when its service stopped: a delete is
    /// finished, a build that was under way fails, a guest the driver lost
    /// is brought back as recorded, and a task that was running is cleared.
    async fn init_instance(
        self: &Arc<Self>,
        ctx: &Context,
        inst: &Instance,
        guests: &[String],
    ) -> Result<()> {
        let id = inst.id();
        match (inst.row.vm_state.as_str(), inst.row.task_state.as_deref()) {
            (_, Some(task::DELETING)) => self.terminate(ctx, id).await,
            (vm::BUILDING, _) => {
                self.svc
                    .fail_build(
                        ctx,
                        id,
                        "Instance was building when its compute service restarted.",
                    )
                    .await;
                Ok(())
            }
            (vm::ERROR, _) => Ok(()),
            _ if guests.iter().any(|g| g == id) => self.settle_task(ctx, id).await,
            _ => self.recreate_guest(ctx, inst).await,
        }
    }

    async fn settle_task(&self, ctx: &Context, id: &str) -> Result<()> {
        self.svc
            .update_instance(ctx, "compute", id, |i| i.row.task_state.take().is_some())
            .await
            .map(|_| ())
    }

    async fn recreate_guest(&self, ctx: &Context, inst: &Instance) -> Result<()> {
        let spec = guest_spec(inst);
        let driver_error = |e: crate::virt::DriverError| Error::Unavailable(e.to_string());
        self.driver.spawn(&spec).await.map_err(driver_error)?;
        let id = inst.id();
        match inst.row.power_state {
            power::SHUTDOWN => self.driver.power_off(id).await.map_err(driver_error)?,
            power::PAUSED => self.driver.pause(id).await.map_err(driver_error)?,
            power::SUSPENDED => self.driver.suspend(id).await.map_err(driver_error)?,
            _ => {}
        }
        self.settle_task(ctx, id).await
    }
}

/// What the driver needs to bring up an instance as it is recorded.
pub(crate) fn guest_spec(inst: &Instance) -> GuestSpec {
    GuestSpec {
        id: inst.id().to_owned(),
        name: inst.guest_name(),
        vcpus: inst.flavor.vcpus,
        memory_mb: inst.flavor.memory_mb,
        root_gb: inst.flavor.root_gb,
        image_ref: inst.row.image_ref.clone(),
        vifs: inst.vifs.clone(),
        user_data: None,
        admin_password: None,
        metadata: serde_json::to_value(&inst.metadata).unwrap_or_default(),
    }
}

fn upsert_node(
    c: &mut Conn,
    host: &str,
    n: &NodeResources,
    policy: &crate::config::NodePolicy,
    changed_by: &str,
) -> Result<()> {
    let now = compat_api::time::now_us();
    let Some(mut row) = store::nodes::by_name(c, &n.hypervisor_hostname)? else {
        let row = ComputeNodeRow {
            id: uuid::Uuid::new_v4().to_string(),
            seq: store::nodes::next_node_seq(c)?,
            host: host.to_owned(),
            hypervisor_hostname: n.hypervisor_hostname.clone(),
            hypervisor_type: n.hypervisor_type.clone(),
            hypervisor_version: n.hypervisor_version,
            host_ip: n.host_ip.clone(),
            vcpus: n.vcpus,
            memory_mb: n.memory_mb,
            local_gb: n.local_gb,
            cpu_allocation_ratio: policy.cpu_allocation_ratio,
            ram_allocation_ratio: policy.ram_allocation_ratio,
            disk_allocation_ratio: policy.disk_allocation_ratio,
            reserved_host_cpus: policy.reserved_host_cpus,
            reserved_host_memory_mb: policy.reserved_host_memory_mb,
            reserved_host_disk_mb: policy.reserved_host_disk_mb,
            generation: 0,
            created_at: now,
            updated_at: now,
        };
        store::nodes::insert(c, &row)?;
        return Ok(());
    };
    let changes = row
        .policy()
        .fields()
        .into_iter()
        .zip(policy.fields())
        .filter(|((_, old), (_, new))| old != new)
        .map(|((field, old), (_, new))| (field, old, new))
        .collect::<Vec<_>>();
    for (field, old, new) in changes {
        tracing::warn!(
            "compute node {}: {field} changed from {old} to {new} by {changed_by}",
            row.hypervisor_hostname
        );
        store::nodes::record_change(
            c,
            &NodeChangeRow {
                id: uuid::Uuid::new_v4().to_string(),
                node_id: row.id.clone(),
                field: field.into(),
                old_value: old,
                new_value: new,
                changed_by: changed_by.to_owned(),
                changed_at: now,
            },
        )?;
    }
    row.host = host.to_owned();
    row.vcpus = n.vcpus;
    row.memory_mb = n.memory_mb;
    row.local_gb = n.local_gb;
    row.hypervisor_type = n.hypervisor_type.clone();
    row.hypervisor_version = n.hypervisor_version;
    row.host_ip = n.host_ip.clone();
    row.set_policy(policy);
    row.updated_at = now;
    store::nodes::update(c, &row)?;
    Ok(())
}
