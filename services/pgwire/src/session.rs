//! A signed-in PostgreSQL session: statements by the simple protocol (psql) and the
//! extended one (JDBC, Npgsql: DBeaver, Metabase, Power BI), each classified
//! ([`crate::statement`]), run through the ad-hoc engine with its limits, and recorded in
//! the audit trail with its outcome and rows before the answer is sent.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use chrono::Utc;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ParamValues;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::arrow_pg::datatypes::df::deserialize_parameters;
use datafusion_postgres::arrow_pg::datatypes::{arrow_schema_to_pg_fields, encode_recordbatch};
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::hooks::HookClient;
use datafusion_postgres::pgwire::api::portal::{Format, Portal};
use datafusion_postgres::pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use datafusion_postgres::pgwire::api::results::{FieldInfo, QueryResponse, Response};
use datafusion_postgres::pgwire::api::stmt::QueryParser;
use datafusion_postgres::pgwire::api::store::PortalStore;
use datafusion_postgres::pgwire::api::{ClientInfo, ClientPortalStore, Type};
use datafusion_postgres::pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use datafusion_postgres::pgwire::messages::PgWireBackendMessage;
use datafusion_postgres::pgwire::types::format::FormatOptions;
use datafusion_postgres::{DfSessionService, Parser, QueryHook};
use futures::Sink;
use safelake_access::Principal;
use safelake_audit::{millis_since, Entry, Kind as AuditKind, Unfinished};
use safelake_query::adhoc::{Answer, Failure, Limit};

use crate::statement::{classify, Kind};
use crate::Shared;

/// The statement the extended protocol keeps between Parse and Execute:
/// datafusion-postgres's (the SQL, and the parsed statement with its plan).
type Prepared = <Parser as QueryParser>::Statement;

pub struct Session {
    shared: Arc<Shared>,
    dialect: PostgresCompatibilityParser,
    planner: Arc<Planner>,
    /// Answers the session statements (`SET application_name`, `SHOW`, `BEGIN`).
    hooks: Vec<Arc<dyn QueryHook>>,
}

impl Session {
    pub fn new(shared: Arc<Shared>) -> Session {
        let hooks: Vec<Arc<dyn QueryHook>> = vec![Arc::new(TransactionStatementHook), Arc::new(SetShowHook)];
        let context = Arc::new(shared.adhoc.context().clone());
        let service = DfSessionService::new_with_hooks(context, hooks.clone());
        let planner = Arc::new(Planner { inner: service.query_parser(), shared: Arc::clone(&shared) });
        Session { shared, dialect: PostgresCompatibilityParser::new(), planner, hooks }
    }

    /// Runs one statement: `bound` turns the plan's parameters into values (the extended
    /// protocol), or is absent (the simple one, which plans from the text).
    async fn statement<C>(
        &self,
        client: &mut C,
        statement: &Statement,
        plan: Option<(&LogicalPlan, &ParamValues)>,
        format: &Format,
    ) -> PgWireResult<Response>
    where
        C: HookClient + ClientInfo,
    {
        let started = Instant::now();
        let who = signed_in(&self.shared, &*client)?;
        let sql = statement.to_string();
        let unfinished = Unfinished::new(
            &self.shared.audit,
            entry(&*client, Some(&who), AuditKind::Sql, "sql", Some(sql.clone()), 499, None),
            started,
        );
        let (outcome, rows) = match classify(statement) {
            Kind::Refused(message) => (Err((403, error("25006", message))), None),
            Kind::Session => (self.session_statement(client, statement, plan).await.map_err(|e| (400, e)), None),
            Kind::Query => {
                let answer = match plan {
                    Some((plan, params)) => match plan.clone().replace_params_with_values(params) {
                        Ok(plan) => self.shared.adhoc.run_plan(plan).await,
                        Err(e) => Err(Failure::Invalid(format!("binding the parameters: {e}"))),
                    },
                    None => self.shared.adhoc.run(&sql).await,
                };
                match answer {
                    Ok(answer) => {
                        let rows = answer.rows;
                        (encode(answer, format, &*client).map(Response::Query).map_err(|e| (500, e)), Some(rows))
                    }
                    Err(failure) => (Err(failed(failure)), None),
                }
            }
        };
        let (status, message) = match &outcome {
            Ok(_) => (200, None),
            Err((status, error)) => (*status, Some(error.to_string())),
        };
        let rows = rows.and_then(|r| i64::try_from(r).ok());
        unfinished.finished();
        record(&self.shared, &*client, Some(&who), AuditKind::Sql, "sql", Some(sql), rows, status, message, started)
            .await
            .map_err(|e| error("XX000", format!("recording the query in the audit trail: {e:#}")))?;
        outcome.map_err(|(_, error)| error)
    }

    async fn session_statement<C>(
        &self,
        client: &mut C,
        statement: &Statement,
        plan: Option<(&LogicalPlan, &ParamValues)>,
    ) -> PgWireResult<Response>
    where
        C: HookClient + ClientInfo,
    {
        let context = self.shared.adhoc.context();
        for hook in &self.hooks {
            let answered = match plan {
                Some((plan, params)) => hook.handle_extended_query(statement, plan, params, context, client).await,
                None => hook.handle_simple_query(statement, context, client).await,
            };
            if let Some(response) = answered {
                return response;
            }
        }
        Err(error("0A000", format!("{statement} is not supported here")))
    }
}

/// The principal who signed in on this connection, if its token is still active: a
/// revoked token ends its sessions at their next statement.
fn signed_in(shared: &Shared, client: &(impl ClientInfo + ?Sized)) -> PgWireResult<Principal> {
    let principal = client
        .session_extensions()
        .get::<Principal>()
        .ok_or_else(|| error("28000", "this connection has not signed in".to_string()))?;
    match shared.tokens.active(&principal.token_id) {
        Ok(true) => Ok((*principal).clone()),
        Ok(false) => Err(PgWireError::UserError(Box::new(ErrorInfo::new(
            "FATAL".into(),
            "28000".into(),
            "the token this session signed in with has been revoked or has expired".into(),
        )))),
        Err(e) => Err(error("XX000", format!("checking the token: {e:#}"))),
    }
}

fn error(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".to_string(), code.to_string(), message)))
}

/// A failure as a PostgreSQL error, with the status the audit trail gives it (as over
/// HTTP: 403 refused, 400 the SQL's own mistake, 422 a limit).
fn failed(failure: Failure) -> (u16, PgWireError) {
    match failure {
        Failure::Refused(m) => (403, error("25006", m)),
        Failure::Invalid(m) => (400, error("42000", m)),
        Failure::Limit(Limit::Time, m) => (422, error("57014", m)),
        Failure::Limit(Limit::Memory, m) => (422, error("53200", m)),
        Failure::Limit(Limit::Rows, m) => (422, error("54000", m)),
    }
}

/// The answer as PostgreSQL rows in the format the client asked for.
fn encode(answer: Answer, format: &Format, client: &impl ClientInfo) -> PgWireResult<QueryResponse> {
    let options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
    let fields: Arc<Vec<FieldInfo>> = Arc::new(arrow_schema_to_pg_fields(&answer.schema, format, Some(options))?);
    let rows: Vec<_> =
        answer.batches.into_iter().flat_map(|batch| encode_recordbatch(Arc::clone(&fields), batch)).collect();
    Ok(QueryResponse::new(fields, futures::stream::iter(rows)))
}

/// Records one sign-in or statement of this connection in the audit trail.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    shared: &Shared,
    client: &(impl ClientInfo + ?Sized),
    who: Option<&Principal>,
    kind: AuditKind,
    what: &str,
    detail: Option<String>,
    rows: Option<i64>,
    status: u16,
    message: Option<String>,
    started: Instant,
) -> anyhow::Result<()> {
    let mut entry = entry(client, who, kind, what, detail, status, message);
    entry.rows = rows;
    entry.millis = millis_since(started);
    shared.audit.record(entry).await
}

fn entry(
    client: &(impl ClientInfo + ?Sized),
    who: Option<&Principal>,
    kind: AuditKind,
    what: &str,
    detail: Option<String>,
    status: u16,
    message: Option<String>,
) -> Entry {
    Entry {
        at: Utc::now(),
        who: who.map(|p| p.name.clone()).unwrap_or_else(|| client.metadata().get("user").cloned().unwrap_or_default()),
        token_id: who.map(|p| p.token_id.clone()),
        role: who.map(|p| p.role.to_string()),
        address: Some(client.socket_addr().ip().to_string()),
        via: "pgwire",
        kind,
        what: what.to_string(),
        detail,
        scope: who.map(|_| "trust".to_string()),
        rows: None,
        status,
        message,
        millis: 0,
    }
}

#[async_trait]
impl SimpleQueryHandler for Session {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statements = match self.dialect.parse(query) {
            Ok(statements) => statements,
            Err(e) => {
                let message = format!("the SQL does not parse: {e}");
                let who = signed_in(&self.shared, &*client)?;
                record(
                    &self.shared,
                    &*client,
                    Some(&who),
                    AuditKind::Sql,
                    "sql",
                    Some(query.to_string()),
                    None,
                    400,
                    Some(message.clone()),
                    Instant::now(),
                )
                .await
                .map_err(|e| error("XX000", format!("recording the query in the audit trail: {e:#}")))?;
                return Err(error("42601", message));
            }
        };
        let mut responses = Vec::with_capacity(statements.len());
        for statement in &statements {
            // As PostgreSQL does, a failed statement ends the query string.
            responses.push(self.statement(client, statement, None, &Format::UnifiedText).await?);
        }
        Ok(responses)
    }
}

#[async_trait]
impl ExtendedQueryHandler for Session {
    type Statement = Prepared;
    type QueryParser = Planner;

    fn query_parser(&self) -> Arc<Planner> {
        Arc::clone(&self.planner)
    }

    async fn do_query<C>(&self, client: &mut C, portal: &Portal<Prepared>, _max_rows: usize) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let (_, Some((statement, plan))) = &portal.statement.statement else {
            return Ok(Response::EmptyQuery);
        };
        let params = bind(portal, plan)?;
        self.statement(client, statement, Some((plan, &params)), &portal.result_column_format).await
    }
}

/// The portal's parameters as values of the types the plan expects.
fn bind(portal: &Portal<Prepared>, plan: &LogicalPlan) -> PgWireResult<ParamValues> {
    let types: HashMap<String, Option<DataType>> =
        plan.get_parameter_types().map_err(|e| error("42P18", format!("the parameters' types: {e}")))?;
    let mut ordered: Vec<(usize, Option<DataType>)> =
        types.into_iter().filter_map(|(name, kind)| Some((name.strip_prefix('$')?.parse().ok()?, kind))).collect();
    ordered.sort_by_key(|(n, _)| *n);
    let types: Vec<Option<&DataType>> = ordered.iter().map(|(_, kind)| kind.as_ref()).collect();
    deserialize_parameters(portal, &types)
}

/// Plans statements for the extended protocol (datafusion-postgres's parser: the
/// PostgreSQL dialect and catalog), recording those that fail to plan, since they never
/// reach [`Session::statement`].
pub struct Planner {
    inner: Arc<Parser>,
    shared: Arc<Shared>,
}

#[async_trait]
impl QueryParser for Planner {
    type Statement = Prepared;

    async fn parse_sql<C>(&self, client: &C, sql: &str, types: &[Option<Type>]) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let parsed = self.inner.parse_sql(client, sql, types).await;
        if let Err(failure) = &parsed {
            let who = signed_in(&self.shared, client)?;
            let message = Some(failure.to_string());
            record(
                &self.shared,
                client,
                Some(&who),
                AuditKind::Sql,
                "sql",
                Some(sql.to_string()),
                None,
                400,
                message,
                Instant::now(),
            )
            .await
            .map_err(|e| error("XX000", format!("recording the query in the audit trail: {e:#}")))?;
        }
        parsed
    }

    fn get_parameter_types(&self, statement: &Prepared) -> PgWireResult<Vec<Type>> {
        self.inner.get_parameter_types(statement)
    }

    fn get_result_schema(&self, statement: &Prepared, format: Option<&Format>) -> PgWireResult<Vec<FieldInfo>> {
        self.inner.get_result_schema(statement, format)
    }
}
