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

/// How many events the examples hold (one of each type).
fn examples() -> usize {
    EXAMPLES.lines().count()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn validate_accepts_the_examples() {
    let out = safelake(&["validate", "-"], Some(EXAMPLES));
    assert_eq!(stdout(&out), format!("{} valid, 0 invalid\n", examples()));
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
    let published = format!("{} published, 0 duplicates dropped by the server, 0 failed", examples());
    assert!(summary.starts_with(&published), "{summary}");
    assert!(summary.trim_end().ends_with("1 refused as invalid"), "{summary}");
    assert_eq!(out.status.code(), Some(1), "a refused event makes the run fail");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!(":{}: bad-1: ", examples() + 1)));

    // Again at once: inside the duplicate window the server drops every re-send.
    let out = safelake(&["publish", "--nats", &server.url(), "-"], Some(EXAMPLES));
    let dropped = format!("0 published, {} duplicates dropped by the server", examples());
    assert!(stdout(&out).starts_with(&dropped), "{}", stdout(&out));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn publish_in_batches_sends_each_batch_as_one_message_with_its_content_type() {
    let server = NatsServer::start().unwrap();
    let out = safelake(&["publish", "--batch", "5", "--nats", &server.url(), "-"], Some(EXAMPLES));
    let summary = stdout(&out);
    let n = examples();
    let sizes: Vec<usize> = (0..n).step_by(5).map(|first| (n - first).min(5)).collect();
    assert!(summary.starts_with(&format!("{n} published, 0 duplicates dropped by the server, 0 failed")), "{summary}");
    assert!(summary.contains(&format!(", in {} messages)", sizes.len())), "{summary}");

    // What a consumer of the stream finds: batches of 5 of the one school, in order.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let messages = runtime.block_on(async {
        let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.unwrap());
        let stream = js.get_stream("SAFEGUARDING").await.unwrap();
        let mut messages = Vec::new();
        for seq in 1..=sizes.len() as u64 {
            messages.push(stream.get_raw_message(seq).await.unwrap());
        }
        messages
    });
    let mut events = Vec::new();
    for (message, &size) in messages.iter().zip(&sizes) {
        assert_eq!(message.subject.as_str(), "sg.sch01.batch");
        let content_type = message.headers.get("Content-Type").map(|v| v.as_str().to_string());
        assert_eq!(content_type.as_deref(), Some("application/cloudevents-batch+json"));
        let batch: Vec<serde_json::Value> = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(batch.len(), size);
        events.extend(batch);
    }
    let sent: Vec<serde_json::Value> = EXAMPLES.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events, sent, "every event, as written, in order");
}

#[test]
fn tokens_are_created_once_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("trust.toml");
    std::fs::write(&trust, safelake_tests::lake::TRUST).unwrap();
    let tokens = dir.path().join("tokens.json");
    let (trust, tokens) = (trust.to_str().unwrap(), tokens.to_str().unwrap());
    let create = ["token", "--tokens", tokens, "create", "--trust", trust];

    let out = safelake(&[&create[..], &["--role", "dsl", "--school", "sch01", "--name", "Ash DSL"]].concat(), None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = stdout(&out).trim().to_string();
    assert!(token.starts_with("sl_") && token.len() > 40, "{token}");
    assert!(!std::fs::read_to_string(tokens).unwrap().contains(token.rsplit('_').next().unwrap()));

    let list = stdout(&safelake(&["token", "--tokens", tokens, "list"], None));
    let line = list.lines().find(|l| l.ends_with("Ash DSL")).expect("the token is listed");
    assert!(line.contains("dsl") && line.contains("sch01") && line.contains("active"), "{line}");
    let id = line.split_whitespace().next().unwrap();
    assert!(token.starts_with(&format!("sl_{id}_")));

    let out = safelake(&["token", "--tokens", tokens, "revoke", id], None);
    assert!(out.status.success());
    let list = stdout(&safelake(&["token", "--tokens", tokens, "list"], None));
    assert!(list.lines().any(|l| l.starts_with(id) && l.contains("revoked")), "{list}");

    // A token whose scope does not fit its role is refused with a reason.
    for (args, says) in [
        (&["--role", "dsl"][..], "needs --school"),
        (&["--role", "hab", "--hub", "east"][..], "not in the trust"),
        (&["--role", "boss"][..], "not a role"),
    ] {
        let out = safelake(&[&create[..], args].concat(), None);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// `safelake` with `envs` set, as an operator runs it.
fn safelake_with(args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_safelake")).args(args).envs(envs.iter().copied()).output().unwrap()
}

#[test]
fn config_check_passes_a_good_configuration_and_names_each_mistake_of_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    std::fs::write(dir.path().join("trust.toml"), safelake_tests::lake::TRUST).unwrap();
    let port = safelake_bus::local::free_port().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        format!(
            "data = {data:?}\n[http]\nlisten = \"127.0.0.1:{port}\"\n[pgwire]\nlisten = \"off\"\n[retention]\nfilter_events = \"2 years\"\n\
             [[schedule.packs]]\nboard = \"hab\"\nhub = \"north\"\nmeetings = [\"2027-03-15\", \"2027-06-21\"]\n"
        ),
    )
    .unwrap();
    let out = safelake_with(&["--config", good.to_str().unwrap(), "config", "check"], &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("ok       trust West Trust: 2 schools in 2 hubs"), "{text}");
    assert!(
        text.contains("retention: filter_events 24 months") && text.contains("the configuration is good"),
        "{text}"
    );
    assert!(text.contains("schedule: packs for 2 meetings") && text.contains("packs are printed by"), "{text}");
    // A schedule needs a browser to print its packs.
    let out = safelake_with(
        &["--config", good.to_str().unwrap(), "config", "check"],
        &[("SAFELAKE_SCHEDULE_BROWSER", "/nowhere/chromium")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("problem  [schedule] browser /nowhere/chromium is not a file"), "{}", stdout(&out));

    // A variable overrides the file, and is checked like it.
    let out = safelake_with(
        &["--config", good.to_str().unwrap(), "config", "check"],
        &[("SAFELAKE_ACCESS_SUPPRESS_BELOW", "0")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("problem  [access] suppress_below must be 1 or more"), "{}", stdout(&out));
    // And no service starts with it: suppression is never silently off.
    let out = safelake_with(&["--config", good.to_str().unwrap(), "serve"], &[("SAFELAKE_ACCESS_SUPPRESS_BELOW", "0")]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("[access] suppress_below must be 1 or more"), "{said}");
    let shown = stdout(&safelake_with(
        &["--config", good.to_str().unwrap(), "config", "show"],
        &[("SAFELAKE_HTTP_LISTEN", "127.0.0.1:9999")],
    ));
    assert!(shown.contains("listen = \"127.0.0.1:9999\""), "{shown}");

    // A key that is not one: nothing else can be read.
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[http]\nlsten = \"127.0.0.1:8080\"\n").unwrap();
    let out = safelake_with(&["--config", typo.to_str().unwrap(), "config", "check"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("\"lsten\" is not a setting of [http]; the settings there are listen"),
        "{}",
        stdout(&out)
    );

    // Several mistakes at once: each is named.
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        format!(
            "data = {:?}\n[http]\nlisten = \"127.0.0.1:{port}\"\n[pgwire]\nlisten = \"127.0.0.1:{port}\"\n\
             tls_cert = \"/nowhere/cert.pem\"\n[ingest]\nflush_ms = 60000\nack_wait_secs = 30\n[nats]\ncreds = \"/nowhere/ingest.creds\"\n\
             [retention]\nfilter_events = \"2 weeks\"\n",
            dir.path().join("elsewhere").display()
        ),
    )
    .unwrap();
    let out = safelake_with(&["--config", broken.to_str().unwrap(), "config", "check"], &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for says in [
        "problem  the trust file",
        "both listen on 127.0.0.1",
        "ack_wait_secs (30 s) must be longer than flush_ms (60000 ms)",
        "problem  [nats] creds: /nowhere/ingest.creds does not exist",
        "problem  [retention] filter_events: \"2 weeks\": \"week\" is not a unit",
        "[pgwire] tls_cert and tls_key go together: set both or neither",
        "6 problems to fix",
    ] {
        assert!(text.contains(says), "{says:?} in:\n{text}");
    }
}
