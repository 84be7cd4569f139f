//! Image schema migrations, one DDL text for every backend (see
//! [`compat_api::db::migrate`]).

use compat_api::db::{AnyConnection, StoreError};

const V1: &str = r#"
CREATE TABLE images (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    name VARCHAR(255),
    status VARCHAR(30) NOT NULL,
    visibility VARCHAR(20) NOT NULL,
    protected BOOLEAN NOT NULL,
    os_hidden BOOLEAN NOT NULL,
    owner VARCHAR(255),
    size BIGINT,
    virtual_size BIGINT,
    disk_format VARCHAR(20),
    container_format VARCHAR(20),
    checksum VARCHAR(32),
    os_hash_algo VARCHAR(64),
    os_hash_value VARCHAR(128),
    min_disk INTEGER NOT NULL,
    min_ram INTEGER NOT NULL,
    location TEXT,
    store_id VARCHAR(255),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
) {OPTS};
CREATE INDEX images_created ON images (created_at, id);
CREATE INDEX images_owner ON images (owner);
CREATE TABLE image_properties (
    image_id VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (image_id, name)
) {OPTS};
CREATE TABLE image_tags (
    image_id VARCHAR(36) NOT NULL,
    value VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (image_id, value)
) {OPTS};
CREATE TABLE image_members (
    image_id VARCHAR(36) NOT NULL,
    member VARCHAR(255) NOT NULL,
    status VARCHAR(20) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (image_id, member)
) {OPTS};
CREATE INDEX image_members_member ON image_members (member)
"#;

/// The generation counter every image write bumps (see
/// `compat_api::cache`): one row.
const V2: &str = r#"
CREATE TABLE image_generation (
    id INTEGER NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
) {OPTS};
INSERT INTO image_generation (id, value) VALUES (1, 0)
"#;

/// The tasks of interoperable imports (`GET /v2/images/{id}/tasks`).
/// `input` and `result` are JSON texts.
const V3: &str = r#"
CREATE TABLE image_tasks (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    image_id VARCHAR(36) NOT NULL,
    task_type VARCHAR(30) NOT NULL,
    status VARCHAR(30) NOT NULL,
    owner VARCHAR(255),
    user_id VARCHAR(255),
    request_id VARCHAR(255),
    input TEXT NOT NULL,
    result TEXT,
    message TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
) {OPTS};
CREATE INDEX image_tasks_image ON image_tasks (image_id, created_at)
"#;

/// `(version, ddl)`, applied in order.
const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2), (3, V3)];

/// Creates or upgrades the image schema; returns the version reached.
pub fn run(conn: &mut AnyConnection) -> Result<i32, StoreError> {
    compat_api::db::migrate(conn, "image", MIGRATIONS)
}
