//! The command line as a publisher uses it: verdicts, exit codes, and publishing to a
//! real nats-server.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use safelake_tests::NatsServer;

fn safelake(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safelake"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

const EXAMPLES: &str = include_str!("../../../schemas/examples/valid.jsonl");

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn validate_accepts_the_examples() {
    let out = safelake(&["validate", "-"], Some(EXAMPLES));
    assert_eq!(stdout(&out), "14 valid, 0 invalid\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn validate_reports_file_line_id_and_reason_then_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let mut lines: Vec<String> = EXAMPLES.lines().take(6).map(str::to_string).collect();
    lines[2] = lines[2].replace("\"referred_dsl\"", "\"referred_dls\"");
    lines[4] = "{broken".to_string();
    lines.insert(1, String::new());
    std::fs::write(&path, lines.join("\n")).unwrap();
    let file = path.display().to_string();
    let out = safelake(&["validate", &file], None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0]
            .starts_with(&format!("{file}:4: ex-0003: data.action: \"referred_dls\" is not one of parents_informed,")),
        "{text}"
    );
    assert!(lines[1].starts_with(&format!("{file}:6: -: not valid JSON")), "{text}");
    assert_eq!(lines[2], "4 valid, 2 invalid");
}

#[test]
fn validate_reads_json_arrays_with_line_numbers() {
    let events: Vec<serde_json::Value> = EXAMPLES.lines().take(3).map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut bad = events.clone();
    bad[2]["data"]["taken_at"] = serde_json::json!("yesterday");
    let text = serde_json::to_string_pretty(&bad).unwrap();
    // Pretty-printed elements open with a line "  {": the third such line is the bad one's.
    let third_element = text.lines().enumerate().filter(|(_, l)| *l == "  {").nth(2).unwrap().0 + 1;
    let out = safelake(&["validate", "-"], Some(&text));
    let report = stdout(&out);
    assert!(report.starts_with(&format!("-:{third_element}: ")), "{report}");
    assert!(report.contains("ex-0003: data.taken_at: \"yesterday\" is not an RFC 3339 date-time"), "{report}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(safelake(&["validate"], None).status.code(), Some(2));
    assert_eq!(safelake(&["validate", "/no/such/file.jsonl"], None).status.code(), Some(2));
}

#[test]
fn publish_sends_valid_events_refuses_invalid_ones_and_counts_server_duplicates() {
    let server = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let mut text = EXAMPLES.to_string();
    text.push_str("{\"specversion\":\"1.0\",\"id\":\"bad-1\"}\n");
    std::fs::write(&path, &text).unwrap();
    let file = path.display().to_string();

    let out = safelake(&["publish", "--nats", &server.url(), &file], None);
    let summary = stdout(&out);
    assert!(summary.starts_with("14 published, 0 duplicates dropped by the server, 0 failed"), "{summary}");
    assert!(summary.trim_end().ends_with("1 refused as invalid"), "{summary}");
    assert_eq!(out.status.code(), Some(1), "a refused event makes the run fail");
    assert!(String::from_utf8_lossy(&out.stderr).contains(":15: bad-1: "));

    // Again at once: inside the duplicate window the server drops every re-send.
    let out = safelake(&["publish", "--nats", &server.url(), "-"], Some(EXAMPLES));
    assert!(stdout(&out).starts_with("0 published, 14 duplicates dropped by the server"), "{}", stdout(&out));
    assert_eq!(out.status.code(), Some(0));
}
