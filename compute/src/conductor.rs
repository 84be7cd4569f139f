//! The conductor: takes new instances from the API, has the scheduler
//! place and claim them, and hands each to its host's agent; takes failed
//! builds back from agents and reschedules them to another host until
//! `[scheduler] max_attempts` is spent.
//!
//! The scheduler's part (`select_destinations`) runs on the `scheduler`
//! topic, so several schedulers can share the work.

use crate::context::Context;
use crate::error::Result;
use crate::instances::{self, Fault};
use crate::moves::{self, MoveRequest};
use crate::scheduler::claims::{self, ClaimOutcome};
use crate::scheduler::{HostState, RequestSpec};
use crate::states::{task, vm};
use crate::ComputeService;
use compat_api::bus::{Delivery, Message};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const CONDUCTOR_TOPIC: &str = "conductor";
pub const SCHEDULER_TOPIC: &str = "scheduler";

/// One instance to build, as it travels conductor → agent → conductor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildRequest {
    pub spec: RequestSpec,
    /// 1 for the first try.
    pub attempt: u32,
    /// Why the last attempt failed, for the fault when retries run out.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// Where an instance was placed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Placement {
    pub host: String,
    pub node: String,
    pub availability_zone: String,
}

/// The scheduler's view of the nodes, refreshed from the database at most
/// once per `MAX_AGE` and updated in place by its own claims.
#[derive(Default)]
pub struct HostView {
    hosts: Vec<HostState>,
    loaded: Option<Instant>,
}

const MAX_AGE: Duration = Duration::from_secs(2);

impl ComputeService {
    /// Runs the conductor and the scheduler until the bus closes.
    pub fn spawn_conductor(self: &Arc<Self>) {
        let conductor = self.bus.subscribe(CONDUCTOR_TOPIC);
        let svc = self.clone();
        tokio::spawn(async move {
            while let Some(Delivery::Message(m)) = conductor.recv().await {
                let svc = svc.clone();
                tokio::spawn(async move { svc.conduct(m).await });
            }
        });
        let scheduler = self.bus.subscribe(SCHEDULER_TOPIC);
        let svc = self.clone();
        tokio::spawn(async move {
            while let Some(Delivery::Message(m)) = scheduler.recv().await {
                let svc = svc.clone();
                tokio::spawn(async move {
                    let answer = svc.select_destinations(&m).await;
                    svc.bus.reply(&m, answer);
                });
            }
        });
    }

    async fn conduct(self: Arc<Self>, m: Message) {
        let ctx = Context::from_value(&m.context);
        let result = match m.method.as_str() {
            "build_instances" => match m.args::<Vec<BuildRequest>>() {
                Ok(reqs) => {
                    for req in reqs {
                        self.schedule_and_build(&ctx, req).await;
                    }
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            },
            "migrate_server" => match m.args::<MoveRequest>() {
                Ok(req) => {
                    self.schedule_move(&ctx, req).await;
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            },
            other => Err(format!("conductor: unknown method {other}")),
        };
        if let Err(e) = result {
            tracing::error!("{e}");
        }
    }

    /// Places one instance and casts it to its host, or puts it in ERROR.
    pub async fn schedule_and_build(self: &Arc<Self>, ctx: &Context, req: BuildRequest) {
        let id = req.spec.instance_id.clone();
        let msg = match Message::new("select_destinations", &req.spec, ctx.to_value()) {
            Ok(m) => m,
            Err(e) => return tracing::error!("cannot encode a request spec: {e}"),
        };
        let answer = self
            .bus
            .call(SCHEDULER_TOPIC, msg, Duration::from_secs(60))
            .await
            .and_then(|v| {
                serde_json::from_value::<Option<Placement>>(v)
                    .map_err(|e| compat_api::bus::BusError::Decode(e.to_string()))
            });
        let placement = match answer {
            Ok(Some(p)) => p,
            Ok(None) => {
                let message = match &req.last_error {
                    Some(last) if req.attempt > 1 => format!(
                        "Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance {id}. Last exception: {last}"
                    ),
                    _ => "No valid host was found. There are not enough hosts available.".into(),
                };
                return self.fail_build(ctx, &id, &message).await;
            }
            Err(e) => {
                return self
                    .fail_build(ctx, &id, &format!("scheduler unavailable: {e}"))
                    .await
            }
        };
        let topic = crate::agent::topic(&placement.host);
        match Message::new("build_and_run_instance", &req, ctx.to_value()) {
            Ok(m) => {
                if let Err(e) = self.bus.cast(&topic, m) {
                    tracing::error!("cannot reach {topic}: {e}");
                }
            }
            Err(e) => tracing::error!("cannot encode a build request: {e}"),
        }
    }

    /// Finds and claims a destination for a move, then starts it on the
    /// source; without one, the move fails and the instance stays.
    async fn schedule_move(self: &Arc<Self>, ctx: &Context, req: MoveRequest) {
        let placement = match self.place(req.spec.clone()).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return self
                    .fail_move(
                        ctx,
                        &req.migration_id,
                        "No valid host was found. There are not enough hosts available.",
                    )
                    .await
            }
            Err(e) => return self.fail_move(ctx, &req.migration_id, &e.to_string()).await,
        };
        let mid = req.migration_id.clone();
        let source = self
            .read(move |c| Ok(crate::store::moves::get(c, &mid)?))
            .await
            .ok()
            .flatten()
            .map(|m| m.source_compute);
        let Some(source) = source else {
            return tracing::error!("move {} vanished", req.migration_id);
        };
        tracing::info!(
            "moving instance {} from {source} to {}",
            req.spec.instance_id,
            placement.host
        );
        if let Err(e) = self.cast(
            ctx,
            &crate::agent::topic(&source),
            "resize_instance",
            &req.migration_id,
        ) {
            self.fail_move(ctx, &req.migration_id, &e.to_string()).await;
        }
    }

    /// ERROR with a fault (nova's NoValidHost path), and the claim released.
    pub async fn fail_build(self: &Arc<Self>, ctx: &Context, id: &str, message: &str) {
        tracing::warn!("build of instance {id} failed: {message}");
        let msg = message.to_owned();
        let result = self
            .update_instance(ctx, "conductor", id, move |inst| {
                if inst.is_deleted() || inst.row.task_state.as_deref() == Some(task::DELETING) {
                    return false;
                }
                inst.row.vm_state = vm::ERROR.into();
                inst.row.task_state = None;
                inst.fault = Some(Fault::internal(msg));
                true
            })
            .await;
        let id2 = id.to_owned();
        let _ = self
            .write(move |c| {
                crate::store::nodes::release(c, &id2)?;
                Ok(())
            })
            .await;
        if let Ok(Some(inst)) = result {
            self.notifier
                .instance_action(ctx, "conductor", &self.conf.host, &inst, "create.error");
        }
    }

    /// The scheduler: filter, weigh, then claim on the best node that
    /// still has room, recording the host on the instance in the same
    /// transaction. `None` when no node can take it.
    async fn select_destinations(
        self: &Arc<Self>,
        m: &Message,
    ) -> std::result::Result<serde_json::Value, String> {
        let spec: RequestSpec = m.args().map_err(|e| e.to_string())?;
        let placement = self.place(spec).await.map_err(|e| e.to_string())?;
        serde_json::to_value(placement).map_err(|e| e.to_string())
    }

    pub async fn place(self: &Arc<Self>, mut spec: RequestSpec) -> Result<Option<Placement>> {
        if let Some(group) = spec.group_id.clone() {
            // Members placed since the request was made count too.
            spec.group_hosts = self
                .read(move |c| crate::server_groups::member_hosts(c, &group))
                .await?;
        }
        let candidates: Vec<HostState> = {
            let hosts = self.host_view().await?;
            let view = hosts.lock().unwrap_or_else(|e| e.into_inner());
            self.scheduler
                .select(&view.hosts, &spec)
                .into_iter()
                .cloned()
                .collect()
        };
        for host in candidates {
            let (node_id, consumer, want) = (
                host.node_id.clone(),
                spec.instance_id.clone(),
                spec.resources,
            );
            let az = host.availability_zone.clone();
            let (h, n, zone) = (host.host.clone(), host.nodename.clone(), az.clone());
            let migration_id = spec.migration_id.clone();
            let outcome = self
                .write(move |c| {
                    // Instance first, then node: the only order any
                    // transaction takes both in.
                    crate::store::instances::lock(c, &consumer)?;
                    let outcome = claims::claim(c, &node_id, &consumer, want)?;
                    if !matches!(outcome, ClaimOutcome::Claimed(_)) {
                        return Ok(outcome);
                    }
                    let mut inst = instances::load(c, &consumer)?;
                    if inst.is_deleted() || inst.row.task_state.as_deref() == Some(task::DELETING) {
                        // Deleted while it waited: give the room back.
                        crate::store::nodes::release_on(c, &consumer, &node_id)?;
                        return Ok(ClaimOutcome::Gone);
                    }
                    match &migration_id {
                        Some(mid) => record_destination(c, mid, h, n)?,
                        None => {
                            inst.row.host = Some(h);
                            inst.row.node = Some(n);
                            inst.row.availability_zone = Some(zone);
                            instances::save(c, &mut inst)?;
                        }
                    }
                    Ok(outcome)
                })
                .await?;
            self.note_claim(&host.node_id, &outcome);
            match outcome {
                ClaimOutcome::Claimed(_) => {
                    return Ok(Some(Placement {
                        host: host.host,
                        node: host.nodename,
                        availability_zone: az,
                    }))
                }
                ClaimOutcome::Gone if self.is_deleted(&spec.instance_id).await => return Ok(None),
                _ => continue,
            }
        }
        Ok(None)
    }

    async fn is_deleted(self: &Arc<Self>, id: &str) -> bool {
        let id = id.to_owned();
        self.read(move |c| instances::load(c, &id))
            .await
            .map(|i| i.is_deleted() || i.row.task_state.as_deref() == Some(task::DELETING))
            .unwrap_or(true)
    }

    /// Records what a claim learned about a node in the in-memory view.
    fn note_claim(&self, node_id: &str, outcome: &ClaimOutcome) {
        let mut view = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let Some(h) = view.hosts.iter_mut().find(|h| h.node_id == node_id) else {
            return;
        };
        match outcome {
            ClaimOutcome::Claimed(used) => {
                h.used = *used;
                h.instances += 1;
            }
            ClaimOutcome::Full(used) => h.used = *used,
            ClaimOutcome::Gone => {}
        }
    }

    /// Makes the next decision read the hosts again: their zones, aggregates
    /// or services changed.
    pub fn forget_hosts(&self) {
        let mut view = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        view.loaded = None;
    }

    /// The host view, reloaded when older than `MAX_AGE`.
    async fn host_view(self: &Arc<Self>) -> Result<&Mutex<HostView>> {
        let fresh = {
            let view = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            view.loaded.is_some_and(|t| t.elapsed() < MAX_AGE)
        };
        if !fresh {
            self.reload_hosts().await?;
        }
        Ok(&self.hosts)
    }

    /// Reads every node, its allocations and its service's state.
    pub async fn reload_hosts(self: &Arc<Self>) -> Result<()> {
        let down_after = self.conf.service_down_time.as_micros() as i64;
        let default_az = self.conf.default_availability_zone.clone();
        let hosts = self
            .read(move |c| {
                let mut hosts = claims::host_states(c)?;
                let services = crate::store::services::all(c)?;
                let aggregates = crate::aggregates::all(c)?;
                let zones = crate::aggregates::host_zones(&aggregates);
                let metadata = crate::aggregates::host_metadata(&aggregates);
                let now = compat_api::time::now_us();
                for h in &mut hosts {
                    let svc = services
                        .iter()
                        .find(|s| s.host == h.host && s.service_binary == "nova-compute");
                    h.enabled = svc.is_some_and(|s| !s.disabled);
                    h.up = svc.is_some_and(|s| s.is_up(now, down_after));
                    h.availability_zone = zones.get(&h.host).unwrap_or(&default_az).clone();
                    h.aggregate_metadata = metadata.get(&h.host).cloned().unwrap_or_default();
                }
                Ok(hosts)
            })
            .await?;
        let mut view = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        view.hosts = hosts;
        view.loaded = Some(Instant::now());
        Ok(())
    }
}

/// A move's destination, and the move under way.
fn record_destination(
    c: &mut crate::store::Conn,
    migration_id: &str,
    host: String,
    node: String,
) -> Result<()> {
    let Some(mut m) = crate::store::moves::get(c, migration_id)? else {
        return Err(crate::error::Error::NotFound(format!(
            "Migration {migration_id} could not be found."
        )));
    };
    if m.status != moves::status::PRE_MIGRATING {
        // Rolled back meanwhile (a restart): no claim for it.
        return Err(crate::error::Error::Conflict(format!(
            "Migration {migration_id} is {}, no longer pre-migrating.",
            m.status
        )));
    }
    m.dest_compute = Some(host);
    m.dest_node = Some(node);
    m.status = moves::status::MIGRATING.into();
    m.updated_at = compat_api::time::now_us();
    crate::store::moves::update(c, &m)?;
    Ok(())
}
