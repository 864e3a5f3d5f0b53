//! The axes of the vertical charts (stacked bars, bars, lines): categories along the
//! bottom, values up the left from zero, light grid lines.
//!
//! Category labels never overlap. They are written level when they fit their slot; months
//! and years that do not fit stay level, but only every n-th is written (the axis is
//! ordered, so the others follow on); other labels are turned to read upwards, cut with
//! "…" past a limit, and if even turned they are too many, only every n-th is written.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::error;
use crate::font::{self, Fonts};
use crate::frame::Rect;
use crate::palette;
use crate::scale::{self, Axis};

/// Longest turned category label, in pixels at the default size.
const MAX_TURNED_LABEL: f64 = 150.0;

pub struct Vertical {
    pub plot: Rect,
    pub axis: Axis,
    fonts: Fonts,
    area: Rect,
    labels: Vec<String>,
    turned: bool,
    every: usize,
    ticks: Vec<(f64, String)>,
}

impl Vertical {
    /// Lays out `area` for `categories` and values from `range.0` to `range.1` (the axis
    /// always includes zero).
    pub fn layout(fonts: Fonts, area: Rect, categories: &[String], range: (f64, f64), integers: bool) -> Self {
        // The number of value steps depends on the plot's height, which depends on the
        // labels: guess, lay out, and lay out again if the guess was wrong.
        let guess = steps_for(fonts, area.height() - fonts.px(90.0));
        let first = Self::layout_with(fonts, area, categories, Axis::covering(range.0, range.1, guess, integers));
        let steps = steps_for(fonts, first.plot.height());
        if steps == guess {
            first
        } else {
            Self::layout_with(fonts, area, categories, Axis::covering(range.0, range.1, steps, integers))
        }
    }

    fn layout_with(fonts: Fonts, area: Rect, categories: &[String], axis: Axis) -> Self {
        let style = fonts.label();
        let line = font::line_height(&style);
        let decimals = scale::tick_decimals(&axis);
        let ticks: Vec<(f64, String)> = axis.ticks().into_iter().map(|t| (t, scale::format(t, decimals))).collect();
        let tick_width = ticks.iter().map(|(_, s)| font::width(&style, s)).max().unwrap_or(0);
        let left = line + fonts.px(8.0) + tick_width + fonts.px(8.0);
        let (x0, x1) = (area.x0 + left, area.x1 - fonts.px(4.0));
        let n = categories.len().max(1);
        let band = (x1 - x0) as f64 / n as f64;

        // Level labels need a gap of at least 4 pixels between them.
        let widest = categories.iter().map(|c| font::drawn_width(&style, c)).max().unwrap_or(0);
        let slot = widest as f64 + fonts.px(4.0) as f64;
        let level = slot <= band || is_time_like(categories);
        let (labels, label_height): (Vec<String>, i32) = if level {
            (categories.to_vec(), line + fonts.px(6.0))
        } else {
            // Turned labels may take 40% of the height, up to a limit.
            let max = fonts.px(MAX_TURNED_LABEL).min(area.height() * 2 / 5).max(line);
            let fitted = font::fit_all(&style, categories, max);
            let h = fitted.iter().map(|c| font::width(&style, c)).max().unwrap_or(0);
            (fitted, h + fonts.px(10.0))
        };
        // Months and years too many to write level: every n-th one (the rest follow on).
        // Turned labels too many for their lines of text: every n-th one too.
        let needed = if level { slot } else { line as f64 };
        let every = ((needed / band).ceil() as usize).max(1);
        let turned = !level;
        let bottom = label_height + line + fonts.px(2.0);
        let plot = Rect { x0, y0: area.y0 + fonts.px(10.0), x1, y1: area.y1 - bottom };
        Vertical { plot, axis, fonts, area, labels, turned, every, ticks }
    }

    /// Width of one category's slot.
    pub fn band(&self) -> f64 {
        self.plot.width() as f64 / self.labels.len().max(1) as f64
    }

    /// Centre of category `i`'s slot.
    pub fn center(&self, i: usize) -> i32 {
        (self.plot.x0 as f64 + (i as f64 + 0.5) * self.band()).round() as i32
    }

    pub fn y(&self, v: f64) -> i32 {
        self.axis.map(v, self.plot.y1, self.plot.y0)
    }

    /// Grid, tick labels, category labels and axis titles: everything under the data.
    pub fn draw_under<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x_title: &str,
        y_title: &str,
    ) -> anyhow::Result<()> {
        let f = &self.fonts;
        let style = f.label();
        let p = self.plot;
        let tick_style = font::anchored(&style, HPos::Right, VPos::Center);
        for (v, text) in &self.ticks {
            let y = self.y(*v);
            if *v != 0.0 {
                root.draw(&PathElement::new(vec![(p.x0, y), (p.x1, y)], palette::GRID.stroke_width(1)))
                    .map_err(error)?;
            }
            root.draw_text(text, &tick_style, (p.x0 - f.px(8.0), y)).map_err(error)?;
        }

        let strong = f.strong_label();
        for (i, label) in self.labels.iter().enumerate() {
            if i % self.every != 0 {
                continue;
            }
            let x = self.center(i);
            if self.turned {
                let s = font::vertical(&font::anchored(&strong, HPos::Right, VPos::Center));
                root.draw_text(label, &s, (x, p.y1 + f.px(8.0))).map_err(error)?;
            } else {
                let s = font::anchored(&strong, HPos::Center, VPos::Top);
                root.draw_text(label, &s, (x, p.y1 + f.px(7.0))).map_err(error)?;
            }
        }

        let x_title = font::fit(&style, x_title, p.width());
        let s = font::anchored(&style, HPos::Center, VPos::Bottom);
        root.draw_text(&x_title, &s, ((p.x0 + p.x1) / 2, self.area.y1)).map_err(error)?;
        let y_title = font::fit(&style, y_title, p.height() + f.px(20.0));
        let s = font::vertical(&font::anchored(&style, HPos::Center, VPos::Center));
        let line = font::line_height(&style);
        root.draw_text(&y_title, &s, (self.area.x0 + line / 2, (p.y0 + p.y1) / 2)).map_err(error)?;
        Ok(())
    }

    /// The zero line, drawn over the bars' feet.
    pub fn draw_over<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let y = self.y(0.0);
        root.draw(&PathElement::new(vec![(self.plot.x0, y), (self.plot.x1, y)], palette::AXIS.stroke_width(1)))
            .map_err(error)?;
        Ok(())
    }
}

/// Whether the categories are months, dates or years (`2025-10`, `2025-10-01`, `2025`,
/// `2025-26`): an ordered axis where every other label is enough.
fn is_time_like(categories: &[String]) -> bool {
    categories.iter().all(|c| {
        c.len() >= 4
            && c.len() <= 10
            && c.chars().take(4).all(|ch| ch.is_ascii_digit())
            && c.chars().all(|ch| ch.is_ascii_digit() || ch == '-')
    })
}

/// How many value steps fit a plot `height` pixels tall (about one per 50 pixels).
fn steps_for(fonts: Fonts, height: i32) -> usize {
    ((height as f64 / fonts.px(50.0) as f64).floor() as usize).clamp(1, 8)
}
