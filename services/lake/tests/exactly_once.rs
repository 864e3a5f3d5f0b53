//! Appends land exactly once whoever makes them: two writers (as two ingest processes
//! would be) appending overlapping events to one table at once never store an id twice,
//! and each sees the rows the other stored first; a ledger reads a partition only when
//! asked and lets go of the least used past its budget.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::AsArray;
use deltalake::kernel::Transaction;
use safelake_lake::append::{append, Part};
use safelake_lake::ledger::{Key, Ledger};
use safelake_lake::{content_hash, id_hash, FamilyBuilder, Lake, Partition, TableSpec};
use safelake_schemas::{validate_value, Family};
use serde_json::json;
use tokio::sync::Mutex;

fn event(n: u64, month: &str) -> safelake_schemas::ValidEvent {
    validate_value(
        json!({
            "specversion": "1.0", "id": format!("e{n}"), "source": "urn:test", "type": "uk.safeguarding.filter.blocked.v1",
            "time": format!("{month}-03T10:15:01Z"), "schoolid": "sch01",
            "data": {"occurred_at": format!("{month}-03T10:15:00Z"), "user_ref": "s_00112233445566aa", "user_group": "staff",
                     "category": "gambling", "domain": "bets.example.com", "verdict": "blocked", "rule_id": "r1", "device": "school"}
        }),
        None,
    )
    .unwrap()
}

/// The events `ids` of one month as one part, keyed as the ingest keys them.
fn part(ids: impl IntoIterator<Item = u64>, month: &str) -> Part {
    let mut builder = FamilyBuilder::new(Family::Filter);
    let mut keys = Vec::new();
    for n in ids {
        let event = event(n, month);
        let hash = content_hash(&event.value);
        builder.append(&event, n, hash);
        keys.push((id_hash(&event.id), hash));
    }
    Part { partition: Partition::school_month("sch01", month), batch: builder.finish(chrono::Utc::now()), keys }
}

/// Every id of the table's latest version, as a new reader finds them.
async fn stored_ids(lake: &Lake) -> Vec<String> {
    let table = lake.table(&TableSpec::family(Family::Filter)).await.unwrap();
    let mut ids = Vec::new();
    for file in table.files() {
        for batch in table.read(&file.path, &["id"]).await.unwrap() {
            ids.extend(batch.column(0).as_string::<i32>().iter().map(|v| v.unwrap().to_string()));
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_never_store_an_id_twice() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    let spec = TableSpec::family(Family::Filter);
    // Two ledgers over one table: two processes, each with its own view of the lake.
    let mut writers = Vec::new();
    for _ in 0..2 {
        let table = lake.table(&spec).await.unwrap();
        writers.push(Arc::new(Mutex::new(Ledger::new(table, Key::EventId, 64 << 20))));
    }
    // Each round, both append the same 30 events and 10 of their own.
    let mut tasks = Vec::new();
    for (w, ledger) in writers.iter().enumerate() {
        let ledger = Arc::clone(ledger);
        tasks.push(tokio::spawn(async move {
            let mut late = 0;
            for round in 0..6u64 {
                let shared = (0..30).map(move |i| round * 100 + i);
                let own = (0..10).map(move |i| round * 100 + 50 + w as u64 * 10 + i);
                let parts = vec![part(shared.chain(own), "2025-10")];
                let txn = Transaction::new(format!("test/{w}"), round as i64);
                late += append(&ledger, parts, txn).await.unwrap().late.len();
            }
            late
        }));
    }
    let mut late = 0;
    for task in tasks {
        late += task.await.unwrap();
    }
    let ids = stored_ids(&lake).await;
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), distinct.len(), "an id stored twice");
    assert_eq!(ids.len(), 6 * (30 + 2 * 10), "every event stored once");
    // Every shared event was stored by one writer and found stored by the other as it
    // committed (the rows come straight to the commit here, with no check on arrival).
    assert_eq!(late, 6 * 30, "each shared event left out by exactly one writer");

    // Each commit carried its writer's transaction: how far it got.
    let table = lake.table(&spec).await.unwrap();
    assert_eq!(table.txn_version("test/0").await.unwrap(), Some(5));
    assert_eq!(table.txn_version("test/1").await.unwrap(), Some(5));
}

#[tokio::test]
async fn a_ledger_reads_a_partition_when_asked_and_lets_the_least_used_go() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::at(dir.path()).unwrap();
    let spec = TableSpec::family(Family::Filter);
    let writer = Mutex::new(Ledger::new(lake.table(&spec).await.unwrap(), Key::EventId, 64 << 20));
    append(&writer, vec![part(0..100, "2025-10"), part(100..200, "2025-11")], Transaction::new("test", 1))
        .await
        .unwrap();

    // A new ledger (a restart) holds nothing until asked, then only what was asked about.
    let mut ledger = Ledger::new(lake.table(&spec).await.unwrap(), Key::EventId, 150 * 32);
    assert_eq!(ledger.keys(), 0, "nothing is read at start");
    let october = Partition::school_month("sch01", "2025-10");
    let november = Partition::school_month("sch01", "2025-11");
    let stored = event(5, "2025-10");
    assert_eq!(ledger.lookup(&october, id_hash(&stored.id)).await.unwrap(), Some(content_hash(&stored.value)));
    assert_eq!(ledger.keys(), 100);
    assert_eq!(ledger.lookup(&october, id_hash("e150")).await.unwrap(), None, "e150 is November's");
    // November's hundred would pass the budget of 150: October goes.
    assert!(ledger.lookup(&november, id_hash("e150")).await.unwrap().is_some());
    assert_eq!(ledger.keys(), 100);
    // ... and is read again when asked about.
    assert!(ledger.lookup(&october, id_hash("e5")).await.unwrap().is_some());

    // Another writer's commit reaches a held partition when the ledger catches up.
    append(&writer, vec![part(200..210, "2025-10")], Transaction::new("test", 2)).await.unwrap();
    assert_eq!(ledger.lookup(&october, id_hash("e205")).await.unwrap(), None, "not caught up yet");
    ledger.catch_up().await.unwrap();
    assert!(ledger.lookup(&october, id_hash("e205")).await.unwrap().is_some());
}
