//! Horizontal bars: one row per category (e.g. a school's rate), largest at the top, the
//! label on the left and the value written at the bar's end, so a governor can compare
//! schools and read each figure without a ruler. Several series (e.g. this year and last)
//! are drawn side by side in each row.
//!
//! Rows never shrink below a readable height: with many schools the image grows taller
//! (see [`needed_height`]).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{bar, error, Plan, UNKNOWN_MARK};
use crate::data::Cell;
use crate::font::{self, Fonts};
use crate::frame::Rect;
use crate::palette;
use crate::scale::{self, Axis};

/// Longest category label as a share of the width; longer ones are cut with "…".
const MAX_LABEL_SHARE: f64 = 0.35;

fn row_height(fonts: Fonts, series: usize) -> i32 {
    if series <= 1 {
        fonts.px(28.0)
    } else {
        fonts.px(17.0) * series as i32 + fonts.px(10.0)
    }
}

fn header_height(fonts: Fonts) -> i32 {
    font::line_height(&fonts.label()) + fonts.px(6.0)
}

fn footer_height(fonts: Fonts) -> i32 {
    2 * font::line_height(&fonts.label()) + fonts.px(8.0)
}

/// Plot-area height that gives every row a readable height.
pub fn needed_height(plan: &Plan<'_>) -> i32 {
    let f = plan.fonts;
    header_height(f) + plan.table.categories.len() as i32 * row_height(f, plan.table.series.len()) + footer_height(f)
}

pub fn draw<DB: DrawingBackend>(plan: &Plan<'_>, root: &DrawingArea<DB, Shift>, area: Rect) -> anyhow::Result<()> {
    let t = &plan.table;
    let f = plan.fonts;
    let style = f.label();
    let strong = f.strong_label();
    let k = t.series.len().max(1);

    // Rows by the first (largest) series' value, largest first, then by the total of the
    // others; unknown values go last.
    let mut rows: Vec<usize> = (0..t.categories.len()).collect();
    let key = |i: usize| -> (f64, f64) {
        let first = t.series.first().and_then(|s| s.cells[i].value()).unwrap_or(f64::NEG_INFINITY);
        let rest: Vec<f64> = t.series.iter().skip(1).filter_map(|s| s.cells[i].value()).collect();
        (first, if rest.is_empty() { f64::NEG_INFINITY } else { rest.iter().sum() })
    };
    rows.sort_by(|&a, &b| {
        let ((fa, ra), (fb, rb)) = (key(a), key(b));
        fb.total_cmp(&fa).then(rb.total_cmp(&ra)).then_with(|| t.categories[a].cmp(&t.categories[b]))
    });

    let values = || t.series.iter().flat_map(|s| s.cells.iter().filter_map(|c| c.value()));
    let integers = t.all_integers();
    let decimals = scale::decimals(values(), integers);
    let value_width = t
        .series
        .iter()
        .flat_map(|s| &s.cells)
        .map(|c| match c {
            Cell::Value(v) => font::width(&strong, &scale::format(*v, decimals)),
            _ => font::width(&strong, UNKNOWN_MARK),
        })
        .max()
        .unwrap_or(0);
    let max_label = (area.width() as f64 * MAX_LABEL_SHARE) as i32;
    let labels = font::fit_all(&strong, &t.categories, max_label);
    let label_width = labels
        .iter()
        .map(|l| font::width(&strong, l))
        .max()
        .unwrap_or(0)
        .max(font::width(&style, &font::fit(&style, &plan.x_label, max_label)));

    let plot = Rect {
        x0: area.x0 + label_width + f.px(10.0),
        y0: area.y0 + header_height(f),
        x1: area.x1 - value_width - f.px(12.0),
        y1: area.y1 - footer_height(f),
    };
    let hi = values().fold(0f64, f64::max);
    let lo = values().fold(0f64, f64::min);
    let steps = ((plot.width() as f64 / f.px(110.0) as f64) as usize).clamp(2, 10);
    let axis = Axis::covering(lo, hi, steps, integers);
    let x = |v: f64| axis.map(v, plot.x0, plot.x1);

    // Grid and value axis.
    let tick_decimals = scale::tick_decimals(&axis);
    let tick_style = font::anchored(&style, HPos::Center, VPos::Top);
    for tick in axis.ticks() {
        let xt = x(tick);
        if tick != 0.0 {
            root.draw(&PathElement::new(vec![(xt, plot.y0), (xt, plot.y1)], palette::GRID.stroke_width(1)))
                .map_err(error)?;
        }
        root.draw_text(&scale::format(tick, tick_decimals), &tick_style, (xt, plot.y1 + f.px(6.0))).map_err(error)?;
    }
    let y_title = font::fit(&style, &plan.y_label, plot.width());
    root.draw_text(&y_title, &font::anchored(&style, HPos::Center, VPos::Bottom), ((plot.x0 + plot.x1) / 2, area.y1))
        .map_err(error)?;
    let x_title = font::fit(&style, &plan.x_label, max_label);
    root.draw_text(&x_title, &font::anchored(&style, HPos::Right, VPos::Top), (plot.x0 - f.px(10.0), area.y0))
        .map_err(error)?;

    // Bars, labels and values.
    let row = plot.height() as f64 / rows.len().max(1) as f64;
    let thickness = if k == 1 {
        (row * 0.7).min(f.px(30.0) as f64) as i32
    } else {
        ((row * 0.8) / k as f64).min(f.px(22.0) as f64) as i32
    }
    .max(2);
    let label_style = font::anchored(&strong, HPos::Right, VPos::Center);
    let after = font::anchored(&strong, HPos::Left, VPos::Center);
    let before = font::anchored(&strong, HPos::Right, VPos::Center);
    let zero = x(0.0);
    for (r, &i) in rows.iter().enumerate() {
        let cy = (plot.y0 as f64 + (r as f64 + 0.5) * row).round() as i32;
        root.draw_text(&labels[i], &label_style, (plot.x0 - f.px(10.0), cy)).map_err(error)?;
        let top = cy - (thickness * k as i32) / 2;
        for (si, s) in t.series.iter().enumerate() {
            let y0 = top + si as i32 * thickness;
            let ym = y0 + thickness / 2;
            let gap = if k > 1 && thickness > 8 { 1 } else { 0 };
            match s.cells[i] {
                Cell::Value(v) => {
                    let end = x(v);
                    bar(root, (zero, y0 + gap), (end, y0 + thickness - gap), si, s.is_other)?;
                    let text = scale::format(v, decimals);
                    if v >= 0.0 {
                        root.draw_text(&text, &after, (end + f.px(6.0), ym)).map_err(error)?;
                    } else {
                        root.draw_text(&text, &before, (end - f.px(6.0), ym)).map_err(error)?;
                    }
                }
                Cell::Unknown => {
                    root.draw_text(UNKNOWN_MARK, &after, (zero + f.px(6.0), ym)).map_err(error)?;
                }
                Cell::Absent => {}
            }
        }
    }
    root.draw(&PathElement::new(vec![(zero, plot.y0), (zero, plot.y1)], palette::AXIS.stroke_width(1)))
        .map_err(error)?;
    Ok(())
}
