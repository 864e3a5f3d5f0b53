//! `safelake pack` as an operator runs it: a board's pack written where asked, read back
//! as an A4 PDF, recorded in the audit trail; each mistake named.

use std::path::Path;
use std::process::{Command, Output};

use safelake_lake::Lake;
use safelake_tests::lake::{incidents, rows, write_events, TRUST};
use safelake_tests::pdf::Pdf;

fn safelake(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safelake"))
        .current_dir(dir)
        .env("SAFELAKE_DATA", dir)
        .envs(envs.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pack_command_writes_a_boards_pack_and_names_each_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    write_events(&Lake::at(&lake).unwrap(), incidents()).await;
    std::fs::write(dir.path().join("trust.toml"), TRUST).unwrap();
    let out = dir.path().join("north.pdf");

    let done = safelake(
        dir.path(),
        &["pack", "hab", "--hub", "north", "--year", "2025-26", "--out", out.to_str().unwrap()],
        &[],
    );
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert_eq!(String::from_utf8_lossy(&done.stdout).trim(), out.display().to_string());
    let pdf = Pdf::read(&out).unwrap();
    assert!(pdf.pages >= 3, "{} pages", pdf.pages);
    assert!(pdf.text.contains("Online safety: North Hub") && pdf.text.contains("2025-26"), "{}", pdf.text);

    // Without --out, into the packs directory under its own name.
    let done = safelake(dir.path(), &["pack", "trustees", "--year", "2025-26"], &[]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let today = chrono::Utc::now().date_naive();
    let named = dir.path().join("packs").join(format!("trustees-2025-26-as-at-{today}.pdf"));
    assert_eq!(String::from_utf8_lossy(&done.stdout).trim(), named.display().to_string());
    assert!(Pdf::read(&named).unwrap().text.contains("effectiveness review"));

    for (args, envs, says) in [
        (&["pack", "hab"][..], &[][..], "name it"),
        (&["pack", "hab", "--hub", "east"][..], &[][..], "not in the trust"),
        (&["pack", "governors"][..], &[][..], "not a board"),
        (&["pack", "trustees", "--as-at", "2999-01-01"][..], &[][..], "to come"),
        (&["pack", "trustees"][..], &[("SAFELAKE_SCHEDULE_BROWSER", "/nowhere/chromium")][..], "/nowhere/chromium"),
    ] {
        let done = safelake(dir.path(), args, envs);
        assert_eq!(done.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }

    // Each pack produced, and each that could not be, is in the audit trail.
    let trail = rows(&Lake::at(&lake).unwrap(), "audit_log").await.unwrap();
    let mut packs: Vec<(String, String, i64)> = trail
        .iter()
        .filter(|r| r["kind"] == "pack")
        .map(|r| {
            (
                r["what"].as_str().unwrap().to_string(),
                r["via"].as_str().unwrap().to_string(),
                r["status"].as_i64().unwrap(),
            )
        })
        .collect();
    packs.sort();
    // Those not produced are the ones that went as far as the lake: a hub not in the
    // trust, a browser that is not there (of this year, the default).
    let this = safelake_period::AcademicYear::of(today);
    let row = |name: String, status: i64| (name, "cli".to_string(), status);
    assert_eq!(
        packs,
        [
            row(format!("hab-east-{this}-as-at-{today}.pdf"), 500),
            row(format!("hab-north-2025-26-as-at-{today}.pdf"), 200),
            row(format!("trustees-2025-26-as-at-{today}.pdf"), 200),
            row(format!("trustees-{this}-as-at-{today}.pdf"), 500),
        ]
    );
}
