//! Image (Glance v2).
//!
//! `api/` is the HTTP surface, one file per resource; beside it the rules:
//! `images.rs` (records, visibility, deletion), `patch.rs` (glance's JSON
//! patch), `data.rs` (streaming upload and download), `members.rs`
//! (sharing), `tasks.rs` (the tasks of imports), `policy.rs` (who may do
//! what), `schemas.rs` (the published JSON schemas). `store/` holds the
//! tables, `stores/` the image data.
//! [`client::ImageClient`] is how other services of this process (compute)
//! use images without going through HTTP.

pub mod api;
pub mod client;
pub mod config;
pub mod data;
pub mod error;
pub mod images;
pub mod members;
pub mod patch;
pub mod policy;
pub mod schemas;
pub mod store;
pub mod stores;
pub mod tasks;

use std::sync::Arc;

pub use config::ImageConfig;
pub use error::Error;

/// The image service: configuration, database, data store and schemas.
pub struct ImageService {
    pub conf: ImageConfig,
    pub db: store::Db,
    pub stores: stores::Stores,
    pub schemas: Arc<schemas::Schemas>,
    /// Rendered `GET /v2/images` pages, valid while the image generation
    /// counter is unchanged.
    pub list_cache: compat_api::cache::GenerationCache,
}

impl ImageService {
    /// Opens the database (migrating it) and the file store, and cleans up
    /// after uploads a crash interrupted.
    pub fn open(conf: ImageConfig) -> Result<Arc<ImageService>, Error> {
        let db = store::Db::open(&conf.database_url, conf.max_db_connections)?;
        db.run_sync(store::migrations::run)?;
        let service = ImageService {
            schemas: Arc::new(schemas::Schemas::new(&conf)),
            stores: stores::Stores::open(&conf)?,
            list_cache: compat_api::cache::GenerationCache::new(conf.list_cache_size),
            conf,
            db,
        };
        service.recover()?;
        Ok(Arc::new(service))
    }

    /// An upload or import cut short by a crash left its image `saving` or
    /// `importing` and a partial file: the image goes back to `queued` (or
    /// to `uploading` when its staged data is still there), the file away.
    fn recover(&self) -> Result<(), Error> {
        for status in ["saving", "importing"] {
            for row in self.db.run_sync(|c| store::images::in_status(c, status))? {
                let staged = row.store_id.as_deref() == Some(stores::STAGING_ID);
                let back = if staged { "uploading" } else { "queued" };
                let now = compat_api::time::now_us();
                self.db
                    .run_sync(|c| store::images::transition(c, &row.id, status, back, now))?;
                tracing::warn!(
                    "image {}: interrupted while {status}, back to {back}",
                    row.id
                );
            }
        }
        let now = compat_api::time::now_us();
        let ttl_us = (self.conf.task_time_to_live_h as i64).saturating_mul(3_600_000_000);
        let failed = self.db.run_sync(|c| {
            store::tasks::fail_unfinished(
                c,
                "The import was interrupted by a restart of the image service.",
                now,
                now.saturating_add(ttl_us),
            )
        })?;
        if failed > 0 {
            tracing::warn!("{failed} import tasks interrupted; marked failed");
        }
        let removed = self.stores.clean_partial()?;
        if removed > 0 {
            tracing::warn!("removed {removed} partial image uploads");
        }
        Ok(())
    }

    /// The scrubber of `delayed_delete`: removes the data and records of
    /// images `pending_delete` for longer than `scrub_time`. Returns how many.
    pub async fn scrub(&self) -> Result<usize, Error> {
        let horizon = compat_api::time::now_us() - (self.conf.scrub_time_s as i64) * 1_000_000;
        let due: Vec<_> = self
            .db
            .read(|c| store::images::in_status(c, "pending_delete"))
            .await?
            .into_iter()
            .filter(|r| r.deleted_at.unwrap_or(0) <= horizon)
            .collect();
        for row in &due {
            self.remove_data(row);
            let id = row.id.clone();
            self.db
                .write(move |c| store::images::delete(c, &id).map_err(Error::from))
                .await?;
        }
        Ok(due.len())
    }
}
