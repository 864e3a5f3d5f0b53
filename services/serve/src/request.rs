//! A request's query string checked against what a report takes, and its scope against
//! the trust: a mistake is a 400 that names the parameter and what would be right.

use std::collections::HashMap;

use safelake_query::reports::{Params, Report};
use safelake_schemas::Trust;

use crate::error::{Error, Result};

/// Which schools a request covers: one school, one hub's, or the whole trust.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub school: Option<String>,
    pub hub: Option<String>,
}

impl Scope {
    /// Checks that the school and hub are the trust's, and the school is in the hub.
    pub fn check(&self, trust: &Trust) -> Result<()> {
        if let Some(hub) = &self.hub {
            if !trust.hubs.iter().any(|h| &h.id == hub) {
                let known: Vec<_> = trust.hubs.iter().map(|h| h.id.as_str()).collect();
                return Err(Error::bad_request(format!("hub {hub:?} is not in the trust; hubs: {}", known.join(", "))));
            }
        }
        if let Some(id) = &self.school {
            let Some(school) = trust.school(id) else {
                return Err(Error::bad_request(format!(
                    "school {id:?} is not in the trust; ask for one of the school ids of trust.toml, e.g. {:?}",
                    trust.schools.first().map(|s| s.id.as_str()).unwrap_or("sch01")
                )));
            };
            if let Some(hub) = self.hub.as_ref().filter(|hub| **hub != school.hub) {
                return Err(Error::bad_request(format!("school {id:?} is not in hub {hub:?}")));
            }
        }
        Ok(())
    }

    /// The scope in words, for subtitles: a school's or hub's name, or the trust's.
    pub fn describe(&self, trust: &Trust) -> String {
        if let Some(school) = self.school.as_deref().and_then(|id| trust.school(id)) {
            return school.name.clone();
        }
        if let Some(hub) = self.hub.as_deref().and_then(|id| trust.hubs.iter().find(|h| h.id == id)) {
            return hub.name.clone();
        }
        format!("{}, all schools", trust.trust.name)
    }
}

/// The parameters of `report` from a query string. `also` lists keys the endpoint itself
/// reads (such as `format`); anything else is refused.
pub fn report_params(report: &Report, query: &HashMap<String, String>, also: &[&str], trust: &Trust) -> Result<Params> {
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
    scope.check(trust)?;
    let params =
        Params { from: text("from"), to: text("to"), year: text("year"), school: scope.school, hub: scope.hub, min };
    params.window().map_err(|e| Error::bad_request(format!("{e:#}")))?;
    Ok(params)
}
