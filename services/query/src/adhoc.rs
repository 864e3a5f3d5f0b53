//! The director's own SQL, kept from harming anyone else's: read-only (DDL, DML, COPY and
//! SET are refused before anything runs), and bounded by a memory pool of its own, a time
//! limit and a row limit, each ending the query with a message that says which limit it
//! met and what to do. Queries run on a runtime of their own, so a runaway one (a cross
//! join of the largest tables) uses only its threads while the reports and pages go on;
//! when it is stopped, or its caller goes away (a client that hangs up, psql's Ctrl-C),
//! the task is aborted, and dropping its stream cancels every task it started.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionContext};
use safelake_period::AsAt;
use safelake_schemas::Trust;

use crate::cached::FileCache;
use crate::snapshots::Snapshots;
use crate::Engine;

/// The bounds on one query.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Memory all ad-hoc queries together may hold for joins, sorts and aggregations.
    pub memory_bytes: usize,
    pub time: Duration,
    pub rows: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { memory_bytes: 512 << 20, time: Duration::from_secs(60), rows: 100_000 }
    }
}

/// Why a query gave no result: the caller's to fix (a 400, or a refusal), never a crash.
/// Each door's status follows the kind; the message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Not a read-only query.
    #[error("{0}")]
    Refused(String),
    /// Bad SQL: a syntax error, an unknown table or column.
    #[error("{0}")]
    Invalid(String),
    /// A limit stopped it.
    #[error("{1}")]
    Limit(Limit, String),
}

/// Which limit stopped a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Memory,
    Time,
    Rows,
}

/// A query's answer.
pub struct Answer {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub rows: usize,
}

pub struct AdHoc {
    engine: Engine,
    limits: Limits,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for AdHoc {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which an async caller may not do: let it go.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl AdHoc {
    /// The lake's tables in an engine of their own, with its own memory pool; the small
    /// tables come through `cache`, shared with the service's other engine.
    pub async fn open(
        snapshots: &Arc<Snapshots>,
        trust: &Trust,
        limits: Limits,
        cache: Arc<FileCache>,
    ) -> Result<AdHoc> {
        let engine = Engine::open_with(snapshots, trust, Some(limits.memory_bytes), cache).await?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("safelake-sql")
            .enable_all()
            .build()
            .context("starting the runtime for ad-hoc SQL")?;
        Ok(AdHoc { engine, limits, runtime: Some(runtime) })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn context(&self) -> &SessionContext {
        self.engine.context()
    }

    fn read_only() -> SQLOptions {
        SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
    }

    /// Plans `sql`, refusing anything but a query.
    pub async fn plan(&self, sql: &str) -> Result<DataFrame, Failure> {
        self.plan_at(sql, None).await
    }

    /// Plans `sql` over the lake as it stood at `as_at` (now, when None): the rows ingested
    /// by then, as every report can be read.
    async fn plan_at(&self, sql: &str, as_at: Option<AsAt>) -> Result<DataFrame, Failure> {
        let statements = datafusion::sql::parser::DFParser::parse_sql(sql)
            .map_err(|e| Failure::Invalid(format!("the SQL does not parse: {e}")))?;
        if statements.len() != 1 {
            return Err(Failure::Invalid(format!("send one statement at a time, not {}", statements.len())));
        }
        let ctx =
            self.engine.query_at(as_at).await.map_err(|e| Failure::Invalid(format!("reading the lake: {e:#}")))?;
        ctx.sql_with_options(sql, Self::read_only()).await.map_err(refusal_or_invalid)
    }

    /// Runs a plan made elsewhere (the PostgreSQL wire plans its own statements, with
    /// their parameters bound) within the same rules and limits as [`AdHoc::run`].
    pub async fn run_plan(&self, plan: LogicalPlan) -> Result<Answer, Failure> {
        // Checked before anything runs: executing a DDL plan would apply it at once.
        Self::read_only().verify_plan(&plan).map_err(refusal_or_invalid)?;
        let frame = self.engine.query().execute_logical_plan(plan).await.map_err(refusal_or_invalid)?;
        self.execute(frame).await
    }

    /// Runs `sql` within the limits.
    pub async fn run(&self, sql: &str) -> Result<Answer, Failure> {
        self.run_at(sql, None).await
    }

    /// Runs `sql` within the limits over the lake as it stood at `as_at`.
    pub async fn run_at(&self, sql: &str, as_at: Option<AsAt>) -> Result<Answer, Failure> {
        let frame = self.plan_at(sql, as_at).await?;
        self.execute(frame).await
    }

    async fn execute(&self, frame: DataFrame) -> Result<Answer, Failure> {
        let limits = self.limits;
        // One row more than allowed tells that there were more, without reading them all.
        let frame = frame.limit(0, Some(limits.rows + 1)).map_err(|e| Failure::Invalid(e.to_string()))?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let runtime = self.runtime.as_ref().expect("present until dropped");
        // Aborted when this future is dropped too: a caller that went away leaves no query
        // running beyond its time limit.
        let mut task = AbortOnDrop(runtime.spawn(async move { frame.collect().await }));
        let batches = match tokio::time::timeout(limits.time, &mut task.0).await {
            Ok(Ok(Ok(batches))) => batches,
            Ok(Ok(Err(e))) => {
                let text = e.to_string();
                // Matched by kind, wherever in the chain the memory pool refused: the
                // text of an error is for people and may change with any release.
                return Err(if matches!(e.find_root(), DataFusionError::ResourcesExhausted(_)) {
                    Failure::Limit(
                        Limit::Memory,
                        format!(
                        "the query needed more than the {} MiB of memory ad-hoc SQL may use, and was stopped; filter \
                         it (a window, a school), aggregate it, or avoid joining large tables without a key ({text})",
                        limits.memory_bytes >> 20
                    ),
                    )
                } else {
                    Failure::Invalid(text)
                });
            }
            Ok(Err(e)) => return Err(Failure::Invalid(format!("the query failed: {e}"))),
            Err(_) => {
                task.0.abort();
                return Err(Failure::Limit(
                    Limit::Time,
                    format!(
                    "the query ran for more than {} s and was stopped; filter it (a window, a school) or aggregate it",
                    limits.time.as_secs()
                ),
                ));
            }
        };
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if rows > limits.rows {
            return Err(Failure::Limit(
                Limit::Rows,
                format!("the result has more than {} rows; aggregate it, filter it or add a LIMIT", limits.rows),
            ));
        }
        Ok(Answer { schema, batches, rows })
    }
}

/// A task that ends with its handle.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A planning error: a refusal when the plan writes or changes a setting, otherwise the
/// SQL's own mistake.
fn refusal_or_invalid(error: DataFusionError) -> Failure {
    let text = error.to_string();
    if text.contains("not supported") && ["DDL", "DML", "Statement"].iter().any(|k| text.contains(k)) {
        Failure::Refused(format!(
            "SQL here is read-only: SELECT, WITH, SHOW and EXPLAIN run; CREATE, INSERT, COPY, SET and the like do not ({text})"
        ))
    } else {
        Failure::Invalid(text)
    }
}
