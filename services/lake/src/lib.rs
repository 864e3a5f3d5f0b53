//! The Parquet lake: where every accepted event is stored, once.
//!
//! Layout (fixed, so that any Parquet tool can read it with Hive partitioning):
//!
//! ```text
//! <lake>/<family>_events/school_id=<id>/month=<YYYY-MM>/<first_seq>-<last_seq>.parquet
//! <lake>/rejects/month=<YYYY-MM>/<first_seq>-<last_seq>.parquet
//! <lake>/<rollup>/school_id=<id>/month=<YYYY-MM>/<name of its raw twin>
//! ```
//!
//! This crate owns the write side: building Arrow batches from validated events
//! ([`rows`]), committing files atomically ([`commit`]), knowing what is committed
//! ([`index`]), merging small files ([`compact`]) and keeping the rollups that reports
//! read instead of the raw events ([`rollup`]), removing what is past its retention
//! period ([`retention`]), with [`layout`] as the one place that
//! knows where files go and which files are live.

pub mod commit;
pub mod compact;
pub mod index;
pub mod layout;
pub mod rejects;
pub mod retention;
pub mod rollup;
pub mod rows;

pub use commit::write_parquet;
pub use index::{content_hash, id_hash, CommittedIndex};
pub use layout::{Lake, Partition};
pub use rejects::{Reject, RejectsBuilder};
pub use rows::FamilyBuilder;
