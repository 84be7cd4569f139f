//! Image data: streaming upload with md5 and sha512 computed in the same
//! pass as the bytes reach the store, and streaming download, whole or a
//! byte range.
//!
//! An upload moves the image `queued` → `saving` → `active` with guarded
//! status transitions; any failure (client gone, size cap, quota, size
//! mismatch, store error) drops the partial data and puts the image back to
//! `queued`, so nothing half-written remains.

use crate::error::Error;
use crate::images::load_visible;
use crate::policy::{refusal, Viewer};
use crate::store::images as q;
use crate::stores::{DataStream, StoreWriter};
use crate::ImageService;
use bytes::Bytes;
use compat_api::time::now_us;
use futures_util::{Stream, StreamExt};
use md5::{Digest, Md5};
use std::fmt::Display;

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

/// Hashes and writes every chunk; runs on a blocking thread.
fn write_and_hash(
    mut writer: Box<dyn StoreWriter>,
    mut rx: tokio::sync::mpsc::Receiver<Bytes>,
) -> std::io::Result<Written> {
    let mut md5 = Md5::new();
    let mut sha512 = ring::digest::Context::new(&ring::digest::SHA512);
    let mut size = 0u64;
    while let Some(chunk) = rx.blocking_recv() {
        md5.update(&chunk);
        sha512.update(&chunk);
        writer.write(&chunk)?;
        size += chunk.len() as u64;
    }
    Ok(Written {
        writer,
        size,
        md5: hex(&md5.finalize()),
        sha512: hex(sha512.finish().as_ref()),
    })
}

impl ImageService {
    /// `PUT /v2/images/{id}/file`. `expected_size` is the client's
    /// `X-OpenStack-Image-Size`, when it sent one.
    pub async fn upload_image<S, E>(
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
        let limit = self.begin_upload(viewer, id, expected_size).await?;
        let outcome = self.receive(id, limit, expected_size, body).await;
        let result = match outcome {
            Ok(written) => self.finish_upload(id, written).await,
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            tracing::info!("upload of image {id} failed: {e}");
            let id = id.to_owned();
            let reset = self
                .db
                .write(move |c| q::transition(c, &id, "saving", "queued", now_us()))
                .await;
            if let Err(reset_err) = reset {
                tracing::error!("cannot put image back to queued: {reset_err}");
            }
        }
        result
    }

    /// Checks the caller and the image, and moves it to `saving`; returns
    /// the most bytes the upload may bring.
    async fn begin_upload(
        &self,
        viewer: &Viewer,
        id: &str,
        expected_size: Option<u64>,
    ) -> Result<u64, Error> {
        let (viewer, id) = (viewer.clone(), id.to_owned());
        let cap = self.conf.image_size_cap;
        let quota = self.conf.user_storage_quota;
        self.db
            .write(move |c| {
                let image = load_visible(c, &viewer, &id)?;
                if !viewer.can_modify(&image.row) {
                    return Err(Error::Forbidden(refusal("upload_image")));
                }
                if image.row.status != "queued" {
                    return Err(Error::Conflict(format!(
                        "Image status transition from {} to saving is not allowed",
                        image.row.status
                    )));
                }
                if image.row.disk_format.is_none() || image.row.container_format.is_none() {
                    return Err(Error::BadRequest(
                        "Properties disk_format, container_format must be set prior to saving data."
                            .into(),
                    ));
                }
                let mut limit = cap;
                if let (true, Some(owner)) = (quota > 0, &image.row.owner) {
                    let used = q::storage_used(c, owner, &id)?.max(0) as u64;
                    let remaining = quota.saturating_sub(used);
                    if expected_size.unwrap_or(1) > remaining {
                        return Err(quota_full(expected_size.unwrap_or(0), remaining));
                    }
                    limit = limit.min(remaining);
                }
                if expected_size.is_some_and(|s| s > cap) {
                    return Err(too_large());
                }
                if !q::transition(c, &id, "queued", "saving", now_us())? {
                    return Err(Error::Conflict(
                        "Image status transition from queued to saving is not allowed".into(),
                    ));
                }
                Ok(limit)
            })
            .await
    }

    /// Streams the body to the store through the hashing thread.
    async fn receive<S, E>(
        &self,
        id: &str,
        limit: u64,
        expected_size: Option<u64>,
        mut body: S,
    ) -> Result<Written, Error>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: Display,
    {
        let writer = self.store.begin(id)?;
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
        let written = worker
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
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

    /// Makes the data visible and the image `active`, if it is still `saving`.
    async fn finish_upload(&self, id: &str, written: Written) -> Result<(), Error> {
        let Written {
            writer,
            size,
            md5,
            sha512,
        } = written;
        let location = tokio::task::spawn_blocking(move || writer.commit())
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
        let image_id = id.to_owned();
        let (id, store_id) = (id.to_owned(), self.store.id().to_owned());
        let saved_location = location.clone();
        let finished = self
            .db
            .write(move |c| {
                let Some(mut row) = q::get(c, &id)? else {
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
                q::finish_upload(c, &row)
            })
            .await;
        match finished {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.remove_data(&location);
                Err(Error::Gone(format!(
                    "Image {image_id} could not be found after upload. The image may have been deleted during the upload, cleaning up the chunks uploaded."
                )))
            }
            Err(e) => {
                self.remove_data(&location);
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
        let (Some(location), Some(size)) = (&image.row.location, image.row.size) else {
            return Ok(None);
        };
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
            stream: self.store.read(location, offset, len)?,
            size,
            range,
            checksum: image.row.checksum.clone(),
        }))
    }
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
