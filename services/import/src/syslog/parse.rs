//! Taking the syslog header off a message, so that the vendor's record is what remains.
//!
//! Senders disagree about the header: RFC 5424, RFC 3164 with or without a hostname or a
//! tag, an RFC 3339 timestamp in the 3164 layout, relays that strip the PRI, and FortiGate
//! and Sophos Firewall, which put the record straight after the PRI. Whatever the header,
//! its timestamp is never part of the body: ids derive from the body text, and the same
//! record read from an exported file has no syslog timestamp.

/// The facility and severity a message's PRI encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    pub facility: u8,
    pub severity: u8,
}

/// One syslog message: the few useful parts of its header, and the vendor's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `None` when a relay stripped the PRI.
    pub priority: Option<Priority>,
    pub hostname: Option<String>,
    /// The RFC 3164 tag or RFC 5424 APP-NAME (`httpproxy`), without a process id.
    pub app: Option<String>,
    /// The vendor's record, what a vendor's line parser is given.
    pub body: String,
}

/// The header and body of one message. `Err` is the reason it is not a syslog message
/// (or has nothing after its header); any input gives one or the other, never a panic.
pub fn parse(raw: &[u8]) -> Result<Message, String> {
    // Decoded leniently, as files are: a filter logging Latin-1 still imports.
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\r', '\n', '\0']);
    split(text).map_err(|reason| format!("{reason}, in {}", start(text)))
}

fn split(text: &str) -> Result<Message, String> {
    let (priority, rest) = match text.strip_prefix('<') {
        Some(after) => pri(after).map(|(p, rest)| (Some(p), rest))?,
        None => (None, text),
    };
    let header = match rest.strip_prefix("1 ") {
        Some(after) if priority.is_some() && looks_5424(after) => rfc5424(after)?,
        _ => rfc3164(rest),
    };
    if header.body.trim().is_empty() {
        return Err("nothing after the syslog header".into());
    }
    Ok(Message {
        priority,
        hostname: header.hostname.map(str::to_owned),
        app: header.app.map(str::to_owned),
        body: header.body.to_owned(),
    })
}

struct Header<'a> {
    hostname: Option<&'a str>,
    app: Option<&'a str>,
    body: &'a str,
}

/// The start of a message, to quote in a refusal without quoting a whole record.
fn start(text: &str) -> String {
    let head: String = text.chars().take(40).collect();
    if head.len() < text.len() {
        format!("{head:?}...")
    } else {
        format!("{head:?}")
    }
}

/// The PRI's value and what follows it; `after` is the text after the `<`.
fn pri(after: &str) -> Result<(Priority, &str), String> {
    let end = after.bytes().take(4).position(|b| b == b'>').ok_or("no syslog PRI: `<` without `>`")?;
    let digits = &after[..end];
    let value = match digits.parse::<u8>() {
        Ok(value) if value <= 191 && digits.bytes().all(|b| b.is_ascii_digit()) => value,
        _ => return Err(format!("the syslog PRI <{digits}> is not a number from 0 to 191")),
    };
    Ok((Priority { facility: value / 8, severity: value % 8 }, &after[end + 1..]))
}

/// Whether what follows `<PRI>1 ` is an RFC 5424 timestamp (or its nil value), so that a
/// record that happens to start with "1 " is not read as a version.
fn looks_5424(after: &str) -> bool {
    let b = after.as_bytes();
    b.starts_with(b"- ") || (b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-')
}

/// `TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]`, after the version.
fn rfc5424(mut rest: &str) -> Result<Header<'_>, String> {
    field(&mut rest, "timestamp")?;
    let hostname = field(&mut rest, "hostname")?;
    let app = field(&mut rest, "APP-NAME")?;
    field(&mut rest, "PROCID")?;
    field(&mut rest, "MSGID")?;
    let after_sd = match rest.strip_prefix('-') {
        Some(after) => after,
        None if rest.starts_with('[') => skip_structured_data(rest)?,
        None => return Err("RFC 5424 structured data must be - or [...]".into()),
    };
    let body = match after_sd {
        "" => "",
        _ => after_sd.strip_prefix(' ').ok_or("RFC 5424 structured data not followed by a space")?,
    };
    Ok(Header {
        hostname: (hostname != "-").then_some(hostname),
        app: (app != "-").then_some(app),
        body: body.strip_prefix('\u{feff}').unwrap_or(body),
    })
}

fn field<'a>(rest: &mut &'a str, name: &str) -> Result<&'a str, String> {
    match rest.split_once(' ') {
        Some(("", _)) => Err(format!("RFC 5424 {name} is empty")),
        Some((value, after)) => {
            *rest = after;
            Ok(value)
        }
        None => Err(format!("RFC 5424 header ends at its {name}")),
    }
}

/// What follows the structured-data elements at the start of `s`. A `]` inside a quoted
/// parameter value (escaped as `\]`) does not end an element.
fn skip_structured_data(mut s: &str) -> Result<&str, String> {
    while s.starts_with('[') {
        let (mut quoted, mut escaped) = (false, false);
        let mut end = None;
        // Bytes, not chars: every delimiter is ASCII, which no UTF-8 continuation byte is.
        for (i, b) in s.bytes().enumerate().skip(1) {
            match b {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' => quoted = !quoted,
                b']' if !quoted => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end.ok_or("RFC 5424 structured data has no closing ]")?;
        s = &s[end + 1..];
    }
    Ok(s)
}

/// `TIMESTAMP HOSTNAME TAG: MSG`, with the variants senders use. Never refused: what
/// cannot be a header is the message (RFC 3164 §4.3.3), which is how FortiGate and Sophos
/// Firewall's `<PRI>key=value ...` comes out as the record.
fn rfc3164(s: &str) -> Header<'_> {
    // A space some senders put after the PRI is no part of the record.
    let whole = Header { hostname: None, app: None, body: s.trim_start_matches(' ') };
    let Some(len) = timestamp_len(s.as_bytes()) else { return whole };
    let rest = s[len..].trim_start_matches(' ');
    let (first, after_first) = token(rest);
    if let Some(app) = tag(first) {
        return Header { hostname: None, app: Some(app), body: after_first };
    }
    if !is_hostname(first) {
        return Header { body: rest, ..whole };
    }
    let (second, after_second) = token(after_first);
    match tag(second) {
        Some(app) => Header { hostname: Some(first), app: Some(app), body: after_second },
        None => Header { hostname: Some(first), app: None, body: after_first },
    }
}

fn token(s: &str) -> (&str, &str) {
    s.split_once(' ').unwrap_or((s, ""))
}

/// `name:` or `name[pid]:`, giving the name.
fn tag(token: &str) -> Option<&str> {
    let token = token.strip_suffix(':')?;
    let name = match token.strip_suffix(']') {
        Some(t) => match t.split_once('[') {
            Some((name, pid)) if !pid.is_empty() && !pid.contains('[') => name,
            _ => return None,
        },
        None => token,
    };
    let valid = |b: u8| b.is_ascii_alphanumeric() || b"-_./".contains(&b);
    (!name.is_empty() && name.len() <= 48 && name.bytes().all(valid)).then_some(name)
}

/// A host name or address, and not the first `key=value` of a record sent without one.
fn is_hostname(token: &str) -> bool {
    let valid = |b: u8| b.is_ascii_alphanumeric() || b"-_.:".contains(&b);
    !token.is_empty() && token.len() <= 255 && token.bytes().all(valid)
}

/// The length of the timestamp `b` starts with, if it starts with one followed by a space
/// (or nothing).
fn timestamp_len(b: &[u8]) -> Option<usize> {
    let len = bsd_timestamp(b).or_else(|| rfc3339_timestamp(b)).or_else(|| utm_timestamp(b))?;
    (len == b.len() || b[len] == b' ').then_some(len)
}

/// `Mmm dd hh:mm:ss`, the day padded with a space or not, with Cisco's optional year
/// (`Mmm dd yyyy hh:mm:ss`) and optional fractional seconds.
fn bsd_timestamp(b: &[u8]) -> Option<usize> {
    const MONTHS: [&[u8]; 12] =
        [b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec"];
    let month = b.get(..3)?;
    MONTHS.iter().find(|m| m.eq_ignore_ascii_case(month))?;
    let mut c = Cursor { b, at: 3 };
    c.byte(b' ')?;
    c.eat(b' ');
    c.digits(1)?;
    c.eat_digit();
    c.byte(b' ')?;
    if b.get(c.at..c.at + 5).is_some_and(|y| y[..4].iter().all(u8::is_ascii_digit) && y[4] == b' ') {
        c.at += 5;
    }
    c.time()?;
    c.fraction();
    Some(c.at)
}

/// RFC 3339, as rsyslog forwards in the 3164 layout: `2026-03-12T10:15:00.123+00:00`.
fn rfc3339_timestamp(b: &[u8]) -> Option<usize> {
    let mut c = Cursor { b, at: 0 };
    c.digits(4)?;
    c.byte(b'-')?;
    c.digits(2)?;
    c.byte(b'-')?;
    c.digits(2)?;
    c.byte(b'T')?;
    c.time()?;
    c.fraction();
    if !c.eat(b'Z') && (c.eat(b'+') || c.eat(b'-')) {
        c.digits(2)?;
        c.eat(b':');
        c.digits(2)?;
    }
    Some(c.at)
}

/// Sophos UTM's `2026:03:12-10:15:00`.
fn utm_timestamp(b: &[u8]) -> Option<usize> {
    let mut c = Cursor { b, at: 0 };
    c.digits(4)?;
    c.byte(b':')?;
    c.digits(2)?;
    c.byte(b':')?;
    c.digits(2)?;
    c.byte(b'-')?;
    c.time()?;
    Some(c.at)
}

struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn byte(&mut self, want: u8) -> Option<()> {
        self.eat(want).then_some(())
    }

    fn eat(&mut self, want: u8) -> bool {
        let found = self.b.get(self.at) == Some(&want);
        self.at += usize::from(found);
        found
    }

    fn eat_digit(&mut self) -> bool {
        let found = self.b.get(self.at).is_some_and(u8::is_ascii_digit);
        self.at += usize::from(found);
        found
    }

    fn digits(&mut self, n: usize) -> Option<()> {
        (0..n).all(|_| self.eat_digit()).then_some(())
    }

    fn time(&mut self) -> Option<()> {
        self.digits(2)?;
        self.byte(b':')?;
        self.digits(2)?;
        self.byte(b':')?;
        self.digits(2)
    }

    fn fraction(&mut self) {
        if self.b.get(self.at) == Some(&b'.') && self.b.get(self.at + 1).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
            while self.eat_digit() {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORTIGATE: &str = r#"date=2026-03-12 time=10:15:00 devname="FGT-SCHOOL" devid="FG100FTK19000000" logid="0316013056" type="utm" subtype="webfilter" eventtype="ftgd_blk" level="warning" vd="root" policyid=12 user="jsmith" srcip=10.20.1.15 hostname="www.example.com" url="/games" action="blocked" catdesc="Games""#;
    const SOPHOS: &str = r#"device="SFW" date=2026-03-12 time=10:15:00 timezone="GMT" device_name="XG230" device_id=C01001234567890 log_id=050901616001 log_type="Content Filtering" log_component="HTTP" log_subtype="Denied" user_name="jsmith" category="Games" url="https://games.example.com/""#;
    const UTM: &str = r#"id="0061" severity="warn" sys="SecureWeb" sub="http" name="web request blocked" action="block" user="jsmith" srcip="10.20.1.15" url="http://games.example.com/" category="178" categoryname="Games""#;

    fn ok(raw: &str) -> Message {
        parse(raw.as_bytes()).unwrap_or_else(|e| panic!("{raw:?} refused: {e}"))
    }

    #[test]
    fn bodies_are_the_record_without_the_header() {
        let cases: &[(String, Option<&str>, Option<&str>, &str)] = &[
            // FortiGate and Sophos Firewall: the record straight after the PRI.
            (format!("<189>{FORTIGATE}"), None, None, FORTIGATE),
            (format!("<30>{SOPHOS}\n"), None, None, SOPHOS),
            (format!("<189>{FORTIGATE}\r\n\0"), None, None, FORTIGATE),
            (format!("<189> {FORTIGATE}"), None, None, FORTIGATE),
            // RFC 3164 in full, with pid, and with the day padded by a space.
            (format!("<30>Mar 12 10:15:00 fw01 filter: {FORTIGATE}"), Some("fw01"), Some("filter"), FORTIGATE),
            (format!("<30>2026:03:12-10:15:00 utm httpproxy[4312]: {UTM}"), Some("utm"), Some("httpproxy"), UTM),
            (format!("<30>Mar  2 09:05:07 utm httpproxy[4312]: {UTM}"), Some("utm"), Some("httpproxy"), UTM),
            (format!("<30>Mar 2 09:05:07 fw01 {SOPHOS}"), Some("fw01"), None, SOPHOS),
            // No tag, no hostname, a year, fractional seconds, an RFC 3339 timestamp.
            (format!("<189>Mar 12 10:15:00 fw01 {FORTIGATE}"), Some("fw01"), None, FORTIGATE),
            (format!("<189>Mar 12 10:15:00 {FORTIGATE}"), None, None, FORTIGATE),
            (format!("<189>Mar 12 10:15:00 filter[9]: {FORTIGATE}"), None, Some("filter"), FORTIGATE),
            (format!("<189>Mar 12 2026 10:15:00.123 10.0.0.1 {FORTIGATE}"), Some("10.0.0.1"), None, FORTIGATE),
            (format!("<189>2026-03-12T10:15:00.5+00:00 fw01 fgt: {FORTIGATE}"), Some("fw01"), Some("fgt"), FORTIGATE),
            (format!("<189>2026-03-12T10:15:00Z fw01 {FORTIGATE}"), Some("fw01"), None, FORTIGATE),
            // A relay stripped the PRI.
            (format!("Mar 12 10:15:00 fw01 filter: {FORTIGATE}"), Some("fw01"), Some("filter"), FORTIGATE),
            (FORTIGATE.to_owned(), None, None, FORTIGATE),
            // CEF's `CEF:0|` is not a tag.
            (
                "<189>Mar 12 10:15:00 fw01 CEF:0|Fortinet|Fortigate|7.2|13056|webfilter|5|act=blocked".to_owned(),
                Some("fw01"),
                None,
                "CEF:0|Fortinet|Fortigate|7.2|13056|webfilter|5|act=blocked",
            ),
            // RFC 5424: structured data with an escaped ] and quote, a BOM before the message.
            (
                format!(
                    r#"<165>1 2026-03-12T10:15:00.003Z fw01.school.example fortigate 1234 web [origin ip="10.0.0.1" x="a\]b\"c]"][meta seq="1"] {FORTIGATE}"#
                ),
                Some("fw01.school.example"),
                Some("fortigate"),
                FORTIGATE,
            ),
            (
                format!("<165>1 2026-03-12T10:15:00+00:00 fw01 sophos - - - \u{feff}{SOPHOS}"),
                Some("fw01"),
                Some("sophos"),
                SOPHOS,
            ),
            (format!("<165>1 - - - - - - {SOPHOS}"), None, None, SOPHOS),
            // A record that starts with "1 " is not a version.
            ("<13>1 request blocked".to_owned(), None, None, "1 request blocked"),
        ];
        for (raw, hostname, app, body) in cases {
            let message = ok(raw);
            assert_eq!(message.body, *body, "{raw}");
            assert_eq!(message.hostname.as_deref(), *hostname, "{raw}");
            assert_eq!(message.app.as_deref(), *app, "{raw}");
        }
    }

    #[test]
    fn the_pri_gives_facility_and_severity() {
        assert_eq!(ok("<189>x=1").priority, Some(Priority { facility: 23, severity: 5 }));
        assert_eq!(ok("<0>x=1").priority, Some(Priority { facility: 0, severity: 0 }));
        assert_eq!(ok("x=1").priority, None);
    }

    #[test]
    fn the_same_record_has_the_same_body_however_it_came() {
        let bodies: Vec<String> = [
            format!("<189>{FORTIGATE}"),
            format!("<189>Mar 12 10:15:00 fw01 {FORTIGATE}"),
            format!("<189>Mar 13 11:00:00 fw02 fgt[1]: {FORTIGATE}"),
            format!("<189>1 2026-03-12T10:15:00Z fw01 fgt - - - {FORTIGATE}"),
        ]
        .iter()
        .map(|raw| ok(raw).body)
        .collect();
        assert!(bodies.iter().all(|b| b == FORTIGATE), "{bodies:#?}");
    }

    #[test]
    fn refusals_say_why() {
        let cases = [
            ("", "nothing after"),
            ("<189>", "nothing after"),
            ("<189>Mar 12 10:15:00 fw01", "nothing after"),
            ("<192>x=1", "0 to 191"),
            ("<abc>x=1", "0 to 191"),
            ("<>x=1", "0 to 191"),
            ("<+1>x=1", "0 to 191"),
            ("<1899999>x=1", "without `>`"),
            ("<13>1 2026-03-12T10:15:00Z host app - - [a x=\"]\" body", "no closing ]"),
            ("<13>1 2026-03-12T10:15:00Z host app - - [a]body", "not followed by a space"),
            ("<13>1 2026-03-12T10:15:00Z host app - - body", "must be - or"),
            ("<13>1 2026-03-12T10:15:00Z host app", "ends at its APP-NAME"),
            ("<13>1 2026-03-12T10:15:00Z  app - - - body", "hostname is empty"),
            ("<13>1 - - - - - -", "nothing after"),
        ];
        for (raw, reason) in cases {
            match parse(raw.as_bytes()) {
                Err(e) => assert!(e.contains(reason), "{raw:?}: {e}"),
                Ok(m) => panic!("{raw:?} accepted as {m:?}"),
            }
        }
    }

    #[test]
    fn invalid_utf8_is_read_leniently() {
        let message = parse(b"<189>user=\"caf\xe9\" x=1").expect("lenient");
        assert_eq!(message.body, "user=\"caf\u{fffd}\" x=1");
    }

    /// Any bytes give a message or a reason. A fixed generator, so a failure repeats.
    #[test]
    fn no_input_panics() {
        let pieces: &[&[u8]] = &[
            b"<",
            b">",
            b"<13>",
            b"<189>",
            b"1 ",
            b"- ",
            b"[",
            b"]",
            b"\"",
            b"\\",
            b" ",
            b"Mar 12 ",
            b"10:15:00",
            b"2026-03-12T",
            b"2026:03:12-",
            b"host ",
            b"tag[1]: ",
            b"x=1",
            b"\xef\xbb\xbf",
            b"\xe9",
            b"\xff",
            b"\n",
            b"\0",
            b"\xc3",
            b"\xa9",
            b"+00:00",
            b".",
            b"Z",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = next() % 12;
            let raw: Vec<u8> =
                (0..len).flat_map(|_| pieces[(next() % pieces.len() as u64) as usize].iter().copied()).collect();
            let _ = parse(&raw);
        }
    }
}
