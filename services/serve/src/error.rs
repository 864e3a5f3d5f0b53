//! Errors a caller can act on: a status and a message that says what to fix, as JSON for
//! the API and charts, or as a page for a browser.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

#[derive(Debug, Clone)]
pub struct Error {
    pub status: StatusCode,
    pub message: String,
    page: bool,
}

impl Error {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Error {
        Error { status, message: message.into(), page: false }
    }

    pub fn bad_request(message: impl Into<String>) -> Error {
        Error::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Error {
        Error { status: StatusCode::NOT_FOUND, message: message.into(), page: false }
    }

    /// The caller may not see this: the message says what it may see instead.
    pub fn forbidden(message: impl Into<String>) -> Error {
        Error { status: StatusCode::FORBIDDEN, message: message.into(), page: false }
    }

    /// A failure of the service, not the request: logged in full, reported plainly.
    pub fn internal(error: anyhow::Error) -> Error {
        tracing::error!(error = format!("{error:#}"), "request failed");
        Error { status: StatusCode::INTERNAL_SERVER_ERROR, message: format!("{error:#}"), page: false }
    }

    /// The same error, shown as an HTML page.
    pub fn page(mut self) -> Error {
        self.page = true;
        self
    }
}

impl From<safelake_access::Refused> for Error {
    fn from(refused: safelake_access::Refused) -> Error {
        Error::forbidden(refused.0)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let message = crate::audited::Message(self.message.clone());
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
