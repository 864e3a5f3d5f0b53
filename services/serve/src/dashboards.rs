//! The dashboards: server-rendered pages that arrange reports as charts and tables as
//! `dashboards/*.toml` defines them, with filters for period and school, downloads of
//! every chart (SVG, PNG) and table (CSV), and nothing loaded from another host.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use minijinja::context;
use safelake_access::{Principal, Scope};
use safelake_period::{Month, Named, Term, Window, EARLIEST, LATEST};
use safelake_schemas::{HubId, SchoolId};

use crate::audited::Audited;
use crate::compose::compose;
use crate::error::{Error, Message, Result};
use crate::period;
use crate::state::AppState;

pub async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../static/style.css"))
}

/// The tab icon (browsers ask for one; without it every page logs a 404).
pub async fn icon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml")], include_str!("../static/favicon.svg"))
}

/// The dashboards the caller may open (the trustees' review, each hub's and each
/// school's, as its role and scope allow) and the meeting packs of those boards.
pub async fn index(State(state): State<Arc<AppState>>, Extension(who): Extension<Principal>) -> Result<Response> {
    let trust = &state.trust;
    let trustees = state.opens(&who, "trustees", &Scope::default());
    let hubs: Vec<_> = trust
        .hubs
        .iter()
        .filter(|h| state.opens(&who, "hab", &Scope { hub: Some(h.id.clone()), school: None }))
        .map(|h| context! {id => h.id, name => h.name})
        .collect();
    let schools: Vec<_> = trust
        .schools
        .iter()
        .filter(|s| state.opens(&who, "school", &Scope { school: Some(s.id.clone()), hub: None }))
        .map(|s| context! {id => s.id, name => s.name, hub => s.hub})
        .collect();
    let packs = crate::packs::listed(&state, &who).await;
    let page = state.templates.render(
        "index.html",
        context! {title => trust.trust.name, trust => trust.trust.name, trustees, hubs, schools, packs, user => user(&who), sql => who.role.runs_sql()},
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

async fn render(
    state: &AppState,
    who: &Principal,
    name: &str,
    scope: Scope,
    query: Option<String>,
) -> Result<Response> {
    let held = period::Held::of(&state.engine).await.map_err(|e| Error::internal(e).page())?;
    let composed =
        compose(state, who, name, &scope, query.as_deref(), held.default_year()).await.map_err(Error::page)?;
    let page_scope = composed.asked.scope();
    let in_scope: Vec<_> = state
        .trust
        .schools
        .iter()
        .filter(|s| scope.hub.as_ref().is_none_or(|h| *h == s.hub))
        .map(|s| context! {id => s.id, name => s.name})
        .collect();
    let html = state.templates.render(
        "dashboard.html",
        context! {
            filters => filters(&held, who, composed.asked.window()),
            schools => if scope.school.is_none() { in_scope } else { vec![] },
            school => page_scope.school,
            user => user(who),
            ..composed.context(state)
        },
    )?;
    let mut response = Audited::new(&page_scope, composed.rows).on(html.into_response());
    // The page answers 200 with the rest of its items; the trail says what was missing.
    if !composed.failed.is_empty() {
        response.extensions_mut().insert(Message(format!("reports that failed: {}", composed.failed.join("; "))));
    }
    Ok(response)
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
