//! Instance notifications, as nova sends them: legacy (unversioned)
//! `compute.instance.*` on `[oslo_messaging_notifications] topics`, and
//! versioned `instance.*` (`nova_object` payloads) on `[notifications]
//! versioned_notifications_topics`, as `notification_format` chooses;
//! `instance.update` as `notify_on_state_change` says.

use crate::config::NotifyOnStateChange;
use crate::context::Context;
use crate::instances::Instance;
use crate::states::power;
use compat_api::bus::{Bus, Notification};
use compat_api::time::{iso_micros_naive, iso_seconds_z};
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Unversioned,
    Versioned,
    Both,
}

#[derive(Debug, Clone)]
pub struct NotifierConfig {
    /// Publish on the bus (`messaging`/`messagingv2`).
    pub to_bus: bool,
    /// Log each notification (`log` driver).
    pub to_log: bool,
    pub format: Format,
    pub legacy_topics: Vec<String>,
    pub versioned_topics: Vec<String>,
    pub on_state_change: NotifyOnStateChange,
}

impl NotifierConfig {
    pub fn from_config(
        conf: &compat_api::config::Config,
        on_state_change: NotifyOnStateChange,
    ) -> Self {
        let drivers = conf.get_list("oslo_messaging_notifications", "driver", &[]);
        let format = match conf.get("notifications", "notification_format").as_deref() {
            Some("versioned") => Format::Versioned,
            Some("both") => Format::Both,
            _ => Format::Unversioned,
        };
        NotifierConfig {
            to_bus: drivers
                .iter()
                .any(|d| d == "messaging" || d == "messagingv2"),
            to_log: drivers.iter().any(|d| d == "log"),
            format,
            legacy_topics: conf.get_list(
                "oslo_messaging_notifications",
                "topics",
                &["notifications"],
            ),
            versioned_topics: conf.get_list(
                "notifications",
                "versioned_notifications_topics",
                &["versioned_notifications"],
            ),
            on_state_change,
        }
    }
}

pub struct Notifier {
    conf: NotifierConfig,
    bus: Arc<dyn Bus>,
}

fn iso(us: Option<i64>) -> Value {
    us.map(|t| Value::String(iso_seconds_z(t)))
        .unwrap_or(Value::Null)
}

impl Notifier {
    pub fn new(conf: NotifierConfig, bus: Arc<dyn Bus>) -> Notifier {
        Notifier { conf, bus }
    }

    fn enabled(&self) -> bool {
        self.conf.to_bus || self.conf.to_log
    }

    fn send(&self, topics: &[String], n: Notification) {
        if self.conf.to_log {
            tracing::info!(
                "notification {} {}: {}",
                n.event_type,
                n.publisher_id,
                n.payload
            );
        }
        if self.conf.to_bus {
            for topic in topics {
                self.bus.notify(topic, &n);
            }
        }
    }

    /// `instance.<action>[.<phase>]` from `service` on `host`: e.g.
    /// (`compute`, `power_off.start`).
    pub fn instance_action(
        &self,
        ctx: &Context,
        service: &str,
        host: &str,
        inst: &Instance,
        action: &str,
    ) {
        if !self.enabled() {
            return;
        }
        let context = ctx.to_value();
        if self.conf.format != Format::Versioned {
            let n = Notification::info(
                format!("{service}.{host}"),
                &format!("compute.instance.{action}"),
                legacy_payload(inst),
            )
            .with_context(&context);
            self.send(&self.conf.legacy_topics, n);
        }
        if self.conf.format != Format::Unversioned {
            let name = if action.starts_with("create") {
                "InstanceCreatePayload"
            } else {
                "InstanceActionPayload"
            };
            let n = Notification::info(
                format!("nova-{service}:{host}"),
                &format!("instance.{action}"),
                versioned_payload(ctx, inst, name, json!({"fault": fault_payload(inst)})),
            )
            .with_context(&context);
            self.send(&self.conf.versioned_topics, n);
        }
    }

    /// `instance.update` after a state change, if `notify_on_state_change`
    /// asks for it.
    pub fn instance_update(
        &self,
        ctx: &Context,
        service: &str,
        host: &str,
        inst: &Instance,
        old_vm_state: &str,
        old_task_state: Option<&str>,
    ) {
        if !self.enabled() {
            return;
        }
        let vm_changed = old_vm_state != inst.row.vm_state;
        let task_changed = old_task_state != inst.row.task_state.as_deref();
        let report = match self.conf.on_state_change {
            NotifyOnStateChange::Never => return,
            NotifyOnStateChange::VmState => vm_changed,
            NotifyOnStateChange::VmAndTaskState => vm_changed || task_changed,
        };
        let (old_state, old_task) = if report {
            (old_vm_state.to_owned(), old_task_state.map(str::to_owned))
        } else {
            (inst.row.vm_state.clone(), inst.row.task_state.clone())
        };
        let context = ctx.to_value();
        if self.conf.format != Format::Versioned {
            let mut payload = legacy_payload(inst);
            if let Some(map) = payload.as_object_mut() {
                map.insert("old_state".into(), json!(old_state));
                map.insert("old_task_state".into(), json!(old_task));
                map.insert("new_task_state".into(), json!(inst.row.task_state));
            }
            let n = Notification::info(
                format!("{service}.{host}"),
                "compute.instance.update",
                payload,
            )
            .with_context(&context);
            self.send(&self.conf.legacy_topics, n);
        }
        if self.conf.format != Format::Unversioned {
            let extra = json!({
                "state_update": object("InstanceStateUpdatePayload", "1.0", json!({
                    "old_state": old_state,
                    "state": inst.row.vm_state,
                    "old_task_state": old_task,
                    "new_task_state": inst.row.task_state,
                })),
                "tags": inst.tags,
                "old_display_name": null,
            });
            let n = Notification::info(
                format!("nova-{service}:{host}"),
                "instance.update",
                versioned_payload(ctx, inst, "InstanceUpdatePayload", extra),
            )
            .with_context(&context);
            self.send(&self.conf.versioned_topics, n);
        }
    }
}

fn object(name: &str, version: &str, data: Value) -> Value {
    json!({
        "nova_object.name": name,
        "nova_object.namespace": "nova",
        "nova_object.version": version,
        "nova_object.data": data,
    })
}

fn fault_payload(inst: &Instance) -> Value {
    match &inst.fault {
        Some(f) => object(
            "ExceptionPayload",
            "1.1",
            json!({
                "exception": "NovaException",
                "exception_message": f.message,
                "function_name": "",
                "module_name": "",
                "traceback": f.details.clone().unwrap_or_default(),
            }),
        ),
        None => Value::Null,
    }
}

fn ip_payloads(inst: &Instance) -> Vec<Value> {
    inst.vifs
        .iter()
        .flat_map(|vif| {
            vif.ips.iter().map(move |ip| {
                object(
                    "IpPayload",
                    "1.0",
                    json!({
                        "mac": vif.mac,
                        "address": ip.address,
                        "port_uuid": vif.port_id,
                        "meta": {},
                        "version": ip.version,
                        "label": vif.network_label,
                        "device_name": format!("tap{}", &vif.port_id[..11.min(vif.port_id.len())]),
                    }),
                )
            })
        })
        .collect()
}

fn versioned_payload(ctx: &Context, inst: &Instance, name: &str, extra: Value) -> Value {
    let r = &inst.row;
    let f = &inst.flavor;
    let mut data = json!({
        "uuid": r.id,
        "user_id": r.user_id,
        "tenant_id": r.project_id,
        "reservation_id": r.reservation_id,
        "display_name": r.name,
        "display_description": r.description,
        "host_name": r.hostname,
        "host": r.host,
        "node": r.node,
        "os_type": null,
        "architecture": null,
        "availability_zone": r.availability_zone,
        "flavor": object("FlavorPayload", "1.4", json!({
            "flavorid": f.id, "name": f.name, "root_gb": f.root_gb, "vcpus": f.vcpus,
            "ephemeral_gb": f.ephemeral_gb, "memory_mb": f.memory_mb, "disabled": false,
            "rxtx_factor": 1.0, "extra_specs": f.extra_specs, "projects": null, "swap": f.swap,
            "is_public": true, "vcpu_weight": 0, "description": f.description,
        })),
        "image_uuid": r.image_ref,
        "key_name": r.key_name,
        "kernel_id": "",
        "ramdisk_id": "",
        "created_at": iso(Some(r.created_at)),
        "launched_at": iso(r.launched_at),
        "terminated_at": iso(r.deleted_at),
        "deleted_at": iso(r.deleted_at),
        "updated_at": iso(Some(r.updated_at)),
        "state": r.vm_state,
        "power_state": power::name(r.power_state),
        "task_state": r.task_state,
        "progress": 0,
        "ip_addresses": ip_payloads(inst),
        "block_devices": null,
        "metadata": inst.metadata,
        "locked": r.locked_by.is_some(),
        "locked_reason": r.locked_reason,
        "auto_disk_config": "MANUAL",
        "request_id": ctx.request_id,
        "action_initiator_user": ctx.user_id,
        "action_initiator_project": ctx.project_id,
        "shares": null,
    });
    if let (Some(map), Some(more)) = (data.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            map.insert(k.clone(), v.clone());
        }
    }
    let version = match name {
        "InstanceCreatePayload" => "1.13",
        "InstanceUpdatePayload" => "2.1",
        _ => "1.9",
    };
    object(name, version, data)
}

fn legacy_payload(inst: &Instance) -> Value {
    let r = &inst.row;
    let f = &inst.flavor;
    let strtime = |us: Option<i64>| us.map(iso_micros_naive).unwrap_or_default();
    json!({
        "tenant_id": r.project_id,
        "user_id": r.user_id,
        "instance_id": r.id,
        "display_name": r.name,
        "reservation_id": r.reservation_id,
        "hostname": r.hostname,
        "instance_type": f.name,
        "instance_flavor_id": f.id,
        "memory_mb": f.memory_mb,
        "disk_gb": f.root_gb + f.ephemeral_gb,
        "vcpus": f.vcpus,
        "root_gb": f.root_gb,
        "ephemeral_gb": f.ephemeral_gb,
        "host": r.host,
        "node": r.node,
        "availability_zone": r.availability_zone,
        "cell_name": "",
        "created_at": strtime(Some(r.created_at)),
        "launched_at": strtime(r.launched_at),
        "terminated_at": strtime(r.deleted_at),
        "deleted_at": strtime(r.deleted_at),
        "state": r.vm_state,
        "state_description": r.task_state.clone().unwrap_or_default(),
        "progress": "",
        "access_ip_v4": r.access_ipv4,
        "access_ip_v6": r.access_ipv6,
        "metadata": inst.metadata,
        "fixed_ips": inst.vifs.iter().flat_map(|vif| vif.ips.iter().map(move |ip| json!({
            "address": ip.address, "type": ip.kind, "version": ip.version,
            "label": vif.network_label, "vif_mac": vif.mac, "floating_ips": [], "meta": {},
        }))).collect::<Vec<_>>(),
    })
}
