//! What the governance roles read of incidents, on a generated trust of the demo's size
//! (four schools a hub), set against the truth the director reads: their hub-wide figures
//! are mostly shown, every figure shown is the true one and none is from 1 to 4, and
//! where figures are withheld, the group they add up in withholds at least two whose true
//! sum reaches the threshold, so that no total elsewhere gives one back.

use std::collections::HashMap;

use anyhow::Result;
use safelake_access::Role;
use safelake_generate::Options;
use safelake_lake::Lake;
use safelake_tests::lake::write_events;
use serde_json::Value;

mod http;
use http::Service;

const THRESHOLD: i64 = 5;

/// Each row's key (the text columns named) and its `count` column, None where withheld.
fn cells(answer: &Value, key: &[&str], count: &str) -> Vec<(Vec<String>, Option<i64>)> {
    let rows = answer["rows"].as_array().expect("rows");
    rows.iter()
        .map(|row| {
            (key.iter().map(|k| row[*k].as_str().unwrap_or_default().to_string()).collect(), row[count].as_i64())
        })
        .collect()
}

/// Checks `shown` against `truth` for one count, grouped by each of `groupings` (indexes
/// into the key): returns the share of the true total that is shown.
fn check(what: &str, truth: &Value, shown: &Value, key: &[&str], count: &str, groupings: &[&[usize]]) -> f64 {
    let truth: HashMap<Vec<String>, i64> =
        cells(truth, key, count).into_iter().map(|(k, v)| (k, v.expect("the director sees every figure"))).collect();
    let shown = cells(shown, key, count);
    let (mut total, mut visible) = (0, 0);
    for (k, v) in &shown {
        let real = truth[k];
        total += real;
        if let Some(v) = v {
            assert_eq!(*v, real, "{what}: {k:?} shown as {v}, truly {real}");
            assert!(!(1..THRESHOLD).contains(v), "{what}: {k:?} = {v} reached a governance role");
            visible += v;
        }
    }
    for grouping in groupings {
        // Per group: its non-zero cells, and the withheld ones with their true sum. Safe:
        // none withheld; or two or more, truly adding up to the threshold, so the group's
        // total less the others gives back no single one; or every non-zero one, when the
        // total is then under the threshold and so withheld wherever it is shown.
        let mut groups: HashMap<Vec<&str>, (usize, usize, i64)> = HashMap::new();
        for (k, v) in &shown {
            let group = groups.entry(grouping.iter().map(|&i| k[i].as_str()).collect()).or_default();
            if truth[k] > 0 {
                group.0 += 1;
                if v.is_none() {
                    group.1 += 1;
                    group.2 += truth[k];
                }
            }
        }
        for (group, (nonzero, withheld, sum)) in groups {
            let safe = withheld == 0 || (withheld >= 2 && sum >= THRESHOLD) || (withheld == nonzero && sum < THRESHOLD);
            assert!(safe, "{what}: group {group:?} withholds {withheld} of {nonzero} non-zero cells, truly {sum}");
        }
    }
    visible as f64 / total.max(1) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_sees_most_figures_and_can_recover_none() -> Result<()> {
    let options = Options { filter_events: 20_000, ..Options::default() };
    let trust = safelake_generate::trust(&options);
    assert!(trust.hubs.iter().all(|h| trust.schools.iter().filter(|s| s.hub == h.id).count() == 4));
    let dir = tempfile::tempdir()?;
    write_events(&Lake::at(dir.path()).unwrap(), safelake_generate::events(&options).map(|e| e.to_value()).collect())
        .await;
    let service = Service::start(dir.path(), trust.clone()).await?;
    let director = service.caller(Role::Director, None);
    let hub = trust.hubs[0].id.to_string();
    let hab = service.caller(Role::Hab, Some(&hub));
    let trustee = service.caller(Role::Trustee, None);

    for year in ["2024-25", "2025-26"] {
        for (who, caller, scope) in [("hab", &hab, format!("&hub={hub}")), ("trustee", &trustee, String::new())] {
            let path = format!("/api/reports/incident_categories?year={year}{scope}");
            let truth = director.json(&path).await?;
            let shown = caller.json(&path).await?;
            let what = format!("{who} incident_categories {year}");
            let share = check(&what, &truth, &shown, &["term", "hub_id", "category"], "incidents", &[&[0, 1], &[1, 2]]);
            println!("{what}: {:.0}% of incidents in shown figures", share * 100.0);
            assert!(share >= 0.5, "{what}: only {:.0}% of incidents are in figures shown", share * 100.0);

            let path = format!("/api/reports/school_summary?year={year}{scope}");
            let truth = director.json(&path).await?;
            let shown = caller.json(&path).await?;
            let what = format!("{who} school_summary {year}");
            for count in ["incidents", "high_risk_attempts", "unblock_requests", "alerts"] {
                let what = format!("{what} {count}");
                let share = check(&what, &truth, &shown, &["hub_id", "school_id"], count, &[&[0]]);
                println!("{what}: {:.0}% of {count} shown", share * 100.0);
            }
        }
    }
    service.stop().await
}
