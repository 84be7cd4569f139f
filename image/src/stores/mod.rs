//! Where image data lives. A store takes the bytes of one upload through a
//! [`StoreWriter`] that only becomes visible on [`StoreWriter::commit`], and
//! serves them back as a stream, whole or a byte range.

pub mod file;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use std::io;

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
