//! Lines: one trend per series over the categories (months). A null breaks the line
//! instead of dropping it to zero; every known point gets a marker whose shape, as well
//! as its colour, tells the series apart.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::Vertical;
use super::{error, marker, Marker, Plan};
use crate::data::Cell;
use crate::frame::Rect;
use crate::palette;

pub fn draw<DB: DrawingBackend>(plan: &Plan<'_>, root: &DrawingArea<DB, Shift>, area: Rect) -> anyhow::Result<()> {
    let t = &plan.table;
    let f = plan.fonts;
    let values = || t.series.iter().flat_map(|s| s.cells.iter().filter_map(|c| c.value()));
    let hi = values().fold(0f64, f64::max);
    let lo = values().fold(0f64, f64::min);
    let v = Vertical::layout(f, area, &t.categories, (lo, hi * 1.04), t.all_integers());
    v.draw_under(root, &plan.x_label, &plan.y_label)?;
    v.draw_over(root)?;

    // Draw the smallest series first so the largest lies on top.
    for (si, s) in t.series.iter().enumerate().rev() {
        let color = palette::stroke(si, s.is_other);
        let line = color.stroke_width(f.px(3.0) as u32);
        let mut run: Vec<(i32, i32)> = Vec::new();
        let mut points = Vec::new();
        for (i, c) in s.cells.iter().enumerate() {
            let value = match c {
                Cell::Value(v) => Some(*v),
                // No row: nothing was counted.
                Cell::Absent => Some(0.0),
                Cell::Unknown => None,
            };
            match value {
                Some(value) => {
                    let p = (v.center(i), v.y(value));
                    run.push(p);
                    points.push(p);
                }
                None => {
                    if run.len() > 1 {
                        root.draw(&PathElement::new(std::mem::take(&mut run), line)).map_err(error)?;
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            root.draw(&PathElement::new(run, line)).map_err(error)?;
        }
        for p in points {
            marker(root, Marker::for_series(si), p, f.px(4.5), color)?;
        }
    }
    Ok(())
}
