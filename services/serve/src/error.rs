//! Errors a caller can act on: a status and a message that says what to fix, as JSON for
//! the API and charts, or as a page for a browser. A failure inside the service tells
//! the caller only that it failed and under which request id; its error chain (which can
//! name files, plans and columns) goes to the log and the audit trail under that id.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use rand::distr::{Alphanumeric, SampleString};

#[derive(Debug, Clone)]
pub struct Error {
    pub status: StatusCode,
    pub message: String,
    /// What the trail records instead of `message`: an internal failure's chain.
    detail: Option<String>,
    page: bool,
}

impl Error {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Error {
        Error { status, message: message.into(), detail: None, page: false }
    }

    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(StatusCode::NOT_FOUND, message)
    }

    /// The caller may not see this: the message says what it may see instead.
    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::new(StatusCode::FORBIDDEN, message)
    }

    /// A failure of the service, not the request: logged and audited in full under a
    /// new request id, reported to the caller as that id and no more.
    pub fn internal(error: anyhow::Error) -> Error {
        let id = Alphanumeric.sample_string(&mut rand::rng(), 12);
        let chain = format!("{error:#}");
        tracing::error!(request_id = id, error = chain, "request failed");
        Error {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!(
                "the service could not answer this request (request id {id}); try again, and if it fails again, \
                 give the id to the trust's administrator, whose log has the details"
            ),
            detail: Some(format!("request id {id}: {chain}")),
            page: false,
        }
    }

    /// What the audit trail records: the message, or for an internal failure its chain.
    pub fn trail(&self) -> &str {
        self.detail.as_deref().unwrap_or(&self.message)
    }

    /// The same error, shown as an HTML page.
    pub fn page(mut self) -> Error {
        self.page = true;
        self
    }
}

/// What the audit trail records of a failed (or partly failed) request, put in the
/// response's extensions.
#[derive(Debug, Clone)]
pub struct Message(pub String);

impl From<safelake_access::Refused> for Error {
    fn from(refused: safelake_access::Refused) -> Error {
        Error::forbidden(refused.0)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let message = Message(self.trail().to_string());
        let mut response = self.response();
        response.extensions_mut().insert(message);
        response
    }
}

impl Error {
    fn response(self) -> Response {
        if self.page {
            let message = minijinja::HtmlEscape(&self.message).to_string();
            let body = format!(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status}</title>\
                 <link rel=\"stylesheet\" href=\"/static/style.css\">\
                 <link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\"></head><body><main><h1>{status}</h1>\
                 <p class=\"error\">{message}</p><p><a href=\"/\">All dashboards</a></p></main></body></html>",
                status = self.status
            );
            (self.status, Html(body)).into_response()
        } else {
            (self.status, Json(serde_json::json!({"error": self.message}))).into_response()
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
