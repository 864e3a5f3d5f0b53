//! A report run for a caller: planned with the parameters already held to the caller's
//! scope and role (an [`Asked`], which only the one parser makes), then, for the roles
//! reports.md names, with small numbers withheld. The API, the charts and the pages all
//! get their figures here, so no output can skip the rule.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use safelake_access::Principal;
use safelake_query::reports::{self, Params, Report};
use safelake_query::suppress::{self, Masked};

use crate::error::{Error, Result};
use crate::request::Asked;
use crate::state::AppState;

pub async fn run(state: &AppState, who: &Principal, report: &Report, asked: &Asked) -> Result<Masked> {
    may_read(who, report, asked)?;
    if !who.role.suppressed() {
        let (schema, batches) = collect(state, report, asked.params()).await?;
        return Masked::open(schema, &batches).map_err(Error::internal);
    }
    // Cells are withheld over the caller's whole scope, then the asked school's rows kept:
    // a school's figures are the very cells of the hub's answer, withheld the same way, so
    // the complements across a hub's schools hold against its totals whichever school is
    // asked for, and no answer for one school can be set against another's.
    let has_schools = state.columns[report.name].iter().any(|f| f.name() == "school_id");
    let school = asked.params().school.clone().filter(|_| has_schools);
    let params = Params { school: asked.params().school.clone().filter(|_| !has_schools), ..asked.params().clone() };
    let (schema, batches) = collect(state, report, &params).await?;
    let masked = suppress::suppress(report, schema, &batches, state.threshold).map_err(Error::internal)?;
    match school {
        Some(school) => masked.of_school(&school).map_err(Error::internal),
        None => Ok(masked),
    }
}

async fn collect(state: &AppState, report: &Report, params: &Params) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let ctx = state.engine.query_at(params.as_at).await.map_err(Error::internal)?;
    let frame = reports::plan(&ctx, report.name, params).await.map_err(Error::internal)?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await.map_err(|e| Error::internal(e.into()))?;
    Ok((schema, batches))
}

/// Whether `who` may read `report` as asked: a role that sees no single pupils never gets
/// a report of them, a governance role never one finer than its figures are withheld at,
/// and a caller held to one school never a report that cannot be narrowed to it.
fn may_read(who: &Principal, report: &Report, asked: &Asked) -> Result<()> {
    if report.pupil_level() {
        who.may_see_pupil_rows(&format!("report {}", report.name))?;
    }
    if let Some(instead) = report.governance_reads().filter(|_| who.role.suppressed()) {
        return Err(Error::forbidden(format!(
            "report {} breaks figures down finer than the {} role sees them (a hub's figures set against its \
             schools' would give back small ones); read {} instead",
            report.name,
            who.role,
            instead.join(" or ")
        )));
    }
    if asked.params().school.is_some() && !report.params().contains(&"school") {
        return Err(Error::forbidden(format!(
            "report {} covers a hub or the trust, not one school: a caller held to one school cannot read it",
            report.name
        )));
    }
    Ok(())
}
