//! Every query string, through whichever door it came (a report as JSON, CSV or Parquet, a
//! chart, a dashboard and its download links), parsed once into an [`Asked`]: the window
//! and scope typed, checked against the trust and the caller, and held to the caller's
//! role. Reports run only from an `Asked` (see [`crate::results::run`]), so no door can
//! skip a rule: a mistake is a 400 that names the parameter and what would be right;
//! asking for more than the caller may see is a 403 that says what it may.

use std::str::FromStr;

use safelake_access::{Principal, Scope};
use safelake_period::{AcademicYear, AsAt, Bound, Term, Window};
use safelake_query::reports::{Params, Report};
use safelake_schemas::{HubId, SchoolId, Trust};

use crate::encode::Format;
use crate::error::{Error, Result};

/// The door a query string came through: it decides which keys the string may hold.
#[derive(Clone, Copy)]
pub enum Door<'a> {
    /// `/api/reports/{name}`: the report's keys and `format`.
    Api(&'a Report),
    /// `/charts/{name}.svg|png`: the chart's report's keys.
    Chart(&'a Report),
    /// A dashboard, whose path may already name its school or hub: a period, and a
    /// school where the page is not one school's. With no query string at all, it shows
    /// `default` (the latest year with data).
    Dashboard { scope: &'a Scope, default: AcademicYear },
}

impl Door<'_> {
    fn keys(&self) -> Vec<&'static str> {
        match self {
            Door::Api(report) => {
                let mut keys = report.keys();
                keys.push("format");
                keys
            }
            Door::Chart(report) => report.keys(),
            Door::Dashboard { scope, .. } if scope.school.is_some() => vec!["year", "term", "from", "to", "as_at"],
            Door::Dashboard { .. } => vec!["year", "term", "from", "to", "school", "as_at"],
        }
    }

    fn what(&self) -> String {
        match self {
            Door::Api(report) | Door::Chart(report) => format!("report {}", report.name),
            Door::Dashboard { .. } => "a dashboard".to_string(),
        }
    }
}

/// What a caller asked for, checked: only [`ask`] makes one.
#[derive(Debug, Clone)]
pub struct Asked {
    params: Params,
    format: Format,
}

impl Asked {
    /// The parameters a report runs with.
    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn window(&self) -> Window {
        self.params.window
    }

    /// The scope the caller was held to.
    pub fn scope(&self) -> Scope {
        Scope { school: self.params.school.clone(), hub: self.params.hub.clone() }
    }

    /// The format an API answer is written in (JSON unless asked).
    pub fn format(&self) -> Format {
        self.format
    }

    /// The same request a year earlier, for pages that compare: the year before, the
    /// same term of it, or the same months (so still whole months).
    pub fn year_before(&self) -> Option<Asked> {
        let window = self.params.window.year_before()?;
        Some(Asked { params: Params { window, ..self.params.clone() }, format: self.format })
    }

    /// The same request over the whole hub (or trust) of its school, for a page's items
    /// that cover no single school; none when the caller is held to one school.
    pub fn without_school(&self, who: &Principal, trust: &Trust) -> Option<Asked> {
        let scope = who.scope(&Scope { school: None, hub: self.params.hub.clone() }, trust).ok()?;
        scope.school.is_none().then(|| Asked {
            params: Params { school: None, hub: scope.hub, ..self.params.clone() },
            format: self.format,
        })
    }

    /// The query string that asks for it again, for a page's download links.
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = self.params.window.query();
        pairs.extend(self.params.school.as_ref().map(|s| ("school", s.to_string())));
        pairs.extend(self.params.hub.as_ref().map(|h| ("hub", h.to_string())));
        pairs.extend(self.params.min.map(|m| ("min", m.to_string())));
        pairs.extend(self.params.as_at.map(|t| ("as_at", t.to_string())));
        serde_urlencoded::to_string(&pairs).expect("pairs of text always encode")
    }
}

/// Parses `query` (the raw query string) as `door` takes it, for `who`.
pub fn ask(door: Door<'_>, query: Option<&str>, trust: &Trust, who: &Principal) -> Result<Asked> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| Error::bad_request(format!("the query string is not one a browser would send: {e}")))?;
    let keys = door.keys();
    for (n, (key, _)) in pairs.iter().enumerate() {
        if !keys.contains(&key.as_str()) {
            return Err(Error::bad_request(format!(
                "{} does not take {key:?}; it takes: {}",
                door.what(),
                keys.join(", ")
            )));
        }
        if pairs[..n].iter().any(|(k, _)| k == key) {
            return Err(Error::bad_request(format!("{key} is given twice: give it once")));
        }
    }
    // A form sends every field, the ones left empty as blanks.
    let text = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let mut year: Option<AcademicYear> = parse(text("year"), "year")?;
    let term: Option<Term> = parse(text("term"), "term")?;
    let from: Option<Bound> = parse(text("from"), "from")?;
    let to: Option<Bound> = parse(text("to"), "to")?;
    let school: Option<SchoolId> = parse(text("school"), "school")?;
    let hub: Option<HubId> = parse(text("hub"), "hub")?;
    let as_at: Option<AsAt> = parse(text("as_at"), "as_at")?;
    if let Some(at) = as_at.filter(|at| at.instant() > chrono::Utc::now()) {
        return Err(Error::bad_request(format!(
            "as_at ({at}) is in the future: the lake can be read as it stood, not as it will; leave out as_at for now"
        )));
    }
    let min = match text("min") {
        None => None,
        Some(min) => Some(
            min.parse::<u32>()
                .ok()
                .filter(|m| *m >= 1)
                .ok_or_else(|| Error::bad_request(format!("min must be a whole number of at least 1, not {min:?}")))?,
        ),
    };
    let format = match text("format") {
        Some(format) => format.parse()?,
        None => Format::Json,
    };
    let fixed = match door {
        Door::Dashboard { scope, default } => {
            if pairs.is_empty() {
                year = Some(default);
            }
            scope.clone()
        }
        _ => Scope::default(),
    };
    let window = Window::ask(year, term, from, to).map_err(|e| Error::bad_request(e.to_string()))?;
    let scope = Scope { school: fixed.school.or(school), hub: fixed.hub.or(hub) };
    scope.check(trust).map_err(Error::bad_request)?;
    let scope = who.scope(&scope, trust)?;
    if who.role.suppressed() {
        // Two answers a day apart, or one step of `min` apart, would give back by
        // subtraction a figure each of them withholds.
        if min.is_some() {
            return Err(Error::bad_request(format!(
                "{} figures use the policy's own threshold (3 or more incidents): leave out min",
                who.role
            )));
        }
        if !window.whole_months() {
            return Err(Error::bad_request(format!(
                "{} figures cover whole months: give year=2025-26, a term (year=2025-26&term=autumn), or months \
                 (from=2025-09&to=2025-12, the last month included), not days",
                who.role
            )));
        }
        // Two answers a second apart would give back the few events ingested between them.
        if let Some(at) = as_at.filter(|at| !at.is_midnight()) {
            return Err(Error::bad_request(format!(
                "{} figures are read as the lake stood at the start of a day (00:00 UTC): give as_at={}",
                who.role,
                at.midnight()
            )));
        }
    }
    Ok(Asked { params: Params { window, school: scope.school, hub: scope.hub, min, as_at }, format })
}

/// A value parsed as its type, or a 400 that names the key and says how to write it.
fn parse<T: FromStr>(text: Option<&str>, key: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    text.map(|text| text.parse().map_err(|e| Error::bad_request(format!("{key}: {e}")))).transpose()
}
