//! Rows as stored. The domain modules turn them into what the API renders.

use super::schema::*;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = flavors, treat_none_as_null = true)]
pub struct FlavorRow {
    pub id: String,
    pub name: String,
    pub memory_mb: i32,
    pub vcpus: i32,
    pub root_gb: i32,
    pub ephemeral_gb: i32,
    pub swap: i32,
    pub rxtx_factor: f64,
    pub is_public: bool,
    pub description: Option<String>,
    /// JSON object of strings.
    pub extra_specs: String,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = key_pairs)]
pub struct KeyPairRow {
    pub user_id: String,
    pub name: String,
    pub fingerprint: String,
    pub public_key: String,
    pub key_type: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = instances, treat_none_as_null = true)]
pub struct InstanceRow {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    pub name: String,
    pub hostname: String,
    pub description: Option<String>,
    /// The image id; empty when booted from a volume.
    pub image_ref: String,
    /// JSON: the flavor the instance runs with (see `flavors::FlavorSnapshot`).
    pub flavor: String,
    pub vcpus: i32,
    pub memory_mb: i32,
    pub host: Option<String>,
    pub node: Option<String>,
    /// The zone asked for, then the zone the instance landed in.
    pub availability_zone: Option<String>,
    pub vm_state: String,
    pub task_state: Option<String>,
    pub power_state: i32,
    pub key_name: Option<String>,
    /// `owner` or `admin` while locked.
    pub locked_by: Option<String>,
    pub locked_reason: Option<String>,
    pub access_ipv4: Option<String>,
    pub access_ipv6: Option<String>,
    /// JSON object of strings.
    pub metadata: String,
    /// JSON list.
    pub tags: String,
    /// JSON list of security group names.
    pub security_groups: String,
    /// JSON list of `instances::Vif`.
    pub network_info: String,
    /// JSON `instances::Fault`, set in ERROR.
    pub fault: Option<String>,
    pub reservation_id: String,
    pub config_drive: String,
    pub launched_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = instance_extra, treat_none_as_null = true)]
pub struct InstanceExtraRow {
    pub instance_id: String,
    pub launch_index: i32,
    pub key_data: Option<String>,
    pub user_data: Option<String>,
    /// JSON list of `instances::RequestedNetwork`, or `"auto"`/`"none"`.
    pub requested_networks: String,
    /// JSON object.
    pub scheduler_hints: String,
    /// JSON object: the image's properties at boot, for the scheduler.
    pub image_properties: String,
    pub admin_password: Option<String>,
    pub old_flavor: Option<String>,
    pub new_flavor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = compute_nodes, treat_none_as_null = true)]
pub struct ComputeNodeRow {
    pub id: String,
    /// The integer id older microversions show.
    pub seq: i64,
    pub host: String,
    pub hypervisor_hostname: String,
    pub hypervisor_type: String,
    pub hypervisor_version: i64,
    pub host_ip: String,
    pub vcpus: i32,
    pub memory_mb: i32,
    pub local_gb: i32,
    pub cpu_allocation_ratio: f64,
    pub ram_allocation_ratio: f64,
    pub disk_allocation_ratio: f64,
    pub reserved_host_cpus: i32,
    pub reserved_host_memory_mb: i32,
    pub reserved_host_disk_mb: i32,
    /// Bumped by every claim, so concurrent claims cannot both succeed on a
    /// stale view of the node.
    pub generation: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ComputeNodeRow {
    /// The ratios and reservations the node was last reported with.
    pub fn policy(&self) -> crate::config::NodePolicy {
        crate::config::NodePolicy {
            cpu_allocation_ratio: self.cpu_allocation_ratio,
            ram_allocation_ratio: self.ram_allocation_ratio,
            disk_allocation_ratio: self.disk_allocation_ratio,
            reserved_host_cpus: self.reserved_host_cpus,
            reserved_host_memory_mb: self.reserved_host_memory_mb,
            reserved_host_disk_mb: self.reserved_host_disk_mb,
        }
    }

    pub fn set_policy(&mut self, p: &crate::config::NodePolicy) {
        self.cpu_allocation_ratio = p.cpu_allocation_ratio;
        self.ram_allocation_ratio = p.ram_allocation_ratio;
        self.disk_allocation_ratio = p.disk_allocation_ratio;
        self.reserved_host_cpus = p.reserved_host_cpus;
        self.reserved_host_memory_mb = p.reserved_host_memory_mb;
        self.reserved_host_disk_mb = p.reserved_host_disk_mb;
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = allocations)]
pub struct AllocationRow {
    pub consumer_id: String,
    pub node_id: String,
    pub vcpus: i32,
    pub memory_mb: i32,
    pub disk_gb: i32,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = compute_node_changes)]
pub struct NodeChangeRow {
    pub id: String,
    pub node_id: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
    pub changed_by: String,
    pub changed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = compute_services, treat_none_as_null = true)]
pub struct ServiceRow {
    pub id: String,
    pub seq: i64,
    pub host: String,
    pub service_binary: String,
    pub topic: String,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    pub forced_down: bool,
    pub last_seen_up: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ServiceRow {
    /// Up: not forced down, and reported within `down_after_us` of `now`.
    pub fn is_up(&self, now: i64, down_after_us: i64) -> bool {
        !self.forced_down && self.last_seen_up.is_some_and(|t| now - t <= down_after_us)
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = instance_actions, treat_none_as_null = true)]
pub struct InstanceActionRow {
    pub id: String,
    pub instance_id: String,
    pub action: String,
    pub request_id: String,
    pub user_id: String,
    pub project_id: String,
    pub message: Option<String>,
    /// JSON list of `actions::Event`.
    pub events: String,
    pub start_time: i64,
    pub updated_at: i64,
}

/// A move of an instance (nova's `migrations` record): a resize or a cold
/// migration, from its source to the destination the scheduler chose.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = migrations, treat_none_as_null = true)]
pub struct MigrationRow {
    /// Also the consumer of the source allocation while the move is open.
    pub id: String,
    /// The integer id the API shows.
    pub seq: i64,
    pub instance_id: String,
    pub project_id: String,
    pub user_id: String,
    /// `resize` or `migration`.
    pub migration_type: String,
    pub status: String,
    pub source_compute: String,
    pub source_node: String,
    pub dest_compute: Option<String>,
    pub dest_node: Option<String>,
    pub old_flavor_id: String,
    pub new_flavor_id: String,
    /// The vm_state to come back to on confirm or revert.
    pub old_vm_state: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = aggregates, treat_none_as_null = true)]
pub struct AggregateRow {
    pub id: String,
    /// The integer id the API shows.
    pub seq: i64,
    pub name: String,
    /// JSON object of strings; `availability_zone` makes it a zone.
    pub metadata: String,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = server_groups)]
pub struct ServerGroupRow {
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub user_id: String,
    pub policy: String,
    /// JSON object (`max_server_per_host`).
    pub rules: String,
    pub created_at: i64,
}
