//! `rejects` made by an earlier safelake (before batches, without `position`) gains the
//! column when it is opened, keeps its rows, and its refusals keep their keys: an old
//! message refused again is still known, and each event of a batch is a refusal of its own.

use std::sync::Arc;

use arrow::array::AsArray;
use arrow::datatypes::{Int32Type, Schema};
use deltalake::kernel::Transaction;
use safelake_lake::append::{append, Part};
use safelake_lake::ledger::{Key, Ledger};
use safelake_lake::rejects::key;
use safelake_lake::tables::BY_MONTH;
use safelake_lake::{Lake, Partition, Reject, RejectsBuilder, TableSpec};
use tokio::sync::Mutex;

fn refusal(stream_seq: u64, position: Option<u16>) -> Reject {
    Reject {
        stream_seq,
        position,
        subject: "sg.sch01.batch".into(),
        event_id: None,
        reason: "not valid JSON".into(),
        raw: bytes::Bytes::from_static(b"{"),
    }
}

fn part(refusals: Vec<Reject>) -> Part {
    let keys = refusals.iter().map(|r| (r.key(), 0)).collect();
    let mut builder = RejectsBuilder::default();
    refusals.into_iter().for_each(|r| builder.push(r));
    Part { partition: Partition::month("2026-11"), batch: builder.finish(chrono::Utc::now()), keys }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_rejects_table_gains_position_and_keeps_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    let now = TableSpec::rejects();
    let position = now.schema.index_of("position").unwrap();
    let old_columns: Vec<usize> = (0..now.schema.fields().len()).filter(|i| *i != position).collect();
    let old_schema = Arc::new(now.schema.project(&old_columns).unwrap());
    let before = TableSpec { name: now.name, schema: Arc::clone(&old_schema), partitions: BY_MONTH };

    // The table as the previous release made it, with one refused message.
    let old = lake.table(&before).await.unwrap();
    assert!(old.state().schema().field("position").is_none());
    let mut old_part = part(vec![refusal(7, None)]);
    old_part.batch = old_part.batch.project(&old_columns).unwrap();
    let ledger = Mutex::new(Ledger::new(old, Key::Refusal, 1 << 20));
    append(&ledger, vec![old_part], Transaction::new("old", 7)).await.unwrap();

    // Opened now: the column is there, nullable, and the old row is still found.
    let table = lake.table(&now).await.unwrap();
    let field = table.state().schema().field("position").cloned().expect("position added");
    assert!(field.is_nullable());
    let ledger = Mutex::new(Ledger::new(table, Key::Refusal, 1 << 20));
    let partition = Partition::month("2026-11");
    assert_eq!(ledger.lock().await.lookup(&partition, key(7, None)).await.unwrap(), Some(0));
    assert_eq!(ledger.lock().await.lookup(&partition, key(7, Some(0))).await.unwrap(), None);

    // Two events of one batch are two refusals; the old message again is stored already.
    let appended = append(
        &ledger,
        vec![part(vec![refusal(8, Some(0)), refusal(8, Some(3)), refusal(7, None)])],
        Transaction::new("new", 8),
    )
    .await
    .unwrap();
    assert_eq!((appended.rows, appended.late.len()), (2, 1));

    // A new reader finds every key, and the positions as written.
    let table = lake.table(&now).await.unwrap();
    let fresh = Mutex::new(Ledger::new(table.clone(), Key::Refusal, 1 << 20));
    for k in [key(7, None), key(8, Some(0)), key(8, Some(3))] {
        assert!(fresh.lock().await.lookup(&partition, k).await.unwrap().is_some(), "{k}");
    }
    assert!(fresh.lock().await.lookup(&partition, key(8, None)).await.unwrap().is_none());
    let mut positions = Vec::new();
    for file in table.files() {
        for batch in table.read(&file.path, &[]).await.unwrap() {
            let schema: &Schema = &batch.schema();
            match schema.index_of("position") {
                Ok(i) => positions.extend(batch.column(i).as_primitive::<Int32Type>().iter()),
                Err(_) => positions.extend(std::iter::repeat_n(None, batch.num_rows())),
            }
        }
    }
    positions.sort();
    assert_eq!(positions, vec![None, Some(0), Some(3)]);
}
