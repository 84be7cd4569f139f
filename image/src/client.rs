//! How other services use images: compute reads image data for its image
//! cache, creates images from servers (snapshots), and lists images and
//! edits their properties for nova's image proxy.
//!
//! [`ImageService`] implements [`ImageClient`] in process (all-in-one). An
//! implementation over the REST API, for split deployments or an upstream
//! glance, is still to be written.

use crate::data::Download;
use crate::error::Error;
use crate::images::Image;
use crate::patch::PatchOp;
use crate::policy::Viewer;
use crate::store::images::ListQuery;
use crate::stores::DataStream;
use crate::ImageService;
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

pub trait ImageClient: Send + Sync {
    fn show<'a>(&'a self, viewer: &'a Viewer, id: &'a str) -> BoxFuture<'a, Result<Image, Error>>;

    /// One page of the images the viewer may see (as `GET /v2/images`),
    /// and whether more follow.
    fn list<'a>(
        &'a self,
        viewer: &'a Viewer,
        query: ListQuery,
        marker: Option<String>,
        limit: usize,
    ) -> BoxFuture<'a, Result<(Vec<Image>, bool), Error>>;

    /// Changes an image's attributes (as `PATCH /v2/images/{id}`).
    fn update<'a>(
        &'a self,
        viewer: &'a Viewer,
        id: &'a str,
        ops: Vec<PatchOp>,
    ) -> BoxFuture<'a, Result<Image, Error>>;

    /// The whole data of an active image, `None` if it has none.
    fn download<'a>(
        &'a self,
        viewer: &'a Viewer,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Download>, Error>>;

    /// A new `queued` image with the given attributes (as in `POST /v2/images`).
    fn create<'a>(
        &'a self,
        viewer: &'a Viewer,
        attributes: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Image, Error>>;

    /// Uploads the data of a `queued` image; `size` when known in advance.
    fn upload<'a>(
        &'a self,
        viewer: &'a Viewer,
        id: &'a str,
        size: Option<u64>,
        data: DataStream,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

impl ImageClient for ImageService {
    fn show<'a>(&'a self, viewer: &'a Viewer, id: &'a str) -> BoxFuture<'a, Result<Image, Error>> {
        Box::pin(self.get_image(viewer, id))
    }

    fn list<'a>(
        &'a self,
        viewer: &'a Viewer,
        query: ListQuery,
        marker: Option<String>,
        limit: usize,
    ) -> BoxFuture<'a, Result<(Vec<Image>, bool), Error>> {
        Box::pin(self.list_images(viewer, query, marker, limit))
    }

    fn update<'a>(
        &'a self,
        viewer: &'a Viewer,
        id: &'a str,
        ops: Vec<PatchOp>,
    ) -> BoxFuture<'a, Result<Image, Error>> {
        Box::pin(self.update_image(viewer, id, ops))
    }

    fn download<'a>(
        &'a self,
        viewer: &'a Viewer,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Download>, Error>> {
        Box::pin(self.download_image(viewer, id, None))
    }

    fn create<'a>(
        &'a self,
        viewer: &'a Viewer,
        attributes: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Image, Error>> {
        Box::pin(self.create_image(viewer, attributes))
    }

    fn upload<'a>(
        &'a self,
        viewer: &'a Viewer,
        id: &'a str,
        size: Option<u64>,
        data: DataStream,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.upload_image(viewer, id, size, None, data))
    }
}
