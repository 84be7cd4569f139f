//! The agent's part of a move (see `crate::moves`): the source powers the
//! guest off and hands its disk over, the destination brings it up with the
//! new flavor; confirm cleans the source, revert undoes it all.

use super::{guest_spec, Agent};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{self, Fault, FlavorSnapshot, Instance, Vif};
use crate::moves::status;
use crate::states::{power, task, vm};
use crate::store::models::MigrationRow;
use crate::store::{self};
use crate::virt::GuestSpec;
use std::sync::Arc;
use tokio::sync::OwnedMutexGuard;

/// Where and how a moved instance lands: node, flavor, VIFs, vm_state and
/// whether it runs.
type Landing = (String, FlavorSnapshot, Vec<Vif>, String, bool);

impl Agent {
    /// Source: powers the guest off and hands its disk to the destination.
    pub(super) async fn resize_instance(self: Arc<Self>, ctx: Context, mid: String) -> Result<()> {
        let (m, _guard, inst) = self
            .begin_move(&ctx, &mid, status::MIGRATING, task::RESIZE_MIGRATING)
            .await?;
        let Some(inst) = inst else { return Ok(()) };
        let id = m.instance_id.clone();
        self.notify(&ctx, &inst, "resize.start");
        self.event(&id, "compute_resize_instance", None).await;
        let dest = m.dest_compute.clone().unwrap_or_default();
        if let Err(e) = self.driver.migrate_disk_and_power_off(&id, &dest).await {
            self.event(&id, "compute_resize_instance", Some("Error"))
                .await;
            self.svc.fail_move(&ctx, &mid, &e.to_string()).await;
            return Err(Error::Unavailable(e.to_string()));
        }
        self.set_migration_status(&mid, status::POST_MIGRATING)
            .await?;
        let moved = self.set_task(&ctx, &id, task::RESIZE_MIGRATED).await?;
        self.event(&id, "compute_resize_instance", Some("Success"))
            .await;
        if let Some(moved) = moved {
            self.notify(&ctx, &moved, "resize.end");
        }
        self.svc
            .cast(&ctx, &super::topic(&dest), "finish_resize", mid)
    }

    /// Destination: brings the guest up with the new flavor, on ports now
    /// bound here; the instance waits in VERIFY_RESIZE.
    pub(super) async fn finish_resize(self: Arc<Self>, ctx: Context, mid: String) -> Result<()> {
        let (m, _guard, inst) = self
            .begin_move(&ctx, &mid, status::POST_MIGRATING, task::RESIZE_FINISH)
            .await?;
        let Some(inst) = inst else { return Ok(()) };
        let id = m.instance_id.clone();
        self.notify(&ctx, &inst, "resize_finish.start");
        self.event(&id, "compute_finish_resize", None).await;
        let new_flavor = self.flavor_of(&id, false).await?;
        let power_on = m.old_vm_state != vm::STOPPED;
        match self.bring_up(&inst, new_flavor.clone(), power_on).await {
            Ok(vifs) => {
                let node = m.dest_node.clone().unwrap_or_default();
                let landed = (node, new_flavor, vifs, vm::RESIZED.to_owned(), power_on);
                let done = self.land(&ctx, &id, landed).await?;
                self.set_migration_status(&mid, status::FINISHED).await?;
                self.event(&id, "compute_finish_resize", Some("Success"))
                    .await;
                if let Some(done) = done {
                    self.notify(&ctx, &done, "resize_finish.end");
                }
                Ok(())
            }
            Err(e) => {
                self.event(&id, "compute_finish_resize", Some("Error"))
                    .await;
                self.fail_instance(&ctx, &mid, &id, &e.to_string()).await;
                Err(e)
            }
        }
    }

    /// Source: the move is kept; what it held here goes.
    pub(super) async fn confirm_resize(self: Arc<Self>, ctx: Context, mid: String) -> Result<()> {
        let m = self.migration(&mid).await?;
        let lock = self.lock_for(&m.instance_id);
        let _guard = lock.lock().await;
        let id = m.instance_id.clone();
        self.event(&id, "compute_confirm_resize", None).await;
        if let Err(e) = self.driver.confirm_migration(&id).await {
            tracing::warn!("{}: cleaning up after {id} moved: {e}", self.host);
        }
        let mid2 = mid.clone();
        self.svc
            .write(move |c| {
                store::nodes::release(c, &mid2)?;
                finish_migration_row(c, &mid2, status::CONFIRMED)?;
                clear_flavors(c, &id)
            })
            .await?;
        let id = m.instance_id.clone();
        let done = self
            .svc
            .update_instance(&ctx, "compute", &id, |i| {
                i.row.vm_state = settled_state(i.row.power_state).into();
                i.row.task_state = None;
                true
            })
            .await?;
        self.event(&id, "compute_confirm_resize", Some("Success"))
            .await;
        if let Some(done) = done {
            self.notify(&ctx, &done, "resize_confirm.end");
        }
        Ok(())
    }

    /// Destination: drops the guest and what it claimed here, then hands
    /// the instance back to the source.
    pub(super) async fn revert_resize(self: Arc<Self>, ctx: Context, mid: String) -> Result<()> {
        let m = self.migration(&mid).await?;
        let lock = self.lock_for(&m.instance_id);
        let _guard = lock.lock().await;
        let id = m.instance_id.clone();
        self.event(&id, "compute_revert_resize", None).await;
        if let Err(e) = self.driver.destroy(&id).await {
            tracing::warn!("{}: removing reverted {id}: {e}", self.host);
        }
        let (id2, node) = (id.clone(), m.dest_node.clone().unwrap_or_default());
        self.svc
            .write(move |c| {
                // Allocations are keyed by the node's id, moves name nodes.
                if let Some(n) = store::nodes::by_name(c, &node)? {
                    store::nodes::release_on(c, &id2, &n.id)?;
                }
                Ok(())
            })
            .await?;
        self.event(&id, "compute_revert_resize", Some("Success"))
            .await;
        self.svc.cast(
            &ctx,
            &super::topic(&m.source_compute),
            "finish_revert_resize",
            mid,
        )
    }

    /// Source: takes its allocation back and brings the guest up with the
    /// old flavor.
    pub(super) async fn finish_revert_resize(
        self: Arc<Self>,
        ctx: Context,
        mid: String,
    ) -> Result<()> {
        let m = self.migration(&mid).await?;
        let lock = self.lock_for(&m.instance_id);
        let _guard = lock.lock().await;
        let id = m.instance_id.clone();
        let inst = {
            let id = id.clone();
            self.svc.read(move |c| instances::load(c, &id)).await?
        };
        self.event(&id, "compute_finish_revert_resize", None).await;
        let old_flavor = self.flavor_of(&id, true).await?;
        let power_on = m.old_vm_state != vm::STOPPED;
        let vifs = match self.bring_up(&inst, old_flavor.clone(), power_on).await {
            Ok(v) => v,
            Err(e) => {
                self.event(&id, "compute_finish_revert_resize", Some("Error"))
                    .await;
                self.fail_instance(&ctx, &mid, &id, &e.to_string()).await;
                return Err(e);
            }
        };
        let (id2, mid2) = (id.clone(), mid.clone());
        self.svc
            .write(move |c| {
                store::nodes::transfer(c, &mid2, &id2)?;
                finish_migration_row(c, &mid2, status::REVERTED)?;
                clear_flavors(c, &id2)
            })
            .await?;
        let landed = (
            m.source_node.clone(),
            old_flavor,
            vifs,
            m.old_vm_state.clone(),
            power_on,
        );
        let done = self.land(&ctx, &id, landed).await?;
        self.event(&id, "compute_finish_revert_resize", Some("Success"))
            .await;
        if let Some(done) = done {
            self.notify(&ctx, &done, "resize_revert.end");
        }
        Ok(())
    }

    /// A move this host was part of when its service stopped. One that had
    /// not landed on the destination is rolled back to this host, the
    /// source, as nova does for safety: the move ends in `error`, the
    /// destination's claim is freed and the guest comes back here as it
    /// was. Confirm and revert, which can run twice, are asked for again.
    /// One awaiting confirmation keeps waiting, its guest brought back.
    pub(super) async fn resume_move(
        self: Arc<Self>,
        ctx: &Context,
        inst: &Instance,
        m: MigrationRow,
        guests: &[String],
    ) -> Result<()> {
        match m.status.as_str() {
            status::FINISHED => self.init_instance(ctx, inst, guests).await,
            status::CONFIRMING => {
                self.init_instance(ctx, inst, guests).await?;
                let source = super::topic(&m.source_compute);
                self.svc.cast(ctx, &source, "confirm_resize", m.id)
            }
            status::REVERTING => {
                let here = super::topic(&self.host);
                self.svc.cast(ctx, &here, "revert_resize", m.id)
            }
            _ => self.roll_back(ctx, inst, m).await,
        }
    }

    async fn roll_back(&self, ctx: &Context, inst: &Instance, m: MigrationRow) -> Result<()> {
        let id = inst.id();
        let lock = self.lock_for(id);
        let _guard = lock.lock().await;
        let reason = "interrupted by a restart of its compute service";
        self.svc.fail_move(ctx, &m.id, reason).await;
        // The ports may have been bound to the destination already.
        let power_on = m.old_vm_state != vm::STOPPED;
        match self.bring_up(inst, inst.flavor.clone(), power_on).await {
            Ok(vifs) => {
                let landed = (
                    m.source_node.clone(),
                    inst.flavor.clone(),
                    vifs,
                    m.old_vm_state.clone(),
                    power_on,
                );
                self.land(ctx, id, landed).await.map(|_| ())
            }
            Err(e) => {
                self.fail_instance(ctx, &m.id, id, &e.to_string()).await;
                Err(e)
            }
        }
    }

    // ---- helpers -------------------------------------------------------

    /// Records the instance as running here, on `node` with `flavor` and
    /// `vifs`, in `vm_state`, powered on or not.
    async fn land(
        &self,
        ctx: &Context,
        id: &str,
        (node, flavor, vifs, vm_state, power_on): Landing,
    ) -> Result<Option<Instance>> {
        let host = self.host.clone();
        self.svc
            .update_instance(ctx, "compute", id, move |i| {
                i.row.host = Some(host);
                i.row.node = Some(node);
                i.flavor = flavor;
                i.vifs = vifs;
                i.row.vm_state = vm_state;
                i.row.task_state = None;
                i.row.power_state = if power_on {
                    power::RUNNING
                } else {
                    power::SHUTDOWN
                };
                true
            })
            .await
    }

    /// The move, the instance's operation lock, and the instance with its
    /// new task state (None if it is being deleted).
    /// A step that finds the move in another status than `expected` (it
    /// was rolled back meanwhile, see `resume_move`) does nothing.
    async fn begin_move(
        &self,
        ctx: &Context,
        mid: &str,
        expected: &str,
        task_state: &'static str,
    ) -> Result<(MigrationRow, OwnedMutexGuard<()>, Option<Instance>)> {
        let m = self.migration(mid).await?;
        let guard = self.lock_for(&m.instance_id).lock_owned().await;
        let m = self.migration(mid).await?;
        if m.status != expected {
            tracing::warn!(
                "{}: move {mid} is {}, not {expected}: skipped",
                self.host,
                m.status
            );
            return Ok((m, guard, None));
        }
        let inst = self.set_task(ctx, &m.instance_id, task_state).await?;
        Ok((m, guard, inst))
    }

    async fn migration(&self, mid: &str) -> Result<MigrationRow> {
        let id = mid.to_owned();
        self.svc
            .read(move |c| {
                store::moves::get(c, &id)?
                    .ok_or_else(|| Error::NotFound(format!("Migration {id} could not be found.")))
            })
            .await
    }

    async fn set_migration_status(&self, mid: &str, to: &'static str) -> Result<()> {
        let id = mid.to_owned();
        self.svc
            .write(move |c| finish_migration_row(c, &id, to))
            .await
    }

    /// The flavor a move left in `instance_extra` (the old one or the new).
    async fn flavor_of(&self, id: &str, old: bool) -> Result<FlavorSnapshot> {
        let id = id.to_owned();
        let extra = self.svc.read(move |c| instances::extra(c, &id)).await?;
        let text = if old {
            extra.old_flavor
        } else {
            extra.new_flavor
        };
        text.and_then(|t| serde_json::from_str(&t).ok())
            .ok_or_else(|| Error::Unavailable("the move lost its flavors".into()))
    }

    /// Binds the instance's ports to this host and brings the guest up
    /// with `flavor`; returns the VIFs as bound here.
    async fn bring_up(
        &self,
        inst: &Instance,
        flavor: FlavorSnapshot,
        power_on: bool,
    ) -> Result<Vec<Vif>> {
        let mut vifs = Vec::new();
        for old in &inst.vifs {
            let mut vif = self
                .svc
                .network
                .bind_port(&old.port_id, &self.host, inst.id())
                .await?;
            vif.preserve_on_delete = old.preserve_on_delete;
            vifs.push(vif);
        }
        let mut moved = inst.clone();
        moved.flavor = flavor;
        moved.vifs = vifs.clone();
        let spec: GuestSpec = guest_spec(&moved);
        self.driver
            .finish_migration(&spec, power_on)
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        Ok(vifs)
    }

    /// A move that broke half-way: the instance goes to ERROR with a fault
    /// and the move to `error`; its allocations stay for an admin to see.
    async fn fail_instance(&self, ctx: &Context, mid: &str, id: &str, message: &str) {
        tracing::warn!("{}: move {mid} of {id} failed: {message}", self.host);
        let _ = self.set_migration_status(mid, status::ERROR).await;
        let message = message.to_owned();
        let _ = self
            .svc
            .update_instance(ctx, "compute", id, move |i| {
                i.row.vm_state = vm::ERROR.into();
                i.row.task_state = None;
                i.fault = Some(Fault::internal(message));
                true
            })
            .await;
    }
}

/// vm_state of a guest that is settled in `power_state`.
fn settled_state(power_state: i32) -> &'static str {
    if power_state == power::SHUTDOWN {
        vm::STOPPED
    } else {
        vm::ACTIVE
    }
}

fn finish_migration_row(c: &mut store::Conn, mid: &str, to: &str) -> Result<()> {
    let Some(mut m) = store::moves::get(c, mid)? else {
        return Ok(());
    };
    m.status = to.into();
    m.updated_at = compat_api::time::now_us();
    store::moves::update(c, &m)?;
    Ok(())
}

fn clear_flavors(c: &mut store::Conn, id: &str) -> Result<()> {
    let mut extra = instances::extra(c, id)?;
    extra.old_flavor = None;
    extra.new_flavor = None;
    store::instances::update_extra(c, &extra)?;
    Ok(())
}
