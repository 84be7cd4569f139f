//! Moving an instance between hosts: resize (a new flavor) and cold
//! migration (same flavor, another host), then confirm or revert.
//!
//! A move is a `migrations` record. While it is open the instance holds two
//! allocations: the source one, handed over to the migration record's id,
//! and the destination one the scheduler claimed under the instance's id.
//! Confirming frees the first, reverting frees the second and gives the
//! first back. The instance keeps the zone it landed in unless an admin
//! names a host.
//!
//! Flow (casts on the bus): API → conductor (`migrate_server`: schedule and
//! claim) → source agent (`resize_instance`: power off, hand the disk over)
//! → destination agent (`finish_resize`: bring it up, VERIFY_RESIZE). Then
//! `confirm_resize` on the source, or `revert_resize` on the destination
//! followed by `finish_revert_resize` on the source.

use crate::conductor::CONDUCTOR_TOPIC;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{self, FlavorSnapshot, Instance};
use crate::scheduler::{RequestSpec, Resources};
use crate::servers::TaskStart;
use crate::states::{task, vm};
use crate::store::models::MigrationRow;
use crate::store::{self, Conn};
use crate::{flavors, quotas, ComputeService};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Migration statuses, as nova names them.
pub mod status {
    pub const PRE_MIGRATING: &str = "pre-migrating";
    pub const MIGRATING: &str = "migrating";
    pub const POST_MIGRATING: &str = "post-migrating";
    pub const FINISHED: &str = "finished";
    pub const CONFIRMING: &str = "confirming";
    pub const CONFIRMED: &str = "confirmed";
    pub const REVERTING: &str = "reverting";
    pub const REVERTED: &str = "reverted";
    pub const ERROR: &str = "error";
}

/// Statuses of a move that still holds two allocations.
pub const OPEN: &[&str] = &[
    status::PRE_MIGRATING,
    status::MIGRATING,
    status::POST_MIGRATING,
    status::FINISHED,
    status::CONFIRMING,
    status::REVERTING,
];

/// What the conductor gets for a move.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoveRequest {
    pub migration_id: String,
    pub spec: RequestSpec,
}

/// A resize asks for a flavor; a cold migration may name a host (2.56).
#[derive(Debug, Clone)]
pub enum MoveKind {
    Resize { flavor_ref: String },
    Migrate { host: Option<String> },
}

/// The vm_states a move may start from.
const MOVABLE: &[&str] = &[vm::ACTIVE, vm::STOPPED];

impl ComputeService {
    /// `resize` and `migrate`: checks, records the move and hands the
    /// source allocation to it, then asks the conductor for a destination.
    pub async fn move_server(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        kind: MoveKind,
    ) -> Result<()> {
        let (action, new_flavor) = match &kind {
            MoveKind::Resize { flavor_ref } => {
                let (ctx2, f) = (ctx.clone(), flavor_ref.clone());
                let flavor = self
                    .read(move |c| flavors::accessible(c, &ctx2, &f))
                    .await
                    .map_err(|e| match e {
                        Error::NotFound(_) => {
                            Error::bad_request("Unable to locate requested flavor.")
                        }
                        other => other,
                    })?;
                ("resize", Some(flavor.snapshot()))
            }
            MoveKind::Migrate { host } => {
                ctx.require_admin("os_compute_api:os-migrate-server:migrate")?;
                if let Some(h) = host {
                    self.check_compute_host(h).await?;
                }
                ("migrate", None)
            }
        };
        let conf = self.conf.clone();
        let ctx2 = ctx.clone();
        let step = TaskStart::new(action, MOVABLE, Some(task::RESIZE_PREP));
        let new2 = new_flavor.clone();
        let (inst, row) = self
            .start_task(ctx, id, step, move |c, inst| {
                let new = new2.unwrap_or_else(|| inst.flavor.clone());
                if action == "resize" {
                    check_resize(c, &conf, inst, &new)?;
                }
                let row = open_migration(c, &ctx2, inst, &new, action)?;
                let mut extra = instances::extra(c, inst.id())?;
                extra.old_flavor = Some(instances::to_json(&inst.flavor));
                extra.new_flavor = Some(instances::to_json(&new));
                store::instances::update_extra(c, &extra)?;
                store::nodes::transfer(c, inst.id(), &row.id)?;
                Ok(row)
            })
            .await?;
        let spec = self.move_spec(&inst, &row, new_flavor, &kind).await?;
        let req = MoveRequest {
            migration_id: row.id,
            spec,
        };
        self.cast(ctx, CONDUCTOR_TOPIC, "migrate_server", req)
    }

    /// What the scheduler must find: room for the new flavor, in the zone
    /// the instance is in, on another host unless resizing in place is
    /// allowed, or on the host an admin named.
    async fn move_spec(
        &self,
        inst: &Instance,
        row: &MigrationRow,
        new_flavor: Option<FlavorSnapshot>,
        kind: &MoveKind,
    ) -> Result<RequestSpec> {
        let flavor = new_flavor.unwrap_or_else(|| inst.flavor.clone());
        let id = inst.id().to_owned();
        let (extra, group) = self
            .read(move |c| {
                let extra = instances::extra(c, &id)?;
                let group = match store::server_groups::of_instance(c, &id)? {
                    Some(g) => store::server_groups::get(c, &g)?.map(|g| (g.id, g.policy)),
                    None => None,
                };
                Ok((extra, group))
            })
            .await?;
        let stay_allowed =
            matches!(kind, MoveKind::Resize { .. }) && self.conf.allow_resize_to_same_host;
        let (force_host, zone) = match kind {
            MoveKind::Migrate { host: Some(h) } => (Some(h.clone()), None),
            _ => (None, inst.row.availability_zone.clone()),
        };
        Ok(RequestSpec {
            instance_id: inst.id().to_owned(),
            project_id: inst.row.project_id.clone(),
            resources: Resources::of_flavor(&flavor),
            flavor_extra_specs: flavor.extra_specs.clone(),
            image_properties: serde_json::from_str(&extra.image_properties).unwrap_or_default(),
            availability_zone: zone,
            force_host,
            ignore_hosts: if stay_allowed {
                Vec::new()
            } else {
                vec![row.source_compute.clone()]
            },
            migration_id: Some(row.id.clone()),
            group_policy: group.as_ref().map(|g| g.1.clone()),
            group_id: group.map(|g| g.0),
            ..Default::default()
        })
    }

    /// A host an admin names must run a compute service.
    async fn check_compute_host(&self, host: &str) -> Result<()> {
        let h = host.to_owned();
        let known = self
            .read(move |c| Ok(store::services::by_host(c, &h, crate::agent::BINARY)?))
            .await?;
        match known {
            Some(_) => Ok(()),
            None => Err(Error::bad_request(format!(
                "Compute host {host} could not be found."
            ))),
        }
    }

    /// `confirmResize`: the source lets go of what it kept.
    pub async fn confirm_resize(self: &Arc<Self>, ctx: &Context, id: &str) -> Result<()> {
        let row = self
            .settle_move(ctx, id, "confirmResize", status::CONFIRMING, None)
            .await?;
        self.cast(
            ctx,
            &crate::agent::topic(&row.source_compute),
            "confirm_resize",
            row.id,
        )
    }

    /// `revertResize`: back to the source with the old flavor.
    pub async fn revert_resize(self: &Arc<Self>, ctx: &Context, id: &str) -> Result<()> {
        let row = self
            .settle_move(
                ctx,
                id,
                "revertResize",
                status::REVERTING,
                Some(task::RESIZE_REVERTING),
            )
            .await?;
        let dest = row.dest_compute.clone().unwrap_or_default();
        self.cast(ctx, &crate::agent::topic(&dest), "revert_resize", row.id)
    }

    /// Checks a finished move awaits confirmation and moves it on.
    async fn settle_move(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        action: &'static str,
        next: &'static str,
        task_state: Option<&'static str>,
    ) -> Result<MigrationRow> {
        let step = TaskStart::new(action, &[vm::RESIZED], task_state);
        let id2 = id.to_owned();
        let (_, row) = self
            .start_task(ctx, id, step, move |c, _| {
                let mut row =
                    store::moves::latest_of(c, &id2, &[status::FINISHED])?.ok_or_else(|| {
                        Error::bad_request(format!(
                            "Migration for instance {id2} with status finished could not be found."
                        ))
                    })?;
                row.status = next.into();
                row.updated_at = compat_api::time::now_us();
                store::moves::update(c, &row)?;
                Ok(row)
            })
            .await?;
        Ok(row)
    }

    /// No destination: the move ends in `error`, the source allocation goes
    /// back to the instance, which stays where it was (nova keeps it
    /// running and records the fault on the action only).
    pub async fn fail_move(self: &Arc<Self>, ctx: &Context, migration_id: &str, reason: &str) {
        tracing::warn!("move {migration_id} failed: {reason}");
        let mid = migration_id.to_owned();
        let row = self
            .write(move |c| {
                let Some(mut row) = store::moves::get(c, &mid)? else {
                    return Ok(None);
                };
                if !OPEN.contains(&row.status.as_str()) {
                    // Settled already (rolled back at a restart): its
                    // allocations are where they belong.
                    return Ok(None);
                }
                row.status = status::ERROR.into();
                row.updated_at = compat_api::time::now_us();
                store::moves::update(c, &row)?;
                store::nodes::release(c, &row.instance_id)?;
                store::nodes::transfer(c, &row.id, &row.instance_id)?;
                Ok(Some(row))
            })
            .await;
        let Ok(Some(row)) = row else { return };
        let old_state = row.old_vm_state.clone();
        let _ = self
            .update_instance(ctx, "conductor", &row.instance_id, move |i| {
                i.row.vm_state = old_state;
                i.row.task_state = None;
                true
            })
            .await;
    }
}

impl Resources {
    /// What a flavor takes on a node: its disks and swap count as disk.
    pub fn of_flavor(f: &FlavorSnapshot) -> Resources {
        Resources {
            vcpus: f.vcpus,
            memory_mb: f.memory_mb,
            disk_gb: f.root_gb + f.ephemeral_gb + (f.swap + 1023) / 1024,
        }
    }
}

/// A resize must change the flavor, may not shrink the root disk (one
/// behaviour on every hypervisor: refused before anything changes), and
/// must fit the project's quota for what it adds.
fn check_resize(
    c: &mut Conn,
    conf: &crate::ComputeConfig,
    inst: &Instance,
    new: &FlavorSnapshot,
) -> Result<()> {
    if new.id == inst.flavor.id {
        return Err(Error::bad_request(
            "When resizing, instances must change flavor!",
        ));
    }
    if new.root_gb < inst.flavor.root_gb {
        return Err(Error::bad_request(
            "Server disk was unable to be resized because: Resizing to a smaller disk flavor is not allowed.",
        ));
    }
    let more_vcpus = i64::from((new.vcpus - inst.flavor.vcpus).max(0));
    let more_ram = i64::from((new.memory_mb - inst.flavor.memory_mb).max(0));
    if more_vcpus > 0 || more_ram > 0 {
        quotas::check_resources(c, conf, &inst.row.project_id, more_vcpus, more_ram)?;
    }
    Ok(())
}

fn open_migration(
    c: &mut Conn,
    ctx: &Context,
    inst: &Instance,
    new: &FlavorSnapshot,
    action: &str,
) -> Result<MigrationRow> {
    let now = compat_api::time::now_us();
    let row = MigrationRow {
        id: uuid::Uuid::new_v4().to_string(),
        seq: store::moves::next_migration_seq(c)?,
        instance_id: inst.id().to_owned(),
        project_id: inst.row.project_id.clone(),
        user_id: ctx.user_id.clone(),
        migration_type: if action == "resize" {
            "resize"
        } else {
            "migration"
        }
        .into(),
        status: status::PRE_MIGRATING.into(),
        source_compute: inst.row.host.clone().unwrap_or_default(),
        source_node: inst.row.node.clone().unwrap_or_default(),
        dest_compute: None,
        dest_node: None,
        old_flavor_id: inst.flavor.id.clone(),
        new_flavor_id: new.id.clone(),
        old_vm_state: inst.row.vm_state.clone(),
        created_at: now,
        updated_at: now,
    };
    store::moves::insert(c, &row)?;
    Ok(row)
}
