//! Meeting packs as their boards get them: PDF files, A4, with charts, holding the figures
//! of the board member's own page and nothing it withholds; produced by the schedule on
//! their day, listed on `/` and sent only to those who may open the board's dashboard,
//! audited; and produced again, figure for figure, after the lake has changed.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Result};
use chrono::Utc;
use safelake_access::Role;
use safelake_lake::Lake;
use safelake_schemas::Trust;
use safelake_serve::packs::{self, Board, Covers, PackName, Scheduled};
use safelake_tests::lake::{incident, incidents, write_commit, write_commit_at, TRUST};
use safelake_tests::pdf::Pdf;

mod http;
use http::Service;

/// The Okabe-Ito blue of the charts' first series.
const BLUE: [u8; 3] = [0x00, 0x72, 0xB2];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_packs_are_listed_sent_audited_and_reproduced_after_the_lake_changes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let lake_dir = dir.path().join("lake");
    let lake = Lake::at(&lake_dir)?;
    // The lake as it stood at the start of today: written yesterday.
    write_commit_at(&lake, 1, incidents(), SystemTime::now() - Duration::from_secs(86_400)).await;

    let today = Utc::now().date_naive();
    let last_year = safelake_period::AcademicYear::of(today).previous().unwrap();
    let meeting = |days: u64| today + chrono::Days::new(days);
    let hub = |id: &str| Board::Hab(id.parse().unwrap());
    let schedule = vec![
        // Due today: a week before the north hub's meeting, a fortnight before the trustees'.
        Scheduled { board: hub("north"), meetings: vec![meeting(7)], days_before: 7, covers: Covers::LastYear },
        Scheduled { board: Board::Trustees, meetings: vec![meeting(14)], days_before: 14, covers: Covers::LastYear },
        // Due tomorrow: not produced yet.
        Scheduled { board: hub("south"), meetings: vec![meeting(8)], days_before: 7, covers: Covers::LastYear },
    ];
    let packs_dir = dir.path().join("packs");
    let trust = Trust::parse(TRUST)?;
    let service = Service::start_with(&lake_dir, trust.clone(), |o| {
        o.packs.dir = packs_dir.clone();
        o.packs.schedule = schedule.clone();
    })
    .await?;
    let north = PackName { board: hub("north"), year: last_year, day: today };
    let trustees = PackName { board: Board::Trustees, year: last_year, day: today };
    let south = PackName { board: hub("south"), year: last_year, day: today + chrono::Days::new(1) };
    wait_for(&packs_dir, &[&north, &trustees]).await?;
    assert!(!packs_dir.join(south.to_string()).exists(), "a pack due tomorrow is not produced today");

    // Both read back as A4 pages with a cover, their charts drawn, saying what they are.
    let north_pdf = Pdf::read(&packs_dir.join(north.to_string()))?;
    let trustees_pdf = Pdf::read(&packs_dir.join(trustees.to_string()))?;
    for (pdf, title) in [(&north_pdf, "Online safety: North Hub"), (&trustees_pdf, "effectiveness review")] {
        assert!(pdf.pages >= 3, "{title}: a cover and the sections, {} pages", pdf.pages);
        let (width, height) = pdf.page_size;
        assert!((width - 595.3).abs() < 1.0 && (height - 841.9).abs() < 1.0, "{title}: A4, not {width} x {height}");
        assert_eq!(pdf.images.len(), pdf.pages);
        assert!(pdf.text.contains(title), "{title}: {}", pdf.text);
        let as_at = format!("as the lake stood at 00:00 UTC on {}", today.format("%-d %B %Y"));
        assert!(pdf.text.contains(&as_at), "{title}: says as at when");
        assert!(pdf.text.contains("Produced"), "{title}: says when it was produced");
        let charted: usize = pdf.images.iter().map(|page| page.pixels_of(BLUE)).sum();
        assert!(charted > 100, "{title}: its charts are drawn ({charted} pixels of their blue)");
    }
    assert!(north_pdf.text.contains(&format!("safelake pack hab --hub north --year {last_year} --as-at {today}")));

    // What the pack holds is what the HAB member's own page holds at that moment, withheld
    // where it withholds: sch01's 3 and 7 incidents and its one repeat pupil are not there.
    let hab = service.caller(Role::Hab, Some("north"));
    let (status, _, page) = hab.get(&format!("/dashboards/hab/north?{}", north.query().replace(':', "%3A"))).await?;
    assert_eq!(status, 200);
    let cells = table_cells(&String::from_utf8_lossy(&page));
    assert!(cells.iter().any(|c| c == "<5"), "the page withholds: {cells:?}");
    for cell in &cells {
        assert!(!matches!(cell.parse::<i64>(), Ok(1..=4)), "the page shows {cell}");
    }
    assert_in_order(&north_pdf.text, &cells)?;
    assert_no_small_figures(&north_pdf.text)?;
    assert_no_small_figures(&trustees_pdf.text)?;

    // `/` lists to each reader the packs of the boards whose dashboards they open.
    let trustee = service.caller(Role::Trustee, None);
    let dsl = service.caller(Role::Dsl, Some("sch01"));
    let south_member = service.caller(Role::Hab, Some("south"));
    let listed = |page: &[u8]| -> Vec<String> {
        let page = String::from_utf8_lossy(page).replace("&#x2f;", "/");
        page.split("href=\"/packs/").skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect()
    };
    assert_eq!(listed(&hab.get("/").await?.2), [north.to_string()]);
    let mut seen = listed(&trustee.get("/").await?.2);
    seen.sort();
    assert_eq!(seen, [north.to_string(), trustees.to_string()]);
    assert!(listed(&dsl.get("/").await?.2).is_empty());
    assert!(listed(&south_member.get("/").await?.2).is_empty());

    // Sent whole to them, refused to the others, and never anything that is not a pack.
    let (status, kind, body) = hab.get(&format!("/packs/{north}")).await?;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert_eq!(body.as_ref(), std::fs::read(packs_dir.join(north.to_string()))?.as_slice());
    south_member.refused(&format!("/packs/{north}"), 403, "Hub Advisory Board of North Hub").await?;
    hab.refused(&format!("/packs/{trustees}"), 403, "trustees").await?;
    dsl.refused(&format!("/packs/{north}"), 403, "Hub Advisory Board").await?;
    trustee.refused(&format!("/packs/{south}"), 404, "no pack").await?;
    hab.refused("/packs/tokens.json", 404, "not the name of a pack").await?;

    // The trail holds both productions and every download, refusals included.
    let director = service.caller(Role::Director, None);
    let sql = "SELECT via, what, status, scope FROM audit_log WHERE kind = 'pack' ORDER BY at, via, what";
    let (status, _, answer) = director.sql(sql, "?format=csv").await?;
    assert_eq!(status, 200);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let trail: Vec<&str> = answer.lines().skip(1).collect();
    assert_eq!(
        trail,
        [
            format!("schedule,{north},200,hub=north"),
            format!("schedule,{trustees},200,trust"),
            format!("http,{north},200,hub=north"),
            format!("http,{north},403,"),
            format!("http,{trustees},403,"),
            format!("http,{north},403,"),
            format!("http,{south},404,"),
            "http,tokens.json,404,".to_string(),
        ],
        "{answer}"
    );
    service.stop().await?;

    // After the pack, five more incidents at sch01 in the same October: today's figures
    // change, the pack made again from its name does not.
    let later = (0..5).map(|i| incident(900 + i, "sch01", 60 + i, "2025-10-20T10:00:00Z", "account_misuse")).collect();
    write_commit(&lake, 1_000, later).await;
    let service = Service::start(&lake_dir, trust.clone()).await?;
    let director = service.caller(Role::Director, None);
    let now = director.json(&format!("/api/reports/school_summary?year={last_year}&school=sch01")).await?;
    assert_eq!(now["rows"][0]["incidents"], 15, "the lake has changed: {now}");
    service.stop().await?;
    let mut options =
        safelake_serve::ServeOptions::new("127.0.0.1:0".parse()?, safelake_lake::LakeUrl::dir(&lake_dir), trust);
    options.tokens = dir.path().join("tokens.json");
    options.packs.dir = packs_dir.clone();
    for name in [&north, &trustees] {
        let again = dir.path().join(format!("again-{name}"));
        packs::produce_once(&options, name, Some(again.clone()), "test").await?;
        let first = Pdf::read(&packs_dir.join(name.to_string()))?;
        let second = Pdf::read(&again)?;
        assert_eq!(second.pages, first.pages, "{name}");
        assert_eq!(figures(&second.text), figures(&first.text), "{name}: the same figures");
        assert_ne!(second.text, first.text, "{name}: only the moment it was produced differs");
    }
    Ok(())
}

/// Waits until every pack of `names` is in `dir`.
async fn wait_for(dir: &Path, names: &[&PackName]) -> Result<()> {
    let started = Instant::now();
    while !names.iter().all(|n| dir.join(n.to_string()).exists()) {
        if started.elapsed() > Duration::from_secs(180) {
            bail!("the schedule did not produce {names:?} in {:?}", started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// The words of a pack but the moment it was produced (the only one it gives to the
/// second; the moment it reads the lake as at is in words).
fn figures(text: &str) -> Vec<&str> {
    text.split_whitespace().filter(|w| chrono::DateTime::parse_from_rfc3339(w).is_err()).collect()
}

/// The text of every table cell of a page, as a reader sees it, but the figures behind
/// its charts (a page folds them away under each chart; paper shows the chart).
fn table_cells(page: &str) -> Vec<String> {
    let mut shown = String::new();
    let mut rest = page;
    while let Some((before, after)) = rest.split_once("<details class=\"figures\">") {
        shown.push_str(before);
        rest = after.split_once("</details>").map_or("", |(_, after)| after);
    }
    shown.push_str(rest);
    shown
        .split("<td")
        .skip(1)
        .filter_map(|cell| cell.split_once('>').map(|(_, rest)| rest))
        .map(|rest| {
            let text = rest.split("</td>").next().unwrap_or_default();
            let text = text.split("<span").next().unwrap_or_default();
            text.replace("&lt;", "<").replace("&amp;", "&").replace("&#x2f;", "/").trim().to_string()
        })
        .collect()
}

/// Asserts that the words of `cells` come in `text` in that order.
fn assert_in_order(text: &str, cells: &[String]) -> Result<()> {
    let mut words = text.split_whitespace();
    assert!(!cells.is_empty(), "a page with tables");
    for cell in cells {
        for word in cell.split_whitespace() {
            if !words.by_ref().any(|w| w == word) {
                bail!("the pack lacks {word:?} of the page's cell {cell:?} (or has it out of order):\n{text}");
            }
        }
    }
    Ok(())
}

/// Asserts that no figure from 1 to 4 stands in the pack's text, other than its page
/// numbers ("Page 1 of 4"), the days of dates ("3 December 2026"), a chart's axis (a
/// line of numbers alone: a figure in a table stands on the line of its row's label) and
/// the note that says what is withheld.
fn assert_no_small_figures(text: &str) -> Result<()> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.contains("Counts from 1 to 4 are shown as")
            || words.iter().all(|w| w.replace(',', "").parse::<f64>().is_ok())
        {
            continue;
        }
        for (i, word) in words.iter().enumerate() {
            let small = matches!(word.parse::<i64>(), Ok(1..=4));
            let page_number = i > 0 && (words[i - 1] == "Page" || words[i - 1] == "of");
            let day = words.get(i + 1).is_some_and(|next| MONTHS.contains(next));
            if small && !page_number && !day {
                bail!("a figure from 1 to 4 in a pack: {line:?}");
            }
        }
    }
    Ok(())
}
