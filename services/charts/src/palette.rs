//! Colours: a colour-blind-safe palette (Okabe-Ito) with enough contrast on white.
//!
//! Governors read these charts on paper and projectors, and some are colour blind. Fills
//! use Okabe-Ito; where a fill is too light to stand out on white (orange, sky blue,
//! yellow), its outline, line or marker is a darker shade of the same hue reaching at
//! least 3:1 (WCAG 1.4.11, non-text contrast). Text colours reach 4.5:1 or more.

use plotters::style::RGBColor;

/// Okabe-Ito, ordered so that neighbouring series differ most and the light colours come
/// late; then two extra colours (Paul Tol's wine and olive) for charts with many series.
const SERIES: [RGBColor; 10] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0x88, 0x22, 0x55), // wine
    RGBColor(0x99, 0x99, 0x33), // olive
];

/// The `Other` series.
const OTHER: RGBColor = RGBColor(0xA6, 0xA6, 0xA6);

/// Titles and values: 17:1 on white.
pub const TEXT: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
/// Subtitle, axis labels and notes: 8.5:1 on white.
pub const MUTED_TEXT: RGBColor = RGBColor(0x4D, 0x4D, 0x4D);
/// The zero line and axes: 4.5:1.
pub const AXIS: RGBColor = RGBColor(0x76, 0x76, 0x76);
/// Grid lines: light on purpose, they only guide the eye.
pub const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
pub const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);

/// Minimum contrast of lines, outlines and markers on white.
const MIN_GRAPHIC_CONTRAST: f64 = 3.0;

/// The fill of series `index` (`is_other` for the grey `Other`).
pub fn fill(index: usize, is_other: bool) -> RGBColor {
    if is_other {
        OTHER
    } else {
        SERIES[index % SERIES.len()]
    }
}

/// The outline, line and marker colour of series `index`: the fill, darkened until it has
/// at least 3:1 contrast on white.
pub fn stroke(index: usize, is_other: bool) -> RGBColor {
    darken_to_contrast(fill(index, is_other), MIN_GRAPHIC_CONTRAST)
}

fn darken_to_contrast(color: RGBColor, ratio: f64) -> RGBColor {
    let mut c = color;
    let mut k = 1.0;
    while contrast_on_white(c) < ratio && k > 0.0 {
        k -= 0.05;
        let RGBColor(r, g, b) = color;
        c = RGBColor((r as f64 * k) as u8, (g as f64 * k) as u8, (b as f64 * k) as u8);
    }
    c
}

/// WCAG contrast ratio of `color` against white.
pub fn contrast_on_white(RGBColor(r, g, b): RGBColor) -> f64 {
    fn channel(v: u8) -> f64 {
        let c = v as f64 / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    let l = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    1.05 / (l + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_and_text_have_contrast() {
        for i in 0..SERIES.len() {
            assert!(contrast_on_white(stroke(i, false)) >= 3.0, "series {i}");
        }
        assert!(contrast_on_white(stroke(0, true)) >= 3.0);
        assert!(contrast_on_white(TEXT) >= 7.0);
        assert!(contrast_on_white(MUTED_TEXT) >= 4.5);
        assert!(contrast_on_white(AXIS) >= 4.5);
    }

    #[test]
    fn strong_colours_are_kept() {
        assert_eq!(stroke(0, false), fill(0, false));
    }
}
