//! The dashboards: server-rendered pages that arrange reports as charts and tables as
//! `dashboards/*.toml` defines them, with filters for period and school, downloads of
//! every chart (SVG, PNG) and table (CSV), and nothing loaded from another host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use chrono::Months;
use minijinja::{context, Environment};
use safelake_access::{Principal, Scope};
use safelake_query::reports::{self, Params, Report, EARLIEST, LATEST};
use safelake_query::suppress::Masked;
use serde::Serialize;

use crate::audited::{Audited, Message};
use crate::catalogue::Item;
use crate::charts::titles;
use crate::error::{Error, Result};
use crate::label::with_school_names;
use crate::period;
use crate::results;
use crate::state::AppState;
use crate::table::{self, Table};

/// The page templates, compiled into the binary.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new() -> anyhow::Result<Templates> {
        let mut env = Environment::new();
        env.add_template("base.html", include_str!("../templates/base.html"))?;
        env.add_template("dashboard.html", include_str!("../templates/dashboard.html"))?;
        env.add_template("index.html", include_str!("../templates/index.html"))?;
        env.add_template("login.html", include_str!("../templates/login.html"))?;
        env.add_template("sql.html", include_str!("../templates/sql.html"))?;
        Ok(Templates { env })
    }

    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<Html<String>> {
        let template = self.env.get_template(name).map_err(|e| Error::internal(e.into()).page())?;
        template.render(ctx).map(Html).map_err(|e| Error::internal(e.into()).page())
    }
}

pub async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../static/style.css"))
}

/// The tab icon (browsers ask for one; without it every page logs a 404).
pub async fn icon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml")], include_str!("../static/favicon.svg"))
}

/// The dashboards the caller may open: the trustees' review, each hub's and each
/// school's, as its role and scope allow.
pub async fn index(State(state): State<Arc<AppState>>, Extension(who): Extension<Principal>) -> Result<Response> {
    let trust = &state.trust;
    let opens = |page: &str, scope: Scope| {
        state.catalogue.dashboard(page).roles.contains(&who.role) && who.scope(&scope, trust).is_ok_and(|s| s == scope)
    };
    let trustees = opens("trustees", Scope::default());
    let hubs: Vec<_> = trust
        .hubs
        .iter()
        .filter(|h| opens("hab", Scope { hub: Some(h.id.clone()), school: None }))
        .map(|h| context! {id => h.id, name => h.name})
        .collect();
    let schools: Vec<_> = trust
        .schools
        .iter()
        .filter(|s| opens("school", Scope { school: Some(s.id.clone()), hub: None }))
        .map(|s| context! {id => s.id, name => s.name, hub => s.hub})
        .collect();
    let page = state.templates.render(
        "index.html",
        context! {title => trust.trust.name, trust => trust.trust.name, trustees, hubs, schools, user => user(&who), sql => who.role.runs_sql()},
    )?;
    Ok(Audited::new(&Scope::default(), 0).on(page.into_response()))
}

/// The signed-in person, for the page header.
fn user(who: &Principal) -> minijinja::Value {
    context! {name => who.name, role => who.role.as_str()}
}

pub async fn hab(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Path(hub): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    if !state.trust.hubs.iter().any(|h| h.id == hub) {
        return Err(Error::not_found(format!("there is no hub {hub:?} in the trust")).page());
    }
    render(&state, &who, "hab", Scope { hub: Some(hub), school: None }, query).await
}

pub async fn trustees(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    render(&state, &who, "trustees", Scope::default(), query).await
}

pub async fn school(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Path(school): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    if state.trust.school(&school).is_none() {
        return Err(Error::not_found(format!("there is no school {school:?} in the trust")).page());
    }
    render(&state, &who, "school", Scope { school: Some(school), hub: None }, query).await
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
struct Request {
    params: Params,
    /// The same for the year before, where the page compares.
    before: Option<Params>,
    /// The query string that reproduces it, for download links.
    query: String,
}

fn request(state: &AppState, who: &Principal, scope: &Scope, query: &HashMap<String, String>) -> Result<Request> {
    for key in query.keys() {
        let allowed = ["year", "from", "to"].contains(&key.as_str()) || (key == "school" && scope.school.is_none());
        if !allowed {
            return Err(Error::bad_request(format!(
                "a dashboard takes year, from, to{}; not {key:?}",
                if scope.school.is_none() { ", school" } else { "" }
            )));
        }
    }
    let text = |key: &str| query.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let (mut from, to, mut year) = (text("from"), text("to"), text("year"));
    if from.is_none() && to.is_none() && year.is_none() {
        year = Some(period::default_year(&state.lake));
    }
    if year.is_some() && (from.is_some() || to.is_some()) {
        // A filter form sends both; the dates the reader typed win.
        year = None;
        from = from.or(Some(EARLIEST.to_string()));
    }
    let scope = Scope { school: scope.school.clone().or(text("school")), hub: scope.hub.clone() };
    scope.check(&state.trust).map_err(Error::bad_request)?;
    let scope = who.scope(&scope, &state.trust)?;
    let params = Params { from, to, year, school: scope.school.clone(), hub: scope.hub.clone(), min: None };
    let (start, end) = params.window().map_err(|e| Error::bad_request(format!("{e:#}")))?;
    let before = match &params.year {
        Some(year) => period::previous_year(year).map(|y| Params { year: Some(y), ..params.clone() }),
        None if start != EARLIEST && end != LATEST => {
            let back = |d: chrono::NaiveDate| d.checked_sub_months(Months::new(12)).map(|d| d.to_string());
            Some(Params { year: None, from: back(start), to: back(end), ..params.clone() })
        }
        None => None,
    };
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (key, value) in [
        ("year", &params.year),
        ("from", &params.from),
        ("to", &params.to),
        ("school", &params.school),
        ("hub", &params.hub),
    ] {
        if let Some(value) = value {
            pairs.push((key, value.clone()));
        }
    }
    let query = serde_urlencoded::to_string(&pairs).map_err(|e| Error::internal(e.into()))?;
    Ok(Request { params, before, query })
}

async fn render(
    state: &AppState,
    who: &Principal,
    name: &str,
    scope: Scope,
    query: HashMap<String, String>,
) -> Result<Response> {
    let dashboard = state.catalogue.dashboard(name);
    if !dashboard.roles.contains(&who.role) {
        let roles: Vec<_> = dashboard.roles.iter().map(|r| r.as_str()).collect();
        return Err(Error::forbidden(format!(
            "the {} role does not open this dashboard; it is for: {}",
            who.role,
            roles.join(", ")
        ))
        .page());
    }
    let asked = request(state, who, &scope, &query).map_err(Error::page)?;
    let items = || dashboard.sections.iter().flat_map(|s| s.items.iter());
    let results = run_all(state, who, items().flat_map(|item| runs(state, item, &asked)), &asked).await;
    // A page with nothing to show is an error, not a page of apologies.
    if results.values().all(Result::is_err) {
        if let Some(Err(error)) = results.values().next() {
            return Err(error.clone().page());
        }
    }
    let mut sections = Vec::new();
    for section in &dashboard.sections {
        let mut shown = Vec::new();
        for item in &section.items {
            shown.push(
                show(state, item, &asked, &results).unwrap_or_else(|e| Shown::failed(title_of(state, item), e.message)),
            );
        }
        sections.push(context! {heading => section.heading, about => section.about, items => shown});
    }
    let (from, to) = asked.params.window().map_err(|e| Error::bad_request(format!("{e:#}")).page())?;
    let page_scope = Scope { school: asked.params.school.clone(), hub: asked.params.hub.clone() };
    let in_scope: Vec<_> = state
        .trust
        .schools
        .iter()
        .filter(|s| scope.hub.as_ref().is_none_or(|h| *h == s.hub))
        .map(|s| context! {id => s.id, name => s.name})
        .collect();
    let title = format!("{}: {}", dashboard.title, scope.describe(&state.trust));
    let rows = results.values().flatten().map(|r| r.batch.num_rows()).sum();
    let withheld = results.values().flatten().any(Masked::any).then(|| state.marker());
    let page = state.templates.render(
        "dashboard.html",
        context! {
            title,
            about => dashboard.about,
            scope => page_scope.describe(&state.trust),
            period => period::describe(from, to),
            before => asked.before.as_ref().and_then(|b| b.window().ok()).map(|(f, t)| period::describe(f, t)),
            years => period::years(&state.lake),
            year => asked.params.year,
            from => asked.params.from.filter(|_| asked.params.year.is_none()),
            to => asked.params.to,
            schools => if scope.school.is_none() { in_scope } else { vec![] },
            school => asked.params.school,
            sections,
            withheld,
            user => user(who),
        },
    )?;
    let mut response = Audited::new(&page_scope, rows).on(page.into_response());
    // The page answers 200 with the rest of its items; the trail says what was missing.
    let mut failed: Vec<_> = results
        .iter()
        .filter_map(|((name, before), result)| {
            let error = result.as_ref().err()?;
            Some(format!("{name}{}: {}", if *before { " (the period before)" } else { "" }, error.message))
        })
        .collect();
    failed.sort();
    if !failed.is_empty() {
        response.extensions_mut().insert(Message(format!("reports that failed: {}", failed.join("; "))));
    }
    Ok(response)
}

/// The report an item shows.
fn report_of(state: &AppState, item: &Item) -> &'static Report {
    let chart = item.chart.as_ref().map(|c| &state.catalogue.charts[c]);
    let name = chart.map_or_else(|| item.table.as_deref().expect("checked on load"), |c| c.report.as_str());
    reports::find(name).expect("checked on load")
}

/// The runs an item needs: its report over the period, and over the period before when
/// it compares the two.
fn runs(state: &AppState, item: &Item, asked: &Request) -> Vec<Run> {
    let report = report_of(state, item);
    let mut runs = vec![(report, false)];
    if item.chart.is_none() && !item.compare.is_empty() && asked.before.is_some() {
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
fn show(state: &AppState, item: &Item, asked: &Request, results: &Results) -> Result<Shown> {
    let chart = item.chart.as_ref().map(|c| &state.catalogue.charts[c]);
    let report = report_of(state, item);
    let report_name = report.name;
    let title = title_of(state, item);
    let now = results[&(report.name, false)].as_ref().map_err(Error::clone)?;
    let then = results.get(&(report.name, true)).map(|then| then.as_ref().map_err(Error::clone)).transpose()?;
    let marker = state.marker();
    let query = &asked.query;
    let csv = ("Table (CSV)".to_string(), format!("/api/reports/{report_name}?{}", join(query, "format=csv")));
    match chart {
        Some(chart) => {
            let name = item.chart.as_deref().expect("a chart item");
            let mut titles = titles(state, chart, &asked.params, now.any());
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
async fn run_all(state: &AppState, who: &Principal, runs: impl Iterator<Item = Run>, asked: &Request) -> Results {
    let mut distinct: Vec<Run> = Vec::new();
    for run in runs {
        if !distinct.iter().any(|(r, b)| r.name == run.0.name && *b == run.1) {
            distinct.push(run);
        }
    }
    let done = futures::future::join_all(distinct.iter().map(|&(report, before)| async move {
        let params = if before { asked.before.as_ref().expect("asked for the period before") } else { &asked.params };
        let result = results::run(state, who, report, params)
            .await
            .and_then(|result| result.map_batch(|b| with_school_names(b, &state.trust)).map_err(Error::internal));
        ((report.name, before), result)
    }))
    .await;
    done.into_iter().collect()
}
