//! The filesystem store (`[glance_store] filesystem_store_datadir`): one file
//! per image, written as `<id>.part` and renamed when the upload completes,
//! so a reader never sees a half-written image.

use super::{DataStream, Store, StoreWriter};
use futures_util::StreamExt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

const PART_SUFFIX: &str = ".part";
/// Big enough that a gigabyte is a thousand reads, small enough to stay
/// far below the memory budget of a transfer.
const READ_CHUNK: usize = 1 << 20;
const WRITE_BUFFER: usize = 1 << 20;

pub struct FileStore {
    id: String,
    dir: PathBuf,
}

impl FileStore {
    pub fn open(id: &str, dir: &Path) -> io::Result<FileStore> {
        fs::create_dir_all(dir)?;
        Ok(FileStore {
            id: id.to_owned(),
            dir: dir.to_owned(),
        })
    }

    fn final_path(&self, image_id: &str) -> PathBuf {
        self.dir.join(image_id)
    }

    /// The path of a `file://` location, if it lies in this store.
    fn path_of(&self, location: &str) -> io::Result<PathBuf> {
        let path = location
            .strip_prefix("file://")
            .map(PathBuf::from)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file location"))?;
        if path.parent() != Some(self.dir.as_path()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "location outside the store",
            ));
        }
        Ok(path)
    }
}

fn is_valid_image_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Store for FileStore {
    fn id(&self) -> &str {
        &self.id
    }

    fn begin(&self, image_id: &str) -> io::Result<Box<dyn StoreWriter>> {
        if !is_valid_image_id(image_id) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad image id"));
        }
        let final_path = self.final_path(image_id);
        let part = self.dir.join(format!("{image_id}{PART_SUFFIX}"));
        let file = File::create(&part)?;
        Ok(Box::new(FileWriter {
            out: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            part,
            final_path,
        }))
    }

    fn read(&self, location: &str, offset: u64, len: u64) -> io::Result<DataStream> {
        let path = self.path_of(location)?;
        let stream = futures_util::stream::once(async move {
            let mut file = tokio::fs::File::open(path).await?;
            file.seek(io::SeekFrom::Start(offset)).await?;
            Ok::<_, io::Error>(ReaderStream::with_capacity(file.take(len), READ_CHUNK))
        });
        Ok(stream
            .map(|opened| match opened {
                Ok(reader) => reader.boxed(),
                Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
            })
            .flatten()
            .boxed())
    }

    fn delete(&self, location: &str) -> io::Result<()> {
        match fs::remove_file(self.path_of(location)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn clean_partial(&self) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            let is_part = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(PART_SUFFIX));
            if is_part {
                fs::remove_file(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

struct FileWriter {
    out: Option<BufWriter<File>>,
    part: PathBuf,
    final_path: PathBuf,
}

impl StoreWriter for FileWriter {
    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        match &mut self.out {
            Some(out) => out.write_all(chunk),
            None => Err(io::Error::other("writer already closed")),
        }
    }

    fn commit(mut self: Box<Self>) -> io::Result<String> {
        let out = self
            .out
            .take()
            .ok_or_else(|| io::Error::other("writer already closed"))?;
        out.into_inner().map_err(|e| e.into_error())?;
        fs::rename(&self.part, &self.final_path)?;
        Ok(format!("file://{}", self.final_path.display()))
    }
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            if let Err(e) = fs::remove_file(&self.part) {
                tracing::warn!("cannot remove {}: {e}", self.part.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (FileStore, PathBuf) {
        let dir = std::env::temp_dir().join(format!("ferrostack-store-{}", uuid::Uuid::new_v4()));
        (FileStore::open("file", &dir).unwrap(), dir)
    }

    async fn collect(s: DataStream) -> Vec<u8> {
        let parts: Vec<_> = s.collect().await;
        parts
            .into_iter()
            .flat_map(|p| p.unwrap().to_vec())
            .collect()
    }

    #[tokio::test]
    async fn committed_data_reads_back_whole_and_in_ranges() {
        let (store, dir) = store();
        let mut w = store.begin("abc").unwrap();
        w.write(b"hello ").unwrap();
        w.write(b"world").unwrap();
        let loc = w.commit().unwrap();
        assert_eq!(
            collect(store.read(&loc, 0, 11).unwrap()).await,
            b"hello world"
        );
        assert_eq!(collect(store.read(&loc, 6, 3).unwrap()).await, b"wor");
        store.delete(&loc).unwrap();
        store.delete(&loc).unwrap();
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn dropped_writer_leaves_nothing() {
        let (store, dir) = store();
        let mut w = store.begin("abc").unwrap();
        w.write(b"partial").unwrap();
        drop(w);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn refuses_paths_outside_the_store() {
        let (store, dir) = store();
        assert!(store.read("file:///etc/passwd", 0, 1).is_err());
        assert!(store.begin("../x").is_err());
        fs::remove_dir_all(dir).unwrap();
    }
}
