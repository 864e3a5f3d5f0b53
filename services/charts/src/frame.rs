//! What every chart has around its plot: white background, title, subtitle, legend,
//! footnote, and the "No data" message.
//!
//! Kept apart from the chart kinds so that they all share one layout: the legend sits
//! between the subtitle and the plot, never over the bars.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::draw::{error, marker, Marker};
use crate::font::{self, Fonts};
use crate::palette;

/// A pixel rectangle: `x0..x1`, `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    pub fn width(&self) -> i32 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> i32 {
        self.y1 - self.y0
    }
}

/// How a legend entry shows its series.
#[derive(Clone, Copy, Debug)]
pub enum Swatch {
    /// A filled square, as the bars are drawn.
    Box,
    /// A short line with the series' marker.
    Line(Marker),
}

#[derive(Clone, Debug)]
pub struct LegendEntry {
    pub name: String,
    pub fill: RGBColor,
    pub stroke: RGBColor,
    pub swatch: Swatch,
}

/// Longest legend label, in pixels at the default size; longer ones are cut with "…".
const MAX_LEGEND_LABEL: f64 = 240.0;

/// The page around the plot.
pub struct Frame<'a> {
    pub fonts: Fonts,
    pub title: &'a str,
    pub subtitle: &'a str,
    /// Empty for a single series: the title and axis say what it is.
    pub legend: Vec<LegendEntry>,
    pub note: Option<String>,
}

struct LegendLayout {
    /// (x, y of the row's centre, label as shown, entry index)
    items: Vec<(i32, i32, String, usize)>,
    height: i32,
}

impl Frame<'_> {
    fn margin(&self) -> i32 {
        self.fonts.px(16.0)
    }

    fn header_height(&self) -> i32 {
        let f = &self.fonts;
        self.margin() + font::line_height(&f.title()) + f.px(2.0) + font::line_height(&f.subtitle())
    }

    fn legend_layout(&self, left: i32, right: i32, top: i32) -> LegendLayout {
        let f = &self.fonts;
        let style = f.label();
        let line = font::line_height(&style) + f.px(4.0);
        let swatch = f.px(26.0);
        let gap = f.px(22.0);
        let mut items = Vec::new();
        let (mut x, mut row) = (left, 0);
        for (i, entry) in self.legend.iter().enumerate() {
            let label = font::fit_middle(&style, &entry.name, f.px(MAX_LEGEND_LABEL).min(right - left - swatch));
            let w = swatch + font::width(&style, &label);
            if x > left && x + w > right {
                x = left;
                row += 1;
            }
            items.push((x, top + row * line + line / 2, label, i));
            x += w + gap;
        }
        let height = if items.is_empty() { 0 } else { (row + 1) * line };
        LegendLayout { items, height }
    }

    /// The area left for the plot in an image of `width` x `height`.
    pub fn plot_area(&self, width: i32, height: i32) -> Rect {
        let m = self.margin();
        let mut top = self.header_height() + self.fonts.px(10.0);
        let legend = self.legend_layout(m, width - m, top);
        if legend.height > 0 {
            top += legend.height + self.fonts.px(6.0);
        }
        let mut bottom = height - m;
        if self.note.is_some() {
            bottom -= font::line_height(&self.fonts.label()) + self.fonts.px(4.0);
        }
        Rect { x0: m, y0: top, x1: width - m, y1: bottom }
    }

    /// Extra height that a plot of `needed` pixels would add to an image of `height`.
    pub fn grow_for(&self, width: i32, height: i32, needed: i32) -> i32 {
        (needed - self.plot_area(width, height).height()).max(0)
    }

    /// Draws the background, titles, legend and note.
    pub fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let f = &self.fonts;
        let (w, h) = root.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        let m = self.margin();
        root.fill(&palette::BACKGROUND).map_err(error)?;

        let title = f.title();
        let title_text = font::fit(&title, self.title, w - 2 * m);
        root.draw_text(&title_text, &font::anchored(&title, HPos::Left, VPos::Top), (m, m)).map_err(error)?;
        let subtitle = f.subtitle();
        let subtitle_text = font::fit(&subtitle, self.subtitle, w - 2 * m);
        let y = m + font::line_height(&title) + f.px(2.0);
        root.draw_text(&subtitle_text, &font::anchored(&subtitle, HPos::Left, VPos::Top), (m, y)).map_err(error)?;

        let top = self.header_height() + f.px(10.0);
        let layout = self.legend_layout(m, w - m, top);
        let label = font::anchored(&f.label(), HPos::Left, VPos::Center);
        for (x, y, text, i) in &layout.items {
            let entry = &self.legend[*i];
            let s = f.px(14.0);
            match entry.swatch {
                Swatch::Box => {
                    let (x0, y0) = (*x, y - s / 2);
                    root.draw(&Rectangle::new([(x0, y0), (x0 + s, y0 + s)], entry.fill.filled())).map_err(error)?;
                    if entry.stroke != entry.fill {
                        root.draw(&Rectangle::new([(x0, y0), (x0 + s, y0 + s)], entry.stroke.stroke_width(1)))
                            .map_err(error)?;
                    }
                }
                Swatch::Line(shape) => {
                    let line = entry.stroke.stroke_width(f.px(3.0) as u32);
                    root.draw(&PathElement::new(vec![(*x - f.px(2.0), *y), (*x + s + f.px(2.0), *y)], line))
                        .map_err(error)?;
                    marker(root, shape, (*x + s / 2, *y), f.px(4.5), entry.stroke)?;
                }
            }
            root.draw_text(text, &label, (*x + f.px(26.0) - f.px(6.0), *y)).map_err(error)?;
        }

        if let Some(note) = &self.note {
            let style = f.label();
            let text = font::fit(&style, note, w - 2 * m);
            root.draw_text(&text, &font::anchored(&style, HPos::Left, VPos::Bottom), (m, h - m)).map_err(error)?;
        }
        Ok(())
    }

    /// Draws `message` in the middle of the plot area (no data, or nothing to show).
    pub fn draw_message<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        area: Rect,
        message: &str,
        detail: Option<&str>,
    ) -> anyhow::Result<()> {
        let f = &self.fonts;
        root.draw(&Rectangle::new([(area.x0, area.y0), (area.x1, area.y1)], palette::GRID.stroke_width(2)))
            .map_err(error)?;
        let cx = (area.x0 + area.x1) / 2;
        let cy = (area.y0 + area.y1) / 2;
        let style = f.message();
        let text = font::fit(&style, message, area.width() - f.px(20.0));
        let dy = if detail.is_some() { f.px(14.0) } else { 0 };
        root.draw_text(&text, &font::anchored(&style, HPos::Center, VPos::Center), (cx, cy - dy)).map_err(error)?;
        if let Some(detail) = detail {
            let style = f.label();
            let text = font::fit(&style, detail, area.width() - f.px(20.0));
            root.draw_text(&text, &font::anchored(&style, HPos::Center, VPos::Center), (cx, cy + f.px(18.0)))
                .map_err(error)?;
        }
        Ok(())
    }
}
