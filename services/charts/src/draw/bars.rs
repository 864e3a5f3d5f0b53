//! Simple vertical bars: one bar per category, or one per series side by side in each
//! category's slot. The value is written above each bar when it fits.

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
    let values = || t.series.iter().flat_map(|s| s.cells.iter().filter_map(|c| c.value()));
    let hi = values().fold(0f64, f64::max);
    let lo = values().fold(0f64, f64::min);
    let integers = t.all_integers();
    let v = Vertical::layout(f, area, &t.categories, (lo * 1.08, hi * 1.08), integers);
    v.draw_under(root, &plan.x_label, &plan.y_label)?;

    let k = t.series.len().max(1);
    let group = (v.band() * if k == 1 { 0.7 } else { 0.85 }).min(f.px(80.0 * k as f64) as f64);
    let width = ((group / k as f64).floor() as i32).max(2);
    let gap = if width > 8 { 1 } else { 0 };
    let decimals = scale::decimals(values(), integers);
    let above = font::anchored(&f.strong_label(), HPos::Center, VPos::Bottom);
    let below = font::anchored(&f.strong_label(), HPos::Center, VPos::Top);
    // Values on every bar or on none: some bars without would read as missing.
    let show_values = values().all(|value| font::width(&above, &scale::format(value, decimals)) <= width + f.px(2.0));
    for i in 0..t.categories.len() {
        let left = v.center(i) - (width * k as i32) / 2;
        for (si, s) in t.series.iter().enumerate() {
            let x0 = left + si as i32 * width;
            let cx = x0 + width / 2;
            let text = match s.cells[i] {
                Cell::Value(value) => {
                    bar(root, (x0 + gap, v.y(0.0)), (x0 + width - gap, v.y(value)), si, s.is_other)?;
                    show_values.then(|| (scale::format(value, decimals), value))
                }
                Cell::Unknown => Some((UNKNOWN_MARK.to_string(), 0.0)),
                Cell::Absent => None,
            };
            if let Some((text, value)) = text {
                if value >= 0.0 {
                    root.draw_text(&text, &above, (cx, v.y(value) - f.px(4.0))).map_err(error)?;
                } else {
                    root.draw_text(&text, &below, (cx, v.y(value) + f.px(4.0))).map_err(error)?;
                }
            }
        }
    }
    v.draw_over(root)
}
