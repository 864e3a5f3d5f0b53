//! Holds each rollup to its definition: the rollup's files (derived in Rust, file by file,
//! as the ingest commits) against its SQL over the raw events (`queries/rollups/`), two
//! independent paths to the same table. Used by `safelake rollups check` and the tests.

use anyhow::{Context, Result};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::prelude::{cast, col, DataFrame, SessionContext};
use safelake_lake::rollup::ROLLUPS;

use crate::catalog::ROLLUP_DEFINITIONS;

/// How a rollup compares with its definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub rollup: &'static str,
    /// Rows the definition gives (for a counting rollup, one per key, counts summed over
    /// the rollup's files).
    pub rows: usize,
    /// Rows of the definition that the rollup lacks or counts differently.
    pub missing: usize,
    /// Rows of the rollup that the definition does not give.
    pub extra: usize,
}

impl Comparison {
    pub fn agrees(&self) -> bool {
        self.missing == 0 && self.extra == 0
    }
}

/// Compares every rollup with its definition over the same lake.
pub async fn check(ctx: &SessionContext) -> Result<Vec<Comparison>> {
    let mut comparisons = Vec::new();
    for definition in ROLLUP_DEFINITIONS {
        let name = definition.rollup;
        let rollup = ROLLUPS.iter().find(|r| r.table == name).context("a definition names a rollup")?;
        let schema = (rollup.schema)();
        let defined = ctx.sql(definition.sql).await.with_context(|| format!("planning queries/rollups/{name}.sql"))?;
        let derived = ctx.table(definition.read_as).await?;
        // A key may sit in several files (a late batch), so counts are summed per key.
        let derived = match rollup.measure {
            Some(measure) => {
                let keys = ["school_id", "month"]
                    .into_iter()
                    .chain(schema.fields().iter().map(|f| f.name().as_str()).filter(|n| *n != measure))
                    .map(col)
                    .collect();
                derived.aggregate(keys, vec![sum(col(measure)).alias(measure)])?
            }
            None => derived,
        };
        let (derived, defined) = (aligned(derived, &schema)?, aligned(defined, &schema)?);
        comparisons.push(Comparison {
            rollup: rollup.table,
            rows: defined.clone().count().await?,
            missing: defined.clone().except(derived.clone())?.count().await?,
            extra: derived.except(defined)?.count().await?,
        });
    }
    Ok(comparisons)
}

/// The same columns in the same order and types (partition columns as text), so that
/// EXCEPT compares like with like.
fn aligned(frame: DataFrame, schema: &Schema) -> Result<DataFrame> {
    let partition = ["school_id", "month"].map(|name| Field::new(name, DataType::Utf8, false));
    let exprs = partition
        .iter()
        .chain(schema.fields().iter().map(|f| f.as_ref()))
        .map(|f| cast(col(f.name()), f.data_type().clone()).alias(f.name()))
        .collect::<Vec<_>>();
    Ok(frame.select(exprs)?)
}
