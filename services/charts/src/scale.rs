//! Value axes: round tick steps that start at zero, and numbers written the way a report
//! writes them (thousands separators, one or two decimals only for rates).
//!
//! plotters' own mesh picks ticks and formats numbers for engineers; governors need
//! "0, 250, 500" and "1,200", and a value axis that always includes zero.

/// A value axis from `min` to `max` (both ticks), with ticks every `step`.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    pub step: f64,
}

impl Axis {
    /// An axis covering zero and every value in `lo..=hi`, with about `target` steps.
    pub fn covering(lo: f64, hi: f64, target: usize, integers: bool) -> Self {
        let lo = lo.min(0.0);
        let hi = hi.max(0.0);
        let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
        let mut step = nice_step(span / target.max(1) as f64, integers);
        if integers {
            step = step.max(1.0);
        }
        let min = (lo / step).floor() * step;
        let mut max = (hi / step).ceil() * step;
        if max <= min {
            max = min + step;
        }
        Axis { min, max, step }
    }

    pub fn ticks(&self) -> Vec<f64> {
        let n = ((self.max - self.min) / self.step).round() as i64;
        (0..=n).map(|i| self.min + i as f64 * self.step).collect()
    }

    /// Position of `v` between `from` (at `min`) and `to` (at `max`), in pixels.
    pub fn map(&self, v: f64, from: i32, to: i32) -> i32 {
        let t = (v - self.min) / (self.max - self.min);
        (from as f64 + t * (to - from) as f64).round() as i32
    }
}

/// The step of 1, 2, 2.5 or 5 times a power of ten nearest to `raw` (no 2.5 for counts:
/// "7.5 incidents" makes no sense).
fn nice_step(raw: f64, integers: bool) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction < 1.5 {
        1.0
    } else if fraction < 2.25 {
        2.0
    } else if fraction < 3.5 && !(integers && power < 10.0) {
        2.5
    } else if fraction < 3.5 {
        2.0
    } else if fraction < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// How many decimals the numbers of one chart get, so they all look alike.
pub fn decimals(values: impl IntoIterator<Item = f64>, integers: bool) -> usize {
    if integers {
        return 0;
    }
    let max = values.into_iter().fold(0f64, |m, v| m.max(v.abs()));
    if max < 10.0 {
        2
    } else {
        1
    }
}

/// Decimals needed for the ticks of `axis`.
pub fn tick_decimals(axis: &Axis) -> usize {
    let mut d = 0;
    while d < 3 && ((axis.step * 10f64.powi(d as i32)).fract().abs() > 1e-9) {
        d += 1;
    }
    d
}

/// `v` with `decimals` decimals and thousands separators: 1234.5 -> "1,234.5".
pub fn format(v: f64, decimals: usize) -> String {
    // Half away from zero, as people round (format! alone would write 4.25 as "4.2").
    let factor = 10f64.powi(decimals as i32);
    let rounded = (v.abs() * factor).round() / factor;
    let text = format!("{:.*}", decimals, rounded);
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text.clone(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative = v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let mut out = if negative { format!("-{grouped}") } else { grouped };
    if let Some(f) = frac {
        out.push('.');
        out.push_str(&f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_starts_at_zero_and_covers_the_data() {
        let a = Axis::covering(3.0, 87.0, 5, true);
        assert_eq!(a.min, 0.0);
        assert!(a.max >= 87.0);
        assert_eq!(a.ticks().first(), Some(&0.0));
        assert_eq!(a.step, 20.0);
        let r = Axis::covering(0.1, 0.42, 5, false);
        assert_eq!(r.step, 0.1);
        assert_eq!(r.max, 0.5);
        let i = Axis::covering(0.0, 2.0, 5, true);
        assert_eq!(i.step, 1.0);
        let counts = Axis::covering(0.0, 13.0, 5, true);
        assert_eq!(counts.step, 2.0, "no 2.5 steps for counts");
        let empty = Axis::covering(0.0, 0.0, 5, true);
        assert!(empty.max > empty.min);
    }

    #[test]
    fn numbers_read_like_a_report() {
        assert_eq!(format(1234.0, 0), "1,234");
        assert_eq!(format(1234567.26, 1), "1,234,567.3");
        assert_eq!(format(0.456, 2), "0.46");
        assert_eq!(format(4.25, 1), "4.3");
        assert_eq!(format(-1500.0, 0), "-1,500");
        assert_eq!(format(-0.0001, 1), "0.0");
        assert_eq!(tick_decimals(&Axis { min: 0.0, max: 1.0, step: 0.25 }), 2);
        assert_eq!(tick_decimals(&Axis { min: 0.0, max: 100.0, step: 20.0 }), 0);
    }
}
