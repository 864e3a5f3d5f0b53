//! HTML to PDF by a headless Chromium (`--print-to-pdf`): the pack is the very page its
//! board reads, laid out by the engine that lays out the page, so paper and screen cannot
//! drift apart; charts stay vectors and text stays text. Chromium is Debian's `chromium`
//! (or Google Chrome), the browser the tests already drive.
//!
//! The page printed is a file we wrote, with no script and a policy that loads nothing
//! (`default-src 'none'`), and the browser is told that no host name resolves: a pack is
//! made from what is in it and nothing leaves the machine.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::process::Command;

/// The names the browser goes by on PATH, tried in this order.
const BROWSERS: &[&str] = &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// How long one pack may take to print; a pack of a large trust prints in seconds.
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// The browser to print with: `configured`, or the first of [`BROWSERS`] on PATH.
pub fn browser(configured: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = configured {
        return Ok(path.to_path_buf());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in BROWSERS {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "packs are printed by Chromium, and none is on PATH ({} were looked for): install it (Debian and Ubuntu: \
         apt-get install chromium) or name it in [schedule] browser",
        BROWSERS.join(", ")
    )
}

/// `html` printed as PDF (A4, as the page's `@page` rule asks), by `browser`.
pub async fn pdf(browser: &Path, html: &str) -> Result<Vec<u8>> {
    let scratch = tempfile::tempdir().context("a scratch directory for printing")?;
    let page = scratch.path().join("pack.html");
    let out = scratch.path().join("pack.pdf");
    tokio::fs::write(&page, html).await.context("writing the pack's page for printing")?;
    let mut command = Command::new(browser);
    command
        .arg("--headless")
        // The page is our own file, without script, loading nothing: the sandbox guards
        // nothing here, and it cannot start as root or in most containers.
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-extensions")
        .arg("--disable-background-networking")
        .arg("--no-first-run")
        .arg("--host-resolver-rules=MAP * ~NOTFOUND")
        .arg(format!("--user-data-dir={}", scratch.path().join("profile").display()))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(url(&page))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().with_context(|| format!("starting {} to print a pack", browser.display()))?;
    let done = tokio::time::timeout(TIME_LIMIT, child.wait_with_output())
        .await
        .with_context(|| format!("{} did not print the pack within {TIME_LIMIT:?}", browser.display()))?
        .with_context(|| format!("waiting for {}", browser.display()))?;
    let printed = tokio::fs::read(&out).await.unwrap_or_default();
    if !done.status.success() || !printed.starts_with(b"%PDF-") {
        let said = String::from_utf8_lossy(&done.stderr);
        let said: Vec<&str> = said.lines().filter(|l| !l.trim().is_empty()).rev().take(5).collect();
        bail!("{} could not print the pack ({}): {}", browser.display(), done.status, said.join(" / "));
    }
    Ok(printed)
}

/// A `file://` URL for an absolute path of plain characters (a temporary directory's).
fn url(path: &Path) -> String {
    let text = path.display().to_string();
    let mut url = String::from("file://");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}
