//! The lake: every table a Delta Lake table (Parquet files and a transaction log), in a
//! directory or on an object store.
//!
//! ```text
//! <lake>/<family>_events/_delta_log/...                    the log: what each version holds
//! <lake>/<family>_events/school_id=<id>/month=<YYYY-MM>/*.parquet
//! <lake>/rejects/month=<YYYY-MM>/*.parquet
//! <lake>/<rollup>/school_id=<id>/month=<YYYY-MM>/*.parquet
//! <lake>/audit_log/month=<YYYY-MM>/*.parquet
//! ```
//!
//! This crate owns the write side: where the lake is ([`location`], [`durable`]), its
//! tables ([`tables`], [`table`]), building Arrow batches from validated events
//! ([`rows`], [`rejects`]), appending exactly once ([`append`], [`ledger`]), merging small
//! files ([`compact`]), keeping the rollups that reports read instead of the raw events in
//! step with them ([`rollup`], [`follow`]), removing what is past its retention period
//! ([`retention`]) and converting a lake written before it used Delta ([`migrate`]).

pub mod append;
pub mod compact;
pub mod durable;
pub mod follow;
pub mod identity;
pub mod ledger;
pub mod location;
pub mod migrate;
pub mod rejects;
pub mod retention;
pub mod rollup;
pub mod rows;
pub mod table;
pub mod tables;

pub use identity::{content_hash, id_hash};
pub use location::LakeUrl;
pub use rejects::{Reject, RejectsBuilder};
pub use rows::FamilyBuilder;
pub use table::{DataFile, Lake, Outcome, Partition, Table};
pub use tables::TableSpec;
