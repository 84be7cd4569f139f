//! What the API asks of instances: create (checks, quota, records, then
//! the conductor), delete, the power actions, lock, update.

use crate::agent::PowerAction;
use crate::conductor::{BuildRequest, CONDUCTOR_TOPIC};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{self, FlavorSnapshot, Instance, NetworkRequest, RequestedNetwork};
use crate::scheduler::{RequestSpec, Resources};
use crate::states::{power, task, vm};
use crate::store::models::{InstanceExtraRow, InstanceRow};
use crate::{actions, flavors, quotas, store, ComputeService};
use compat_api::bus::Message;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A create request, validated for shape by the API.
#[derive(Debug, Clone, Default)]
pub struct ServerCreate {
    pub name: String,
    pub description: Option<String>,
    pub image_ref: String,
    pub flavor_ref: String,
    pub networks: Option<NetworkRequest>,
    pub key_name: Option<String>,
    pub user_data: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub availability_zone: Option<String>,
    pub security_groups: Vec<String>,
    pub min_count: i64,
    pub max_count: i64,
    pub tags: Vec<String>,
    pub hostname: Option<String>,
    pub config_drive: bool,
    pub access_ipv4: Option<String>,
    pub access_ipv6: Option<String>,
    pub scheduler_hints: serde_json::Map<String, serde_json::Value>,
    pub admin_pass: Option<String>,
}

pub struct Created {
    pub instances: Vec<Instance>,
    pub reservation_id: String,
}

fn random_chars(n: usize, alphabet: &[u8]) -> String {
    let mut bytes = vec![0u8; n];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

pub fn reservation_id() -> String {
    format!(
        "r-{}",
        random_chars(8, b"0123456789abcdefghijklmnopqrstuvwxyz")
    )
}

/// A generated admin password as nova makes them (12 characters, no
/// look-alikes).
pub fn generate_password() -> String {
    random_chars(
        12,
        b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz",
    )
}

/// nova's hostname from a display name.
pub fn sanitize_hostname(name: &str, id: &str) -> String {
    let mapped: String = name
        .chars()
        .filter(|c| (*c as u32) < 256)
        .map(|c| if " _.".contains(c) { '-' } else { c })
        .filter(|c| c.is_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_lowercase();
    let trimmed: String = mapped.chars().take(63).collect();
    let trimmed = trimmed.trim_matches(|c| c == '.' || c == '-').to_owned();
    if trimmed.is_empty() {
        format!("Server-{id}")
    } else {
        trimmed
    }
}

/// The hosts the named instances run on (`same_host`/`different_host`).
fn hint_hosts(
    c: &mut store::Conn,
    hints: &serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Result<Option<Vec<String>>> {
    let Some(v) = hints.get(key) else {
        return Ok(None);
    };
    let ids: Vec<String> = match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let mut hosts = Vec::new();
    for id in ids {
        if let Some(h) = store::instances::get(c, &id)?.and_then(|r| r.host) {
            hosts.push(h);
        }
    }
    Ok(Some(hosts))
}

/// The `group` hint: the new instances join that server group. Returns
/// the group's id and policy.
fn join_group(
    c: &mut store::Conn,
    ctx: &Context,
    hints: &serde_json::Map<String, serde_json::Value>,
    instances: &[Instance],
) -> Result<Option<(String, String)>> {
    let Some(id) = hints.get("group").and_then(|g| g.as_str()) else {
        return Ok(None);
    };
    let group = crate::server_groups::visible(c, ctx, id).map_err(|e| match e {
        Error::NotFound(m) => Error::bad_request(m),
        other => other,
    })?;
    for inst in instances {
        store::server_groups::add_member(c, &group.row.id, inst.id())?;
    }
    Ok(Some((group.row.id, group.row.policy)))
}

/// The vm_states a delete may hold back as a soft delete.
const SOFT_DELETABLE: &[&str] = &[
    vm::ACTIVE,
    vm::STOPPED,
    vm::PAUSED,
    vm::SUSPENDED,
    vm::RESIZED,
    vm::RESCUED,
    vm::ERROR,
];

impl ComputeService {
    /// Checks a create request against flavors, images, networks, key
    /// pairs and quota, records the instances and hands them to the
    /// conductor. Nothing is written if any check fails.
    pub async fn create_servers(
        self: &Arc<Self>,
        ctx: &Context,
        req: ServerCreate,
    ) -> Result<Created> {
        let flavor = {
            let (ctx2, id) = (ctx.clone(), req.flavor_ref.clone());
            self.read(move |c| flavors::accessible(c, &ctx2, &id))
                .await
                .map_err(|e| match e {
                    Error::NotFound(_) => {
                        Error::bad_request(format!("Flavor {} could not be found.", req.flavor_ref))
                    }
                    other => other,
                })?
        };
        quotas::check_metadata_count(self.metadata_limit(ctx).await?, req.metadata.len())?;
        let snapshot = flavor.snapshot();
        let image_properties = self.check_image(ctx, &req.image_ref, &snapshot).await?;
        let networks = self
            .resolve_networks(ctx, req.networks.clone(), req.max_count)
            .await?;
        let (zone, force_host) = self
            .check_zone(ctx, req.availability_zone.as_deref())
            .await?;
        self.security_group_ids(&ctx.project_id, &req.security_groups)
            .await?;
        let key = match &req.key_name {
            Some(name) => {
                let (user, name) = (ctx.user_id.clone(), name.clone());
                let row = self
                    .read(move |c| Ok(store::keypairs::get(c, &user, &name)?))
                    .await?
                    .ok_or_else(|| Error::bad_request("Invalid key_name provided."))?;
                Some(row.public_key)
            }
            None => None,
        };
        let reservation = reservation_id();
        let conf = self.conf.clone();
        let ctx2 = ctx.clone();
        let resources = Resources::of_flavor(&snapshot);
        let req2 = req.clone();
        let reservation2 = reservation.clone();
        let props = image_properties.clone();
        let created = self
            .write(move |c| {
                quotas::check_instances(
                    c,
                    &conf,
                    &ctx2.project_id,
                    req2.max_count,
                    snapshot.vcpus.into(),
                    snapshot.memory_mb.into(),
                )?;
                let now = compat_api::time::now_us();
                let mut out = Vec::new();
                for n in 0..req2.max_count {
                    let id = uuid::Uuid::new_v4().to_string();
                    let multi = req2.max_count > 1;
                    let name = if multi {
                        format!("{}-{}", req2.name, n + 1)
                    } else {
                        req2.name.clone()
                    };
                    let hostname = match &req2.hostname {
                        Some(h) => h.clone(),
                        None if multi => {
                            format!("{}-{}", sanitize_hostname(&req2.name, &id), n + 1)
                        }
                        None => sanitize_hostname(&req2.name, &id),
                    };
                    let mut inst = Instance::from_row(InstanceRow {
                        id: id.clone(),
                        project_id: ctx2.project_id.clone(),
                        user_id: ctx2.user_id.clone(),
                        name,
                        hostname,
                        description: req2.description.clone(),
                        image_ref: req2.image_ref.clone(),
                        flavor: String::new(),
                        vcpus: 0,
                        memory_mb: 0,
                        host: None,
                        node: None,
                        availability_zone: zone.clone(),
                        vm_state: vm::BUILDING.into(),
                        task_state: Some(task::SCHEDULING.into()),
                        power_state: power::NOSTATE,
                        key_name: req2.key_name.clone(),
                        locked_by: None,
                        locked_reason: None,
                        access_ipv4: req2.access_ipv4.clone(),
                        access_ipv6: req2.access_ipv6.clone(),
                        metadata: String::new(),
                        tags: String::new(),
                        security_groups: String::new(),
                        network_info: "[]".into(),
                        fault: None,
                        reservation_id: reservation2.clone(),
                        config_drive: if req2.config_drive {
                            "True".into()
                        } else {
                            String::new()
                        },
                        launched_at: None,
                        created_at: now,
                        updated_at: now,
                        deleted_at: None,
                    });
                    inst.flavor = snapshot.clone();
                    inst.metadata = req2.metadata.clone();
                    inst.tags = req2.tags.clone();
                    inst.security_groups = req2.security_groups.clone();
                    inst.sync_row();
                    let extra = InstanceExtraRow {
                        instance_id: id.clone(),
                        launch_index: n as i32,
                        key_data: key.clone(),
                        user_data: req2.user_data.clone(),
                        requested_networks: instances::to_json(&networks),
                        scheduler_hints: instances::to_json(&req2.scheduler_hints),
                        image_properties: instances::to_json(&props),
                        admin_password: None,
                        old_flavor: None,
                        new_flavor: None,
                    };
                    store::instances::insert(c, &inst.row, &extra)?;
                    actions::record(c, &ctx2, &id, "create")?;
                    out.push(inst);
                }
                let group = join_group(c, &ctx2, &req2.scheduler_hints, &out)?;
                let same_host = hint_hosts(c, &req2.scheduler_hints, "same_host")?;
                let different_host = hint_hosts(c, &req2.scheduler_hints, "different_host")?;
                Ok((out, same_host, different_host, group))
            })
            .await?;
        let (instances, same_host, different_host, group) = created;
        let (force_host, force_node) = force_host;
        let builds: Vec<BuildRequest> = instances
            .iter()
            .map(|inst| BuildRequest {
                spec: RequestSpec {
                    instance_id: inst.id().to_owned(),
                    project_id: ctx.project_id.clone(),
                    resources,
                    flavor_extra_specs: flavor.extra_specs.clone(),
                    image_properties: image_properties.clone(),
                    availability_zone: inst.row.availability_zone.clone(),
                    force_host: force_host.clone(),
                    force_node: force_node.clone(),
                    same_host: same_host.clone(),
                    different_host: different_host.clone(),
                    group_policy: group.as_ref().map(|g| g.1.clone()),
                    group_id: group.as_ref().map(|g| g.0.clone()),
                    ..Default::default()
                },
                attempt: 1,
                last_error: None,
            })
            .collect();
        let msg = Message::new("build_instances", &builds, ctx.to_value())
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        self.bus
            .cast(CONDUCTOR_TOPIC, msg)
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        Ok(Created {
            instances,
            reservation_id: reservation,
        })
    }

    /// The image must exist, be active and fit the flavor; returns its
    /// properties (for the scheduler's filters).
    pub(crate) async fn check_image(
        &self,
        ctx: &Context,
        image_ref: &str,
        flavor: &FlavorSnapshot,
    ) -> Result<BTreeMap<String, String>> {
        if image_ref.is_empty() {
            return Ok(BTreeMap::new());
        }
        let image = self
            .images
            .show(ctx, image_ref)
            .await?
            .ok_or_else(|| Error::bad_request("Can not find requested image"))?;
        if image.status != "active" {
            return Err(Error::bad_request(format!(
                "Image {} is not active.",
                image.id
            )));
        }
        if image.min_ram > i64::from(flavor.memory_mb) {
            return Err(Error::bad_request(
                "Flavor's memory is too small for requested image.",
            ));
        }
        let size_gb = (image.size.unwrap_or(0) + (1 << 30) - 1) >> 30;
        if flavor.root_gb > 0
            && (image.min_disk > i64::from(flavor.root_gb) || size_gb > i64::from(flavor.root_gb))
        {
            return Err(Error::bad_request(
                "Flavor's disk is too small for requested image.",
            ));
        }
        Ok(image.properties)
    }

    /// The ids of security groups named (or given by id) for a project's
    /// ports; None for the project's default group alone, which the
    /// network service applies by itself.
    pub(crate) async fn security_group_ids(
        &self,
        project_id: &str,
        names: &[String],
    ) -> Result<Option<Vec<String>>> {
        if names.is_empty() || names == ["default"] {
            return Ok(None);
        }
        let ctx = Context::service();
        let groups = self.network.security_groups(&ctx, Some(project_id)).await?;
        let mut ids = Vec::new();
        for name in names {
            let found = groups
                .iter()
                .find(|g| &g.id == name || &g.name == name)
                .ok_or_else(|| {
                    Error::bad_request(format!(
                        "Unable to find security_group with name or id '{name}'"
                    ))
                })?;
            ids.push(found.id.clone());
        }
        Ok(Some(ids))
    }

    /// Turns `networks` into a list of ports and networks to plug.
    async fn resolve_networks(
        &self,
        ctx: &Context,
        requested: Option<NetworkRequest>,
        max_count: i64,
    ) -> Result<NetworkRequest> {
        let list = match requested {
            Some(NetworkRequest::None) => return Ok(NetworkRequest::None),
            Some(NetworkRequest::List(list)) if !list.is_empty() => list,
            auto => {
                let usable: Vec<_> = self
                    .network
                    .networks(ctx, None)
                    .await?
                    .into_iter()
                    .filter(|n| !n.external && n.subnet_count > 0)
                    .collect();
                return match usable.as_slice() {
                    [] if matches!(auto, Some(NetworkRequest::Auto)) => {
                        Err(Error::bad_request(format!(
                            "Unable to automatically allocate a network for project {}",
                            ctx.project_id
                        )))
                    }
                    [] => Ok(NetworkRequest::None),
                    [one] => Ok(NetworkRequest::List(vec![RequestedNetwork {
                        network_id: Some(one.id.clone()),
                        port_id: None,
                        fixed_ip: None,
                    }])),
                    _ => Err(Error::conflict(
                        "Multiple possible networks found, use a Network ID to be more specific.",
                    )),
                };
            }
        };
        let mut ports_seen = Vec::new();
        let mut out = Vec::new();
        for mut r in list {
            if let Some(port) = &r.port_id {
                if max_count > 1 {
                    return Err(Error::bad_request("Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports."));
                }
                if ports_seen.contains(port) {
                    return Err(Error::bad_request(format!(
                        "Port ID '{port}' was specified twice: you cannot attach a port multiple times."
                    )));
                }
                let p = self
                    .network
                    .show_port(ctx, port)
                    .await
                    .map_err(|e| match e {
                        Error::NotFound(_) => {
                            Error::bad_request(format!("Port id {port} could not be found."))
                        }
                        other => other,
                    })?;
                if !p.device_id.is_empty() {
                    return Err(Error::conflict(format!("Port {port} is still in use.")));
                }
                ports_seen.push(port.clone());
                r.network_id = Some(p.network_id);
            } else if let Some(net) = &r.network_id {
                if r.fixed_ip.is_some() && max_count > 1 {
                    return Err(Error::bad_request("Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified."));
                }
                self.network
                    .networks(ctx, Some(vec![net.clone()]))
                    .await
                    .map_err(|e| match e {
                        Error::NotFound(_) => {
                            Error::bad_request(format!("Network {net} could not be found."))
                        }
                        other => other,
                    })?;
            }
            out.push(r);
        }
        Ok(NetworkRequest::List(out))
    }

    /// The zone asked for, and an admin's forced host and node.
    #[allow(clippy::type_complexity)]
    async fn check_zone(
        &self,
        ctx: &Context,
        requested: Option<&str>,
    ) -> Result<(Option<String>, (Option<String>, Option<String>))> {
        let Some(text) = requested.filter(|z| !z.is_empty()) else {
            return Ok((None, (None, None)));
        };
        let mut parts = text.splitn(3, ':');
        let zone = parts.next().unwrap_or_default().to_owned();
        let host = parts.next().filter(|h| !h.is_empty()).map(str::to_owned);
        let node = parts.next().filter(|n| !n.is_empty()).map(str::to_owned);
        if host.is_some() || node.is_some() {
            ctx.require_admin("os_compute_api:servers:create:forced_host")?;
        }
        if !zone.is_empty() && !self.zone_exists(&zone).await? {
            return Err(Error::bad_request(
                "The requested availability zone is not available",
            ));
        }
        let zone = (!zone.is_empty()).then_some(zone);
        Ok((zone, (host, node)))
    }

    /// The default zone, or one an aggregate makes.
    pub(crate) async fn zone_exists(&self, zone: &str) -> Result<bool> {
        if zone == self.conf.default_availability_zone {
            return Ok(true);
        }
        let zone = zone.to_owned();
        self.read(move |c| {
            let all = crate::aggregates::all(c)?;
            Ok(all
                .iter()
                .any(|a| a.availability_zone() == Some(zone.as_str())))
        })
        .await
    }

    /// `DELETE /servers/{id}`: with `reclaim_instance_interval` set, a
    /// server that ran is soft-deleted (powered off, kept for `restore`
    /// until its host reclaims it); otherwise, or when the soft delete is
    /// refused (never launched, busy, already soft-deleted), as nova does,
    /// it is deleted for good.
    pub async fn delete_or_soft_delete(self: &Arc<Self>, ctx: &Context, id: &str) -> Result<()> {
        if self.conf.reclaim_instance_interval.is_zero() {
            return self.delete_server(ctx, id).await;
        }
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        let launched = self
            .read(move |c| {
                Ok(instances::visible(c, &ctx2, &id2)?
                    .row
                    .launched_at
                    .is_some())
            })
            .await?;
        if !launched {
            return self.delete_server(ctx, id).await;
        }
        match self.power_action(ctx, id, PowerAction::SoftDelete).await {
            Err(Error::Conflict(_)) => self.delete_server(ctx, id).await,
            other => other,
        }
    }

    /// Deletes a server for good: a plain delete, and `forceDelete`.
    pub async fn delete_server(self: &Arc<Self>, ctx: &Context, id: &str) -> Result<()> {
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        let inst = self
            .write(move |c| {
                let mut inst = instances::visible_for_update(c, &ctx2, &id2)?;
                check_unlocked(&ctx2, &inst)?;
                actions::record(c, &ctx2, &id2, "delete")?;
                inst.row.task_state = Some(task::DELETING.into());
                instances::save(c, &mut inst)?;
                Ok(inst)
            })
            .await?;
        let Some(host) = inst.row.host.clone() else {
            // Never placed (or failed before): nothing runs anywhere.
            self.notifier
                .instance_action(ctx, "api", &self.conf.host, &inst, "delete.start");
            if let Some(gone) = self.finish_delete(ctx, "api", id).await? {
                self.notifier
                    .instance_action(ctx, "api", &self.conf.host, &gone, "delete.end");
            }
            return Ok(());
        };
        self.cast(ctx, &crate::agent::topic(&host), "terminate_instance", id)
    }

    /// Checks the state an action needs, sets its task state and casts it
    /// to the instance's host.
    pub async fn power_action(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        action: PowerAction,
    ) -> Result<()> {
        let (name, allowed, task_state): (&str, &[&str], &str) = match action {
            PowerAction::Stop => (
                "stop",
                &[vm::ACTIVE, vm::ERROR, vm::RESCUED],
                task::POWERING_OFF,
            ),
            PowerAction::Start => ("start", &[vm::STOPPED], task::POWERING_ON),
            PowerAction::RebootSoft => ("reboot", &[vm::ACTIVE], task::REBOOTING),
            PowerAction::RebootHard => (
                "reboot",
                &[
                    vm::ACTIVE,
                    vm::STOPPED,
                    vm::PAUSED,
                    vm::SUSPENDED,
                    vm::ERROR,
                ],
                task::REBOOTING_HARD,
            ),
            PowerAction::Pause => ("pause", &[vm::ACTIVE], task::PAUSING),
            PowerAction::Unpause => ("unpause", &[vm::PAUSED], task::UNPAUSING),
            PowerAction::Suspend => ("suspend", &[vm::ACTIVE], task::SUSPENDING),
            PowerAction::Resume => ("resume", &[vm::SUSPENDED], task::RESUMING),
            PowerAction::SoftDelete => ("delete", SOFT_DELETABLE, task::SOFT_DELETING),
            PowerAction::Restore => ("restore", &[vm::SOFT_DELETED], task::RESTORING),
        };
        let step = TaskStart {
            action: name,
            vm_states: allowed,
            task_state: Some(task_state),
            // A hard reboot may take over a soft one that hangs.
            over_task: (action == PowerAction::RebootHard).then_some("reboot"),
        };
        let (inst, ()) = self.start_task(ctx, id, step, |_, _| Ok(())).await?;
        self.cast_to_host(ctx, &inst, "power_action", (id, action))
    }

    /// Starts an action on a placed instance in one transaction: checks it
    /// is unlocked, in one of the allowed vm_states and not busy with
    /// another task, records the action, sets the task state and lets `f`
    /// make its own checks and changes (an error undoes everything).
    pub(crate) async fn start_task<T: Send + 'static>(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        step: TaskStart,
        f: impl FnOnce(&mut store::Conn, &mut Instance) -> Result<T> + Send + 'static,
    ) -> Result<(Instance, T)> {
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        let (inst, old, out) = self
            .write(move |c| {
                let mut inst = instances::visible_for_update(c, &ctx2, &id2)?;
                check_unlocked(&ctx2, &inst)?;
                if !step.vm_states.contains(&inst.row.vm_state.as_str()) {
                    let state = inst.row.vm_state.clone();
                    return Err(Error::invalid_state(step.action, &id2, "vm_state", &state));
                }
                let tolerated = |t: &str| step.over_task.is_some_and(|p| t.starts_with(p));
                if let Some(t) = inst.row.task_state.as_deref().filter(|t| !tolerated(t)) {
                    return Err(Error::invalid_state(step.action, &id2, "task_state", t));
                }
                if inst.row.host.is_none() {
                    return Err(Error::conflict(format!("Instance {id2} has no host.")));
                }
                let old = (inst.row.vm_state.clone(), inst.row.task_state.clone());
                actions::record(c, &ctx2, &id2, step.action)?;
                if let Some(t) = step.task_state {
                    inst.row.task_state = Some(t.into());
                }
                let out = f(c, &mut inst)?;
                instances::save(c, &mut inst)?;
                Ok((inst, old, out))
            })
            .await?;
        if step.task_state.is_some() {
            self.notifier.instance_update(
                ctx,
                "api",
                &self.conf.host,
                &inst,
                &old.0,
                old.1.as_deref(),
            );
        }
        Ok((inst, out))
    }

    /// Casts `method` to the agent of the instance's host.
    pub(crate) fn cast_to_host<T: serde::Serialize>(
        &self,
        ctx: &Context,
        inst: &Instance,
        method: &str,
        args: T,
    ) -> Result<()> {
        let host = inst.row.host.as_deref().unwrap_or_default();
        self.cast(ctx, &crate::agent::topic(host), method, args)
    }

    pub(crate) fn cast<T: serde::Serialize>(
        &self,
        ctx: &Context,
        topic: &str,
        method: &str,
        args: T,
    ) -> Result<()> {
        let msg = Message::new(method, args, ctx.to_value())
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        self.bus
            .cast(topic, msg)
            .map_err(|e| Error::Unavailable(e.to_string()))
    }

    /// `lock` (with an optional reason) and `unlock`.
    pub async fn set_lock(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        lock: bool,
        reason: Option<String>,
    ) -> Result<()> {
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        self.write(move |c| {
            let mut inst = instances::visible_for_update(c, &ctx2, &id2)?;
            if lock {
                actions::record(c, &ctx2, &id2, "lock")?;
                if inst.row.locked_by.is_none() {
                    inst.row.locked_by = Some(
                        if ctx2.is_admin && ctx2.project_id != inst.row.project_id {
                            "admin"
                        } else {
                            "owner"
                        }
                        .into(),
                    );
                    inst.row.locked_reason = reason;
                }
            } else {
                if inst.row.locked_by.as_deref() == Some("admin") && !ctx2.is_admin {
                    return Err(Error::policy(
                        "os_compute_api:os-lock-server:unlock:unlock_override",
                    ));
                }
                actions::record(c, &ctx2, &id2, "unlock")?;
                inst.row.locked_by = None;
                inst.row.locked_reason = None;
            }
            instances::save(c, &mut inst)
        })
        .await
    }

    pub fn console_output(&self, inst: &Instance, length: Option<i64>) -> Result<String> {
        let agent = inst
            .row
            .host
            .as_deref()
            .and_then(|h| self.agent(h))
            .ok_or_else(|| {
                Error::conflict(format!("Instance {} has no console yet.", inst.id()))
            })?;
        let text = agent.console_output(inst.id())?;
        let Some(n) = length.filter(|n| *n >= 0) else {
            return Ok(text);
        };
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(n as usize);
        Ok(lines[start..].join("\n"))
    }
}

/// What [`ComputeService::start_task`] checks and sets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskStart {
    /// The action's name, as instance actions and errors show it.
    pub action: &'static str,
    pub vm_states: &'static [&'static str],
    pub task_state: Option<&'static str>,
    /// A task (by prefix) this action may interrupt.
    pub over_task: Option<&'static str>,
}

impl TaskStart {
    pub fn new(
        action: &'static str,
        vm_states: &'static [&'static str],
        task_state: Option<&'static str>,
    ) -> TaskStart {
        TaskStart {
            action,
            vm_states,
            task_state,
            over_task: None,
        }
    }
}

pub(crate) fn check_unlocked(ctx: &Context, inst: &Instance) -> Result<()> {
    if inst.row.locked_by.is_some() && !ctx.is_admin {
        return Err(Error::conflict(format!("Instance {} is locked", inst.id())));
    }
    Ok(())
}

/// States in which an instance's metadata may change (nova's
/// `update_instance_metadata`).
pub const METADATA_STATES: &[&str] = &[vm::ACTIVE, vm::PAUSED, vm::SUSPENDED, vm::STOPPED];

/// States in which an instance's tags may change.
pub const TAG_STATES: &[&str] = &[
    vm::ACTIVE,
    vm::PAUSED,
    vm::RESCUED,
    vm::SHELVED,
    vm::SHELVED_OFFLOADED,
    vm::STOPPED,
    vm::SUSPENDED,
];

impl ComputeService {
    /// Changes an idle instance's own data (metadata, tags) in one
    /// transaction: it must be in one of `states` with no task running.
    /// `f` returns what the caller answers with.
    pub async fn edit_instance<T: Send + 'static>(
        &self,
        ctx: &Context,
        id: &str,
        action: &'static str,
        states: &'static [&'static str],
        f: impl FnOnce(&mut Instance) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (ctx, id) = (ctx.clone(), id.to_owned());
        self.write(move |c| {
            let mut inst = instances::visible_for_update(c, &ctx, &id)?;
            if !states.contains(&inst.row.vm_state.as_str()) {
                let state = inst.row.vm_state.clone();
                return Err(Error::invalid_state(action, &id, "vm_state", &state));
            }
            if let Some(t) = inst.row.task_state.clone() {
                return Err(Error::invalid_state(action, &id, "task_state", &t));
            }
            let out = f(&mut inst)?;
            instances::save(c, &mut inst)?;
            Ok(out)
        })
        .await
    }
}
