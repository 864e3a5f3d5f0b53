//! What a statement from a PostgreSQL client is allowed to be. Queries run (through the
//! ad-hoc engine, which checks the plan again); the session statements that connectors
//! send on their own (a client setting, `SHOW`, `BEGIN`/`COMMIT`) are answered for the
//! connection only; everything else is refused before anything is planned, with a
//! message that says what does run.

use datafusion::sql::sqlparser::ast::{Set, Statement};

/// Settings that change only how this connection's results are written, which
/// connectors set when they connect. Anything else a `SET` could reach is the engine's,
/// shared by everyone, and is refused.
const CLIENT_SETTINGS: &[&str] =
    &["application_name", "datestyle", "intervalstyle", "extra_float_digits", "bytea_output", "search_path"];

#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    /// Reads the lake: planned and run within the ad-hoc limits.
    Query,
    /// Answered for this connection alone by datafusion-postgres's hooks.
    Session,
    /// Not run; the message says why and what would.
    Refused(String),
}

pub fn classify(statement: &Statement) -> Kind {
    match statement {
        Statement::Query(_)
        | Statement::Explain { .. }
        | Statement::ExplainTable { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowDatabases { .. } => Kind::Query,
        Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. } => Kind::Session,
        Statement::Set(Set::SetTimeZone { .. }) => Kind::Session,
        Statement::Set(Set::SingleAssignment { scope: None, hivevar: false, variable, values })
            if !values.is_empty() && CLIENT_SETTINGS.contains(&variable.to_string().to_lowercase().as_str()) =>
        {
            Kind::Session
        }
        Statement::Set(set) => Kind::Refused(format!(
            "{set} is not allowed: the engine's settings are shared by everyone. Only the client settings \
             ({}, TIME ZONE) may be set",
            CLIENT_SETTINGS.join(", ")
        )),
        other => {
            // The statement's leading keywords ("DROP TABLE", "COPY"): statements render
            // their keywords in capitals and names as written.
            let text = other.to_string();
            let verb: Vec<&str> = text
                .split_whitespace()
                .take_while(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                .take(2)
                .collect();
            Kind::Refused(format!(
                "SQL here is read-only: SELECT, WITH, SHOW and EXPLAIN run; {} does not",
                verb.join(" ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

    fn kind(sql: &str) -> Kind {
        let statements = PostgresCompatibilityParser::new().parse(sql).unwrap();
        classify(&statements[0])
    }

    #[test]
    fn queries_run_session_statements_are_answered_and_the_rest_refused() {
        for sql in ["SELECT 1", "WITH a AS (SELECT 1) SELECT * FROM a", "EXPLAIN SELECT 1", "SHOW TABLES"] {
            assert_eq!(kind(sql), Kind::Query, "{sql}");
        }
        for sql in ["SET application_name = 'psql'", "SET DateStyle = 'ISO'", "SHOW server_version", "BEGIN", "COMMIT"]
        {
            assert_eq!(kind(sql), Kind::Session, "{sql}");
        }
        for (sql, says) in [
            ("DROP TABLE incident_events", "DROP TABLE does not"),
            ("COPY incident_events TO STDOUT", "; COPY does not"),
            ("INSERT INTO t VALUES (1)", "INSERT INTO does not"),
            ("CREATE TABLE t AS SELECT 1", "CREATE TABLE does not"),
            ("DELETE FROM audit_log", "DELETE FROM does not"),
            ("SET datafusion.execution.batch_size = 1", "engine's settings"),
        ] {
            match kind(sql) {
                Kind::Refused(message) => assert!(message.contains(says), "{sql}: {message}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
    }
}
