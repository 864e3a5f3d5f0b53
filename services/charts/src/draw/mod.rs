//! Turns a [`Spec`] and a report's batches into drawing commands on any plotters backend
//! (SVG or bitmap): decides the frame (titles, legend, note), then hands the plot area to
//! the module of the chart's kind.

mod axes;
mod bars;
mod hbars;
mod lines;
mod stacked;

use arrow::record_batch::RecordBatch;
use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;

use crate::data::{self, Table};
use crate::font::{self, Fonts};
use crate::frame::{Frame, LegendEntry, Rect, Swatch};
use crate::{palette, Kind, Size, Spec, Titles, DEFAULT_SIZE};

/// Shown instead of a chart when the result has no rows.
pub const NO_DATA: &str = "No data for this period";
/// Shown when every value is null (suppressed or unknown).
pub const NOTHING_TO_SHOW: &str = "No figures to show";
const NOTHING_TO_SHOW_DETAIL: &str = "Every figure for this period is suppressed (small numbers) or unknown.";

/// Notes under a chart that has unknown values: what the gaps mean.
const NOTE_BARS: &str = "* Suppressed (small numbers) or unknown: no bar drawn.";
const NOTE_STACKED: &str = "* Part of the bar is suppressed (small numbers) or unknown.";
const NOTE_LINES: &str = "Gaps: figures suppressed (small numbers) or unknown.";

/// Marks a bar or stack that has unknown parts.
pub const UNKNOWN_MARK: &str = "*";

/// Turns a plotters drawing error into an anyhow error.
pub fn error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart failed: {e}")
}

/// Everything needed to draw one chart, decided before any backend exists (so the image
/// size is known up front).
pub struct Plan<'a> {
    pub(crate) spec: &'a Spec,
    pub(crate) titles: &'a Titles,
    pub(crate) table: Table,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) fonts: Fonts,
    size: (u32, u32),
}

enum Content {
    NoData,
    NothingToShow,
    Chart,
}

impl<'a> Plan<'a> {
    pub fn new(spec: &'a Spec, titles: &'a Titles, batches: &[RecordBatch], size: Size) -> anyhow::Result<Self> {
        font::ensure_registered()?;
        let y_label = spec.y_label.clone().unwrap_or_else(|| data::humanise(&spec.y));
        let x_label = spec.x_label.clone().unwrap_or_else(|| data::humanise(&spec.x));
        let columns = data::Columns {
            x: &spec.x,
            y: &spec.y,
            per: spec.per.as_deref(),
            series: spec.series.as_deref(),
            single_name: &y_label,
            top: spec.top,
        };
        let table = data::pivot(&columns, batches)?;
        let scale = (size.width as f64 / DEFAULT_SIZE.width as f64)
            .min(size.height as f64 / DEFAULT_SIZE.height as f64)
            .clamp(1.0, 3.0);
        let mut plan =
            Plan { spec, titles, table, x_label, y_label, fonts: Fonts::new(scale), size: (size.width, size.height) };
        if spec.kind == Kind::HorizontalBars && matches!(plan.content(), Content::Chart) {
            let needed = hbars::needed_height(&plan);
            let (w, h) = (size.width as i32, size.height as i32);
            let extra = plan.frame().grow_for(w, h, needed);
            plan.size.1 = (h + extra).min(crate::MAX_SIZE.height as i32) as u32;
        }
        Ok(plan)
    }

    /// Image size: as asked, or taller for horizontal bars with many rows.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    fn content(&self) -> Content {
        if self.table.is_empty() {
            Content::NoData
        } else if !self.table.has_values() {
            Content::NothingToShow
        } else {
            Content::Chart
        }
    }

    fn frame(&self) -> Frame<'_> {
        let chart = matches!(self.content(), Content::Chart);
        let mut legend: Vec<LegendEntry> = Vec::new();
        if chart && self.table.series.len() > 1 {
            for (i, s) in self.table.series.iter().enumerate() {
                let swatch = match self.spec.kind {
                    Kind::Lines => Swatch::Line(Marker::for_series(i)),
                    _ => Swatch::Box,
                };
                legend.push(LegendEntry {
                    name: s.name.clone(),
                    fill: palette::fill(i, s.is_other),
                    stroke: palette::stroke(i, s.is_other),
                    swatch,
                });
            }
        }
        let note = if chart && self.table.has_unknown() {
            Some(
                match self.spec.kind {
                    Kind::Lines => NOTE_LINES,
                    Kind::StackedBars => NOTE_STACKED,
                    Kind::Bars | Kind::HorizontalBars => NOTE_BARS,
                }
                .to_string(),
            )
        } else {
            None
        };
        Frame { fonts: self.fonts, title: &self.titles.title, subtitle: &self.titles.subtitle, legend, note }
    }

    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let frame = self.frame();
        frame.draw(root)?;
        let (w, h) = root.dim_in_pixel();
        let area: Rect = frame.plot_area(w as i32, h as i32);
        match self.content() {
            Content::NoData => frame.draw_message(root, area, NO_DATA, None),
            Content::NothingToShow => frame.draw_message(root, area, NOTHING_TO_SHOW, Some(NOTHING_TO_SHOW_DETAIL)),
            Content::Chart => match self.spec.kind {
                Kind::StackedBars => stacked::draw(self, root, area),
                Kind::Lines => lines::draw(self, root, area),
                Kind::Bars => bars::draw(self, root, area),
                Kind::HorizontalBars => hbars::draw(self, root, area),
            },
        }
    }

    /// One sentence saying what the chart shows, for the SVG's `<desc>`.
    pub fn description(&self) -> String {
        let t = &self.table;
        match self.content() {
            Content::NoData => NO_DATA.to_string(),
            Content::NothingToShow => NOTHING_TO_SHOW_DETAIL.to_string(),
            Content::Chart => {
                let kind = match self.spec.kind {
                    Kind::StackedBars => "Stacked bar chart",
                    Kind::Lines => "Line chart",
                    Kind::HorizontalBars => "Horizontal bar chart",
                    Kind::Bars => "Bar chart",
                };
                let mut s = format!("{kind} of {} by {} ({} values)", self.y_label, self.x_label, t.categories.len());
                if t.series.len() > 1 {
                    let names: Vec<&str> = t.series.iter().map(|s| s.name.as_str()).collect();
                    s.push_str(&format!(", series: {}", names.join(", ")));
                }
                s.push('.');
                s
            }
        }
    }
}

/// Marker shapes for lines: shape as well as colour tells the series apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

impl Marker {
    pub fn for_series(index: usize) -> Self {
        [Marker::Circle, Marker::Square, Marker::Triangle, Marker::Diamond][index % 4]
    }
}

/// Draws `shape` centred on `at`, about `r` pixels in radius.
pub fn marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    shape: Marker,
    at: (i32, i32),
    r: i32,
    color: RGBColor,
) -> anyhow::Result<()> {
    let (x, y) = at;
    let style = color.filled();
    match shape {
        Marker::Circle => root.draw(&Circle::new((x, y), r, style)),
        Marker::Square => root.draw(&Rectangle::new([(x - r + 1, y - r + 1), (x + r - 1, y + r - 1)], style)),
        Marker::Triangle => {
            root.draw(&Polygon::new(vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)], style))
        }
        Marker::Diamond => {
            root.draw(&Polygon::new(vec![(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)], style))
        }
    }
    .map_err(error)
}

/// Draws a bar from `(x0, y0)` to `(x1, y1)` in series `index`'s colours: the fill, and an
/// outline where the fill alone has too little contrast on white.
pub fn bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    index: usize,
    is_other: bool,
) -> anyhow::Result<()> {
    let (fill, stroke) = (palette::fill(index, is_other), palette::stroke(index, is_other));
    let (xa, xb) = (x0.min(x1), x0.max(x1));
    let (ya, yb) = (y0.min(y1), y0.max(y1));
    root.draw(&Rectangle::new([(xa, ya), (xb, yb)], fill.filled())).map_err(error)?;
    if stroke != fill {
        root.draw(&Rectangle::new([(xa, ya), (xb, yb)], stroke.stroke_width(1))).map_err(error)?;
    }
    Ok(())
}
