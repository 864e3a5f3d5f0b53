//! Rollups: small tables derived from the raw web filter events, so that reports over a
//! year of web filtering read thousands of rows, not a hundred million.
//!
//! Five so far, all of `filter_events`: `blocked_daily`, web filter blocks per day, user,
//! category and verdict; `blocked_monthly`, the same per user, category and verdict over
//! the month (a sixth of the daily rows: reports over whole months read it);
//! `blocked_categories_monthly`, one row per category with its distinct users (a
//! ten-thousandth); `high_risk_daily`, the blocked attempts in the high-risk categories
//! per day and user (a thirtieth); `filter_changes`, the filter's governance events as
//! they are.
//!
//! Each rollup's rows are derived raw file by raw file ([`derive`]): a rollup partition
//! holds the aggregate of each live raw file of the same partition, so it is a pure
//! function of the raw table's version. [`crate::follow`] keeps the rollup tables in step
//! with the raw table's log, and records in each the raw version it reflects. Add a rollup
//! by giving it a [`Rollup`], a derive function and its SQL definition in
//! `queries/rollups/`. The daily aggregate is computed once per raw file and the others
//! are derived from it ([`Inputs`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result};
use arrow::array::BooleanArray;
use arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array, StringArray};
use arrow::compute::{cast, concat_batches, filter_record_batch};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef, TimestampMicrosecondType};
use arrow::record_batch::RecordBatch;

use safelake_schemas::arrow::FamilyTable;
use safelake_schemas::events::{ContractEnum, WebCategory};
use safelake_schemas::Family;

const FILTER_BLOCKED: &str = "uk.safeguarding.filter.blocked.v1";
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A table derived file by file from one raw table.
#[derive(Debug)]
pub struct Rollup {
    /// Its table directory in the lake (and its SQL name).
    pub table: &'static str,
    /// The raw table it is derived from.
    pub source: &'static str,
    /// The raw columns it reads (all when empty).
    pub reads: &'static [&'static str],
    /// The column that counts raw events, summed when one key sits in several files
    /// (`None` for a rollup that keeps raw rows, or whose rows a view combines).
    pub measure: Option<&'static str>,
    pub schema: fn() -> SchemaRef,
    /// The aggregate of one raw file's rows (no rows when it has none of its events).
    pub derive: fn(&Inputs) -> Result<RecordBatch>,
}

/// What a raw file's rollup rows are derived from: its rows, and their daily blocked
/// aggregate, computed once for every rollup that starts from it.
pub struct Inputs<'a> {
    raw: &'a [RecordBatch],
    daily: OnceLock<RecordBatch>,
}

impl<'a> Inputs<'a> {
    pub fn new(raw: &'a [RecordBatch]) -> Inputs<'a> {
        Inputs { raw, daily: OnceLock::new() }
    }

    fn blocked_daily(&self) -> Result<&RecordBatch> {
        if let Some(daily) = self.daily.get() {
            return Ok(daily);
        }
        let daily = blocked_daily_of(self.raw)?;
        Ok(self.daily.get_or_init(|| daily))
    }
}

/// The raw columns of the rollups derived from the daily blocked aggregate.
const BLOCKS_READ: &[&str] = &["type", "occurred_at", "user_ref", "user_group", "category", "verdict"];

pub const ROLLUPS: &[Rollup] = &[
    Rollup {
        table: "blocked_daily",
        source: "filter_events",
        reads: BLOCKS_READ,
        measure: Some("requests"),
        schema: blocked_daily_schema,
        derive: blocked_daily,
    },
    Rollup {
        table: "blocked_monthly",
        source: "filter_events",
        reads: BLOCKS_READ,
        measure: Some("requests"),
        schema: blocked_monthly_schema,
        derive: blocked_monthly,
    },
    Rollup {
        table: "blocked_categories_monthly",
        source: "filter_events",
        reads: BLOCKS_READ,
        measure: None,
        schema: blocked_categories_monthly_schema,
        derive: blocked_categories_monthly,
    },
    Rollup {
        table: "high_risk_daily",
        source: "filter_events",
        reads: BLOCKS_READ,
        measure: Some("requests"),
        schema: high_risk_daily_schema,
        derive: high_risk_daily,
    },
    Rollup {
        table: "filter_changes",
        source: "filter_events",
        reads: &[],
        measure: None,
        schema: filter_changes_schema,
        derive: filter_changes,
    },
];

/// The rollups of the raw table `source`.
pub fn of(source: &str) -> Vec<&'static Rollup> {
    ROLLUPS.iter().filter(|r| r.source == source).collect()
}

/// The raw columns `rollups` read (all, when one of them reads all).
pub fn columns_read(rollups: &[&Rollup]) -> Vec<&'static str> {
    let mut columns: Vec<&'static str> = Vec::new();
    if rollups.iter().any(|r| r.reads.is_empty()) {
        return columns;
    }
    for column in rollups.iter().flat_map(|r| r.reads.iter()) {
        if !columns.contains(column) {
            columns.push(column);
        }
    }
    columns
}

/// Each rollup's rows for one raw file's rows, in the order of `rollups`.
pub fn derive(rollups: &[&Rollup], raw: &[RecordBatch]) -> Result<Vec<RecordBatch>> {
    let inputs = Inputs::new(raw);
    rollups.iter().map(|r| (r.derive)(&inputs)).collect()
}

/// `blocked_daily`: one row per (UTC day of occurred_at, user, category, verdict) of the
/// filter's blocked events, with how many requests it stopped or flagged.
pub fn blocked_daily_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        Arc::new(Schema::new(vec![
            Field::new("day", DataType::Date32, false),
            Field::new("user_ref", DataType::Utf8, true),
            Field::new("user_group", DataType::Utf8, true),
            Field::new("category", DataType::Utf8, true),
            Field::new("verdict", DataType::Utf8, true),
            Field::new("requests", DataType::Int64, false),
        ]))
    }))
}

/// (day, user_ref, user_group, category, verdict), owned or borrowed from a batch.
type Key<S> = (i32, Option<S>, Option<S>, Option<S>, Option<S>);
/// `filter_changes`: the filter's governance events (unblock requests and decisions, rule
/// changes), every column: a few hundred rows beside a month's hundreds of thousands of
/// blocks, which governance reports would otherwise scan past.
pub fn filter_changes_schema() -> SchemaRef {
    Arc::clone(&FamilyTable::get(Family::Filter).schema)
}

fn filter_changes(inputs: &Inputs) -> Result<RecordBatch> {
    let mut kept = Vec::new();
    for batch in inputs.raw {
        let kind = cast(batch.column_by_name("type").context("no column type")?, &DataType::Utf8)?;
        let keep: BooleanArray = kind.as_string::<i32>().iter().map(|t| Some(t != Some(FILTER_BLOCKED))).collect();
        kept.push(filter_record_batch(batch, &keep)?);
    }
    Ok(concat_batches(&filter_changes_schema(), &kept)?)
}

type BlockedKey = Key<String>;

fn text_at(array: &StringArray, i: usize) -> Option<&str> {
    array.is_valid(i).then(|| array.value(i))
}

fn blocked_daily(inputs: &Inputs) -> Result<RecordBatch> {
    Ok(inputs.blocked_daily()?.clone())
}

fn blocked_daily_of(batches: &[RecordBatch]) -> Result<RecordBatch> {
    let mut counts: HashMap<BlockedKey, i64> = HashMap::new();
    for batch in batches {
        let text = |name: &str| -> Result<ArrayRef> {
            let column = batch.column_by_name(name).with_context(|| format!("no column {name}"))?;
            Ok(cast(column, &DataType::Utf8)?)
        };
        let (kind, user, group, category, verdict) =
            (text("type")?, text("user_ref")?, text("user_group")?, text("category")?, text("verdict")?);
        let (kind, user, group, category, verdict) = (
            kind.as_string::<i32>(),
            user.as_string::<i32>(),
            group.as_string::<i32>(),
            category.as_string::<i32>(),
            verdict.as_string::<i32>(),
        );
        let occurred = batch.column_by_name("occurred_at").context("no column occurred_at")?;
        let occurred = occurred.as_primitive_opt::<TimestampMicrosecondType>().context("occurred_at is a timestamp")?;
        // Counted per batch on borrowed text, so a row costs no allocation; only each
        // distinct key is copied.
        let mut here: HashMap<Key<&str>, i64> = HashMap::new();
        for i in 0..batch.num_rows() {
            if kind.value(i) != FILTER_BLOCKED || occurred.is_null(i) {
                continue;
            }
            let day = occurred.value(i).div_euclid(MICROS_PER_DAY) as i32;
            *here
                .entry((day, text_at(user, i), text_at(group, i), text_at(category, i), text_at(verdict, i)))
                .or_default() += 1;
        }
        let owned = |s: Option<&str>| s.map(str::to_string);
        for ((day, user, group, category, verdict), n) in here {
            *counts.entry((day, owned(user), owned(group), owned(category), owned(verdict))).or_default() += n;
        }
    }
    let mut rows: Vec<(BlockedKey, i64)> = counts.into_iter().collect();
    // Sorted by day, then category, then user: runs that compress well and row groups
    // whose day statistics prune.
    rows.sort_by(|(a, _), (b, _)| (a.0, &a.3, &a.1, &a.4).cmp(&(b.0, &b.3, &b.1, &b.4)));
    let strings = |f: fn(&BlockedKey) -> &Option<String>| -> ArrayRef {
        Arc::new(rows.iter().map(|(k, _)| f(k).as_deref()).collect::<StringArray>())
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Date32Array::from(rows.iter().map(|(k, _)| k.0).collect::<Vec<i32>>())),
        strings(|k| &k.1),
        strings(|k| &k.2),
        strings(|k| &k.3),
        strings(|k| &k.4),
        Arc::new(rows.iter().map(|(_, n)| *n).collect::<Int64Array>()),
    ];
    Ok(RecordBatch::try_new(blocked_daily_schema(), columns)?)
}

/// `blocked_monthly`: one row per (user, category, verdict) of the filter's blocked
/// events in the file (whose partition is one month), with how many requests.
pub fn blocked_monthly_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        let daily = blocked_daily_schema();
        Arc::new(Schema::new(daily.fields().iter().filter(|f| f.name() != "day").cloned().collect::<Vec<_>>()))
    }))
}

/// (user_ref, user_group, category, verdict), borrowed from the daily aggregate.
type MonthlyKey<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, Option<&'a str>);

fn blocked_monthly(inputs: &Inputs) -> Result<RecordBatch> {
    let daily = inputs.blocked_daily()?;
    let text = |name: &str| daily.column_by_name(name).expect("a blocked_daily column").as_string::<i32>();
    let (user, group, category, verdict) = (text("user_ref"), text("user_group"), text("category"), text("verdict"));
    let requests = daily.column_by_name("requests").expect("a blocked_daily column").as_primitive::<Int64Type>();
    let mut counts: HashMap<MonthlyKey, i64> = HashMap::new();
    for i in 0..daily.num_rows() {
        let key = (text_at(user, i), text_at(group, i), text_at(category, i), text_at(verdict, i));
        *counts.entry(key).or_default() += requests.value(i);
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    // Sorted by category, then user: runs that compress well.
    rows.sort_by(|(a, _), (b, _)| (a.2, a.0, a.3).cmp(&(b.2, b.0, b.3)));
    let column = |values: Vec<Option<&str>>| -> ArrayRef { Arc::new(StringArray::from(values)) };
    let columns: Vec<ArrayRef> = vec![
        column(rows.iter().map(|(k, _)| k.0).collect()),
        column(rows.iter().map(|(k, _)| k.1).collect()),
        column(rows.iter().map(|(k, _)| k.2).collect()),
        column(rows.iter().map(|(k, _)| k.3).collect()),
        Arc::new(rows.iter().map(|(_, n)| *n).collect::<Int64Array>()),
    ];
    Ok(RecordBatch::try_new(blocked_monthly_schema(), columns)?)
}

/// `blocked_categories_monthly`: one row per category of the filter's blocked events in
/// the file (whose partition is one month): the requests blocked, those flagged, and the
/// distinct users behind either. Distinct users do not add up across files, so the row
/// is the partition's answer only when it is the category's one row in the partition
/// (one file, as after compaction); the view `blocked_by_category` counts the others
/// again from `blocked_monthly` (queries/views/blocked_by_category.sql).
pub fn blocked_categories_monthly_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        Arc::new(Schema::new(vec![
            Field::new("category", DataType::Utf8, true),
            Field::new("blocked", DataType::Int64, false),
            Field::new("flagged", DataType::Int64, false),
            Field::new("users", DataType::Int64, false),
        ]))
    }))
}

/// A category's blocked and flagged requests and its users, borrowed from the daily
/// aggregate.
type CategoryCounts<'a> = (i64, i64, HashSet<Option<&'a str>>);

fn blocked_categories_monthly(inputs: &Inputs) -> Result<RecordBatch> {
    let daily = inputs.blocked_daily()?;
    let text = |name: &str| daily.column_by_name(name).expect("a blocked_daily column").as_string::<i32>();
    let (user, category, verdict) = (text("user_ref"), text("category"), text("verdict"));
    let requests = daily.column_by_name("requests").expect("a blocked_daily column").as_primitive::<Int64Type>();
    // Per category: blocked, flagged, and the users seen (a null user_ref, which the
    // contract does not allow, would count as one user, as a GROUP BY counts it).
    let mut counts: HashMap<Option<&str>, CategoryCounts> = HashMap::new();
    for i in 0..daily.num_rows() {
        let (blocked, flagged, users) = counts.entry(text_at(category, i)).or_default();
        match text_at(verdict, i) {
            Some("blocked") => *blocked += requests.value(i),
            Some("flagged") => *flagged += requests.value(i),
            _ => {}
        }
        users.insert(text_at(user, i));
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by_key(|(category, _)| *category);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(rows.iter().map(|(c, _)| *c).collect::<Vec<_>>())),
        Arc::new(rows.iter().map(|(_, (b, _, _))| *b).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|(_, (_, f, _))| *f).collect::<Int64Array>()),
        Arc::new(rows.iter().map(|(_, (_, _, u))| u.len() as i64).collect::<Int64Array>()),
    ];
    Ok(RecordBatch::try_new(blocked_categories_monthly_schema(), columns)?)
}

/// `high_risk_daily`: the blocked (not flagged) requests in the high-risk categories (the
/// contract's `high_risk_web_category`), one row per (day, user, category), with how
/// many: the attempts that alert a DSL.
pub fn high_risk_daily_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        let daily = blocked_daily_schema();
        Arc::new(Schema::new(daily.fields().iter().filter(|f| f.name() != "verdict").cloned().collect::<Vec<_>>()))
    }))
}

fn high_risk_daily(inputs: &Inputs) -> Result<RecordBatch> {
    let daily = inputs.blocked_daily()?;
    let high_risk: Vec<&str> = WebCategory::HIGH_RISK.iter().map(|c| c.as_str()).collect();
    let text = |name: &str| daily.column_by_name(name).expect("a blocked_daily column").as_string::<i32>();
    let (category, verdict) = (text("category"), text("verdict"));
    let keep: BooleanArray = (0..daily.num_rows())
        .map(|i| {
            Some(text_at(verdict, i) == Some("blocked") && text_at(category, i).is_some_and(|c| high_risk.contains(&c)))
        })
        .collect();
    let kept = filter_record_batch(daily, &keep)?;
    Ok(kept.project(&[0, 1, 2, 3, 5])?.with_schema(high_risk_daily_schema())?)
}
