//! A request's query string checked against what a report takes, and its scope against
//! the trust and the caller: a mistake is a 400 that names the parameter and what would
//! be right; asking for more than the caller may see is a 403 that says what it may.

use std::collections::HashMap;

use chrono::Datelike;

use safelake_access::{Principal, Scope};
use safelake_query::reports::{Params, Report};
use safelake_schemas::Trust;

use crate::error::{Error, Result};

/// The parameters of `report` from a query string, in the scope `who` may see. `also`
/// lists keys the endpoint itself reads (such as `format`); anything else is refused.
pub fn report_params(
    report: &Report,
    query: &HashMap<String, String>,
    also: &[&str],
    trust: &Trust,
    who: &Principal,
) -> Result<Params> {
    if report.pupil_level() {
        who.may_see_pupil_rows(&format!("report {}", report.name))?;
    }
    for key in query.keys() {
        if !report.takes(key) && !also.contains(&key.as_str()) {
            let mut takes: Vec<&str> = report.params();
            if takes.contains(&"from") {
                takes.push("year");
            }
            takes.extend(also);
            return Err(Error::bad_request(format!(
                "report {} does not take {key:?}; it takes: {}",
                report.name,
                takes.join(", ")
            )));
        }
    }
    let text = |key: &str| query.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let min = match text("min") {
        None => None,
        Some(min) => Some(
            min.parse::<i64>()
                .ok()
                .filter(|m| *m >= 1)
                .ok_or_else(|| Error::bad_request(format!("min must be a whole number of at least 1, not {min:?}")))?,
        ),
    };
    let scope = Scope { school: text("school"), hub: text("hub") };
    scope.check(trust).map_err(Error::bad_request)?;
    let scope = who.scope(&scope, trust)?;
    let params =
        Params { from: text("from"), to: text("to"), year: text("year"), school: scope.school, hub: scope.hub, min };
    let (from, to) = params.window().map_err(|e| Error::bad_request(format!("{e:#}")))?;
    if who.role.suppressed() {
        // Two answers that differ by a day, or by one step of `min`, would give back by
        // subtraction a figure each of them withholds.
        if params.min.is_some() {
            return Err(Error::bad_request(format!(
                "{} figures use the policy's own threshold (3 or more incidents): leave out min",
                who.role
            )));
        }
        if from.day() != 1 || to.day() != 1 {
            return Err(Error::bad_request(format!(
                "{} figures cover whole months: from and to must each be the 1st of a month (to is the first day \
                 after the window, as in from=2025-09-01&to=2026-01-01), or give year=2025-26",
                who.role
            )));
        }
    }
    Ok(params)
}

/// The scope a report was run in, from its bound parameters.
pub fn scope_of(params: &Params) -> Scope {
    Scope { school: params.school.clone(), hub: params.hub.clone() }
}
