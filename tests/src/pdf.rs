//! A PDF read back as its reader would see it, by poppler's command-line tools (Debian's
//! poppler-utils): its pages and their size (`pdfinfo`), its text (`pdftotext`) and its
//! pages drawn as pictures (`pdftoppm`), for the tests of the meeting packs.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// A PDF's pages, size and text, and each page as RGB pixels.
pub struct Pdf {
    pub pages: usize,
    /// The first page's size in points (A4 is 595 x 842).
    pub page_size: (f64, f64),
    /// The text, page by page in reading order (`pdftotext -layout`).
    pub text: String,
    /// Each page drawn at 50 dpi.
    pub images: Vec<Image>,
}

/// One page drawn as pixels.
pub struct Image {
    pub width: usize,
    pub height: usize,
    rgb: Vec<u8>,
}

impl Image {
    /// How many pixels are `colour` exactly (a chart's fill inside its edges is).
    pub fn pixels_of(&self, colour: [u8; 3]) -> usize {
        self.rgb.chunks_exact(3).filter(|p| *p == colour).count()
    }

    /// How many pixels are not white.
    pub fn inked(&self) -> usize {
        self.rgb.chunks_exact(3).filter(|p| *p != [255, 255, 255]).count()
    }
}

impl Pdf {
    pub fn read(path: &Path) -> Result<Pdf> {
        let info = run(Command::new("pdfinfo").arg(path))?;
        let field = |name: &str| {
            info.lines().find_map(|l| l.strip_prefix(name)).map(str::trim).map(str::to_string).unwrap_or_default()
        };
        let pages: usize = field("Pages:").parse().with_context(|| format!("pdfinfo: {info}"))?;
        // "595.276 x 841.89 pts (A4)"
        let size = field("Page size:");
        let mut numbers = size.split_whitespace().filter_map(|w| w.parse::<f64>().ok());
        let page_size = (numbers.next().unwrap_or(0.0), numbers.next().unwrap_or(0.0));
        let text = run(Command::new("pdftotext").arg("-layout").arg(path).arg("-"))?;
        let dir = tempfile::tempdir()?;
        let prefix = dir.path().join("page");
        run(Command::new("pdftoppm").args(["-r", "50"]).arg(path).arg(&prefix))?;
        let mut files: Vec<_> =
            std::fs::read_dir(dir.path())?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        files.sort();
        let images = files.iter().map(|f| ppm(&std::fs::read(f)?)).collect::<Result<Vec<_>>>()?;
        Ok(Pdf { pages, page_size, text, images })
    }
}

fn run(command: &mut Command) -> Result<String> {
    let out =
        command.output().with_context(|| format!("running {command:?} (poppler-utils; scripts/setup installs it)"))?;
    if !out.status.success() {
        bail!("{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A binary PPM (`P6`, what pdftoppm writes): a header of magic, width, height and the
/// largest value, then the pixels.
fn ppm(bytes: &[u8]) -> Result<Image> {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&bytes[start..at])?.to_string());
    }
    if fields[0] != "P6" || fields[3] != "255" {
        bail!("not an 8-bit binary PPM: {fields:?}");
    }
    let (width, height): (usize, usize) = (fields[1].parse()?, fields[2].parse()?);
    let rgb = bytes[at + 1..].to_vec();
    if rgb.len() != width * height * 3 {
        bail!("a PPM of {width}x{height} with {} bytes of pixels", rgb.len());
    }
    Ok(Image { width, height, rgb })
}
