//! Rows as stored. The domain works on these; the API layer has its own wire types.

use super::schema::*;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = images, treat_none_as_null = true)]
pub struct ImageRow {
    pub id: String,
    pub name: Option<String>,
    pub status: String,
    pub visibility: String,
    pub protected: bool,
    pub os_hidden: bool,
    pub owner: Option<String>,
    pub size: Option<i64>,
    pub virtual_size: Option<i64>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub min_disk: i32,
    pub min_ram: i32,
    /// The store's URL for the data (`file:///...`), once there is data.
    pub location: Option<String>,
    pub store_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set when the image is `pending_delete` (delayed delete).
    pub deleted_at: Option<i64>,
}

impl ImageRow {
    /// A new image with glance's defaults: `queued`, `shared`, no data.
    pub fn queued(id: String, owner: Option<String>, now: i64) -> ImageRow {
        ImageRow {
            id,
            name: None,
            status: "queued".into(),
            visibility: "shared".into(),
            protected: false,
            os_hidden: false,
            owner,
            size: None,
            virtual_size: None,
            disk_format: None,
            container_format: None,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            min_disk: 0,
            min_ram: 0,
            location: None,
            store_id: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = image_properties)]
pub struct PropertyRow {
    pub image_id: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = image_tags)]
pub struct TagRow {
    pub image_id: String,
    pub value: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = image_members)]
pub struct MemberRow {
    pub image_id: String,
    pub member: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A task of an image (an interoperable import).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = image_tasks, treat_none_as_null = true)]
pub struct TaskRow {
    pub id: String,
    pub image_id: String,
    /// glance's task `type` (`api_image_import`).
    pub task_type: String,
    /// `pending`, `processing`, `success` or `failure`.
    pub status: String,
    pub owner: Option<String>,
    pub user_id: Option<String>,
    pub request_id: Option<String>,
    pub input: String,
    pub result: Option<String>,
    pub message: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}
