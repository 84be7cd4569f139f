//! Server actions beyond power and moves: rebuild, createImage, createBackup,
//! changePassword, add/removeSecurityGroup and os-resetState.

pub use crate::agent::tasks::BackupRotation;
use crate::agent::tasks::{PasswordRequest, RebuildRequest, SnapshotRequest};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::instances::{self, Instance};
use crate::servers::{check_unlocked, TaskStart};
use crate::states::{task, vm};
use crate::{actions, store, ComputeService};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A rebuild request; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Rebuild {
    pub image_ref: String,
    pub name: Option<String>,
    pub admin_pass: Option<String>,
    /// Replaces all metadata when given.
    pub metadata: Option<BTreeMap<String, String>>,
    pub description: Option<Option<String>>,
    pub key_name: Option<Option<String>>,
    pub user_data: Option<Option<String>>,
    pub hostname: Option<String>,
    pub access_ipv4: Option<String>,
    pub access_ipv6: Option<String>,
}

/// Image properties a snapshot never inherits from its base image.
const NOT_INHERITED: &[&str] = &[
    "cache_in_nova",
    "bittorrent",
    "img_signature",
    "img_signature_hash_method",
    "img_signature_key_type",
    "img_signature_certificate_uuid",
];

impl ComputeService {
    /// `rebuild`: the new image is checked against the flavor, recorded
    /// with the other changes, and the host recreates the guest. Returns
    /// the instance and the admin password to show.
    pub async fn rebuild_server(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        req: Rebuild,
    ) -> Result<(Instance, Option<String>)> {
        let current = {
            let (ctx, id) = (ctx.clone(), id.to_owned());
            self.read(move |c| instances::visible(c, &ctx, &id)).await?
        };
        let properties = self
            .check_image(ctx, &req.image_ref, &current.flavor)
            .await?;
        let key = match &req.key_name {
            Some(Some(name)) => Some(Some(self.public_key(ctx, name).await?)),
            Some(None) => Some(None),
            None => None,
        };
        let password = match (&req.admin_pass, self.conf.enable_instance_password) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => Some(crate::servers::generate_password()),
            (None, false) => None,
        };
        let step = TaskStart::new(
            "rebuild",
            &[vm::ACTIVE, vm::STOPPED, vm::ERROR],
            Some(task::REBUILDING),
        );
        let (inst, ()) = self
            .start_task(ctx, id, step, move |c, inst| {
                apply_rebuild(c, inst, req, key, &properties)
            })
            .await?;
        let args = RebuildRequest {
            instance_id: id.to_owned(),
            admin_password: password.clone(),
        };
        self.cast_to_host(ctx, &inst, "rebuild_instance", args)?;
        Ok((inst, password))
    }

    async fn public_key(&self, ctx: &Context, name: &str) -> Result<String> {
        let (user, name) = (ctx.user_id.clone(), name.to_owned());
        self.read(move |c| Ok(store::keypairs::get(c, &user, &name)?))
            .await?
            .map(|k| k.public_key)
            .ok_or_else(|| Error::bad_request("Invalid key_name provided."))
    }

    /// `createImage`, or `createBackup` with `backup`: a queued image owned
    /// by the caller's project, which the host fills with the instance's
    /// root disk (and then rotates the backups). Returns its id.
    pub async fn create_image(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        name: &str,
        metadata: BTreeMap<String, String>,
        backup: Option<BackupRotation>,
    ) -> Result<String> {
        const SNAPSHOTTABLE: &[&str] = &[vm::ACTIVE, vm::STOPPED, vm::PAUSED, vm::SUSPENDED];
        const BACKABLE: &[&str] = &[vm::ACTIVE, vm::STOPPED];
        let (action, states, task_state) = match backup {
            Some(_) => ("createBackup", BACKABLE, task::IMAGE_BACKUP),
            None => ("createImage", SNAPSHOTTABLE, task::IMAGE_SNAPSHOT),
        };
        let inst = {
            let (ctx, id) = (ctx.clone(), id.to_owned());
            self.read(move |c| instances::visible(c, &ctx, &id)).await?
        };
        // Checked before the image exists, and again when the task starts.
        check_unlocked(ctx, &inst)?;
        if !states.contains(&inst.row.vm_state.as_str()) {
            return Err(Error::invalid_state(
                action,
                id,
                "vm_state",
                &inst.row.vm_state,
            ));
        }
        let mut metadata = metadata;
        let image_type = match &backup {
            Some(b) => {
                metadata.insert("backup_type".into(), b.backup_type.clone());
                "backup"
            }
            None => "snapshot",
        };
        let attributes = self
            .snapshot_attributes(ctx, &inst, name, image_type, metadata)
            .await?;
        let image = self.images.create(ctx, attributes).await?;
        let step = TaskStart::new(action, states, Some(task_state));
        let started = self.start_task(ctx, id, step, |_, _| Ok(())).await;
        let (inst, ()) = match started {
            Ok(s) => s,
            Err(e) => {
                let _ = self.images.delete(ctx, &image.id).await;
                return Err(e);
            }
        };
        let args = SnapshotRequest {
            instance_id: id.to_owned(),
            image_id: image.id.clone(),
            backup,
        };
        self.cast_to_host(ctx, &inst, "snapshot_instance", args)?;
        Ok(image.id)
    }

    /// The snapshot's image record: the base image's formats and most of
    /// its properties, the request's metadata, and where it came from.
    async fn snapshot_attributes(
        &self,
        ctx: &Context,
        inst: &Instance,
        name: &str,
        image_type: &str,
        metadata: BTreeMap<String, String>,
    ) -> Result<Map<String, Value>> {
        let base = match inst.row.image_ref.as_str() {
            "" => None,
            image_ref => self.images.show(ctx, image_ref).await?,
        };
        let mut attrs = Map::new();
        attrs.insert("name".into(), json!(name));
        attrs.insert("visibility".into(), json!("private"));
        let (disk_format, container_format) = base
            .as_ref()
            .map(|b| (b.disk_format.clone(), b.container_format.clone()))
            .unwrap_or_default();
        attrs.insert(
            "disk_format".into(),
            json!(disk_format.unwrap_or_else(|| "qcow2".into())),
        );
        attrs.insert(
            "container_format".into(),
            json!(container_format.unwrap_or_else(|| "bare".into())),
        );
        attrs.insert("min_disk".into(), json!(inst.flavor.root_gb));
        if let Some(b) = &base {
            attrs.insert("min_ram".into(), json!(b.min_ram));
            for (k, v) in &b.properties {
                if !NOT_INHERITED.contains(&k.as_str()) {
                    attrs.insert(k.clone(), json!(v));
                }
            }
        }
        attrs.insert("instance_uuid".into(), json!(inst.id()));
        attrs.insert("image_type".into(), json!(image_type));
        attrs.insert("base_image_ref".into(), json!(inst.row.image_ref));
        attrs.insert("user_id".into(), json!(ctx.user_id));
        attrs.insert("owner_user_name".into(), json!(ctx.user_id));
        // The request's metadata comes last and wins, as in nova.
        for (k, v) in metadata {
            attrs.insert(k, json!(v));
        }
        Ok(attrs)
    }

    /// `changePassword`: the host sets it in the guest.
    pub async fn change_password(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        password: String,
    ) -> Result<()> {
        let step = TaskStart::new(
            "changePassword",
            &[vm::ACTIVE],
            Some(task::UPDATING_PASSWORD),
        );
        let (inst, ()) = self.start_task(ctx, id, step, |_, _| Ok(())).await?;
        let args = PasswordRequest {
            instance_id: id.to_owned(),
            password,
        };
        self.cast_to_host(ctx, &inst, "set_admin_password", args)
    }

    /// `addSecurityGroup` / `removeSecurityGroup`: the group (by name or
    /// id, in the instance's project) is added to or removed from every
    /// port of the instance.
    pub async fn set_security_group(
        self: &Arc<Self>,
        ctx: &Context,
        id: &str,
        group: &str,
        add: bool,
    ) -> Result<()> {
        let inst = {
            let (ctx, id) = (ctx.clone(), id.to_owned());
            self.read(move |c| instances::visible(c, &ctx, &id)).await?
        };
        let (group_id, group_name) = self.find_security_group(&inst, group).await?;
        if inst.vifs.is_empty() {
            return Err(Error::bad_request(
                "Network requires port_security_enabled and subnet associated in order to apply security groups.",
            ));
        }
        let mut touched = false;
        for vif in &inst.vifs {
            let mut groups = self.network.port_security_groups(&vif.port_id).await?;
            let had = groups.contains(&group_id);
            match (add, had) {
                (true, false) => groups.push(group_id.clone()),
                (false, true) => groups.retain(|g| g != &group_id),
                _ => continue,
            }
            self.network
                .set_port_security_groups(&vif.port_id, groups)
                .await?;
            touched = true;
        }
        if !add && !touched {
            return Err(Error::bad_request(format!(
                "Security group {group_name} not associated with the instance {id}"
            )));
        }
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        let action = if add {
            "addSecurityGroup"
        } else {
            "removeSecurityGroup"
        };
        self.write(move |c| {
            let mut inst = instances::visible_for_update(c, &ctx2, &id2)?;
            actions::record(c, &ctx2, &id2, action)?;
            inst.security_groups.retain(|g| g != &group_name);
            if add {
                inst.security_groups.push(group_name);
            }
            instances::save(c, &mut inst)
        })
        .await
    }

    async fn find_security_group(&self, inst: &Instance, group: &str) -> Result<(String, String)> {
        let ctx = Context::service();
        let groups = self
            .network
            .security_groups(&ctx, Some(&inst.row.project_id))
            .await?;
        let by_id = groups.iter().find(|g| g.id == group);
        let by_name: Vec<_> = groups.iter().filter(|g| g.name == group).collect();
        let found = match (by_id, by_name.as_slice()) {
            (Some(g), _) => g,
            (None, [g]) => *g,
            (None, []) => {
                return Err(Error::NotFound(format!(
                    "Security group {group} not found for project {}.",
                    inst.row.project_id
                )))
            }
            (None, _) => {
                return Err(Error::conflict(format!(
                    "Multiple security_group matches found for name '{group}', use an ID to be more specific."
                )))
            }
        };
        Ok((found.id.clone(), found.name.clone()))
    }

    /// `os-resetState` (admin): `active` or `error`, no task.
    pub async fn reset_state(self: &Arc<Self>, ctx: &Context, id: &str, state: &str) -> Result<()> {
        ctx.require_admin("os_compute_api:os-admin-actions:reset_state")?;
        let to = match state {
            "active" => vm::ACTIVE,
            "error" => vm::ERROR,
            other => {
                return Err(Error::bad_request(format!(
                    "Invalid input for field/attribute state. Value: {other}. '{other}' is not one of ['active', 'error']"
                )))
            }
        };
        let (ctx2, id2) = (ctx.clone(), id.to_owned());
        self.write(move |c| {
            instances::visible(c, &ctx2, &id2)?;
            actions::record(c, &ctx2, &id2, "resetState")
        })
        .await?;
        self.update_instance(ctx, "api", id, move |i| {
            i.row.vm_state = to.into();
            i.row.task_state = None;
            true
        })
        .await?;
        Ok(())
    }
}

fn apply_rebuild(
    c: &mut store::Conn,
    inst: &mut Instance,
    req: Rebuild,
    key: Option<Option<String>>,
    properties: &BTreeMap<String, String>,
) -> Result<()> {
    inst.row.image_ref = req.image_ref;
    if let Some(name) = req.name {
        inst.row.name = name;
    }
    if let Some(meta) = req.metadata {
        inst.metadata = meta;
    }
    if let Some(d) = req.description {
        inst.row.description = d;
    }
    if let Some(h) = req.hostname {
        inst.row.hostname = h;
    }
    if let Some(v4) = req.access_ipv4 {
        inst.row.access_ipv4 = Some(v4);
    }
    if let Some(v6) = req.access_ipv6 {
        inst.row.access_ipv6 = Some(v6);
    }
    let mut extra = instances::extra(c, inst.id())?;
    if let Some(key) = key {
        inst.row.key_name = req.key_name.flatten();
        extra.key_data = key;
    }
    if let Some(user_data) = req.user_data {
        extra.user_data = user_data;
    }
    extra.image_properties = instances::to_json(properties);
    store::instances::update_extra(c, &extra)?;
    Ok(())
}
