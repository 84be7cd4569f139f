//! Compute schema migrations, one DDL text for every backend (see
//! [`compat_api::db::migrate`]).
//!
//! What is only ever read and written whole with its instance (metadata,
//! tags, the flavor it was built with, its network info, the fault) is JSON
//! text; what queries filter, sum or constrain on has a column. Instance
//! data no list shows lives in `instance_extra`, so a list reads one row
//! per server.

use compat_api::db::{AnyConnection, StoreError};

const V1: &str = r#"
CREATE TABLE flavors (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    memory_mb INTEGER NOT NULL,
    vcpus INTEGER NOT NULL,
    root_gb INTEGER NOT NULL,
    ephemeral_gb INTEGER NOT NULL,
    swap INTEGER NOT NULL,
    rxtx_factor DOUBLE PRECISION NOT NULL,
    is_public BOOLEAN NOT NULL,
    description TEXT,
    extra_specs TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT
) {OPTS};
CREATE UNIQUE INDEX flavors_name ON flavors (name);
CREATE TABLE flavor_projects (
    flavor_id VARCHAR(255) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    PRIMARY KEY (flavor_id, project_id)
) {OPTS};
CREATE TABLE key_pairs (
    user_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    fingerprint VARCHAR(255) NOT NULL,
    public_key TEXT NOT NULL,
    key_type VARCHAR(8) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, name)
) {OPTS};
CREATE TABLE instances (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    hostname VARCHAR(255) NOT NULL,
    description TEXT,
    image_ref VARCHAR(255) NOT NULL,
    flavor TEXT NOT NULL,
    vcpus INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL,
    host VARCHAR(255),
    node VARCHAR(255),
    availability_zone VARCHAR(255),
    vm_state VARCHAR(32) NOT NULL,
    task_state VARCHAR(64),
    power_state INTEGER NOT NULL,
    key_name VARCHAR(255),
    locked_by VARCHAR(16),
    locked_reason TEXT,
    access_ipv4 VARCHAR(64),
    access_ipv6 VARCHAR(64),
    metadata TEXT NOT NULL,
    tags TEXT NOT NULL,
    security_groups TEXT NOT NULL,
    network_info TEXT NOT NULL,
    fault TEXT,
    reservation_id VARCHAR(32) NOT NULL,
    config_drive VARCHAR(8) NOT NULL,
    launched_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
) {OPTS};
CREATE INDEX instances_project ON instances (project_id, deleted_at);
CREATE INDEX instances_host ON instances (host);
CREATE INDEX instances_created ON instances (created_at);
CREATE TABLE instance_extra (
    instance_id VARCHAR(36) NOT NULL PRIMARY KEY,
    launch_index INTEGER NOT NULL,
    key_data TEXT,
    user_data TEXT,
    requested_networks TEXT NOT NULL,
    scheduler_hints TEXT NOT NULL,
    image_properties TEXT NOT NULL,
    admin_password TEXT,
    old_flavor TEXT,
    new_flavor TEXT
) {OPTS};
CREATE TABLE compute_nodes (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    host VARCHAR(255) NOT NULL,
    hypervisor_hostname VARCHAR(255) NOT NULL,
    hypervisor_type VARCHAR(64) NOT NULL,
    hypervisor_version BIGINT NOT NULL,
    host_ip VARCHAR(64) NOT NULL,
    vcpus INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL,
    local_gb INTEGER NOT NULL,
    cpu_allocation_ratio DOUBLE PRECISION NOT NULL,
    ram_allocation_ratio DOUBLE PRECISION NOT NULL,
    disk_allocation_ratio DOUBLE PRECISION NOT NULL,
    reserved_host_cpus INTEGER NOT NULL,
    reserved_host_memory_mb INTEGER NOT NULL,
    reserved_host_disk_mb INTEGER NOT NULL,
    generation BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE UNIQUE INDEX compute_nodes_name ON compute_nodes (hypervisor_hostname);
CREATE UNIQUE INDEX compute_nodes_seq ON compute_nodes (seq);
CREATE TABLE allocations (
    consumer_id VARCHAR(36) NOT NULL,
    node_id VARCHAR(36) NOT NULL,
    vcpus INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL,
    disk_gb INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (consumer_id, node_id)
) {OPTS};
CREATE INDEX allocations_node ON allocations (node_id);
CREATE TABLE compute_node_changes (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    node_id VARCHAR(36) NOT NULL,
    field VARCHAR(64) NOT NULL,
    old_value VARCHAR(64) NOT NULL,
    new_value VARCHAR(64) NOT NULL,
    changed_by VARCHAR(255) NOT NULL,
    changed_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX compute_node_changes_node ON compute_node_changes (node_id, changed_at);
CREATE TABLE compute_services (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    host VARCHAR(255) NOT NULL,
    service_binary VARCHAR(64) NOT NULL,
    topic VARCHAR(255) NOT NULL,
    disabled BOOLEAN NOT NULL,
    disabled_reason VARCHAR(255),
    forced_down BOOLEAN NOT NULL,
    last_seen_up BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE UNIQUE INDEX compute_services_host ON compute_services (host, service_binary);
CREATE UNIQUE INDEX compute_services_seq ON compute_services (seq);
CREATE TABLE instance_actions (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    instance_id VARCHAR(36) NOT NULL,
    action VARCHAR(255) NOT NULL,
    request_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    message TEXT,
    events TEXT NOT NULL,
    start_time BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX instance_actions_instance ON instance_actions (instance_id, start_time);
CREATE TABLE compute_quotas (
    project_id VARCHAR(255) NOT NULL,
    resource VARCHAR(255) NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (project_id, resource)
) {OPTS};
CREATE TABLE compute_quota_classes (
    class_name VARCHAR(255) NOT NULL,
    resource VARCHAR(255) NOT NULL,
    hard_limit BIGINT NOT NULL,
    PRIMARY KEY (class_name, resource)
) {OPTS}
"#;

/// Moves (resize, cold migration), host aggregates and server groups.
const V2: &str = r#"
CREATE TABLE migrations (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    instance_id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    migration_type VARCHAR(32) NOT NULL,
    status VARCHAR(32) NOT NULL,
    source_compute VARCHAR(255) NOT NULL,
    source_node VARCHAR(255) NOT NULL,
    dest_compute VARCHAR(255),
    dest_node VARCHAR(255),
    old_flavor_id VARCHAR(255) NOT NULL,
    new_flavor_id VARCHAR(255) NOT NULL,
    old_vm_state VARCHAR(32) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE UNIQUE INDEX migrations_seq ON migrations (seq);
CREATE INDEX migrations_instance ON migrations (instance_id, created_at);
CREATE TABLE aggregates (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    name VARCHAR(255) NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT
) {OPTS};
CREATE UNIQUE INDEX aggregates_seq ON aggregates (seq);
CREATE UNIQUE INDEX aggregates_name ON aggregates (name);
CREATE TABLE aggregate_hosts (
    aggregate_id VARCHAR(36) NOT NULL,
    host VARCHAR(255) NOT NULL,
    PRIMARY KEY (aggregate_id, host)
) {OPTS};
CREATE TABLE server_groups (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    policy VARCHAR(64) NOT NULL,
    rules TEXT NOT NULL,
    created_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX server_groups_project ON server_groups (project_id);
CREATE TABLE server_group_members (
    group_id VARCHAR(36) NOT NULL,
    instance_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (group_id, instance_id)
) {OPTS};
CREATE INDEX server_group_members_instance ON server_group_members (instance_id)
"#;

/// A project's server list walks this index in list order (newest first)
/// and stops at the page's end, instead of sorting every live row.
const V3: &str = r#"
CREATE INDEX instances_list ON instances (project_id, deleted_at, created_at, id)
"#;

const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2), (3, V3)];

pub fn run(conn: &mut AnyConnection) -> Result<i32, StoreError> {
    compat_api::db::migrate(conn, "compute", MIGRATIONS)
}
