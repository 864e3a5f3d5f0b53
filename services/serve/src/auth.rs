//! Who is asking. Every route but `/healthz`, the sign-in page and its stylesheet needs a
//! token: programs send `Authorization: Bearer <token>`; people sign in once on
//! `/login`, which opens a session ([`safelake_access::Sessions`]) whose id, not the
//! token, the browser keeps in a secure, http-only, same-site cookie. An address that
//! keeps sending bad tokens is made to wait ([`safelake_access::Throttle`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use cookie::{Cookie, SameSite};
use minijinja::context;
use safelake_access::Principal;
use serde::Deserialize;

use crate::error::Error;
use crate::state::AppState;

pub const COOKIE: &str = "safelake_session";

/// How long a sign-in lasts in a browser.
pub const SIGN_IN: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// The caller's address, when the server was started with connection info.
pub fn address(request_extensions: &axum::http::Extensions) -> IpAddr {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

fn from_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_string())
}

/// A wait imposed on an address that kept failing: 429 with `Retry-After`.
fn throttled(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs().max(1);
    let message = format!("too many failed sign-ins from this address; try again in {seconds} s");
    let mut response = Error::new(StatusCode::TOO_MANY_REQUESTS, message).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Who a request says it is from.
enum Caller {
    Known(Principal),
    /// A bearer token that is not one of ours, or no longer active.
    BadToken,
    /// A session cookie of a sign-in that has ended: signed out, past its time, its token
    /// revoked, or the service restarted.
    Ended,
    Nobody,
}

/// The bearer token if there is one (programs), else the browser's session.
fn caller(state: &AppState, headers: &HeaderMap) -> anyhow::Result<Caller> {
    if let Some(token) = bearer(headers) {
        return Ok(state.tokens.verify(&token)?.map_or(Caller::BadToken, Caller::Known));
    }
    let Some(session) = from_cookie(headers) else { return Ok(Caller::Nobody) };
    match state.sessions.get(&session) {
        Some(principal) if state.tokens.active(&principal.token_id)? => Ok(Caller::Known(principal)),
        _ => Ok(Caller::Ended),
    }
}

/// Lets a request through with its [`Principal`] (in the request's extensions for the
/// handler, and in the response's for the audit trail), or answers 401: a redirect to
/// the sign-in page for a browser asking for a page, JSON for everything else.
pub async fn require(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    let address = address(request.extensions());
    if let Some(wait) = state.throttle.wait(address) {
        return throttled(wait);
    }
    let refusal = match caller(&state, request.headers()) {
        Ok(Caller::Known(principal)) => {
            state.throttle.succeeded(address);
            request.extensions_mut().insert(principal.clone());
            let mut response = next.run(request).await;
            response.extensions_mut().insert(principal);
            return response;
        }
        Err(error) => return Error::internal(error.context("checking the token")).into_response(),
        Ok(Caller::BadToken) => {
            state.throttle.failed(address);
            "the token is not valid: unknown, revoked or expired; ask the director for a new one"
        }
        // Not a guess at a token: a session id is never typed, so no throttle.
        Ok(Caller::Ended) => "your sign-in has ended (signed out, expired or revoked); sign in again at /login",
        Ok(Caller::Nobody) => "sign in: send the header `Authorization: Bearer <token>`, or sign in at /login",
    };
    let wants_page = request.method() == Method::GET
        && (request.uri().path() == "/" || request.uri().path().starts_with("/dashboards/"));
    if wants_page {
        let next = request.uri().path_and_query().map_or("/", |p| p.as_str());
        let target = format!("/login?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default());
        return Redirect::to(&target).into_response();
    }
    let mut response = Error::new(StatusCode::UNAUTHORIZED, refusal).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"safelake\""));
    response
}

#[derive(Deserialize)]
pub struct NextPage {
    next: Option<String>,
}

/// Only a path on this site: never `//elsewhere` or `https://elsewhere`, nor what a
/// browser reads as them (it drops tabs and line breaks and turns `\` into `/`).
fn local(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn form(state: &AppState, next: &str, message: Option<&str>) -> Result<Html<String>, Error> {
    state.templates.render("login.html", context! {title => "Sign in", next, message}).map_err(Error::page)
}

pub async fn sign_in_page(State(state): State<Arc<AppState>>, Query(query): Query<NextPage>) -> Response {
    form(&state, &local(query.next.as_deref()), None).into_response()
}

#[derive(Deserialize)]
pub struct SignIn {
    token: String,
    next: Option<String>,
}

/// Checks the token typed into the form and opens a session, whose id the browser keeps.
pub async fn sign_in(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let address = address(request.extensions());
    if let Some(wait) = state.throttle.wait(address) {
        return throttled(wait);
    }
    let Ok(Form(SignIn { token, next })) = Form::<SignIn>::from_request(request, &state).await else {
        return Error::bad_request("the sign-in form sends `token`").page().into_response();
    };
    let next = local(next.as_deref());
    match state.tokens.verify(&token) {
        Ok(Some(principal)) => {
            state.throttle.succeeded(address);
            let session = state.sessions.open(principal.clone());
            let lifetime = i64::try_from(state.sessions.lifetime().as_secs()).unwrap_or(i64::MAX);
            let cookie = Cookie::build((COOKIE, session))
                .http_only(true)
                .secure(true)
                .same_site(SameSite::Strict)
                .path("/")
                .max_age(cookie::time::Duration::seconds(lifetime))
                .build();
            let mut response = Redirect::to(&next).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response.extensions_mut().insert::<Principal>(principal);
            response
        }
        Ok(None) => {
            state.throttle.failed(address);
            let page = form(&state, &next, Some("That token is not valid: unknown, revoked or expired."));
            (StatusCode::UNAUTHORIZED, page).into_response()
        }
        Err(error) => Error::internal(error.context("checking the token")).page().into_response(),
    }
}

/// Ends the browser's session on the server, and has the browser forget it.
pub async fn sign_out(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let session = from_cookie(&headers);
    let who = session.as_deref().and_then(|id| state.sessions.get(id));
    if let Some(id) = &session {
        state.sessions.close(id);
    }
    let mut cookie =
        Cookie::build((COOKIE, "")).http_only(true).secure(true).same_site(SameSite::Strict).path("/").build();
    cookie.make_removal();
    let mut response = Redirect::to("/login").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    if let Some(principal) = who {
        response.extensions_mut().insert(principal);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn sign_in_returns_only_to_a_page_of_this_site() {
        assert_eq!(local(Some("/dashboards/hab/north?year=2025-26")), "/dashboards/hab/north?year=2025-26");
        for elsewhere in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /x",
        ] {
            assert_eq!(local(Some(elsewhere)), "/", "{elsewhere:?}");
        }
        assert_eq!(local(None), "/");
    }
}
