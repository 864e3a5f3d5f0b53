//! DataFusion over the lake: the library the query service, the SQL console and the
//! PostgreSQL wire endpoint share, in the manner of ROAPI (a thin server over a query
//! library).
//!
//! [`Engine::open`] registers the lake's Delta tables and the event-sourced projections
//! ([`catalog`]). Each query reads every table at one version, chosen as it starts
//! ([`snapshots`], [`Engine::query`]), so new commits appear without a restart and a
//! query never sees half of one; [`Engine::query_at`] reads it as it stood at a moment.
//! [`rollups::check`] holds the rollups that reports read
//! to their SQL definitions.

pub mod adhoc;
pub mod cached;
pub mod catalog;
pub mod reports;
pub mod rollups;
pub mod snapshots;
pub mod suppress;
pub mod table;

use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use safelake_lake::{Lake, LakeUrl};
use safelake_period::AsAt;
use safelake_schemas::Trust;

use crate::cached::FileCache;
use crate::snapshots::{QuerySnapshot, Snapshots};

pub struct Engine {
    ctx: SessionContext,
    snapshots: Arc<Snapshots>,
    trust: Trust,
    cache: Arc<FileCache>,
}

/// What the small tables may hold in memory by default ([`cached`]).
pub const CACHE_BYTES: usize = 256 << 20;

impl Engine {
    pub async fn open(lake: &Lake, trust: &Trust) -> Result<Engine> {
        Engine::open_with(&Snapshots::open(lake).await?, trust, None, FileCache::new(CACHE_BYTES)).await
    }

    /// An engine whose queries together may hold at most `memory` bytes (a query that
    /// needs more fails with "Resources exhausted"), reading the lake's versions through
    /// `snapshots` and the small tables through `cache` (which engines of one service
    /// share).
    pub async fn open_with(
        snapshots: &Arc<Snapshots>,
        trust: &Trust,
        memory: Option<usize>,
        cache: Arc<FileCache>,
    ) -> Result<Engine> {
        // DATAFUSION_* variables tune the engine (e.g. DATAFUSION_EXECUTION_TARGET_PARTITIONS).
        let config = SessionConfig::from_env().context("reading DATAFUSION_* settings")?.with_information_schema(true);
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(bytes) = memory {
            runtime = runtime.with_memory_limit(bytes, 1.0);
        }
        let runtime = runtime.build_arc()?;
        let lake = snapshots.lake();
        if let LakeUrl::Store(_) = lake.url() {
            runtime.register_object_store(&lake.url().store_url(), lake.object_store());
        }
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        catalog::register(&ctx, snapshots, trust, &cache, None).await?;
        Ok(Engine { ctx, snapshots: Arc::clone(snapshots), trust: trust.clone(), cache })
    }

    /// The versions the engine's queries read.
    pub fn snapshots(&self) -> &Arc<Snapshots> {
        &self.snapshots
    }

    /// The engine's own context: its catalogue, for what does not read the lake.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// A context for one query: it reads every table at one version, chosen as it first
    /// touches each (see [`snapshots`]).
    pub fn query(&self) -> SessionContext {
        let mut state = self.ctx.state();
        state.config_mut().set_extension(Arc::new(QuerySnapshot::new(Arc::clone(&self.snapshots))));
        SessionContext::new_with_state(state)
    }

    /// A context for one query of the lake as it stood at `as_at` (as [`Engine::query`]
    /// when `None`): a catalogue of its own, whose tables hold the rows ingested by then
    /// and whose rollups are their definitions over those, on the engine's memory pool.
    pub async fn query_at(&self, as_at: Option<AsAt>) -> Result<SessionContext> {
        let Some(at) = as_at else { return Ok(self.query()) };
        // A new context, not a copy of the engine's state: that would share its catalogue.
        let config = self.ctx.copied_config().with_extension(Arc::new(QuerySnapshot::new(Arc::clone(&self.snapshots))));
        let ctx = SessionContext::new_with_config_rt(config, self.ctx.runtime_env());
        catalog::register(&ctx, &self.snapshots, &self.trust, &self.cache, Some(at)).await?;
        Ok(ctx)
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
        let frame = self.query().sql(sql).await.context("planning the query")?;
        frame.collect().await.context("running the query")
    }
}
