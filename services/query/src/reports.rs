//! Reports: one SQL file each in `queries/`, run with parameters bound as values (named
//! placeholders such as `$from`), never pasted into the SQL text.

use std::collections::HashMap;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::metadata::ScalarAndMetadata;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::prelude::{DataFrame, SessionContext};
use safelake_period::{AsAt, Window};
use safelake_schemas::{HubId, SchoolId};

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
/// (`school`, `hub`) is bound by the service from what the caller may see. `$at`, the
/// moment a status is taken, is bound from the window ([`Params::at`]).
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
        self.header_field("params").map(list).unwrap_or_default()
    }

    /// Whether its rows are about single pupils, users or incidents (`-- pupil_level:
    /// yes`), which the governance roles never see.
    pub fn pupil_level(&self) -> bool {
        self.header_field("pupil_level") == Some("yes")
    }

    /// For a report the governance roles do not see, the reports they read instead
    /// (`-- governance: incident_categories, school_summary`): its cells are finer than
    /// the grain at which their figures are withheld consistently.
    pub fn governance_reads(&self) -> Option<Vec<&'static str>> {
        self.header_field("governance").map(list)
    }

    /// The query string keys it takes: its parameters, `year` and `term` where it takes
    /// a window (they stand for `from` and `to`), and `as_at`, which every report takes.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut keys = self.params();
        if keys.contains(&"from") {
            keys.extend(["year", "term"]);
        }
        keys.push("as_at");
        keys
    }
}

fn list(text: &str) -> Vec<&str> {
    text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// The header's keys; the lines before the first of them say what the report is.
const KEYS: &[&str] = &["title", "params", "pupil_level", "governance", "counts", "derived", "complements"];

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
    Report { name: "incident_categories", sql: include_str!("../../../queries/incident_categories.sql") },
    // The evidence of the DfE filtering and monitoring standards, and training.
    Report { name: "assurance_checks", sql: include_str!("../../../queries/assurance_checks.sql") },
    Report { name: "assurance_checks_by_hub", sql: include_str!("../../../queries/assurance_checks_by_hub.sql") },
    Report { name: "review_status", sql: include_str!("../../../queries/review_status.sql") },
    Report { name: "training_coverage", sql: include_str!("../../../queries/training_coverage.sql") },
    Report { name: "standards", sql: include_str!("../../../queries/standards.sql") },
];

/// What a report is run with: the window and scope already checked (a caller's own
/// parameters are parsed into these types once, where they arrive), bound as values.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub window: Window,
    pub school: Option<SchoolId>,
    pub hub: Option<HubId>,
    /// The repeat threshold of the reports that take one (3 when absent).
    pub min: Option<u32>,
    /// The moment the lake is read as it stood at (now when absent); run the report on
    /// [`crate::Engine::query_at`] of the same moment.
    pub as_at: Option<AsAt>,
}

impl Params {
    /// A window over the whole trust.
    pub fn over(window: Window) -> Params {
        Params { window, ..Params::default() }
    }

    /// The moment a status report (review status, training coverage) describes, `$at`:
    /// the end of the window, or the moment the lake is read at (now, or `as_at`) when
    /// the window ends later.
    pub fn at(&self) -> DateTime<Utc> {
        let end = self.window.to().and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(DateTime::<Utc>::MAX_UTC);
        end.min(self.as_at.map_or_else(Utc::now, AsAt::instant))
    }

    /// The values of the placeholders every report may use.
    fn bind(&self) -> ParamValues {
        // Timestamps in UTC, the type of every time column, so comparisons need no cast.
        let at = |d: NaiveDate| {
            ScalarValue::TimestampMicrosecond(
                d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_micros()),
                Some("UTC".into()),
            )
        };
        let text = |id: Option<&str>| ScalarValue::Utf8(Some(id.unwrap_or_default().to_string()));
        let values: HashMap<String, ScalarAndMetadata> = [
            ("from", at(self.window.from())),
            ("to", at(self.window.to())),
            ("school", text(self.school.as_deref())),
            ("hub", text(self.hub.as_deref())),
            ("min", ScalarValue::Int64(Some(i64::from(self.min.unwrap_or(3))))),
            ("at", ScalarValue::TimestampMicrosecond(Some(self.at().timestamp_micros()), Some("UTC".into()))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect();
        ParamValues::Map(values)
    }
}

pub fn find(name: &str) -> Option<&'static Report> {
    REPORTS.iter().find(|r| r.name == name)
}

/// Runs a report on `ctx`, which reads the lake as `params.as_at` says
/// ([`crate::Engine::query_at`]).
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
    frame.with_param_values(params.bind()).with_context(|| format!("binding the parameters of {name}"))
}
