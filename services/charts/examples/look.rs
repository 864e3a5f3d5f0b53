//! Writes a set of realistic charts (SVG and PNG) to a folder, to look at by eye:
//! `cargo run -p safelake-charts --example look -- /tmp/charts-look`.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use safelake_charts::{png, png_sized, svg, Kind, Size, Spec, Titles};

const MONTHS: [&str; 12] = [
    "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
    "2026-07", "2026-08",
];

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.into_iter().map(|(_, a)| a).collect()).unwrap()
}

fn strings(v: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}

/// Deterministic pseudo-random numbers.
fn noise(seed: u64) -> f64 {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    x ^= x >> 33;
    (x % 1000) as f64 / 1000.0
}

fn spec(kind: Kind, x: &str, y: &str, series: Option<&str>, top: Option<usize>) -> Spec {
    Spec { series: series.map(Into::into), top, ..Spec::new(kind, x, y) }
}

fn write(dir: &str, name: &str, spec: &Spec, title: &str, batches: &[RecordBatch]) {
    let titles = Titles { title: title.into(), subtitle: "September 2025 to August 2026 · North Hub".into() };
    std::fs::write(format!("{dir}/{name}.svg"), svg(spec, &titles, batches).unwrap()).unwrap();
    std::fs::write(format!("{dir}/{name}.png"), png(spec, &titles, batches).unwrap()).unwrap();
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp/charts-look".into());
    std::fs::create_dir_all(&dir).unwrap();

    // incident_trends: month x school x category.
    let categories = [
        "Online bullying",
        "Self-harm or suicide content",
        "Sexual content or sexting",
        "Grooming concern",
        "Radicalisation (Prevent)",
        "Hate speech",
        "Violence or weapons",
        "Gambling",
    ];
    let (mut m, mut c, mut n, mut s) = (vec![], vec![], vec![], vec![]);
    for (mi, month) in MONTHS.iter().enumerate() {
        for (ci, cat) in categories.iter().enumerate() {
            for school in ["NH-01", "NH-02", "NH-03"] {
                let base = 14.0 / (ci as f64 + 1.0);
                let v = (base * (0.5 + noise((mi * 100 + ci * 10) as u64 + school.len() as u64 * 7))).round();
                m.push(month.to_string());
                c.push(cat.to_string());
                s.push(school.to_string());
                n.push(if mi == 7 && ci == 2 { None } else { Some(v as i64) });
            }
        }
    }
    let trends = batch(vec![
        ("month", strings(m)),
        ("school_id", strings(s)),
        ("category", strings(c)),
        ("incidents", Arc::new(Int64Array::from(n))),
    ]);
    write(
        &dir,
        "stacked",
        &spec(Kind::StackedBars, "month", "incidents", Some("category"), Some(5)),
        "Incidents by category",
        std::slice::from_ref(&trends),
    );
    write(
        &dir,
        "lines",
        &spec(Kind::Lines, "month", "incidents", Some("category"), Some(4)),
        "Incident trend by category",
        std::slice::from_ref(&trends),
    );
    write(
        &dir,
        "bars-grouped",
        &spec(Kind::Bars, "month", "incidents", Some("category"), Some(3)),
        "Incidents: top three categories",
        std::slice::from_ref(&trends),
    );

    // Rates per school.
    let schools = [
        "St Mary's Church of England Primary School",
        "Northfield Academy",
        "Hilltop Primary",
        "Riverside Community College",
        "Oakwood Junior School",
        "Beech Hill Infants",
        "Kingsway Secondary",
        "Meadowbank Primary",
        "The Grange School",
        "Ashby Primary",
        "Elmtree Academy",
        "Westfield Sixth Form",
    ];
    let rate: Vec<Option<f64>> =
        (0..schools.len()).map(|i| if i == 4 { None } else { Some(2.0 + 18.0 * noise(i as u64 + 3)) }).collect();
    let rates = batch(vec![
        ("school_id", strings(schools.iter().map(|s| s.to_string()).collect())),
        ("rate_per_1000", Arc::new(Float64Array::from(rate))),
    ]);
    write(
        &dir,
        "hbars",
        &spec(Kind::HorizontalBars, "school_id", "rate_per_1000", None, None),
        "Incidents per 1,000 pupils by school",
        &[rates],
    );

    // Two years side by side.
    let (mut sc, mut yr, mut rt) = (vec![], vec![], vec![]);
    for (i, school) in schools.iter().take(6).enumerate() {
        for (yi, year) in ["2025-26", "2024-25"].iter().enumerate() {
            sc.push(school.to_string());
            yr.push(year.to_string());
            rt.push(Some(3.0 + 15.0 * noise(i as u64 * 3 + yi as u64)));
        }
    }
    let years = batch(vec![
        ("school_id", strings(sc)),
        ("academic_year", strings(yr)),
        ("rate_per_1000", Arc::new(Float64Array::from(rt))),
    ]);
    write(
        &dir,
        "hbars-years",
        &spec(Kind::HorizontalBars, "school_id", "rate_per_1000", Some("academic_year"), None),
        "Incidents per 1,000 pupils, this year and last",
        &[years],
    );

    // escalations per month.
    let esc = batch(vec![
        ("month", strings(MONTHS.iter().map(|m| m.to_string()).collect())),
        ("police", Arc::new(Int64Array::from_iter((0..12).map(|i| Some((noise(i) * 9.0) as i64))))),
    ]);
    write(&dir, "bars", &spec(Kind::Bars, "month", "police", None, None), "Referrals to the police", &[esc]);

    // Many long categories: turned labels.
    let cats: Vec<String> =
        categories.iter().chain(categories.iter()).enumerate().map(|(i, c)| format!("{c} {i}")).collect();
    let many = batch(vec![
        ("category", strings(cats.clone())),
        ("blocked", Arc::new(Int64Array::from_iter((0..cats.len() as u64).map(|i| Some((noise(i) * 4000.0) as i64))))),
    ]);
    write(
        &dir,
        "bars-long",
        &spec(Kind::Bars, "category", "blocked", None, None),
        "Blocked attempts by category",
        &[many],
    );

    // Small image.
    let titles =
        Titles { title: "Incidents by category".into(), subtitle: "Autumn term 2025 · Hilltop Primary".into() };
    let small = spec(Kind::StackedBars, "month", "incidents", Some("category"), Some(3));
    let png = png_sized(&small, &titles, std::slice::from_ref(&trends), Size { width: 600, height: 300 }).unwrap();
    std::fs::write(format!("{dir}/small.png"), png).unwrap();

    // A whole trust: 40 schools.
    let names: Vec<String> = (1..=40).map(|i| format!("{} {i}", schools[i % schools.len()])).collect();
    let trust = batch(vec![
        ("school_id", strings(names)),
        ("rate_per_1000", Arc::new(Float64Array::from_iter((0..40u64).map(|i| Some(30.0 * noise(i + 50)))))),
    ]);
    write(
        &dir,
        "hbars-trust",
        &spec(Kind::HorizontalBars, "school_id", "rate_per_1000", None, None),
        "Incidents per 1,000 pupils by school",
        &[trust],
    );

    // Everything suppressed.
    let suppressed = batch(vec![
        ("school_id", strings(vec!["Hilltop Primary".into()])),
        ("rate_per_1000", Arc::new(Float64Array::from(vec![None::<f64>]))),
    ]);
    write(
        &dir,
        "suppressed",
        &spec(Kind::HorizontalBars, "school_id", "rate_per_1000", None, None),
        "Incidents per 1,000 pupils by school",
        &[suppressed],
    );

    // Empty.
    let empty = trends.slice(0, 0);
    write(
        &dir,
        "empty",
        &spec(Kind::StackedBars, "month", "incidents", Some("category"), None),
        "Incidents by category",
        &[empty],
    );
    println!("wrote charts to {dir}");
}
