//! DataFusion over the lake: the library the query service, the SQL console and the
//! PostgreSQL wire endpoint share, in the manner of ROAPI (a thin server over a query
//! library).
//!
//! [`Engine::open`] registers the lake's tables and the event-sourced projections
//! ([`catalog`]), reading through a store that hides files a compaction replaced
//! ([`store`]). Tables are listed on every query, so new files appear without a restart.
//! [`rollups::check`] holds the rollups that reports read to their SQL definitions.

pub mod adhoc;
pub mod cached;
pub mod catalog;
pub mod reports;
pub mod rollups;
pub mod store;
pub mod suppress;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use safelake_schemas::Trust;

use crate::cached::FileCache;

pub struct Engine {
    ctx: SessionContext,
}

/// What the small tables may hold in memory by default ([`cached`]).
pub const CACHE_BYTES: usize = 256 << 20;

impl Engine {
    pub async fn open(lake: &Path, trust: &Trust) -> Result<Engine> {
        Engine::open_with(lake, trust, None, FileCache::new(CACHE_BYTES)).await
    }

    /// An engine whose queries together may hold at most `memory` bytes (a query that
    /// needs more fails with "Resources exhausted"), reading the small tables through
    /// `cache` (which engines of one service share).
    pub async fn open_with(lake: &Path, trust: &Trust, memory: Option<usize>, cache: Arc<FileCache>) -> Result<Engine> {
        // DATAFUSION_* variables tune the engine (e.g. DATAFUSION_EXECUTION_TARGET_PARTITIONS).
        let config = SessionConfig::from_env().context("reading DATAFUSION_* settings")?.with_information_schema(true);
        // DataFusion caches a table's file listing for the session's life by default:
        // files the ingest commits later would never be read. The lake is listed afresh
        // on every query instead (one directory walk; footers stay cached).
        let caches = CacheManagerConfig::default().with_list_files_cache_limit(0);
        let mut runtime = RuntimeEnvBuilder::new().with_cache_manager(caches);
        if let Some(bytes) = memory {
            runtime = runtime.with_memory_limit(bytes, 1.0);
        }
        let runtime = runtime.build_arc()?;
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        catalog::register(&ctx, lake, trust, &cache).await?;
        Ok(Engine { ctx })
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Reads the small tables into the cache, so that the first page after a start is as
    /// quick as the next.
    pub async fn warm(&self) -> Result<()> {
        for table in catalog::CACHED {
            self.sql(&format!("SELECT count(*) FROM {table}")).await?;
        }
        Ok(())
    }

    /// Runs one SQL statement and collects its result.
    pub async fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let frame = self.ctx.sql(sql).await.context("planning the query")?;
        frame.collect().await.context("running the query")
    }
}
