//! The query service as its users reach it: a real server on a free port with its own
//! token file, and a caller per token, as a script or a spreadsheet signs in.

// Each test binary uses its own part of this harness.
#![allow(dead_code)]

use std::path::Path;

use anyhow::Result;
use bytes::Bytes;
use safelake_access::{NewToken, Role, Tokens};
use safelake_schemas::Trust;
use safelake_serve::{ServeOptions, Server};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub struct Service {
    pub base: String,
    pub stop: CancellationToken,
    tokens: Tokens,
    trust: Trust,
    server: Option<Server>,
    _dir: tempfile::TempDir,
}

impl Service {
    /// A service over `lake`, with a token file of its own.
    pub async fn start(lake: &Path, trust: Trust) -> Result<Service> {
        Service::start_with(lake, trust, |_| {}).await
    }

    pub async fn start_with(lake: &Path, trust: Trust, adjust: impl FnOnce(&mut ServeOptions)) -> Result<Service> {
        let dir = tempfile::tempdir()?;
        let stop = CancellationToken::new();
        let mut options = ServeOptions::new("127.0.0.1:0".parse()?, safelake_lake::LakeUrl::dir(lake), trust.clone());
        options.tokens = dir.path().join("tokens.json");
        adjust(&mut options);
        let tokens = Tokens::new(&options.tokens);
        let server = Server::start(options, stop.clone()).await?;
        Ok(Service { base: format!("http://{}", server.addr), stop, tokens, trust, server: Some(server), _dir: dir })
    }

    /// A caller holding a new token of `role` for `scope` (a school for a dsl, a hub for
    /// a hab member).
    pub fn caller(&self, role: Role, scope: Option<&str>) -> Caller {
        let (_, token) = self.token(role, scope);
        Caller::new(&self.base, Some(&token))
    }

    /// A new token's name ("`role` `scope`", or "`role` trust") and the token itself.
    pub fn token(&self, role: Role, scope: Option<&str>) -> (String, String) {
        let new = NewToken {
            name: format!("{role} {}", scope.unwrap_or("trust")),
            role,
            school: scope.filter(|_| role == Role::Dsl).map(|s| s.parse().expect("a school id")),
            hub: scope.filter(|_| role == Role::Hab).map(|h| h.parse().expect("a hub id")),
            expires_in_days: None,
        };
        let (record, token) = self.tokens.create(new, &self.trust).expect("a token for the test");
        (record.name, token)
    }

    /// Where PostgreSQL clients connect, when the service was started with an endpoint.
    pub fn pg_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().and_then(|s| s.pg_addr)
    }

    pub fn anonymous(&self) -> Caller {
        Caller::new(&self.base, None)
    }

    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Stops the server and waits for it (and its audit records) to finish.
    pub async fn stop(mut self) -> Result<()> {
        self.stop.cancel();
        match self.server.take() {
            Some(server) => server.wait().await,
            None => Ok(()),
        }
    }
}

pub struct Caller {
    pub base: String,
    pub token: Option<String>,
    client: reqwest::Client,
}

impl Caller {
    pub fn new(base: &str, token: Option<&str>) -> Caller {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Caller { base: base.to_string(), token: token.map(str::to_string), client }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(u16, String, Bytes)> {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        Ok((status, kind, response.bytes().await?))
    }

    /// Status, content type and body of a GET of `path` (or a full URL).
    pub async fn get(&self, path: &str) -> Result<(u16, String, Bytes)> {
        self.send(self.client.get(self.url(path))).await
    }

    /// A POST of SQL to `/api/sql` (`query` such as `?format=csv`).
    pub async fn sql(&self, sql: &str, query: &str) -> Result<(u16, String, Bytes)> {
        let body = serde_json::json!({ "sql": sql }).to_string();
        let request = self
            .client
            .post(self.url(&format!("/api/sql{query}")))
            .header("content-type", "application/json")
            .body(body);
        self.send(request).await
    }

    /// The JSON of a 200 answer.
    pub async fn json(&self, path: &str) -> Result<Value> {
        let (status, _, body) = self.get(path).await?;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        Ok(serde_json::from_slice(&body)?)
    }

    /// A refusal with `status` whose message (the JSON `error`, or the page) mentions `hint`.
    pub async fn refused(&self, path: &str, status: u16, hint: &str) -> Result<()> {
        let (got, _, body) = self.get(path).await?;
        let body = message(&body);
        assert_eq!(got, status, "{path}: {body}");
        assert!(body.contains(hint), "{path}: {body:?} should mention {hint:?}");
        Ok(())
    }
}

/// The message of an error body: the JSON `error`, or the page's text.
pub fn message(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(error) => error["error"].as_str().unwrap_or_default().to_string(),
        Err(_) => String::from_utf8_lossy(body).replace("&quot;", "\"").replace("&#x2f;", "/").replace("&amp;", "&"),
    }
}

/// CSV rows as text cells (the header first), read as a spreadsheet would.
pub fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}
