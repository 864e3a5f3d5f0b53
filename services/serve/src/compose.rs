//! A dashboard's figures for one reader, composed once: the page a browser opens and the
//! pack a board takes to its meeting are both rendered from a [`Composed`], so a pack
//! prints, figure for figure, what its reader's page shows, withheld where the page
//! withholds.

use std::collections::HashMap;

use minijinja::context;
use safelake_access::{Principal, Scope};
use safelake_period::AcademicYear;
use safelake_query::reports::{self, Report};
use safelake_query::suppress::Masked;
use serde::Serialize;

use crate::catalogue::{Dashboard, Item};
use crate::charts::titles;
use crate::error::{Error, Result};
use crate::label::with_school_names;
use crate::request::{self, Asked, Door};
use crate::results;
use crate::state::AppState;
use crate::table::{self, Table};

/// A dashboard as one reader sees it, over the period it asked for.
pub struct Composed {
    pub dashboard: String,
    pub asked: Asked,
    /// The page's heading: the dashboard's title and the scope it was opened for.
    pub title: String,
    sections: Vec<minijinja::Value>,
    before: Option<String>,
    /// What a withheld figure reads as, when the page withholds any.
    pub withheld: Option<String>,
    /// The rows of every report on it, for the trail.
    pub rows: usize,
    /// The reports that failed and why, for the trail (the page shows the rest).
    pub failed: Vec<String>,
}

impl Composed {
    /// What the page and the pack templates both show.
    pub fn context(&self, state: &AppState) -> minijinja::Value {
        let dashboard = state.catalogue.dashboard(&self.dashboard);
        context! {
            title => self.title,
            about => dashboard.about,
            scope => self.asked.scope().describe(&state.trust),
            period => self.asked.window().describe(),
            before => self.before,
            as_at => self.asked.params().as_at.map(|t| t.to_string()),
            sections => self.sections,
            withheld => self.withheld,
        }
    }
}

/// Composes dashboard `name` for `who` over `scope` (a hub's or a school's, or the
/// trust's) as `query` asks (`default`, the year shown when it asks nothing); an error
/// when `who`'s role does not open it, the request is wrong, or every report failed.
pub async fn compose(
    state: &AppState,
    who: &Principal,
    name: &str,
    scope: &Scope,
    query: Option<&str>,
    default: AcademicYear,
) -> Result<Composed> {
    let dashboard = state.catalogue.dashboard(name);
    if !dashboard.roles.contains(&who.role) {
        let roles: Vec<_> = dashboard.roles.iter().map(|r| r.as_str()).collect();
        return Err(Error::forbidden(format!(
            "the {} role does not open this dashboard; it is for: {}",
            who.role,
            roles.join(", ")
        )));
    }
    let door = Door::Dashboard { scope, default };
    let asked = request::ask(door, query, &state.trust, who)?;
    let page = Page { before: asked.year_before(), asked };
    let results = run_all(state, who, items(dashboard).flat_map(|item| runs(state, item, &page)), &page).await;
    // A page with nothing to show is an error, not a page of apologies.
    if results.values().all(Result::is_err) {
        if let Some(Err(error)) = results.values().next() {
            return Err(error.clone());
        }
    }
    let mut sections = Vec::new();
    for section in &dashboard.sections {
        let shown: Vec<Shown> = section
            .items
            .iter()
            .map(|item| {
                show(state, who, item, &page, &results)
                    .unwrap_or_else(|e| Shown::failed(title_of(state, item), e.message))
            })
            .collect();
        sections.push(context! {heading => section.heading, about => section.about, items => shown});
    }
    let rows = results.values().flatten().map(|r| r.batch.num_rows()).sum();
    let withheld = results.values().flatten().any(Masked::any).then(|| state.marker());
    let mut failed: Vec<_> = results
        .iter()
        .filter_map(|((name, before), result)| {
            let error = result.as_ref().err()?;
            Some(format!("{name}{}: {}", if *before { " (the period before)" } else { "" }, error.trail()))
        })
        .collect();
    failed.sort();
    Ok(Composed {
        dashboard: name.to_string(),
        title: format!("{}: {}", dashboard.title, scope.describe(&state.trust)),
        before: page.before.as_ref().map(|b| b.window().describe()),
        asked: page.asked,
        sections,
        withheld,
        rows,
        failed,
    })
}

fn items(dashboard: &Dashboard) -> impl Iterator<Item = &Item> {
    dashboard.sections.iter().flat_map(|s| s.items.iter())
}

/// One chart or table as the page shows it.
#[derive(Serialize)]
struct Shown {
    title: String,
    about: Option<String>,
    svg: Option<String>,
    table: Option<Table>,
    /// The chart's figures, for readers who cannot see it.
    figures: Option<Table>,
    downloads: Vec<(String, String)>,
    /// Why the item could not be drawn, when its report failed: the rest of the page
    /// still shows, so that one failing query does not hide a board's whole agenda.
    failed: Option<String>,
}

impl Shown {
    /// An item in its place, saying why it could not be drawn.
    fn failed(title: String, why: String) -> Shown {
        Shown { title, about: None, svg: None, table: None, figures: None, downloads: vec![], failed: Some(why) }
    }
}

/// The period and school a page was asked for, checked.
struct Page {
    asked: Asked,
    /// The same for the year before, where the page compares.
    before: Option<Asked>,
}

impl Page {
    /// What `report` runs with on this page: the page's request (or its year before), or
    /// for a report that covers no single school, the same over the school's hub (or the
    /// trust), which the caller may see; refused to a caller held to one school.
    fn asked_for(&self, state: &AppState, who: &Principal, report: &Report, before: bool) -> Result<Asked> {
        let asked = if before { self.before.as_ref().expect("asked for the period before") } else { &self.asked };
        if asked.params().school.is_none() || report.params().contains(&"school") {
            return Ok(asked.clone());
        }
        asked
            .without_school(who, &state.trust)
            .ok_or_else(|| Error::forbidden(format!("{} covers a hub or the trust, not one school", report.title())))
    }
}

/// The report an item shows.
fn report_of(state: &AppState, item: &Item) -> &'static Report {
    let chart = item.chart.as_ref().map(|c| &state.catalogue.charts[c]);
    let name = chart.map_or_else(|| item.table.as_deref().expect("checked on load"), |c| c.report.as_str());
    reports::find(name).expect("checked on load")
}

/// The runs an item needs: its report over the period, and over the period before when
/// it compares the two.
fn runs(state: &AppState, item: &Item, page: &Page) -> Vec<Run> {
    let report = report_of(state, item);
    let mut runs = vec![(report, false)];
    if item.chart.is_none() && !item.compare.is_empty() && page.before.is_some() {
        runs.push((report, true));
    }
    runs
}

/// An item's heading: its own title, or its chart's, or its report's.
fn title_of(state: &AppState, item: &Item) -> String {
    let chart = item.chart.as_ref().map(|c| &state.catalogue.charts[c]);
    let report = report_of(state, item);
    item.title.clone().or_else(|| chart.and_then(|c| c.title.clone())).unwrap_or_else(|| report.title().to_string())
}

/// Shows one item from the page's results.
fn show(state: &AppState, who: &Principal, item: &Item, page: &Page, results: &Results) -> Result<Shown> {
    let chart = item.chart.as_ref().map(|c| &state.catalogue.charts[c]);
    let report = report_of(state, item);
    let report_name = report.name;
    let title = title_of(state, item);
    let now = results[&(report.name, false)].as_ref().map_err(Error::clone)?;
    let then = results.get(&(report.name, true)).map(|then| then.as_ref().map_err(Error::clone)).transpose()?;
    let marker = state.marker();
    let asked = page.asked_for(state, who, report, false)?;
    let query = &asked.query();
    let csv = ("Table (CSV)".to_string(), format!("/api/reports/{report_name}?{}", join(query, "format=csv")));
    match chart {
        Some(chart) => {
            let name = item.chart.as_deref().expect("a chart item");
            let mut titles = titles(state, chart, &asked, now.any());
            titles.title = title;
            let batches = std::slice::from_ref(&now.batch);
            let svg = safelake_charts::svg(&chart.spec, &titles, batches).map_err(Error::internal)?;
            let svg = svg[svg.find("<svg").unwrap_or(0)..].to_string();
            Ok(Shown {
                title: titles.title,
                about: item.about.clone().or(chart.about.clone()),
                svg: Some(svg),
                table: None,
                figures: Some(table::table(now, &[], &marker).map_err(Error::internal)?),
                downloads: vec![
                    ("Chart (SVG)".to_string(), format!("/charts/{name}.svg?{query}")),
                    ("Chart (PNG)".to_string(), format!("/charts/{name}.png?{query}")),
                    csv,
                ],
                failed: None,
            })
        }
        None => {
            let table = match then {
                Some(then) if !item.compare.is_empty() => {
                    table::compare(now, then, &item.by, &item.compare, &marker).map_err(Error::internal)?
                }
                _ => table::table(now, &item.columns, &marker).map_err(Error::internal)?,
            };
            Ok(Shown {
                title,
                about: item.about.clone().or_else(|| Some(report.about())),
                svg: None,
                table: Some(table),
                figures: None,
                downloads: vec![csv],
                failed: None,
            })
        }
    }
}

fn join(query: &str, extra: &str) -> String {
    if query.is_empty() {
        extra.to_string()
    } else {
        format!("{query}&{extra}")
    }
}

/// A report to run for a page, over the period before (`true`) or the period itself.
type Run = (&'static Report, bool);
type Results = HashMap<(&'static str, bool), Result<Masked>>;

/// Runs the page's reports, each once (a chart and a table of one report share its rows),
/// all at once: one after another, small queries leave the other cores idle; together
/// they take little longer than the largest. A report that fails is kept as its error,
/// for its items to say so.
async fn run_all(state: &AppState, who: &Principal, runs: impl Iterator<Item = Run>, page: &Page) -> Results {
    let mut distinct: Vec<Run> = Vec::new();
    for run in runs {
        if !distinct.iter().any(|(r, b)| r.name == run.0.name && *b == run.1) {
            distinct.push(run);
        }
    }
    let done = futures::future::join_all(distinct.iter().map(|&(report, before)| async move {
        let result = match page.asked_for(state, who, report, before) {
            Ok(asked) => results::run(state, who, report, &asked)
                .await
                .and_then(|result| result.map_batch(|b| with_school_names(b, &state.trust)).map_err(Error::internal)),
            Err(error) => Err(error),
        };
        ((report.name, before), result)
    }))
    .await;
    done.into_iter().collect()
}
