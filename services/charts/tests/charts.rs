//! Renders every kind of chart from hand-made record batches and checks what a governor
//! would read: the SVG's text (titles, axis labels, legend, categories, values), the
//! number of bars drawn, the PNG's size and content, and the handling of nulls, empty
//! results and bad specs.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Builder, Int32Builder, Int64Builder, StringBuilder, StringDictionaryBuilder, StringViewBuilder,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use safelake_charts::{png, png_sized, svg, Kind, Size, Spec, Titles};

const BLUE: &str = "#0072B2";
const ORANGE: &str = "#E69F00";
const GREEN: &str = "#009E73";
const GREY: &str = "#A6A6A6";

fn titles() -> Titles {
    Titles { title: "Incidents by category".into(), subtitle: "September 2025 to August 2026 · North Hub".into() }
}

fn spec(kind: Kind, x: &str, y: &str, series: Option<&str>) -> Spec {
    Spec { series: series.map(Into::into), ..Spec::new(kind, x, y) }
}

/// month (Utf8View, as DataFusion reads Parquet), school_id, category (dictionary),
/// incidents (Int64, nullable).
fn incidents(rows: &[(&str, &str, &str, Option<i64>)]) -> RecordBatch {
    let mut month = StringViewBuilder::new();
    let mut school = StringBuilder::new();
    let mut category = StringDictionaryBuilder::<Int32Type>::new();
    let mut count = Int64Builder::new();
    for (m, s, c, n) in rows {
        month.append_value(m);
        school.append_value(s);
        category.append_value(c);
        count.append_option(*n);
    }
    let schema = Schema::new(vec![
        Field::new("month", DataType::Utf8View, false),
        Field::new("school_id", DataType::Utf8, false),
        Field::new("category", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), false),
        Field::new("incidents", DataType::Int64, true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(month.finish()),
        Arc::new(school.finish()),
        Arc::new(category.finish()),
        Arc::new(count.finish()),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).unwrap()
}

/// school_id (Utf8), rate_per_1000 (Float64, nullable).
fn rates(rows: &[(&str, Option<f64>)]) -> RecordBatch {
    let mut school = StringBuilder::new();
    let mut rate = Float64Builder::new();
    for (s, r) in rows {
        school.append_value(s);
        rate.append_option(*r);
    }
    let schema = Schema::new(vec![
        Field::new("school_id", DataType::Utf8, false),
        Field::new("rate_per_1000", DataType::Float64, true),
    ]);
    RecordBatch::try_new(Arc::new(schema), vec![Arc::new(school.finish()), Arc::new(rate.finish())]).unwrap()
}

/// month (Utf8), blocked (Int32).
fn blocked(rows: &[(&str, i32)]) -> RecordBatch {
    let mut month = StringBuilder::new();
    let mut n = Int32Builder::new();
    for (m, v) in rows {
        month.append_value(m);
        n.append_value(*v);
    }
    let schema =
        Schema::new(vec![Field::new("month", DataType::Utf8, false), Field::new("blocked", DataType::Int32, false)]);
    RecordBatch::try_new(Arc::new(schema), vec![Arc::new(month.finish()), Arc::new(n.finish())]).unwrap()
}

struct Svg {
    texts: Vec<String>,
    doc_text: String,
}

impl Svg {
    fn parse(svg: &str) -> (Self, roxmltree::Document<'_>) {
        let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| {
                n.descendants().filter(|d| d.is_text()).filter_map(|d| d.text()).collect::<String>().trim().to_string()
            })
            .collect();
        (Svg { doc_text: texts.join("\n"), texts }, doc)
    }

    fn has(&self, text: &str) -> bool {
        self.texts.iter().any(|t| t == text)
    }

    fn assert_has(&self, text: &str) {
        assert!(self.has(text), "no text {text:?} in the chart; texts: {:?}", self.texts);
    }
}

/// Filled rectangles of `fill`.
fn rects(doc: &roxmltree::Document<'_>, fill: &str) -> usize {
    doc.descendants().filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill)).count()
}

fn sample_incidents() -> RecordBatch {
    // Two schools per month: the chart sums them.
    incidents(&[
        ("2025-09", "S1", "Online bullying", Some(10)),
        ("2025-09", "S2", "Online bullying", Some(5)),
        ("2025-09", "S1", "Self-harm content", Some(6)),
        ("2025-09", "S1", "Grooming", Some(2)),
        ("2025-10", "S1", "Online bullying", Some(12)),
        ("2025-10", "S2", "Self-harm content", Some(8)),
        ("2025-11", "S2", "Online bullying", Some(9)),
        ("2025-11", "S1", "Grooming", Some(3)),
        ("2025-11", "S2", "Self-harm content", Some(4)),
    ])
}

#[test]
fn stacked_bars_show_titles_axes_legend_categories_and_one_segment_per_value() {
    let svg = svg(&spec(Kind::StackedBars, "month", "incidents", Some("category")), &titles(), &[sample_incidents()])
        .unwrap();
    let (s, doc) = Svg::parse(&svg);
    s.assert_has("Incidents by category");
    s.assert_has("September 2025 to August 2026 · North Hub");
    s.assert_has("Month");
    s.assert_has("Incidents");
    for legend in ["Online bullying", "Self-harm content", "Grooming"] {
        s.assert_has(legend);
    }
    for month in ["2025-09", "2025-10", "2025-11"] {
        s.assert_has(month);
    }
    // Totals above the stacks: 23, 20, 16.
    for total in ["23", "20", "16"] {
        s.assert_has(total);
    }
    // Series by total: bullying 36 (blue), self-harm 18 (orange), grooming 5 (green);
    // one rectangle per month that has the series, plus the legend swatch.
    assert_eq!(rects(&doc, BLUE), 3 + 1);
    assert_eq!(rects(&doc, ORANGE), 3 + 1);
    assert_eq!(rects(&doc, GREEN), 2 + 1);
    // Accessible name for screen readers.
    assert!(svg.contains("<title id=\"chart-title\">Incidents by category</title>"));
}

#[test]
fn text_is_at_least_13_pixels() {
    let svg = svg(&spec(Kind::StackedBars, "month", "incidents", Some("category")), &titles(), &[sample_incidents()])
        .unwrap();
    let (_, doc) = Svg::parse(&svg);
    let sizes: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.attribute("font-size").unwrap().parse().unwrap())
        .collect();
    assert!(!sizes.is_empty());
    for size in sizes {
        assert!(size >= 13.0, "font-size {size} is too small");
    }
}

#[test]
fn lines_break_at_nulls_instead_of_dropping_to_zero() {
    let batch = incidents(&[
        ("2025-09", "S1", "Online bullying", Some(10)),
        ("2025-10", "S1", "Online bullying", None),
        ("2025-11", "S1", "Online bullying", Some(12)),
        ("2025-12", "S1", "Online bullying", Some(14)),
        ("2025-09", "S1", "Grooming", Some(1)),
        ("2025-10", "S1", "Grooming", Some(2)),
        ("2025-11", "S1", "Grooming", Some(3)),
        ("2025-12", "S1", "Grooming", Some(4)),
    ]);
    let svg = svg(&spec(Kind::Lines, "month", "incidents", Some("category")), &titles(), &[batch]).unwrap();
    let (s, doc) = Svg::parse(&svg);
    for text in ["Online bullying", "Grooming", "2025-09", "2025-12", "Month", "Incidents"] {
        s.assert_has(text);
    }
    // Bullying (blue, circles): the null month leaves a gap, so one line of one point is
    // not drawn and one of two points is; three markers, not four.
    let blue_lines: Vec<_> =
        doc.descendants().filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(BLUE)).collect();
    // The legend's sample line, and the run 2025-11..2025-12.
    assert_eq!(blue_lines.len(), 2, "{blue_lines:?}");
    let blue_markers =
        doc.descendants().filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some(BLUE)).count();
    assert_eq!(blue_markers, 3 + 1, "three known months and the legend");
    assert!(s.doc_text.contains("Gaps: figures suppressed"), "a note explains the gap");
}

#[test]
fn horizontal_bars_are_sorted_with_values_at_the_ends_and_nulls_not_drawn() {
    let batch = rates(&[
        ("Hill Primary", Some(4.25)),
        ("Oak Academy", Some(12.5)),
        ("Elm School", None),
        ("Ash College", Some(8.0)),
    ]);
    let spec = spec(Kind::HorizontalBars, "school_id", "rate_per_1000", None);
    let svg = svg(&spec, &titles(), &[batch]).unwrap();
    let (s, doc) = Svg::parse(&svg);
    for text in ["School ID", "Rate per 1000", "Hill Primary", "Oak Academy", "Elm School", "Ash College"] {
        s.assert_has(text);
    }
    for value in ["12.5", "8.0", "4.3"] {
        s.assert_has(value);
    }
    // Three bars, no legend for a single series; the null school has no bar and no zero.
    assert_eq!(rects(&doc, BLUE), 3);
    // The null school's row has its name and the mark, and no value (no zero).
    let elm_y = doc
        .descendants()
        .find(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some("Elm School"))
        .and_then(|n| n.attribute("y"))
        .unwrap();
    let row: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("y") == Some(elm_y))
        .map(|n| n.text().unwrap().trim().to_string())
        .collect();
    assert_eq!(row, ["Elm School", "*"], "a null must not be written as zero");
    s.assert_has("*");
    assert!(s.doc_text.contains("Suppressed (small numbers) or unknown"));
    // Largest first, top to bottom; the unknown school last.
    let y_of = |label: &str| -> f64 {
        doc.descendants()
            .find(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some(label))
            .and_then(|n| n.attribute("y"))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(y_of("Oak Academy") < y_of("Ash College"));
    assert!(y_of("Ash College") < y_of("Hill Primary"));
    assert!(y_of("Hill Primary") < y_of("Elm School"));
}

#[test]
fn horizontal_bars_grow_taller_rather_than_squeeze_many_schools() {
    let names: Vec<String> = (1..=40).map(|i| format!("School {i:02}")).collect();
    let rows: Vec<(&str, Option<f64>)> = names.iter().enumerate().map(|(i, n)| (n.as_str(), Some(i as f64))).collect();
    let png = png(&spec(Kind::HorizontalBars, "school_id", "rate_per_1000", None), &titles(), &[rates(&rows)]).unwrap();
    let (w, h, _) = decode(&png);
    assert_eq!(w, 900);
    assert!(h >= 40 * 28, "40 rows of at least 28 px, got height {h}");
}

#[test]
fn simple_bars_draw_one_bar_per_category() {
    let batch = blocked(&[("2025-09", 120), ("2025-10", 340), ("2025-11", 95), ("2025-12", 1500)]);
    let svg = svg(&spec(Kind::Bars, "month", "blocked", None), &titles(), &[batch]).unwrap();
    let (s, doc) = Svg::parse(&svg);
    assert_eq!(rects(&doc, BLUE), 4);
    for text in ["2025-09", "2025-12", "Month", "Blocked", "1,500", "95"] {
        s.assert_has(text);
    }
}

#[test]
fn grouped_bars_and_value_axis_from_zero() {
    let batch = incidents(&[
        ("2025-09", "S1", "Online bullying", Some(10)),
        ("2025-09", "S1", "Grooming", Some(4)),
        ("2025-10", "S1", "Online bullying", Some(12)),
        ("2025-10", "S1", "Grooming", Some(6)),
    ]);
    let svg = svg(&spec(Kind::Bars, "month", "incidents", Some("category")), &titles(), &[batch]).unwrap();
    let (s, doc) = Svg::parse(&svg);
    assert_eq!(rects(&doc, BLUE), 2 + 1);
    assert_eq!(rects(&doc, ORANGE), 2 + 1);
    s.assert_has("0");
    s.assert_has("Online bullying");
    s.assert_has("Grooming");
}

#[test]
fn top_keeps_the_largest_series_and_sums_the_rest_into_other() {
    let batch = incidents(&[
        ("2025-09", "S1", "A", Some(50)),
        ("2025-09", "S1", "B", Some(40)),
        ("2025-09", "S1", "C", Some(3)),
        ("2025-09", "S1", "D", Some(2)),
        ("2025-10", "S1", "C", Some(1)),
    ]);
    let mut spec = spec(Kind::StackedBars, "month", "incidents", Some("category"));
    spec.top = Some(2);
    let svg = svg(&spec, &titles(), &[batch]).unwrap();
    let (s, doc) = Svg::parse(&svg);
    s.assert_has("A");
    s.assert_has("B");
    s.assert_has("Other");
    assert!(!s.has("C") && !s.has("D"), "{:?}", s.texts);
    // Other: 5 in September and 1 in October, plus its legend swatch.
    assert_eq!(rects(&doc, GREY), 2 + 1);
}

#[test]
fn png_has_the_requested_size_and_is_not_blank() {
    let cases = [
        (spec(Kind::StackedBars, "month", "incidents", Some("category")), sample_incidents()),
        (spec(Kind::Lines, "month", "incidents", Some("category")), sample_incidents()),
        (spec(Kind::Bars, "month", "incidents", None), sample_incidents()),
        (spec(Kind::HorizontalBars, "school_id", "incidents", None), sample_incidents()),
    ];
    for (spec, batch) in cases {
        let png = png(&spec, &titles(), &[batch]).unwrap();
        let (w, h, pixels) = decode(&png);
        assert_eq!((w, h), (900, 450), "{:?}", spec.kind);
        let colours: HashSet<&[u8]> = pixels.chunks(3).collect();
        let not_white = pixels.chunks(3).filter(|p| *p != [255, 255, 255]).count();
        assert!(colours.len() > 20, "{:?}: only {} colours", spec.kind, colours.len());
        assert!(not_white > 900 * 450 / 50, "{:?}: only {not_white} drawn pixels", spec.kind);
    }
    let big = png_sized(
        &spec(Kind::Bars, "month", "incidents", None),
        &titles(),
        &[sample_incidents()],
        Size { width: 1800, height: 900 },
    )
    .unwrap();
    let (w, h, _) = decode(&big);
    assert_eq!((w, h), (1800, 900));
}

#[test]
fn empty_results_say_no_data_and_are_still_images() {
    let empty = incidents(&[]);
    for kind in [Kind::StackedBars, Kind::Lines, Kind::HorizontalBars, Kind::Bars] {
        let spec = spec(kind, "month", "incidents", Some("category"));
        let svg = svg(&spec, &titles(), std::slice::from_ref(&empty)).unwrap();
        let (s, _) = Svg::parse(&svg);
        s.assert_has("No data for this period");
        s.assert_has("Incidents by category");
        let (w, h, _) = decode(&png(&spec, &titles(), &[]).unwrap());
        assert_eq!((w, h), (900, 450));
    }
}

#[test]
fn all_values_suppressed_says_so() {
    let batch = rates(&[("Oak Academy", None), ("Elm School", None)]);
    let svg = svg(&spec(Kind::HorizontalBars, "school_id", "rate_per_1000", None), &titles(), &[batch]).unwrap();
    let (s, _) = Svg::parse(&svg);
    s.assert_has("No figures to show");
}

#[test]
fn errors_name_the_column_and_the_available_ones() {
    let err = svg(&spec(Kind::Bars, "month", "incidnts", None), &titles(), &[sample_incidents()]).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("`incidnts`"), "{message}");
    assert!(message.contains("month, school_id, category, incidents"), "{message}");

    let err =
        png(&spec(Kind::Lines, "month", "incidents", Some("catgory")), &titles(), &[sample_incidents()]).unwrap_err();
    assert!(format!("{err:#}").contains("`catgory`"));

    let err = svg(&spec(Kind::Bars, "month", "school_id", None), &titles(), &[sample_incidents()]).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("`school_id`") && message.contains("not a number"), "{message}");
}

#[test]
fn long_category_labels_are_turned_and_cut_never_overlapping() {
    let names: Vec<String> =
        (1..=14).map(|i| format!("A very long category name that goes on and on, number {i}")).collect();
    let rows: Vec<(&str, &str, &str, Option<i64>)> = names.iter().map(|n| (n.as_str(), "S1", "A", Some(5))).collect();
    let svg = svg(&spec(Kind::Bars, "month", "incidents", None), &titles(), &[incidents(&rows)]).unwrap();
    let (_, doc) = Svg::parse(&svg);
    let labels: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("transform").is_some_and(|t| t.starts_with("rotate(270")))
        .map(|n| n.text().unwrap().trim().to_string())
        .filter(|t| t != "Incidents")
        .collect();
    assert_eq!(labels.len(), 14, "every category is labelled, turned: {labels:?}");
    let distinct: HashSet<&String> = labels.iter().collect();
    assert_eq!(distinct.len(), 14, "labels stay distinct: {labels:?}");
    for label in &labels {
        assert!(label.contains('…') && label.starts_with("A very"), "{label}");
        assert!(label.ends_with(char::is_numeric), "cut in the middle, keeping the number: {label}");
    }
}

#[test]
fn many_months_are_labelled_level_every_other_one() {
    let months: Vec<String> = (0..24).map(|i| format!("{}-{:02}", 2024 + (i + 8) / 12, (i + 8) % 12 + 1)).collect();
    let rows: Vec<(&str, i32)> = months.iter().map(|m| (m.as_str(), 3)).collect();
    let svg = svg(&spec(Kind::Bars, "month", "blocked", None), &titles(), &[blocked(&rows)]).unwrap();
    let (s, doc) = Svg::parse(&svg);
    assert!(doc.descendants().all(|n| n
        .attribute("transform")
        .is_none_or(|t| !t.contains("rotate(270") || n.text().is_some_and(|t| t.trim() == "Blocked"))));
    s.assert_has("2024-09");
    assert!(!s.has("2024-10"), "every other month: {:?}", s.texts);
    s.assert_has("2024-11");
    assert_eq!(rects(&doc, BLUE), 24);
}

#[test]
fn spec_reads_from_json_with_defaults() {
    let spec: Spec =
        serde_json::from_str(r#"{"kind": "horizontal_bars", "x": "school_id", "y": "rate_per_1000"}"#).unwrap();
    assert_eq!(spec.kind, Kind::HorizontalBars);
    assert_eq!(spec.series, None);
    assert_eq!(spec.top, None);
    for (name, kind) in [
        ("stacked_bars", Kind::StackedBars),
        ("lines", Kind::Lines),
        ("horizontal_bars", Kind::HorizontalBars),
        ("bars", Kind::Bars),
    ] {
        assert_eq!(serde_json::from_str::<Kind>(&format!("\"{name}\"")).unwrap(), kind);
    }
}

#[test]
fn charts_render_concurrently() {
    let batch = sample_incidents();
    std::thread::scope(|scope| {
        for kind in [Kind::StackedBars, Kind::Lines, Kind::HorizontalBars, Kind::Bars] {
            let batch = batch.clone();
            scope.spawn(move || {
                let spec = spec(kind, "month", "incidents", Some("category"));
                for _ in 0..3 {
                    svg(&spec, &titles(), std::slice::from_ref(&batch)).unwrap();
                    png(&spec, &titles(), std::slice::from_ref(&batch)).unwrap();
                }
            });
        }
    });
}

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.color_type, ::png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}
