//! The PNG drawing backend: plotters' `BitMapBackend` for shapes, with text drawn here.
//!
//! plotters 0.3.7 draws ab_glyph text without each glyph's left side bearing, so words
//! come out broken ("Onli ne", "Academ y"), and it places text lower or higher than its
//! SVG backend does. This wrapper hands every shape to `BitMapBackend` and draws text
//! itself from the embedded font, at the SVG backend's size (`size / 1.24`) and with its
//! anchors, so that the PNG and the SVG of a chart look alike.

use ab_glyph::{point, Font, PxScale, ScaleFont};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle, FontTransform,
};

use crate::font;

/// DejaVu Sans's x-height in ems (1118 / 2048 units), as SVG's `ex`.
const X_HEIGHT: f32 = 0.546;

/// The SVG backend writes `font-size = size / 1.24`; so do we.
const SIZE_TO_EM: f64 = 1.24;

pub struct Bitmap<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> Bitmap<'a> {
    /// Draws into `buffer`, 3 bytes (RGB) per pixel, `size.0` x `size.1` pixels.
    pub fn with_buffer(buffer: &'a mut [u8], size: (u32, u32)) -> Self {
        Bitmap { inner: BitMapBackend::with_buffer(buffer, size) }
    }
}

type Result<E> = std::result::Result<(), DrawingErrorKind<E>>;

impl<'a> DrawingBackend for Bitmap<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<Self::ErrorType> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<Self::ErrorType> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<Self::ErrorType> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<Self::ErrorType> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<Self::ErrorType> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<Self::ErrorType> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Result<Self::ErrorType> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let Some(face) = font::face(matches!(style.style(), FontStyle::Bold)) else {
            return Err(DrawingErrorKind::FontError("the embedded font does not parse".into()));
        };
        let em = (style.size() / SIZE_TO_EM) as f32;
        let units_per_em = face.units_per_em().unwrap_or(2048.0);
        let scale = PxScale::from(em * face.height_unscaled() / units_per_em);
        let scaled = face.as_scaled(scale);

        let glyphs: Vec<_> = text.chars().map(|c| scaled.glyph_id(c)).collect();
        let mut advances = Vec::with_capacity(glyphs.len());
        let mut caret = 0f32;
        for (i, id) in glyphs.iter().enumerate() {
            if i > 0 {
                caret += scaled.kern(glyphs[i - 1], *id);
            }
            advances.push(caret);
            caret += scaled.h_advance(*id);
        }
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -caret / 2.0,
            HPos::Right => -caret,
        };
        // Baseline below the anchor, as plotters' SVG backend sets `dy`.
        let baseline = match style.anchor().v_pos {
            VPos::Top => 0.76 * em,
            VPos::Center => 0.5 * X_HEIGHT * em,
            VPos::Bottom => -0.5 * X_HEIGHT * em,
        };
        let transform = style.transform();
        let mut failed = None;
        for (id, x) in glyphs.iter().zip(advances) {
            let glyph = id.with_scale_and_position(scale, point(dx + x, baseline));
            let Some(outline) = face.outline_glyph(glyph) else { continue };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                // The centre of the glyph's pixel, turned with the text around the anchor.
                let (lx, ly) = (bounds.min.x + gx as f32 + 0.5, bounds.min.y + gy as f32 + 0.5);
                let (rx, ry) = match transform {
                    FontTransform::None => (lx, ly),
                    FontTransform::Rotate90 => (-ly, lx),
                    FontTransform::Rotate180 => (-lx, -ly),
                    FontTransform::Rotate270 => (ly, -lx),
                };
                let at = (pos.0 + rx.floor() as i32, pos.1 + ry.floor() as i32);
                let alpha = color.alpha * coverage.clamp(0.0, 1.0) as f64;
                if alpha > 0.0 && failed.is_none() {
                    if let Err(e) = self.inner.draw_pixel(at, BackendColor { alpha, rgb: color.rgb }) {
                        failed = Some(e);
                    }
                }
            });
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
