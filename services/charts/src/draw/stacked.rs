//! Stacked bars: one bar per category (e.g. month), split into series (e.g. incident
//! category). The largest series sits on the baseline, where its trend is easiest to read;
//! `Other` is on top. The total is written above each bar when it fits.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::Vertical;
use super::{bar, error, Plan, UNKNOWN_MARK};
use crate::data::Cell;
use crate::font;
use crate::frame::Rect;
use crate::scale;

pub fn draw<DB: DrawingBackend>(plan: &Plan<'_>, root: &DrawingArea<DB, Shift>, area: Rect) -> anyhow::Result<()> {
    let t = &plan.table;
    let f = plan.fonts;
    let n = t.categories.len();
    // Positive values stack up from zero, negative ones down.
    let mut up = vec![0f64; n];
    let mut down = vec![0f64; n];
    let mut unknown = vec![false; n];
    for s in &t.series {
        for (i, c) in s.cells.iter().enumerate() {
            match c {
                Cell::Value(v) if *v >= 0.0 => up[i] += v,
                Cell::Value(v) => down[i] += v,
                Cell::Unknown => unknown[i] = true,
                Cell::Absent => {}
            }
        }
    }
    let hi = up.iter().copied().fold(0f64, f64::max);
    let lo = down.iter().copied().fold(0f64, f64::min);
    let integers = t.all_integers();
    // Head room for the totals written above the bars.
    let v = Vertical::layout(f, area, &t.categories, (lo, hi * 1.08), integers);
    v.draw_under(root, &plan.x_label, &plan.y_label)?;

    let width = (v.band() * 0.7).min(f.px(80.0) as f64).max(2.0) as i32;
    let decimals = scale::decimals(up.iter().copied(), integers);
    let label = font::anchored(&f.strong_label(), HPos::Center, VPos::Bottom);
    let totals: Vec<String> = (0..n)
        .map(|i| if unknown[i] { UNKNOWN_MARK.to_string() } else { scale::format(up[i] + down[i], decimals) })
        .collect();
    // Totals on every bar or on none: some bars without would read as missing.
    let show_totals = totals.iter().all(|t| font::width(&label, t) as f64 <= v.band() - f.px(4.0) as f64);
    for i in 0..n {
        let x0 = v.center(i) - width / 2;
        let (mut top, mut bottom) = (0f64, 0f64);
        for (si, s) in t.series.iter().enumerate() {
            let Cell::Value(value) = s.cells[i] else { continue };
            let (from, to) = if value >= 0.0 {
                top += value;
                (top - value, top)
            } else {
                bottom += value;
                (bottom - value, bottom)
            };
            let (ya, yb) = (v.y(from), v.y(to));
            if ya != yb {
                bar(root, (x0, ya), (x0 + width, yb), si, s.is_other)?;
            }
        }
        if show_totals || unknown[i] {
            root.draw_text(&totals[i], &label, (v.center(i), v.y(top) - f.px(4.0))).map_err(error)?;
        }
    }
    v.draw_over(root)
}
