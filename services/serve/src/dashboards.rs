//! The dashboards: server-rendered pages that arrange reports as charts and tables as
//! `dashboards/*.toml` defines them, with filters for period and school, downloads of
//! every chart (SVG, PNG) and table (CSV), and nothing loaded from another host.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use minijinja::{context, Environment};
use safelake_access::{Principal, Scope};
use safelake_period::{Month, Named, Term, Window, EARLIEST, LATEST};
use safelake_query::reports::{self, Report};
use safelake_query::suppress::Masked;
use safelake_schemas::{HubId, SchoolId};
use serde::Serialize;

use crate::audited::{Audited, Message};
use crate::catalogue::Item;
use crate::charts::titles;
use crate::error::{Error, Result};
use crate::label::with_school_names;
use crate::period;
use crate::request::{self, Asked, Door};
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
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let Some(hub) = hub.parse::<HubId>().ok().filter(|h| state.trust.hub(h).is_some()) else {
        return Err(Error::not_found(format!("there is no hub {hub:?} in the trust")).page());
    };
    render(&state, &who, "hab", Scope { hub: Some(hub), school: None }, query).await
}

pub async fn trustees(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    render(&state, &who, "trustees", Scope::default(), query).await
}

pub async fn school(
    State(state): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    Path(school): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    let Some(school) = school.parse::<SchoolId>().ok().filter(|s| state.trust.school(s).is_some()) else {
        return Err(Error::not_found(format!("there is no school {school:?} in the trust")).page());
    };
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

async fn render(
    state: &AppState,
    who: &Principal,
    name: &str,
    scope: Scope,
    query: Option<String>,
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
    let held = period::Held::of(&state.engine).await.map_err(|e| Error::internal(e).page())?;
    let door = Door::Dashboard { scope: &scope, default: held.default_year() };
    let asked = request::ask(door, query.as_deref(), &state.trust, who).map_err(Error::page)?;
    let page = Page { before: asked.year_before(), asked };
    let items = || dashboard.sections.iter().flat_map(|s| s.items.iter());
    let results = run_all(state, who, items().flat_map(|item| runs(state, item, &page)), &page).await;
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
                show(state, who, item, &page, &results)
                    .unwrap_or_else(|e| Shown::failed(title_of(state, item), e.message)),
            );
        }
        sections.push(context! {heading => section.heading, about => section.about, items => shown});
    }
    let page_scope = page.asked.scope();
    let in_scope: Vec<_> = state
        .trust
        .schools
        .iter()
        .filter(|s| scope.hub.as_ref().is_none_or(|h| *h == s.hub))
        .map(|s| context! {id => s.id, name => s.name})
        .collect();
    let title = format!("{}: {}", dashboard.title, scope.describe(&state.trust));
    let window = page.asked.window();
    let rows = results.values().flatten().map(|r| r.batch.num_rows()).sum();
    let withheld = results.values().flatten().any(Masked::any).then(|| state.marker());
    let html = state.templates.render(
        "dashboard.html",
        context! {
            title,
            about => dashboard.about,
            scope => page_scope.describe(&state.trust),
            period => window.describe(),
            before => page.before.as_ref().map(|b| b.window().describe()),
            as_at => page.asked.params().as_at.map(|t| t.to_string()),
            filters => filters(&held, who, window),
            schools => if scope.school.is_none() { in_scope } else { vec![] },
            school => page_scope.school,
            sections,
            withheld,
            user => user(who),
        },
    )?;
    let mut response = Audited::new(&page_scope, rows).on(html.into_response());
    // The page answers 200 with the rest of its items; the trail says what was missing.
    let mut failed: Vec<_> = results
        .iter()
        .filter_map(|((name, before), result)| {
            let error = result.as_ref().err()?;
            Some(format!("{name}{}: {}", if *before { " (the period before)" } else { "" }, error.trail()))
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

/// The filter form as the reader left it: the year and term when the window is one,
/// otherwise its bounds, as months for the roles that see whole months only (they are
/// never offered a day) and as dates for the others.
fn filters(held: &period::Held, who: &Principal, window: Window) -> minijinja::Value {
    let (year, term) = match window.named() {
        Some(Named::Year(year)) => (Some(year), None),
        Some(Named::Term(year, term)) => (Some(year), Some(term)),
        None => (None, None),
    };
    let bounded = window.named().is_none();
    let from = (bounded && window.from() != EARLIEST).then(|| window.from());
    let to = (bounded && window.to() != LATEST).then(|| window.to());
    let in_months = who.role.suppressed();
    let (from, to) = if in_months {
        (from.map(|d| Month::of(d).to_string()), to.and_then(|d| d.pred_opt()).map(|d| Month::of(d).to_string()))
    } else {
        (from.map(|d| d.to_string()), to.map(|d| d.to_string()))
    };
    let months: Option<Vec<_>> =
        in_months.then(|| held.months().into_iter().map(|m| (m.to_string(), m.title())).collect());
    context! {
        years => held.years().iter().map(ToString::to_string).collect::<Vec<_>>(),
        year => year.map(|y| y.to_string()),
        terms => Term::ALL.iter().map(|t| (t.as_str(), t.title())).collect::<Vec<_>>(),
        term => term.map(Term::as_str),
        months,
        from,
        to,
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
