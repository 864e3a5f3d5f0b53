//! `safelake lake migrate` on a lake in the layout before Delta Lake: plain Parquet in
//! `school_id=/month=` directories, a compaction output naming the file it replaced in its
//! footer (and that file still there, as a crash left it), a rollup twin directory. The
//! ingest refuses the lake and says to migrate; the migration keeps every live event once
//! (the replaced file's are not counted twice), and the lake then reads as Delta tables,
//! rollups included.

use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, RecordBatch, StringArray, StringDictionaryBuilder, TimestampMicrosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use safelake_lake::Lake;
use safelake_tests::lake::rows;

/// A file of the old layout: the old types (dictionary text, unsigned sequences), a few
/// of the filter table's columns (the others it predates), the footer given.
fn old_file(path: &Path, ids: &[&str], footer: Option<(&str, &str)>) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("type", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), false),
        Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        Field::new("stream_seq", DataType::UInt64, false),
        Field::new("ingested_at", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        Field::new("content_hash", DataType::UInt64, false),
        Field::new("category", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), true),
        Field::new("verdict", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), true),
        Field::new("occurred_at", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), true),
        Field::new("user_ref", DataType::Utf8, true),
    ]));
    let mut kind = StringDictionaryBuilder::<Int32Type>::new();
    let mut category = StringDictionaryBuilder::<Int32Type>::new();
    let mut verdict = StringDictionaryBuilder::<Int32Type>::new();
    for _ in ids {
        kind.append_value("uk.safeguarding.filter.blocked.v1");
        category.append_value("gambling");
        verdict.append_value("blocked");
    }
    // 2025-10-03T10:15:00Z
    let occurred = TimestampMicrosecondArray::from(vec![1_759_486_500_000_000; ids.len()]).with_timezone("UTC");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids.to_vec())),
        Arc::new(StringArray::from(vec!["urn:safelake:school:s01:filter"; ids.len()])),
        Arc::new(kind.finish()),
        Arc::new(occurred.clone()),
        Arc::new(UInt64Array::from_iter_values(0..ids.len() as u64)),
        Arc::new(occurred.clone()),
        Arc::new(UInt64Array::from_iter_values(ids.iter().map(|_| u64::MAX - 7))),
        Arc::new(category.finish()),
        Arc::new(verdict.finish()),
        Arc::new(occurred),
        Arc::new(StringArray::from(vec!["s_00112233445566aa"; ids.len()])),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let metadata = footer.map(|(k, v)| vec![KeyValue::new(k.to_string(), v.to_string())]);
    let properties = WriterProperties::builder().set_key_value_metadata(metadata).build();
    let mut writer = ArrowWriter::try_new(File::create(path).unwrap(), schema, Some(properties)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[tokio::test]
async fn an_old_lake_is_refused_then_converted_with_every_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let october = lake_dir.join("filter_events/school_id=sch01/month=2025-10");
    old_file(&october.join("1-2.parquet"), &["e1", "e2"], None);
    old_file(&october.join("3-4.parquet"), &["e3", "e4"], None);
    // A compaction output that replaced 1-2.parquet, whose input a crash left behind.
    old_file(&october.join("1-9.compacted.parquet"), &["e1", "e2", "e9"], Some(("safelake.replaces", "1-2.parquet")));
    old_file(&lake_dir.join("filter_events/school_id=sch02/month=2025-11/5-5.parquet"), &["e5"], None);
    std::fs::create_dir_all(lake_dir.join("blocked_daily/school_id=sch01/month=2025-10")).unwrap();
    std::fs::write(lake_dir.join("blocked_daily/school_id=sch01/month=2025-10/1-2.parquet"), b"an old twin").unwrap();
    let lake_arg = lake_dir.to_str().unwrap();
    let safelake = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_safelake")).args(args).output().unwrap();

    // The ingest will not write into it, and says what to do.
    let refused = safelake(&["ingest", "--nats", "nats://127.0.0.1:1", "--lake", lake_arg]);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains("safelake lake migrate"), "{said}");
    assert!(!safelake(&["lake", "status", "--lake", lake_arg]).status.success());

    let migrated = safelake(&["lake", "migrate", "--lake", lake_arg]);
    let out = String::from_utf8_lossy(&migrated.stdout);
    assert!(migrated.status.success(), "{out}{}", String::from_utf8_lossy(&migrated.stderr));
    assert!(out.contains("filter_events: 3 files, 6 rows converted; 6 ids before and after"), "{out}");

    let lake = Lake::at(&lake_dir).unwrap();
    let mut ids: Vec<String> =
        rows(&lake, "filter_events").await.unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    assert_eq!(ids, ["e1", "e2", "e3", "e4", "e5", "e9"], "every live event once, the replaced file's not twice");
    let row = rows(&lake, "filter_events").await.unwrap().into_iter().find(|r| r["id"] == "e3").unwrap();
    assert_eq!(row["category"], "gambling");
    assert_eq!(row["content_hash"].as_i64(), Some((u64::MAX - 7) as i64), "a hash keeps its bits");
    assert_eq!(row["school_id"], "sch01");
    // The old files are gone, and the rollups were derived again from the converted events.
    let leftovers: Vec<_> = std::fs::read_dir(&october)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("part-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let daily: i64 = rows(&lake, "blocked_daily").await.unwrap().iter().map(|r| r["requests"].as_i64().unwrap()).sum();
    assert_eq!(daily, 6, "the rollups count every converted block once");
    assert!(safelake(&["lake", "status", "--lake", lake_arg]).status.success());
    // Run again: nothing to do.
    let again = safelake(&["lake", "migrate", "--lake", lake_arg]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("every table is a Delta table already"));
}
