//! The lake as DataFusion sees it: the local file system, minus the files a committed
//! compaction replaces.
//!
//! DataFusion lists a table's files on every query, so new files appear without a
//! restart. Listing through this store applies the lake's own rule (see
//! `safelake_lake::Lake::live_files`), so a query that runs while a compaction finishes
//! never counts an event twice, and a rollup shows exactly the events its raw table does.

use std::collections::hash_map::Entry;
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

/// Keeps the objects that the lake's own rule says are live, directory by directory:
/// not replaced by a committed compaction, and, for a rollup, with a live raw twin. A
/// directory that cannot be read fails the query rather than silently losing its rows.
fn live_only(objects: Vec<ObjectMeta>) -> Result<Vec<ObjectMeta>> {
    let mut live: HashMap<String, HashSet<String>> = HashMap::new();
    for object in &objects {
        if let Entry::Vacant(entry) = live.entry(parent(&object.location)) {
            let dir = format!("/{}", entry.key());
            let files = safelake_lake::Lake::live_files(std::path::Path::new(&dir))
                .map_err(|e| object_store::Error::Generic { store: "LiveFiles", source: e.into() })?;
            entry.insert(files.iter().filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned())).collect());
        }
    }
    Ok(objects
        .into_iter()
        .filter(|o| live[&parent(&o.location)].contains(o.location.filename().unwrap_or_default()))
        .collect())
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
            Ok::<_, object_store::Error>(stream::iter(live_only(objects)?.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let mut result = self.inner.list_with_delimiter(prefix).await?;
        result.objects = live_only(result.objects)?;
        Ok(result)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}
