//! Where image data lives. A store takes the bytes of one upload through a
//! [`StoreWriter`] that only becomes visible on [`StoreWriter::commit`], and
//! serves them back as a stream, whole or a byte range.

pub mod file;

use crate::config::ImageConfig;
use crate::error::Error;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use std::io;
use std::sync::Arc;

/// A stream of image data, as stores return it.
pub type DataStream = BoxStream<'static, io::Result<Bytes>>;

pub trait Store: Send + Sync {
    /// The store id shown in `stores` and `/v2/info/stores`.
    fn id(&self) -> &str;

    /// Starts writing the data of `image_id` under a temporary name.
    fn begin(&self, image_id: &str) -> io::Result<Box<dyn StoreWriter>>;

    /// Streams `len` bytes of the data at `location` from `offset`.
    fn read(&self, location: &str, offset: u64, len: u64) -> io::Result<DataStream>;

    /// Removes the data at `location`; data already gone is not an error.
    fn delete(&self, location: &str) -> io::Result<()>;

    /// Removes leftovers of uploads that a crash interrupted.
    fn clean_partial(&self) -> io::Result<usize>;
}

/// One upload in progress. Dropping it without `commit` removes what was written.
pub trait StoreWriter: Send {
    fn write(&mut self, chunk: &[u8]) -> io::Result<()>;

    /// Makes the data visible under its final name; returns its location.
    fn commit(self: Box<Self>) -> io::Result<String>;
}

/// The id glance gives its staging area.
pub const STAGING_ID: &str = "os_glance_staging_store";

/// One configured store.
pub struct Backend {
    pub store: Arc<dyn Store>,
    pub description: Option<String>,
}

/// Every store of this service: one (`file`), or the `enabled_backends` of
/// a multi-store setup with a default, plus the staging area.
pub struct Stores {
    backends: Vec<Backend>,
    default: usize,
    staging: Arc<dyn Store>,
}

impl Stores {
    pub fn open(conf: &ImageConfig) -> Result<Stores, Error> {
        let staging: Arc<dyn Store> =
            Arc::new(file::FileStore::open(STAGING_ID, &conf.staging_datadir)?);
        if conf.backends.is_empty() {
            let store = file::FileStore::open("file", &conf.filesystem_store_datadir)?;
            return Ok(Stores {
                backends: vec![Backend {
                    store: Arc::new(store),
                    description: None,
                }],
                default: 0,
                staging,
            });
        }
        let mut backends = Vec::new();
        for b in &conf.backends {
            backends.push(Backend {
                store: Arc::new(file::FileStore::open(&b.id, &b.datadir)?),
                description: b.description.clone(),
            });
        }
        let default = match &conf.default_backend {
            None => 0,
            Some(id) => backends
                .iter()
                .position(|b| b.store.id() == id)
                .ok_or_else(|| {
                    Error::BadRequest(format!(
                        "[glance_store] default_backend {id} is not in enabled_backends"
                    ))
                })?,
        };
        Ok(Stores {
            backends,
            default,
            staging,
        })
    }

    /// Whether `enabled_backends` is configured.
    pub fn is_multi(&self) -> bool {
        self.backends.len() > 1 || self.backends[0].store.id() != "file"
    }

    pub fn backends(&self) -> &[Backend] {
        &self.backends
    }

    pub fn default_store(&self) -> &Arc<dyn Store> {
        &self.backends[self.default].store
    }

    pub fn staging(&self) -> &Arc<dyn Store> {
        &self.staging
    }

    /// The store a client asked for (`X-Image-Meta-Store`), or the
    /// default; a single-store setup ignores the request, as glance does.
    pub fn select(&self, requested: Option<&str>) -> Result<Arc<dyn Store>, Error> {
        let Some(id) = requested.filter(|_| self.is_multi()) else {
            return Ok(self.default_store().clone());
        };
        self.backends
            .iter()
            .find(|b| b.store.id() == id)
            .map(|b| b.store.clone())
            .ok_or_else(|| Error::BadRequest(format!("Store for identifier {id} not found")))
    }

    /// The store that holds data recorded under `store_id`.
    pub fn get(&self, store_id: Option<&str>) -> Option<&Arc<dyn Store>> {
        match store_id {
            Some(STAGING_ID) => Some(&self.staging),
            Some(id) => self
                .backends
                .iter()
                .find(|b| b.store.id() == id)
                .map(|b| &b.store),
            None => Some(self.default_store()),
        }
    }

    /// Removes partial uploads everywhere; returns how many.
    pub fn clean_partial(&self) -> std::io::Result<usize> {
        let mut removed = self.staging.clean_partial()?;
        for b in &self.backends {
            removed += b.store.clean_partial()?;
        }
        Ok(removed)
    }
}
