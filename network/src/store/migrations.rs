//! Network schema migrations, one DDL text for every backend (see
//! [`compat_api::db::migrate`]).
//!
//! Lists that are only ever read and written whole with their resource
//! (allocation pools, DNS servers, host routes, address pairs, DHCP options,
//! binding details, extra routes, pool prefixes) are JSON text columns;
//! everything a query or a constraint needs is a column of its own.

use compat_api::db::{AnyConnection, StoreError};

const V1: &str = r#"
CREATE TABLE networks (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL,
    admin_state_up BOOLEAN NOT NULL,
    status VARCHAR(16) NOT NULL,
    shared BOOLEAN NOT NULL,
    external BOOLEAN NOT NULL,
    is_default BOOLEAN NOT NULL,
    mtu INTEGER NOT NULL,
    port_security_enabled BOOLEAN NOT NULL,
    network_type VARCHAR(32) NOT NULL,
    physical_network VARCHAR(64),
    segmentation_id INTEGER,
    dns_domain VARCHAR(255) NOT NULL,
    revision_number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX networks_project ON networks (project_id);
CREATE TABLE subnets (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    network_id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL,
    ip_version INTEGER NOT NULL,
    cidr VARCHAR(64) NOT NULL,
    gateway_ip VARCHAR(64),
    enable_dhcp BOOLEAN NOT NULL,
    ipv6_ra_mode VARCHAR(16),
    ipv6_address_mode VARCHAR(16),
    subnetpool_id VARCHAR(36),
    allocation_pools TEXT NOT NULL,
    dns_nameservers TEXT NOT NULL,
    host_routes TEXT NOT NULL,
    service_types TEXT NOT NULL,
    revision_number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX subnets_network ON subnets (network_id);
CREATE TABLE ports (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    network_id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL,
    mac_address VARCHAR(32) NOT NULL,
    admin_state_up BOOLEAN NOT NULL,
    status VARCHAR(16) NOT NULL,
    device_id VARCHAR(255) NOT NULL,
    device_owner VARCHAR(255) NOT NULL,
    port_security_enabled BOOLEAN NOT NULL,
    binding_host_id VARCHAR(255) NOT NULL,
    binding_vnic_type VARCHAR(64) NOT NULL,
    binding_profile TEXT NOT NULL,
    binding_vif_type VARCHAR(64) NOT NULL,
    binding_vif_details TEXT NOT NULL,
    allowed_address_pairs TEXT NOT NULL,
    extra_dhcp_opts TEXT NOT NULL,
    dns_name VARCHAR(255) NOT NULL,
    revision_number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE UNIQUE INDEX ports_mac ON ports (network_id, mac_address);
CREATE INDEX ports_network ON ports (network_id);
CREATE INDEX ports_device ON ports (device_id);
CREATE INDEX ports_project ON ports (project_id);
CREATE TABLE ip_allocations (
    subnet_id VARCHAR(36) NOT NULL,
    ip_address VARCHAR(64) NOT NULL,
    network_id VARCHAR(36) NOT NULL,
    port_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (subnet_id, ip_address)
) {OPTS};
CREATE INDEX ip_allocations_port ON ip_allocations (port_id);
CREATE TABLE security_groups (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL,
    stateful BOOLEAN NOT NULL,
    revision_number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX security_groups_project ON security_groups (project_id);
CREATE TABLE default_security_groups (
    project_id VARCHAR(255) NOT NULL PRIMARY KEY,
    security_group_id VARCHAR(36) NOT NULL
) {OPTS};
CREATE TABLE security_group_rules (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    security_group_id VARCHAR(36) NOT NULL,
    project_id VARCHAR(255) NOT NULL,
    direction VARCHAR(16) NOT NULL,
    ethertype VARCHAR(8) NOT NULL,
    protocol VARCHAR(40),
    port_range_min INTEGER,
    port_range_max INTEGER,
    remote_ip_prefix VARCHAR(64),
    remote_group_id VARCHAR(36),
    description VARCHAR(255) NOT NULL,
    revision_number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id);
CREATE TABLE port_security_groups (
    port_id VARCHAR(36) NOT NULL,
    security_group_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (port_id, security_group_id)
) {OPTS};
CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id);
CREATE TABLE routers (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL,
    admin_state_up BOOLEAN NOT NULL,
    status VARCHAR(16) NOT NULL,
    gw_port_id VARCHAR(36),
    enable_snat BOOLEAN NOT NULL,
    routes TEXT NOT NULL,
    revision_number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE TABLE floating_ips (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(255) NOT NULL,
    floating_network_id VARCHAR(36) NOT NULL,
    floating_ip_address VARCHAR(64) NOT NULL,
    floating_port_id VARCHAR(36) NOT NULL,
    fixed_port_id VARCHAR(36),
    fixed_ip_address VARCHAR(64),
    router_id VARCHAR(36),
    status VARCHAR(16) NOT NULL,
    description VARCHAR(255) NOT NULL,
    revision_number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX floating_ips_fixed_port ON floating_ips (fixed_port_id);
CREATE TABLE subnetpools (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    project_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(255) NOT NULL,
    ip_version INTEGER NOT NULL,
    prefixes TEXT NOT NULL,
    default_prefixlen INTEGER NOT NULL,
    min_prefixlen INTEGER NOT NULL,
    max_prefixlen INTEGER NOT NULL,
    shared BOOLEAN NOT NULL,
    is_default BOOLEAN NOT NULL,
    default_quota INTEGER,
    address_scope_id VARCHAR(36),
    revision_number BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE TABLE quotas (
    project_id VARCHAR(255) NOT NULL,
    resource VARCHAR(64) NOT NULL,
    hard_limit INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource)
) {OPTS};
CREATE TABLE resource_tags (
    resource_id VARCHAR(36) NOT NULL,
    tag VARCHAR(255) NOT NULL,
    PRIMARY KEY (resource_id, tag)
) {OPTS}
"#;

/// `(version, ddl)`, applied in order.
const MIGRATIONS: &[(i32, &str)] = &[(1, V1)];

/// Creates or upgrades the network schema; returns the version reached.
pub fn run(conn: &mut AnyConnection) -> Result<i32, StoreError> {
    compat_api::db::migrate(conn, "network", MIGRATIONS)
}
