//! The dashboards and charts, read from `dashboards/` (data, not code): which report each
//! chart draws and how, and which charts and tables each page shows. Checked when the
//! service starts, so a typo in a definition stops it with a message rather than
//! breaking a page in front of a governor.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Context, Result};
use datafusion::arrow::datatypes::FieldRef;
use safelake_access::Role;
use safelake_query::reports;
use serde::Deserialize;

/// A chart: a report drawn one way. `/charts/{name}.svg` draws it.
#[derive(Debug, Clone, Deserialize)]
pub struct Chart {
    pub report: String,
    /// The heading, when it is not the report's title.
    #[serde(default)]
    pub title: Option<String>,
    /// What the chart means, for the reader of a dashboard.
    #[serde(default)]
    pub about: Option<String>,
    #[serde(flatten)]
    pub spec: safelake_charts::Spec,
}

/// A dashboard page: sections of charts and tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    pub title: String,
    pub about: String,
    /// Who opens it; a role that sees no pupil rows may only be given pages without them.
    pub roles: Vec<Role>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub heading: String,
    #[serde(default)]
    pub about: Option<String>,
    pub items: Vec<Item>,
}

/// One chart or one table of a report on a page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// A chart of `charts.toml`.
    #[serde(default)]
    pub chart: Option<String>,
    /// A report shown as a table.
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub about: Option<String>,
    /// The table's columns (all when empty).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Figures shown beside the year before, with the change (the trustees' review).
    #[serde(default)]
    pub compare: Vec<String>,
    /// The columns that match a row with its row of the year before (the text columns
    /// when empty).
    #[serde(default)]
    pub by: Vec<String>,
}

const CHARTS: &str = include_str!("../../../dashboards/charts.toml");
const DASHBOARDS: &[(&str, &str)] = &[
    ("hab", include_str!("../../../dashboards/hab.toml")),
    ("trustees", include_str!("../../../dashboards/trustees.toml")),
    ("school", include_str!("../../../dashboards/school.toml")),
];

pub struct Catalogue {
    pub charts: BTreeMap<String, Chart>,
    pub dashboards: HashMap<&'static str, Dashboard>,
}

impl Catalogue {
    /// The definitions built into the service from `dashboards/`.
    pub fn embedded() -> Result<Catalogue> {
        let charts: BTreeMap<String, Chart> = toml::from_str(CHARTS).context("dashboards/charts.toml")?;
        let mut dashboards = HashMap::new();
        for (name, text) in DASHBOARDS {
            let dashboard: Dashboard = toml::from_str(text).with_context(|| format!("dashboards/{name}.toml"))?;
            dashboards.insert(*name, dashboard);
        }
        let catalogue = Catalogue { charts, dashboards };
        catalogue.check()?;
        Ok(catalogue)
    }

    fn check(&self) -> Result<()> {
        for (name, chart) in &self.charts {
            if reports::find(&chart.report).is_none() {
                bail!("dashboards/charts.toml: chart {name} draws {:?}, which is not a report", chart.report);
            }
        }
        for (page, dashboard) in &self.dashboards {
            for item in dashboard.sections.iter().flat_map(|s| &s.items) {
                let report = match (&item.chart, &item.table) {
                    (Some(chart), None) => match self.charts.get(chart) {
                        Some(chart) => &chart.report,
                        None => bail!("dashboards/{page}.toml: no chart {chart:?} in charts.toml"),
                    },
                    (None, Some(table)) if reports::find(table).is_some() => table,
                    (None, Some(table)) => bail!("dashboards/{page}.toml: no report {table:?} for a table"),
                    _ => bail!("dashboards/{page}.toml: an item names either a chart or a table"),
                };
                let found = reports::find(report).expect("checked above");
                if let Some(role) = dashboard.roles.iter().find(|r| found.pupil_level() && !r.sees_pupil_rows()) {
                    bail!("dashboards/{page}.toml: report {report} lists single pupils, which the {role} role it is for does not see");
                }
                if let Some(role) =
                    dashboard.roles.iter().find(|r| found.governance_reads().is_some() && r.suppressed())
                {
                    bail!(
                        "dashboards/{page}.toml: report {report} is finer than the {role} role it is for sees figures"
                    );
                }
            }
        }
        Ok(())
    }

    /// Checks that every column a chart or table names is one its report gives (or
    /// `school_name`, which pages add beside `school_id`).
    pub fn check_columns(&self, columns: &HashMap<&str, Vec<FieldRef>>) -> Result<()> {
        let has = |report: &str, column: &str| {
            let fields = &columns[report];
            fields.iter().any(|f| f.name() == column)
                || (column == "school_name" && fields.iter().any(|f| f.name() == "school_id"))
        };
        let check = |place: String, report: &str, named: Vec<&String>| -> Result<()> {
            for column in named {
                if !has(report, column) {
                    let known: Vec<_> = columns[report].iter().map(|f| f.name().as_str()).collect();
                    bail!("{place}: report {report} has no column {column:?}; it has {}", known.join(", "));
                }
            }
            Ok(())
        };
        for (name, chart) in &self.charts {
            let spec = &chart.spec;
            let named = [Some(&spec.x), Some(&spec.y), spec.series.as_ref(), spec.per.as_ref()];
            check(
                format!("dashboards/charts.toml, chart {name}"),
                &chart.report,
                named.into_iter().flatten().collect(),
            )?;
        }
        for (page, dashboard) in &self.dashboards {
            for item in dashboard.sections.iter().flat_map(|s| &s.items) {
                if let Some(table) = &item.table {
                    let named = item.columns.iter().chain(&item.compare).chain(&item.by).collect();
                    check(format!("dashboards/{page}.toml, table {table}"), table, named)?;
                }
            }
        }
        Ok(())
    }

    pub fn dashboard(&self, name: &str) -> &Dashboard {
        &self.dashboards[name]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn the_built_in_definitions_name_real_reports_and_charts() {
        let catalogue = Catalogue::embedded().unwrap();
        assert_eq!(catalogue.dashboards.len(), 3);
        assert!(!catalogue.charts.is_empty());
    }

    #[test]
    fn a_column_no_report_gives_is_named_with_its_file() {
        use datafusion::arrow::datatypes::{DataType, Field};
        let catalogue = Catalogue::embedded().unwrap();
        let only_month: HashMap<&str, Vec<FieldRef>> = reports::REPORTS
            .iter()
            .map(|r| (r.name, vec![Arc::new(Field::new("month", DataType::Utf8, true))]))
            .collect();
        let error = catalogue.check_columns(&only_month).unwrap_err().to_string();
        assert!(error.starts_with("dashboards/charts.toml, chart "), "{error}");
        assert!(error.contains("has no column") && error.contains("it has month"), "{error}");
    }
}
