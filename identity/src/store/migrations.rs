//! Schema migrations, one DDL text for every backend.
//!
//! Types are chosen so the same statement works on SQLite, PostgreSQL and
//! MariaDB/MySQL: VARCHAR for anything that is a key or indexed, TEXT for
//! free text, BIGINT microseconds for instants.

use super::{AnyConnection, StoreError};

const V1: &str = r#"
CREATE TABLE domains (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL UNIQUE,
    description TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    options TEXT NOT NULL,
    created_at BIGINT NOT NULL
) {OPTS};
CREATE TABLE projects (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL,
    parent_id VARCHAR(64),
    description TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    options TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (domain_id, name)
) {OPTS};
CREATE TABLE project_tags (
    project_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    PRIMARY KEY (project_id, name)
) {OPTS};
CREATE TABLE users (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL,
    enabled BOOLEAN NOT NULL,
    default_project_id VARCHAR(64),
    extra TEXT NOT NULL,
    options TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_active_at BIGINT,
    failed_auth_count INTEGER NOT NULL,
    failed_auth_at BIGINT,
    UNIQUE (domain_id, name)
) {OPTS};
CREATE TABLE passwords (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id VARCHAR(64) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    self_service BOOLEAN NOT NULL
) {OPTS};
CREATE INDEX passwords_user ON passwords (user_id);
CREATE TABLE identity_groups (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL,
    description TEXT NOT NULL,
    UNIQUE (domain_id, name)
) {OPTS};
CREATE TABLE user_group_membership (
    user_id VARCHAR(64) NOT NULL,
    group_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (user_id, group_id)
) {OPTS};
CREATE INDEX membership_group ON user_group_membership (group_id);
CREATE TABLE roles (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    domain_id VARCHAR(64) NOT NULL,
    description TEXT NOT NULL,
    options TEXT NOT NULL,
    UNIQUE (name, domain_id)
) {OPTS};
CREATE TABLE implied_roles (
    prior_role_id VARCHAR(64) NOT NULL,
    implied_role_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (prior_role_id, implied_role_id)
) {OPTS};
CREATE TABLE assignments (
    kind VARCHAR(16) NOT NULL,
    actor_id VARCHAR(64) NOT NULL,
    target_id VARCHAR(64) NOT NULL,
    role_id VARCHAR(64) NOT NULL,
    inherited BOOLEAN NOT NULL,
    PRIMARY KEY (kind, actor_id, target_id, role_id, inherited)
) {OPTS};
CREATE INDEX assignments_actor ON assignments (actor_id);
CREATE INDEX assignments_target ON assignments (target_id);
CREATE TABLE regions (
    id VARCHAR(255) NOT NULL PRIMARY KEY,
    description TEXT NOT NULL,
    parent_region_id VARCHAR(255),
    extra TEXT NOT NULL
) {OPTS};
CREATE TABLE services (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    service_type VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    extra TEXT NOT NULL
) {OPTS};
CREATE TABLE endpoints (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    service_id VARCHAR(64) NOT NULL,
    interface VARCHAR(8) NOT NULL,
    url TEXT NOT NULL,
    region_id VARCHAR(255),
    enabled BOOLEAN NOT NULL,
    extra TEXT NOT NULL
) {OPTS};
CREATE TABLE application_credentials (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    secret_hash VARCHAR(255) NOT NULL,
    description TEXT,
    user_id VARCHAR(64) NOT NULL,
    project_id VARCHAR(64) NOT NULL,
    expires_at BIGINT,
    unrestricted BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, name)
) {OPTS};
CREATE TABLE application_credential_roles (
    application_credential_id VARCHAR(64) NOT NULL,
    role_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (application_credential_id, role_id)
) {OPTS};
CREATE TABLE credentials (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id VARCHAR(64) NOT NULL,
    project_id VARCHAR(64),
    cred_type VARCHAR(255) NOT NULL,
    blob_data TEXT NOT NULL,
    extra TEXT NOT NULL
) {OPTS};
CREATE TABLE revocation_events (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    audit_id VARCHAR(64),
    user_id VARCHAR(64),
    project_id VARCHAR(64),
    domain_id VARCHAR(64),
    app_cred_id VARCHAR(64),
    issued_before BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX revocation_revoked_at ON revocation_events (revoked_at);
"#;

/// `(version, ddl)`, applied in order.
const MIGRATIONS: &[(i32, &str)] = &[(1, V1)];

/// Creates or upgrades the identity schema; returns the version reached.
pub fn run(conn: &mut AnyConnection) -> Result<i32, StoreError> {
    compat_api::db::migrate(conn, "identity", MIGRATIONS)
}
