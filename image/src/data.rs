//! Image data: streaming upload with md5 and sha512 computed in the same
//! pass as the bytes reach the store, and streaming download, whole or a
//! byte range.
//!
//! An upload moves the image `queued` → `saving` → `active` with guarded
//! status transitions; any failure (client gone, size cap, quota, size
//! mismatch, store error) drops the partial data and puts the image back to
//! `queued`, so nothing half-written remains. Interoperable import works the
//! same way: `glance-direct` stages the data (`uploading`) and imports it
//! (`importing` → `active`); `web-download` fetches it from a URI.

use crate::config::ImportFilter;
use crate::error::Error;
use crate::images::load_visible;
use crate::policy::{refusal, Viewer};
use crate::store::models::ImageRow;
use crate::store::{images as q, AnyConnection};
use crate::stores::{DataStream, Store, StoreWriter, STAGING_ID};
use crate::tasks::{record_import, TaskOrigin};
use crate::ImageService;
use bytes::Bytes;
use compat_api::time::now_us;
use futures_util::{Stream, StreamExt};
use md5::{Digest, Md5};
use serde_json::Value;
use std::fmt::Display;
use std::sync::Arc;

/// Chunks in flight between the network and the writer thread.
const PIPELINE_DEPTH: usize = 32;

/// A byte range a client asked for (`Range: bytes=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-` or `bytes=first-last`
    From { first: u64, last: Option<u64> },
    /// `bytes=-n`: the last n bytes
    Suffix(u64),
}

impl ByteRange {
    /// `(offset, length)` within an image of `size` bytes, if satisfiable.
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        match self {
            ByteRange::From { first, last } => {
                if first >= size {
                    return None;
                }
                let last = last.unwrap_or(size - 1).min(size - 1);
                (last >= first).then(|| (first, last - first + 1))
            }
            ByteRange::Suffix(0) => None,
            ByteRange::Suffix(n) => {
                let n = n.min(size);
                (size > 0).then(|| (size - n, n))
            }
        }
    }
}

/// What a download sends: the data and how it relates to the whole image.
pub struct Download {
    pub stream: DataStream,
    /// Size of the whole image.
    pub size: u64,
    /// `(offset, length)` when a range was asked for.
    pub range: Option<(u64, u64)>,
    pub checksum: Option<String>,
}

/// What the writer thread hands back: the uncommitted data and its digests.
struct Written {
    writer: Box<dyn StoreWriter>,
    size: u64,
    md5: String,
    sha512: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The two digests glance records, computed in one pass: `checksum` (md5)
/// and `os_hash_value` (sha512).
pub struct Digests {
    md5: Md5,
    sha512: ring::digest::Context,
    size: u64,
}

impl Default for Digests {
    fn default() -> Self {
        Digests {
            md5: Md5::new(),
            sha512: ring::digest::Context::new(&ring::digest::SHA512),
            size: 0,
        }
    }
}

impl Digests {
    pub fn update(&mut self, chunk: &[u8]) {
        self.md5.update(chunk);
        self.sha512.update(chunk);
        self.size += chunk.len() as u64;
    }

    /// `(size, md5 hex, sha512 hex)`
    pub fn finish(self) -> (u64, String, String) {
        (
            self.size,
            hex(&self.md5.finalize()),
            hex(self.sha512.finish().as_ref()),
        )
    }
}

/// Hashes and writes every chunk; runs on a blocking thread.
fn write_and_hash(
    mut writer: Box<dyn StoreWriter>,
    mut rx: tokio::sync::mpsc::Receiver<Bytes>,
) -> std::io::Result<Written> {
    let mut digests = Digests::default();
    while let Some(chunk) = rx.blocking_recv() {
        digests.update(&chunk);
        writer.write(&chunk)?;
    }
    let (size, md5, sha512) = digests.finish();
    Ok(Written {
        writer,
        size,
        md5,
        sha512,
    })
}

/// What an ingest does with the bytes: upload them to a store (`saving`),
/// or stage them for a later `glance-direct` import (`uploading`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ingest {
    Upload,
    Stage,
}

impl Ingest {
    fn busy_status(self) -> &'static str {
        match self {
            Ingest::Upload => "saving",
            Ingest::Stage => "uploading",
        }
    }
}

/// How `POST /v2/images/{id}/import` brings the data in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportMethod {
    /// Data staged with `PUT /v2/images/{id}/stage`.
    GlanceDirect,
    /// Data fetched by the server from a URI.
    WebDownload { uri: String },
}

impl ImportMethod {
    pub fn name(&self) -> &'static str {
        match self {
            ImportMethod::GlanceDirect => "glance-direct",
            ImportMethod::WebDownload { .. } => "web-download",
        }
    }
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::Io(std::io::Error::other(e.to_string()))
}

impl ImageService {
    /// `PUT /v2/images/{id}/file`. `expected_size` is the client's
    /// `X-OpenStack-Image-Size`; `store` its `X-Image-Meta-Store`.
    pub async fn upload_image<S, E>(
        &self,
        viewer: &Viewer,
        id: &str,
        expected_size: Option<u64>,
        store: Option<&str>,
        body: S,
    ) -> Result<(), Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Display,
    {
        let store = self.stores.select(store)?;
        let limit = self
            .begin(viewer, id, expected_size, Ingest::Upload)
            .await?;
        let result = async {
            let written = self
                .receive(&*store, id, limit, expected_size, body)
                .await?;
            self.finish(id, "saving", &*store, written).await
        }
        .await;
        self.restore_on_error(id, "saving", "queued", &result).await;
        result
    }

    /// `PUT /v2/images/{id}/stage`: keeps the data in the staging area, the
    /// image `uploading`, until `glance-direct` imports it.
    pub async fn stage_image<S, E>(
        &self,
        viewer: &Viewer,
        id: &str,
        expected_size: Option<u64>,
        body: S,
    ) -> Result<(), Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Display,
    {
        self.require_method("glance-direct")?;
        let limit = self.begin(viewer, id, expected_size, Ingest::Stage).await?;
        let result = async {
            let staging = self.stores.staging().clone();
            let written = self
                .receive(&*staging, id, limit, expected_size, body)
                .await?;
            let location = commit(written.writer).await?;
            let (image_id, size) = (id.to_owned(), written.size as i64);
            let saved = location.clone();
            let recorded = self
                .db
                .write(move |c| {
                    let Some(mut row) = q::get(c, &image_id)? else {
                        return Ok(false);
                    };
                    if row.status != "uploading" {
                        return Ok(false);
                    }
                    row.size = Some(size);
                    row.location = Some(saved);
                    row.store_id = Some(STAGING_ID.into());
                    row.updated_at = now_us();
                    q::update(c, &row)?;
                    Ok::<_, Error>(true)
                })
                .await?;
            if !recorded {
                let _ = staging.delete(&location);
                return Err(gone(id));
            }
            Ok(())
        }
        .await;
        self.restore_on_error(id, "uploading", "queued", &result)
            .await;
        result
    }

    fn require_method(&self, name: &str) -> Result<(), Error> {
        if self.conf.enabled_import_methods.iter().any(|m| m == name) {
            return Ok(());
        }
        Err(Error::NotFound(format!(
            "'{name}' method is not available at this site."
        )))
    }

    /// After a failed ingest: the image goes back from `busy` to `to`.
    async fn restore_on_error(&self, id: &str, busy: &str, to: &str, result: &Result<(), Error>) {
        let Err(e) = result else {
            return;
        };
        tracing::info!("data of image {id} not taken: {e}");
        let (id, busy, to) = (id.to_owned(), busy.to_owned(), to.to_owned());
        let reset = self
            .db
            .write(move |c| {
                if let Some(mut row) = q::get(c, &id)?.filter(|r| r.status == busy) {
                    row.status = to;
                    row.size = None;
                    row.location = None;
                    row.store_id = None;
                    row.updated_at = now_us();
                    q::update(c, &row)?;
                }
                Ok::<_, Error>(())
            })
            .await;
        if let Err(reset_err) = reset {
            tracing::error!("cannot put image back to queued: {reset_err}");
        }
    }

    /// Checks the caller and the image and moves it to the ingest's busy
    /// status; returns the most bytes the data may have.
    async fn begin(
        &self,
        viewer: &Viewer,
        id: &str,
        expected_size: Option<u64>,
        ingest: Ingest,
    ) -> Result<u64, Error> {
        let (viewer, id) = (viewer.clone(), id.to_owned());
        let (cap, quota) = (self.conf.image_size_cap, self.conf.user_storage_quota);
        self.db
            .write(move |c| {
                let image = load_visible(c, &viewer, &id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("upload_image")));
                }
                let busy = ingest.busy_status();
                if image.row.status != "queued" {
                    return Err(Error::Conflict(format!(
                        "Image status transition from {} to {busy} is not allowed",
                        image.row.status
                    )));
                }
                if ingest == Ingest::Upload {
                    require_formats(&image.row)?;
                }
                let limit = upload_limit(c, &image.row, expected_size, cap, quota)?;
                if !q::transition(c, &id, "queued", busy, now_us())? {
                    return Err(Error::Conflict(format!(
                        "Image status transition from queued to {busy} is not allowed"
                    )));
                }
                Ok(limit)
            })
            .await
    }

    /// `POST /v2/images/{id}/import`: checks the request, moves the image to
    /// `importing` and brings the data in the background (202).
    /// The import is recorded as a task (see `tasks.rs`) with `request`,
    /// the import request as sent, and `origin`.
    pub async fn import_image(
        self: &Arc<Self>,
        viewer: &Viewer,
        id: &str,
        method: ImportMethod,
        store: Option<&str>,
        request: Value,
        origin: TaskOrigin,
    ) -> Result<(), Error> {
        self.require_method(method.name()).map_err(|_| {
            Error::BadRequest(format!("Unknown import method name '{}'.", method.name()))
        })?;
        // glance reports an unknown target store as a conflict on import.
        let store = self
            .stores
            .select(store)
            .map_err(|e| Error::Conflict(e.to_string()))?;
        let filter = self.conf.import_filter.clone();
        let (viewer, image_id) = (viewer.clone(), id.to_owned());
        let (cap, quota) = (self.conf.image_size_cap, self.conf.user_storage_quota);
        let checked_method = method.clone();
        // The task names the target store when there is a choice of stores.
        let target = self.stores.is_multi().then(|| store.id().to_owned());
        let (row, limit, task_id) = self
            .db
            .write(move |c| {
                let image = load_visible(c, &viewer, &image_id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("modify_image")));
                }
                let from = match (&checked_method, image.row.status.as_str()) {
                    (_, "active") => {
                        return Err(Error::Conflict(
                            "Image with status active cannot be target for import".into(),
                        ))
                    }
                    (ImportMethod::GlanceDirect, "uploading") => "uploading",
                    (ImportMethod::GlanceDirect, _) => {
                        return Err(Error::Conflict(
                            "Image needs to be staged before 'glance-direct' method can be used"
                                .into(),
                        ))
                    }
                    (m, "queued") if m != &ImportMethod::GlanceDirect => "queued",
                    (m, _) => {
                        return Err(Error::Conflict(format!(
                            "Image needs to be in 'queued' state to use '{}' method",
                            m.name()
                        )))
                    }
                };
                if let ImportMethod::WebDownload { uri } = &checked_method {
                    check_uri(uri, &filter)?;
                }
                for (value, name) in [
                    (&image.row.container_format, "container_format"),
                    (&image.row.disk_format, "disk_format"),
                ] {
                    if value.is_none() {
                        return Err(Error::Conflict(format!(
                            "'{name}' needs to be set before import"
                        )));
                    }
                }
                let limit = upload_limit(c, &image.row, None, cap, quota)?;
                if !q::transition(c, &image_id, from, "importing", now_us())? {
                    return Err(Error::Conflict(format!(
                        "New operation on image '{image_id}' is not permitted as prior operation is still in progress"
                    )));
                }
                let task_id =
                    record_import(c, &viewer, &origin, &image_id, &request, target.as_deref())?;
                Ok((image.row, limit, task_id))
            })
            .await?;
        let service = self.clone();
        tokio::spawn(async move {
            service.advance_task(&task_id, None).await;
            let outcome = service.run_import(row, method, store, limit).await;
            service.advance_task(&task_id, Some(outcome)).await;
        });
        Ok(())
    }

    /// The background half of an import; failures put the image back.
    /// Returns the outcome for the import's task.
    async fn run_import(
        &self,
        row: ImageRow,
        method: ImportMethod,
        store: Arc<dyn Store>,
        limit: u64,
    ) -> Result<(), String> {
        let id = row.id.clone();
        let result = async {
            let source: DataStream = match &method {
                ImportMethod::GlanceDirect => {
                    let (Some(location), Some(size)) = (&row.location, row.size) else {
                        return Err(Error::Conflict("The image has no staged data".into()));
                    };
                    self.stores
                        .staging()
                        .read(location, 0, size.max(0) as u64)?
                }
                ImportMethod::WebDownload { uri } => fetch(uri).await?,
            };
            let written = self.receive(&*store, &id, limit, None, source).await?;
            self.finish(&id, "importing", &*store, written).await
        }
        .await;
        match (&result, &method) {
            (Ok(()), ImportMethod::GlanceDirect) => self.remove_data(&row),
            (Err(_), ImportMethod::GlanceDirect) => {
                self.restore_on_error(&id, "importing", "queued", &result)
                    .await;
                self.remove_data(&row);
            }
            (Err(_), _) => {
                self.restore_on_error(&id, "importing", "queued", &result)
                    .await
            }
            (Ok(()), _) => {}
        }
        match result {
            Ok(()) => {
                tracing::info!("image {id} imported with {}", method.name());
                Ok(())
            }
            Err(e) => {
                tracing::warn!("import of image {id} with {} failed: {e}", method.name());
                Err(e.to_string())
            }
        }
    }

    /// Streams the body to `store` through the hashing thread.
    async fn receive<S, E>(
        &self,
        store: &dyn Store,
        id: &str,
        limit: u64,
        expected_size: Option<u64>,
        mut body: S,
    ) -> Result<Written, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Display,
    {
        let writer = store.begin(id)?;
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(PIPELINE_DEPTH);
        let worker = tokio::task::spawn_blocking(move || write_and_hash(writer, rx));
        let mut received = 0u64;
        let mut failure = None;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    failure = Some(Error::BadRequest(format!("Error reading image data: {e}")));
                    break;
                }
            };
            received += chunk.len() as u64;
            if received > limit {
                failure = Some(if limit < self.conf.image_size_cap {
                    quota_full(received, limit)
                } else {
                    too_large()
                });
                break;
            }
            if tx.send(chunk).await.is_err() {
                break; // the writer failed; its error is reported below
            }
        }
        drop(tx);
        let written = worker.await.map_err(join_error)??;
        if let Some(e) = failure {
            return Err(e);
        }
        if let Some(expected) = expected_size.filter(|s| *s != written.size) {
            let what = if written.size > expected {
                "Size exceeds"
            } else {
                "Size mismatch"
            };
            return Err(Error::BadRequest(format!(
                "{what}: expected {expected} bytes, got {} bytes",
                written.size
            )));
        }
        Ok(written)
    }

    /// Makes the data visible and the image `active`, if it is still `busy`.
    async fn finish(
        &self,
        id: &str,
        busy: &str,
        store: &dyn Store,
        written: Written,
    ) -> Result<(), Error> {
        let Written {
            writer,
            size,
            md5,
            sha512,
        } = written;
        let location = commit(writer).await?;
        let (image_id, busy) = (id.to_owned(), busy.to_owned());
        let store_id = store.id().to_owned();
        let saved_location = location.clone();
        let finished = self
            .db
            .write(move |c| {
                let Some(mut row) = q::get(c, &image_id)? else {
                    return Ok(false);
                };
                row.status = "active".into();
                row.size = Some(size as i64);
                row.checksum = Some(md5);
                row.os_hash_algo = Some("sha512".into());
                row.os_hash_value = Some(sha512);
                row.location = Some(saved_location);
                row.store_id = Some(store_id);
                row.updated_at = now_us();
                q::finish_upload(c, &row, &busy)
            })
            .await;
        match finished {
            Ok(true) => Ok(()),
            Ok(false) => {
                let _ = store.delete(&location);
                Err(gone(id))
            }
            Err(e) => {
                let _ = store.delete(&location);
                Err(e.into())
            }
        }
    }

    /// `GET /v2/images/{id}/file`; `None` when the image has no data (204).
    pub async fn download_image(
        &self,
        viewer: &Viewer,
        id: &str,
        range: Option<ByteRange>,
    ) -> Result<Option<Download>, Error> {
        let image = self.get_image(viewer, id).await?;
        if !viewer.is_member {
            return Err(Error::Forbidden(refusal("download_image")));
        }
        if !viewer.can_download(&image.row) {
            return Err(Error::Forbidden(
                "The requested image has been deactivated. Image data download is forbidden."
                    .into(),
            ));
        }
        // Staged data is not the image's data yet.
        if !matches!(image.row.status.as_str(), "active" | "deactivated") {
            return Ok(None);
        }
        let (Some(location), Some(size)) = (&image.row.location, image.row.size) else {
            return Ok(None);
        };
        let store = self
            .stores
            .get(image.row.store_id.as_deref())
            .ok_or_else(|| Error::Io(std::io::Error::other("the image's store is gone")))?;
        let size = size.max(0) as u64;
        let range = match range {
            None => None,
            Some(r) => Some(r.resolve(size).ok_or_else(|| {
                Error::RangeNotSatisfiable(format!(
                    "Invalid start position in Range header. Start position MUST be in the inclusive range [0, {}].",
                    size.saturating_sub(1)
                ))
            })?),
        };
        let (offset, len) = range.unwrap_or((0, size));
        Ok(Some(Download {
            stream: store.read(location, offset, len)?,
            size,
            range,
            checksum: image.row.checksum.clone(),
        }))
    }
}

async fn commit(writer: Box<dyn StoreWriter>) -> Result<String, Error> {
    Ok(tokio::task::spawn_blocking(move || writer.commit())
        .await
        .map_err(join_error)??)
}

fn gone(id: &str) -> Error {
    Error::Gone(format!(
        "Image {id} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded."
    ))
}

fn require_formats(row: &ImageRow) -> Result<(), Error> {
    if row.disk_format.is_some() && row.container_format.is_some() {
        return Ok(());
    }
    Err(Error::BadRequest(
        "Properties disk_format, container_format must be set prior to saving data.".into(),
    ))
}

/// The most bytes an owner may add: `image_size_cap`, and what is left of
/// `user_storage_quota`. A declared size over either is refused up front.
fn upload_limit(
    c: &mut AnyConnection,
    row: &ImageRow,
    expected_size: Option<u64>,
    cap: u64,
    quota: u64,
) -> Result<u64, Error> {
    let mut limit = cap;
    if let (true, Some(owner)) = (quota > 0, &row.owner) {
        let used = q::storage_used(c, owner, &row.id)?.max(0) as u64;
        let remaining = quota.saturating_sub(used);
        if expected_size.unwrap_or(1) > remaining {
            return Err(quota_full(expected_size.unwrap_or(0), remaining));
        }
        limit = limit.min(remaining);
    }
    if expected_size.is_some_and(|s| s > cap) {
        return Err(too_large());
    }
    Ok(limit)
}

/// glance's `[import_filtering_opts]` checks on a web-download URI.
fn check_uri(uri: &str, filter: &ImportFilter) -> Result<(), Error> {
    let refused = || {
        Error::BadRequest(format!(
            "URI for web-download does not pass filtering: {uri}"
        ))
    };
    let url = reqwest::Url::parse(uri).map_err(|_| refused())?;
    let scheme = url.scheme().to_owned();
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(0);
    let listed = |list: &[String], v: &str| list.iter().any(|x| x == v);
    let scheme_ok = if filter.allowed_schemes.is_empty() {
        !listed(&filter.disallowed_schemes, &scheme)
    } else {
        listed(&filter.allowed_schemes, &scheme)
    };
    let host_ok = if filter.allowed_hosts.is_empty() {
        !listed(&filter.disallowed_hosts, &host)
    } else {
        listed(&filter.allowed_hosts, &host)
    };
    let port_ok = if filter.allowed_ports.is_empty() {
        !filter.disallowed_ports.contains(&port)
    } else {
        filter.allowed_ports.contains(&port)
    };
    if scheme_ok && host_ok && port_ok {
        Ok(())
    } else {
        Err(refused())
    }
}

/// web-download's source: the body of a GET on the URI, streamed.
async fn fetch(uri: &str) -> Result<DataStream, Error> {
    let response = reqwest::get(uri)
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| Error::BadRequest(format!("web-download of {uri} failed: {e}")))?;
    Ok(response
        .bytes_stream()
        .map(|chunk| chunk.map_err(std::io::Error::other))
        .boxed())
}

fn quota_full(size: u64, remaining: u64) -> Error {
    Error::TooLarge(format!(
        "Image exceeds the storage quota: The size of the data {size} will exceed the limit. {remaining} bytes remaining."
    ))
}

fn too_large() -> Error {
    Error::TooLarge("The incoming image is too large: The provided image is too large.".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_against_the_size() {
        let from = |first, last| ByteRange::From { first, last };
        assert_eq!(from(0, Some(9)).resolve(100), Some((0, 10)));
        assert_eq!(from(90, None).resolve(100), Some((90, 10)));
        assert_eq!(from(90, Some(500)).resolve(100), Some((90, 10)));
        assert_eq!(from(100, None).resolve(100), None);
        assert_eq!(from(5, Some(4)).resolve(100), None);
        assert_eq!(ByteRange::Suffix(10).resolve(100), Some((90, 10)));
        assert_eq!(ByteRange::Suffix(500).resolve(100), Some((0, 100)));
        assert_eq!(ByteRange::Suffix(0).resolve(100), None);
    }
}
