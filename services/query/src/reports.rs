//! Reports: one SQL file each in `queries/`, run with parameters bound as values (named
//! placeholders such as `$from`), never pasted into the SQL text.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::prelude::{DataFrame, SessionContext};

/// A report: its name and SQL. The SQL file's header comment describes it:
///
/// ```sql
/// -- incident_trends: what one row is and how it is counted (any number of lines).
/// -- title: Incident trends by category
/// -- params: from, to, school, hub, min
/// -- counts: incidents
/// -- derived: rate_per_1000 = incidents
/// -- complements: month, school_id; school_id, category
/// ```
///
/// `pupil_level: yes` marks a report whose rows are single pupils, users or incidents;
/// `counts`, `derived` and `complements` say what small-number suppression withholds
/// (see [`crate::suppress`]).
///
/// `params` names what a caller may pass (`from`/`to` also accept `year`); the scope
/// (`school`, `hub`) is bound by the service from what the caller may see.
pub struct Report {
    pub name: &'static str,
    pub sql: &'static str,
}

impl Report {
    fn header(&self) -> impl Iterator<Item = &'static str> {
        self.sql.lines().map_while(|line| line.strip_prefix("--")).map(str::trim)
    }

    /// A `-- key: value` line of the header.
    pub fn header_field(&self, key: &str) -> Option<&'static str> {
        self.header().find_map(|line| line.strip_prefix(key)?.strip_prefix(':')).map(str::trim)
    }

    /// The heading a chart or page gives it.
    pub fn title(&self) -> &'static str {
        self.header_field("title").unwrap_or(self.name)
    }

    /// What one row is and how it is counted: the header's first lines.
    pub fn about(&self) -> String {
        let first =
            self.header().take_while(|l| !KEYS.iter().any(|k| l.strip_prefix(k).is_some_and(|r| r.starts_with(':'))));
        let text: Vec<_> = first.collect();
        let text = text.join(" ");
        text.strip_prefix(self.name).and_then(|t| t.strip_prefix(':')).unwrap_or(&text).trim().to_string()
    }

    /// The parameters it takes, as named in `Params`.
    pub fn params(&self) -> Vec<&'static str> {
        self.header_field("params")
            .map(|p| p.split(',').map(str::trim).filter(|p| !p.is_empty()).collect())
            .unwrap_or_default()
    }

    /// Whether its rows are about single pupils, users or incidents (`-- pupil_level:
    /// yes`), which the governance roles never see.
    pub fn pupil_level(&self) -> bool {
        self.header_field("pupil_level") == Some("yes")
    }

    /// Whether a query string key is one of its parameters (`year` stands for from/to).
    pub fn takes(&self, key: &str) -> bool {
        let params = self.params();
        params.contains(&key) || (key == "year" && params.contains(&"from"))
    }
}

/// The header's keys; the lines before the first of them say what the report is.
const KEYS: &[&str] = &["title", "params", "pupil_level", "counts", "derived", "complements"];

pub const REPORTS: &[Report] = &[
    Report { name: "incident_trends", sql: include_str!("../../../queries/incident_trends.sql") },
    Report { name: "repeat_pupils", sql: include_str!("../../../queries/repeat_pupils.sql") },
    Report { name: "repeat_pupils_summary", sql: include_str!("../../../queries/repeat_pupils_summary.sql") },
    Report { name: "blocked_categories", sql: include_str!("../../../queries/blocked_categories.sql") },
    Report { name: "high_risk_users", sql: include_str!("../../../queries/high_risk_users.sql") },
    Report { name: "agreement_coverage", sql: include_str!("../../../queries/agreement_coverage.sql") },
    Report { name: "incident_timeliness", sql: include_str!("../../../queries/incident_timeliness.sql") },
    Report { name: "escalations", sql: include_str!("../../../queries/escalations.sql") },
    Report { name: "filtering_governance", sql: include_str!("../../../queries/filtering_governance.sql") },
    Report { name: "ai_monitoring", sql: include_str!("../../../queries/ai_monitoring.sql") },
    // Beyond reports.md: what the dashboards show to governance roles and DSLs.
    Report { name: "high_risk_summary", sql: include_str!("../../../queries/high_risk_summary.sql") },
    Report { name: "school_summary", sql: include_str!("../../../queries/school_summary.sql") },
    Report { name: "open_incidents", sql: include_str!("../../../queries/open_incidents.sql") },
];

/// What a caller may ask of a report. Dates are checked here, so a bad one is the
/// caller's error with a message, never a failed query.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub from: Option<String>,
    pub to: Option<String>,
    /// An academic year `2025-26`: 1 September to 1 September.
    pub year: Option<String>,
    pub school: Option<String>,
    pub hub: Option<String>,
    pub min: Option<i64>,
}

impl Params {
    /// The values of the placeholders every report may use.
    /// The window `[from, to)` these parameters select; an error says what is wrong with
    /// the dates the caller gave.
    pub fn window(&self) -> Result<(NaiveDate, NaiveDate)> {
        let (from, to) = match (&self.year, &self.from, &self.to) {
            (Some(year), None, None) => academic_year(year)?,
            (Some(_), _, _) => bail!("give either year or from/to, not both"),
            (None, from, to) => (
                from.as_deref().map(date).transpose()?.unwrap_or(EARLIEST),
                to.as_deref().map(date).transpose()?.unwrap_or(LATEST),
            ),
        };
        if from >= to {
            bail!("from ({from}) must be before to ({to})");
        }
        Ok((from, to))
    }

    fn bind(&self) -> Result<ParamValues> {
        let (from, to) = self.window()?;
        // Timestamps in UTC, the type of every time column, so comparisons need no cast.
        let at = |d: NaiveDate| {
            ScalarValue::TimestampMicrosecond(
                d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_micros()),
                Some("UTC".into()),
            )
        };
        let values: HashMap<String, ScalarAndMetadata> = [
            ("from", at(from)),
            ("to", at(to)),
            ("school", ScalarValue::Utf8(Some(self.school.clone().unwrap_or_default()))),
            ("hub", ScalarValue::Utf8(Some(self.hub.clone().unwrap_or_default()))),
            ("min", ScalarValue::Int64(Some(self.min.unwrap_or(3)))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect();
        Ok(ParamValues::Map(values))
    }
}

/// The window when a report is given no dates: all of the lake.
pub const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
pub const LATEST: NaiveDate = NaiveDate::from_ymd_opt(2200, 1, 1).expect("a valid date");

fn date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("{text:?} is not a date written YYYY-MM-DD"))
}

/// `2025-26` is 1 September 2025 to 1 September 2026.
pub fn academic_year(text: &str) -> Result<(NaiveDate, NaiveDate)> {
    let bad = || format!("{text:?} is not an academic year written like 2025-26");
    let (start, end) = text.split_once('-').with_context(bad)?;
    let start: i32 = start.parse().ok().filter(|y| (2000..2100).contains(y)).with_context(bad)?;
    let end: i32 = end.parse().with_context(bad)?;
    if end != (start + 1) % 100 || text.len() != 7 {
        bail!(bad());
    }
    let first = NaiveDate::from_ymd_opt(start, 9, 1).with_context(bad)?;
    Ok((first, NaiveDate::from_ymd_opt(start + 1, 9, 1).with_context(bad)?))
}

pub fn find(name: &str) -> Option<&'static Report> {
    REPORTS.iter().find(|r| r.name == name)
}

/// Runs a report.
pub async fn run(ctx: &SessionContext, name: &str, params: &Params) -> Result<Vec<RecordBatch>> {
    plan(ctx, name, params).await?.collect().await.with_context(|| format!("running report {name}"))
}

/// Plans a report with its parameters bound, for a caller that needs its schema as well
/// as its rows (an empty result still has columns).
pub async fn plan(ctx: &SessionContext, name: &str, params: &Params) -> Result<DataFrame> {
    let report = find(name).with_context(|| {
        let known: Vec<_> = REPORTS.iter().map(|r| r.name).collect();
        format!("no report {name:?}; reports: {}", known.join(", "))
    })?;
    let frame = ctx.sql(report.sql).await.with_context(|| format!("planning report {name}"))?;
    frame.with_param_values(params.bind()?).with_context(|| format!("binding the parameters of {name}"))
}
