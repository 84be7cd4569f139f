//! The agent's part of rebuild, image snapshots and backups, and password
//! changes.

use super::{guest_spec, Agent};
use crate::clients::ImageFilters;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{self, Fault};
use crate::states::{power, task, vm};
use crate::virt::GuestSpec;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `rebuild_instance`: the API has already recorded the new image, name
/// and metadata on the instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RebuildRequest {
    pub instance_id: String,
    pub admin_password: Option<String>,
}

/// `snapshot_instance`: the queued image to upload the root disk into.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SnapshotRequest {
    pub instance_id: String,
    pub image_id: String,
    /// A backup (`createBackup`) rather than a snapshot.
    #[serde(default)]
    pub backup: Option<BackupRotation>,
}

/// After a backup is uploaded only the newest `rotation` backups of its
/// type are kept (nova's `_rotate_backups`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupRotation {
    pub backup_type: String,
    pub rotation: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordRequest {
    pub instance_id: String,
    pub password: String,
}

impl Agent {
    /// Recreates the guest from the instance's (new) image; a stopped
    /// instance stays stopped.
    pub(super) async fn rebuild(self: Arc<Self>, ctx: Context, req: RebuildRequest) -> Result<()> {
        let id = req.instance_id.clone();
        let lock = self.lock_for(&id);
        let _guard = lock.lock().await;
        let inst = {
            let id = id.clone();
            self.svc.read(move |c| instances::load(c, &id)).await?
        };
        if inst.is_deleted() {
            return Ok(());
        }
        self.notify(&ctx, &inst, "rebuild.start");
        self.event(&id, "compute_rebuild_instance", None).await;
        let _ = self.driver.destroy(&id).await;
        let Some(inst) = self.set_task(&ctx, &id, task::REBUILD_SPAWNING).await? else {
            return Ok(());
        };
        let power_on = inst.row.vm_state != vm::STOPPED;
        let spec = GuestSpec {
            admin_password: req.admin_password.clone(),
            ..guest_spec(&inst)
        };
        let result = match self.driver.spawn(&spec).await {
            Ok(()) if !power_on => self.driver.power_off(&id).await,
            other => other,
        };
        let failure = result.as_ref().err().map(|e| e.to_string());
        let fault = failure.clone();
        let done = self
            .svc
            .update_instance(&ctx, "compute", &id, move |i| {
                i.row.task_state = None;
                match fault {
                    None => {
                        i.row.vm_state = if power_on { vm::ACTIVE } else { vm::STOPPED }.into();
                        i.row.power_state = if power_on {
                            power::RUNNING
                        } else {
                            power::SHUTDOWN
                        };
                        i.row.launched_at = Some(compat_api::time::now_us());
                    }
                    Some(message) => {
                        i.row.vm_state = vm::ERROR.into();
                        i.row.power_state = power::NOSTATE;
                        i.fault = Some(Fault::internal(message));
                    }
                }
                true
            })
            .await?;
        let outcome = if failure.is_none() {
            "Success"
        } else {
            "Error"
        };
        self.event(&id, "compute_rebuild_instance", Some(outcome))
            .await;
        match (failure, done) {
            (Some(e), _) => Err(Error::Unavailable(e)),
            (None, Some(done)) => {
                self.notify(&ctx, &done, "rebuild.end");
                Ok(())
            }
            (None, None) => Ok(()),
        }
    }

    /// Uploads the root disk into the queued image; on failure the image
    /// is deleted, as nova does, and the instance carries on.
    pub(super) async fn snapshot(
        self: Arc<Self>,
        ctx: Context,
        req: SnapshotRequest,
    ) -> Result<()> {
        let id = req.instance_id.clone();
        let lock = self.lock_for(&id);
        let _guard = lock.lock().await;
        let Some(inst) = self.set_task(&ctx, &id, task::IMAGE_PENDING_UPLOAD).await? else {
            let _ = self.svc.images.delete(&ctx, &req.image_id).await;
            return Ok(());
        };
        let event = match req.backup {
            Some(_) => "compute_backup_instance",
            None => "compute_snapshot_instance",
        };
        self.notify(&ctx, &inst, "snapshot.start");
        self.event(&id, event, None).await;
        let result = async {
            let disk = self
                .driver
                .snapshot(&id)
                .await
                .map_err(|e| Error::Unavailable(e.to_string()))?;
            self.set_task(&ctx, &id, task::IMAGE_UPLOADING).await?;
            self.svc.images.upload(&ctx, &req.image_id, disk).await
        }
        .await;
        match (&result, &req.backup) {
            (Err(_), _) => {
                let _ = self.svc.images.delete(&ctx, &req.image_id).await;
            }
            (Ok(()), Some(rotation)) => self.rotate_backups(&ctx, &id, rotation).await,
            (Ok(()), None) => {}
        }
        let done = self
            .svc
            .update_instance(&ctx, "compute", &id, |i| i.row.task_state.take().is_some())
            .await?;
        let outcome = if result.is_ok() { "Success" } else { "Error" };
        self.event(&id, event, Some(outcome)).await;
        if let (Ok(()), Some(done)) = (&result, done) {
            self.notify(&ctx, &done, "snapshot.end");
        }
        result
    }

    /// Deletes the oldest backups of this type beyond `rotation`; a failure
    /// is logged, the new backup stays.
    async fn rotate_backups(&self, ctx: &Context, id: &str, rotation: &BackupRotation) {
        let filters = ImageFilters {
            properties: vec![
                ("image_type".into(), "backup".into()),
                ("backup_type".into(), rotation.backup_type.clone()),
                ("instance_uuid".into(), id.to_owned()),
            ],
            ..ImageFilters::default()
        };
        let backups = match self.svc.images.list(ctx, filters, None, None).await {
            Ok((newest_first, _)) => newest_first,
            Err(e) => return tracing::warn!("{}: backups of {id} not rotated: {e}", self.host),
        };
        for old in backups.iter().skip(rotation.rotation as usize) {
            tracing::info!("{}: rotating out backup {} of {id}", self.host, old.id);
            if let Err(e) = self.svc.images.delete(ctx, &old.id).await {
                tracing::warn!("{}: backup {} not deleted: {e}", self.host, old.id);
            }
        }
    }

    pub(super) async fn set_admin_password(
        self: Arc<Self>,
        ctx: Context,
        req: PasswordRequest,
    ) -> Result<()> {
        let id = req.instance_id.clone();
        let lock = self.lock_for(&id);
        let _guard = lock.lock().await;
        self.event(&id, "compute_set_admin_password", None).await;
        let result = self.driver.set_admin_password(&id, &req.password).await;
        self.svc
            .update_instance(&ctx, "compute", &id, |i| i.row.task_state.take().is_some())
            .await?;
        let outcome = if result.is_ok() { "Success" } else { "Error" };
        self.event(&id, "compute_set_admin_password", Some(outcome))
            .await;
        result.map_err(|e| Error::Unavailable(e.to_string()))
    }
}
