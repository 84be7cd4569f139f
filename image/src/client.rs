//! How other services use images: compute reads image data for its image
//! cache and creates images from servers (snapshots).
//!
//! [`ImageService`] implements [`ImageClient`] in process (all-in-one). An
//! implementation over the REST API, for split deployments or an upstream
//! glance, is still to be written.

use crate::data::Download;
use crate::error::Error;
use crate::images::Image;
use crate::policy::Viewer;
use crate::stores::DataStream;
use crate::ImageService;
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

pub trait ImageClient: Send + Sync {
    fn show<'a>(&'a self, viewer: &'a Viewer, id: &'a str) -> BoxFuture<'a, Result<Image, Error>>;

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
