//! The lake as DataFusion sees it: the local file system, minus the files a committed
//! compaction replaces.
//!
//! DataFusion lists a table's files on every query, so new files appear without a
//! restart. Listing through this store applies the lake's own rule (see
//! `safelake_lake::Lake::live_files`), so a query that runs while a compaction finishes
//! never counts an event twice.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::execution::object_store::ObjectStoreUrl;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, Result,
};
use safelake_lake::layout::COMPACTED_SUFFIX;

#[derive(Debug)]
pub struct LiveFiles {
    inner: Arc<LocalFileSystem>,
}

impl LiveFiles {
    pub fn new() -> LiveFiles {
        LiveFiles { inner: Arc::new(LocalFileSystem::new()) }
    }

    pub fn url() -> ObjectStoreUrl {
        ObjectStoreUrl::local_filesystem()
    }
}

impl Default for LiveFiles {
    fn default() -> Self {
        LiveFiles::new()
    }
}

impl fmt::Display for LiveFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LiveFiles({})", self.inner)
    }
}

/// Drops the objects that a compaction output in the same directory replaces.
fn hide_replaced(objects: Vec<ObjectMeta>) -> Vec<ObjectMeta> {
    let mut replaced: HashMap<String, HashSet<String>> = HashMap::new();
    for object in objects.iter().filter(|o| o.location.as_ref().ends_with(COMPACTED_SUFFIX)) {
        let local = format!("/{}", object.location);
        let names = safelake_lake::compact::replaced_by(std::path::Path::new(&local)).unwrap_or_default();
        let dir = parent(&object.location);
        replaced.entry(dir).or_default().extend(names);
    }
    if replaced.is_empty() {
        return objects;
    }
    objects
        .into_iter()
        .filter(|o| {
            let name = o.location.filename().unwrap_or_default();
            !replaced.get(&parent(&o.location)).is_some_and(|names| names.contains(name))
        })
        .collect()
}

fn parent(path: &Path) -> String {
    let text = path.as_ref();
    text.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_string())
}

/// Temporaries (`.name.pid.tmp`) never end in `.parquet`, and DataFusion reads only
/// `.parquet` files, so they need no filtering here.
#[async_trait]
impl ObjectStore for LiveFiles {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let listed = self.inner.list(prefix);
        stream::once(async move {
            let objects: Vec<ObjectMeta> = listed.try_collect().await?;
            Ok::<_, object_store::Error>(stream::iter(hide_replaced(objects).into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let mut result = self.inner.list_with_delimiter(prefix).await?;
        result.objects = hide_replaced(result.objects);
        Ok(result)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}
