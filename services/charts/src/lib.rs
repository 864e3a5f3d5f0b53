//! Charts for governors: draws a report's result (Arrow record batches) as SVG or PNG.
//!
//! The query service runs a report and hands its batches here with a [`Spec`] saying which
//! columns to draw and how. Everything a chart needs is in this crate: the font is embedded
//! (no system font lookup, nothing fetched from another host), the palette is colour-blind
//! safe, and every function is pure, so the server can call them from many threads at once.
//!
//! Data rules, the same for every kind of chart:
//! - rows sharing an (x, series) pair are summed;
//! - a null value is unknown or suppressed: nothing is drawn for it (never a zero); bars
//!   with an unknown value or part are marked `*`, lines have a gap, and a footnote says
//!   what that means; a sum that includes a null is unknown too;
//! - no row at all for an (x, series) pair means nothing was counted there: bars draw
//!   nothing, lines go through zero;
//! - x categories sort as text (months `YYYY-MM` sort in time order), series by total,
//!   largest first, with `Other` (see [`Spec::top`]) last.

mod bitmap;
mod data;
mod draw;
mod font;
mod frame;
mod palette;
mod scale;

use arrow::record_batch::RecordBatch;
use plotters::prelude::*;

pub use data::humanise;

/// The kind of chart to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Categories (series) stacked in one bar per x, e.g. incidents by category per month.
    StackedBars,
    /// One line per series over x, e.g. a trend per category.
    Lines,
    /// One bar per x with the label on the left and the value at the bar's end, sorted by
    /// value, e.g. a rate per school. Several series are drawn side by side.
    HorizontalBars,
    /// Simple vertical bars, one per x; several series are drawn side by side.
    Bars,
}

/// What to draw from a report's columns.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Spec {
    pub kind: Kind,
    /// Column for the categories: the x axis (vertical charts) or the bar labels
    /// (horizontal bars).
    pub x: String,
    /// Numeric column (any integer, float or decimal type); nulls are suppressed/unknown.
    pub y: String,
    /// Draw `y` as a percentage of this column: both summed per bar, then divided, since
    /// rows of percentages cannot be added (`signed` per `on_roll` gives coverage).
    #[serde(default)]
    pub per: Option<String>,
    /// Column that splits the values into series (e.g. `category`); `None` = one series.
    #[serde(default)]
    pub series: Option<String>,
    /// Label of the category axis; default: the x column's name humanised.
    #[serde(default)]
    pub x_label: Option<String>,
    /// Label of the value axis; default: the y column's name humanised
    /// (`rate_per_1000` -> `Rate per 1000`).
    #[serde(default)]
    pub y_label: Option<String>,
    /// Keep the `top` series by total and sum the others into `Other` (no effect without
    /// a series column).
    #[serde(default)]
    pub top: Option<usize>,
}

impl Spec {
    /// A chart of `y` by `x`, one series, default labels.
    pub fn new(kind: Kind, x: &str, y: &str) -> Spec {
        Spec { kind, x: x.into(), y: y.into(), per: None, series: None, x_label: None, y_label: None, top: None }
    }
}

/// The chart's headings: what it shows, and for which period and scope.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Titles {
    pub title: String,
    /// Period and scope, e.g. "September 2025 to August 2026 · North Hub".
    pub subtitle: String,
}

/// Image size in pixels (SVG user units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// The size [`svg`] and [`png`] draw at.
pub const DEFAULT_SIZE: Size = Size { width: 900, height: 450 };

/// Smallest size accepted by the `_sized` functions: below it text no longer fits.
pub const MIN_SIZE: Size = Size { width: 600, height: 300 };

/// Largest size accepted (a PNG of this size is about 25 MB of pixels before encoding).
pub const MAX_SIZE: Size = Size { width: 4000, height: 4000 };

/// Draws the chart as an SVG document at [`DEFAULT_SIZE`].
pub fn svg(spec: &Spec, titles: &Titles, batches: &[RecordBatch]) -> anyhow::Result<String> {
    svg_sized(spec, titles, batches, DEFAULT_SIZE)
}

/// Draws the chart as a PNG image at [`DEFAULT_SIZE`].
pub fn png(spec: &Spec, titles: &Titles, batches: &[RecordBatch]) -> anyhow::Result<Vec<u8>> {
    png_sized(spec, titles, batches, DEFAULT_SIZE)
}

/// Draws the chart as an SVG document. Horizontal bars may come out taller than asked so
/// that every bar keeps a readable label.
pub fn svg_sized(spec: &Spec, titles: &Titles, batches: &[RecordBatch], size: Size) -> anyhow::Result<String> {
    let plan = draw::Plan::new(spec, titles, batches, checked(size)?)?;
    let (w, h) = plan.size();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        plan.draw(&root)?;
        root.present().map_err(draw::error)?;
    }
    Ok(add_svg_accessibility(out, titles, &plan.description()))
}

/// Draws the chart as a PNG image (8-bit RGB). Horizontal bars may come out taller than
/// asked so that every bar keeps a readable label.
pub fn png_sized(spec: &Spec, titles: &Titles, batches: &[RecordBatch], size: Size) -> anyhow::Result<Vec<u8>> {
    let plan = draw::Plan::new(spec, titles, batches, checked(size)?)?;
    let (w, h) = plan.size();
    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let root = bitmap::Bitmap::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        plan.draw(&root)?;
        root.present().map_err(draw::error)?;
    }
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, w, h);
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    // Charts are flat colours: adaptive filtering and default deflate make them 2-3x
    // smaller than fast compression, for a few milliseconds.
    encoder.set_compression(::png::Compression::Default);
    encoder.set_adaptive_filter(::png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

fn checked(size: Size) -> anyhow::Result<Size> {
    anyhow::ensure!(
        (MIN_SIZE.width..=MAX_SIZE.width).contains(&size.width)
            && (MIN_SIZE.height..=MAX_SIZE.height).contains(&size.height),
        "chart size {}x{} is outside {}x{} to {}x{}",
        size.width,
        size.height,
        MIN_SIZE.width,
        MIN_SIZE.height,
        MAX_SIZE.width,
        MAX_SIZE.height
    );
    Ok(size)
}

/// Gives the SVG a `<title>` and `<desc>` (read by screen readers, shown as a tooltip) and
/// `role="img"`: plotters writes neither.
fn add_svg_accessibility(svg: String, titles: &Titles, description: &str) -> String {
    let Some(start) = svg.find("<svg") else { return svg };
    let Some(end) = svg[start..].find('>').map(|i| start + i) else { return svg };
    let mut out = String::with_capacity(svg.len() + 512);
    out.push_str(&svg[..end]);
    out.push_str(r#" role="img" aria-labelledby="chart-title chart-desc">"#);
    out.push_str(r#"<title id="chart-title">"#);
    out.push_str(&xml_escape(&titles.title));
    out.push_str(r#"</title><desc id="chart-desc">"#);
    out.push_str(&xml_escape(&format!("{}. {}", titles.subtitle, description)));
    out.push_str("</desc>");
    out.push_str(&svg[end + 1..]);
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}
