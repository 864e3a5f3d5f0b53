//! The embedded font and the text styles of a chart.
//!
//! Charts must look the same on every machine and never depend on system fonts
//! (no fontconfig) or anything fetched from another host, so DejaVu Sans is compiled in
//! and registered with plotters' ab_glyph text renderer. Its licence is in fonts/LICENSE.
//!
//! Sizes are plotters' font sizes: the SVG backend writes `font-size = size / 1.24`, and
//! src/bitmap.rs draws PNG text at the same size, so 18 gives 14.5 px text at the default
//! image size. Widths are measured with plotters' ab_glyph layout, which takes an em of
//! `size / 1.16`: about 6% wider than drawn, a margin for fallback fonts in SVG viewers.

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontFamily, FontStyle, FontTransform, IntoFont, RGBColor, TextStyle};

use crate::palette;

/// The family name plotters registers the font under; the SVG backend writes it as the
/// `font-family` attribute, so it is a CSS list falling back to similar system fonts
/// when the SVG is opened where DejaVu Sans is not installed.
pub const FAMILY: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Registers the embedded fonts once per process (plotters keeps them in a global table
/// behind a lock, so concurrent charts share them).
pub fn ensure_registered() -> anyhow::Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, REGULAR).is_ok()
            && plotters::style::register_font(FAMILY, FontStyle::Bold, BOLD).is_ok()
    });
    anyhow::ensure!(ok, "the embedded DejaVu Sans font could not be loaded");
    Ok(())
}

/// The parsed embedded font, regular or bold, for drawing text into bitmaps.
pub fn face(bold: bool) -> Option<&'static FontRef<'static>> {
    static FACES: OnceLock<Option<(FontRef<'static>, FontRef<'static>)>> = OnceLock::new();
    let (regular, bold_face) = FACES
        .get_or_init(|| Some((FontRef::try_from_slice(REGULAR).ok()?, FontRef::try_from_slice(BOLD).ok()?)))
        .as_ref()?;
    Some(if bold { bold_face } else { regular })
}

/// The text styles of one chart, scaled with the image (never below the default sizes).
#[derive(Clone, Copy, Debug)]
pub struct Fonts {
    scale: f64,
}

impl Fonts {
    pub fn new(scale: f64) -> Self {
        Self { scale: scale.max(1.0) }
    }

    /// Scales a length in pixels of the default layout.
    pub fn px(&self, v: f64) -> i32 {
        (v * self.scale).round() as i32
    }

    fn style(&self, size: f64, bold: bool, color: RGBColor) -> TextStyle<'static> {
        let weight = if bold { FontStyle::Bold } else { FontStyle::Normal };
        (FontFamily::Name(FAMILY), size * self.scale, weight).into_font().color(&color)
    }

    pub fn title(&self) -> TextStyle<'static> {
        self.style(27.0, true, palette::TEXT)
    }

    pub fn subtitle(&self) -> TextStyle<'static> {
        self.style(19.0, false, palette::MUTED_TEXT)
    }

    /// Axis titles, tick labels, legend entries and notes.
    pub fn label(&self) -> TextStyle<'static> {
        self.style(18.0, false, palette::MUTED_TEXT)
    }

    /// Category labels and values printed on bars: the darkest text.
    pub fn strong_label(&self) -> TextStyle<'static> {
        self.style(18.0, false, palette::TEXT)
    }

    /// The "No data" message.
    pub fn message(&self) -> TextStyle<'static> {
        self.style(24.0, true, palette::MUTED_TEXT)
    }
}

/// Width in pixels of `text` in `style`, as the font lays it out.
pub fn width(style: &TextStyle<'_>, text: &str) -> i32 {
    style
        .font
        .box_size(text)
        .map(|(w, _)| w as i32)
        .unwrap_or((text.chars().count() as f64 * style.font.get_size() * 0.6) as i32)
}

/// Width in pixels of `text` in `style` as drawn, in PNG and in SVG with DejaVu Sans:
/// [`width`] without its margin, for decisions where every pixel counts.
pub fn drawn_width(style: &TextStyle<'_>, text: &str) -> i32 {
    (width(style, text) as f64 * 1.164 / 1.24).ceil() as i32
}

/// Height of a line of text in `style`, with some leading.
pub fn line_height(style: &TextStyle<'_>) -> i32 {
    (style.font.get_size() * 1.25).round() as i32
}

/// `text`, cut with an ellipsis to fit `max_width` pixels.
pub fn fit(style: &TextStyle<'_>, text: &str, max_width: i32) -> String {
    if width(style, text) <= max_width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let candidate: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
        if width(style, &candidate) <= max_width {
            return candidate;
        }
    }
    "…".to_string()
}

/// `text`, cut in the middle with an ellipsis to fit `max_width` pixels: for category
/// labels, whose ends often tell them apart ("… Primary School 2", "… Primary School 3").
pub fn fit_middle(style: &TextStyle<'_>, text: &str, max_width: i32) -> String {
    if width(style, text) <= max_width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len();
    while keep > 1 {
        keep -= 1;
        // Two thirds from the start, one third from the end.
        let tail = keep / 3;
        let head = keep - tail;
        let candidate = format!(
            "{}…{}",
            chars[..head].iter().collect::<String>().trim_end(),
            chars[chars.len() - tail..].iter().collect::<String>().trim_start()
        );
        if width(style, &candidate) <= max_width {
            return candidate;
        }
    }
    "…".to_string()
}

/// Labels fitted to `max_width`: cut at the end, or in the middle where cutting the end
/// would make two different labels look the same.
pub fn fit_all(style: &TextStyle<'_>, labels: &[String], max_width: i32) -> Vec<String> {
    let mut fitted: Vec<String> = labels.iter().map(|l| fit(style, l, max_width)).collect();
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (f, l) in fitted.iter().zip(labels) {
        if f != l {
            *seen.entry(f.as_str()).or_default() += 1;
        }
    }
    let clashing: Vec<bool> = fitted.iter().zip(labels).map(|(f, l)| f != l && seen[f.as_str()] > 1).collect();
    for ((f, l), clash) in fitted.iter_mut().zip(labels).zip(clashing) {
        if clash {
            *f = fit_middle(style, l, max_width);
        }
    }
    fitted
}

/// `style` anchored at `h`/`v`.
pub fn anchored(style: &TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

/// `style` rotated to read bottom to top.
pub fn vertical(style: &TextStyle<'static>) -> TextStyle<'static> {
    style.transform(FontTransform::Rotate270)
}
