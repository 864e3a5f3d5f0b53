//! A report run for a caller: planned with the parameters already held to the caller's
//! scope, then, for the roles reports.md names, with small numbers withheld. The API,
//! the charts and the pages all get their figures here, so no output can skip the rule.

use std::sync::Arc;

use safelake_access::Principal;
use safelake_query::reports::{self, Params, Report};
use safelake_query::suppress::{self, Masked};

use crate::error::{Error, Result};
use crate::state::AppState;

pub async fn run(state: &AppState, who: &Principal, report: &Report, params: &Params) -> Result<Masked> {
    let frame = reports::plan(state.engine.context(), report.name, params).await.map_err(Error::internal)?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await.map_err(|e| Error::internal(e.into()))?;
    let result = if who.role.suppressed() {
        suppress::suppress(report, schema, &batches, state.threshold)
    } else {
        Masked::open(schema, &batches)
    };
    result.map_err(Error::internal)
}
