//! The README's shell examples, run as written against `safelake up --demo` on free ports:
//! the `curl` to the SQL door, `psql` on the PostgreSQL endpoint and the `safelake token`
//! commands, with only the token, the ports and the `<id>` placeholder filled in. An
//! example a test cannot run (a remote NATS host) is marked in the README with
//! `<!-- not run by the tests: why -->` on the line before it; every other `sh` block
//! must be one this test knows how to run, so a new example is either run or marked.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use anyhow::{bail, Context, Result};
use safelake_bus::local::free_port;
use std::io::Write;

mod common;
use common::{ready, Up};

/// The README's `sh` blocks: the line each starts on, whether it is marked as not run,
/// and its text (continuation lines joined as the shell joins them).
fn examples(readme: &str) -> Vec<(usize, bool, String)> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_start() == "```sh" {
            let marked = i > 0 && lines[i - 1].trim_start().starts_with("<!-- not run by the tests:");
            let start = i + 1;
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && lines[i].trim_start() != "```" {
                body.push(lines[i].trim());
                i += 1;
            }
            out.push((start, marked, body.join("\n").replace("\\\n", "")));
        }
        i += 1;
    }
    out
}

/// Runs one line of an example in bash, with `safelake` on the PATH, the data directory
/// and the token in the environment, and `input` on its standard input.
fn run(line: &str, data: &Path, token: &str, input: &str) -> Result<Output> {
    let bin = Path::new(env!("CARGO_BIN_EXE_safelake")).parent().context("the binary's directory")?;
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", line])
        .env("PATH", path)
        .env("SAFELAKE_DATA", data)
        .env("TOKEN", token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().context("stdin")?.write_all(input.as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("{line}: {}\n{}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    Ok(output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_examples_run_as_written() -> Result<()> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))?;
    let data = tempfile::tempdir()?;
    let (port, pg, nats) = (free_port()?, free_port()?, free_port()?);
    let up = Up::start_with(data.path(), port, nats, &format!("127.0.0.1:{pg}"))?;
    let line = up.printed("the director's token")?;
    let token = line.rsplit(' ').next().context("the token")?.to_string();
    ready(&reqwest::Client::new(), &up.base).await?;

    let mut ran = 0;
    for (at, marked, example) in examples(&readme) {
        if marked {
            continue;
        }
        let example = example.replace("http://127.0.0.1:8080", &up.base).replace("port=5433", &format!("port={pg}"));
        if example.starts_with("curl ") {
            // The service answers while the demo trust is still being ingested: the
            // example is run again until every school has its row.
            let mut csv = String::new();
            for _ in 0..240 {
                csv = String::from_utf8(run(&example, data.path(), &token, "")?.stdout)?;
                if csv.lines().count() > safelake_generate::Options::default().schools {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            let rows: Vec<&str> = csv.lines().collect();
            assert!(rows[0].starts_with("school_id,"), "README line {at}: {csv}");
            assert_eq!(rows.len(), 1 + safelake_generate::Options::default().schools, "README line {at}: {csv}");
        } else if example.starts_with("PGPASSWORD=") {
            let output = run(&example, data.path(), &token, "SELECT count(*) AS incidents FROM incidents;\n")?;
            let text = String::from_utf8(output.stdout)?;
            assert!(text.contains("incidents") && text.contains("(1 row)"), "README line {at}: {text}");
        } else if example.starts_with("safelake token") {
            let mut id = String::new();
            for line in example.lines() {
                let output = run(&line.replace("<id>", &id), data.path(), &token, "")?;
                let text = String::from_utf8(output.stdout)? + &String::from_utf8(output.stderr)?;
                if line.starts_with("safelake token create") {
                    assert!(text.contains("sl_"), "README line {at}: {line}: {text}");
                }
                if line.starts_with("safelake token list") {
                    assert!(text.contains("J. Smith (North HAB)"), "README line {at}: {text}");
                    // The revocation below takes the id of the first token made above.
                    let listed = text.lines().find(|l| l.contains("J. Smith (North HAB)")).unwrap_or_default();
                    id = listed.split_whitespace().next().unwrap_or_default().to_string();
                }
            }
            let listed = String::from_utf8(run("safelake token list", data.path(), &token, "")?.stdout)?;
            let smith = listed.lines().find(|l| l.contains("J. Smith (North HAB)")).unwrap_or_default();
            assert!(smith.contains("revoked"), "the README's revoke revoked it: {listed}");
        } else {
            panic!("README line {at}: an example this test cannot run; mark it `<!-- not run by the tests: why -->`\n{example}");
        }
        ran += 1;
    }
    assert_eq!(ran, 3, "the curl, psql and token examples");
    Ok(())
}
