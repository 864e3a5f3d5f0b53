//! FortiGate web filter logs in ArcSight's Common Event Format, as FortiOS sends them to a
//! SIEM when syslog is set to `format cef`: schools whose logs go to a managed SOC first
//! have them in this form.
//!
//! `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`:
//! the header escapes `\|` and `\\`; the extension is `key=value` pairs whose values are
//! not quoted, hold spaces, escape `\=`, `\\` and `\n`, and run until the next ` key=`.
//! FortiOS puts the fields CEF has no name for under an `FTNTFGT` prefix.

use super::{address, is_blank, present, requested, times, Line, LineParser, EMPTY, NOT_WEB};
use crate::clock::LoggedTime;
use crate::web::WebRequest;

/// The header fields before the extension.
const HEADER_FIELDS: usize = 7;

/// One CEF record.
#[derive(Debug, Clone, PartialEq)]
pub struct Cef {
    /// Version, Device Vendor, Device Product, Device Version, Signature ID, Name, Severity.
    pub header: Vec<String>,
    extension: Vec<(String, String)>,
}

impl Cef {
    /// The value of extension `key` (the first, should a key repeat).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.extension.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// The CEF record in `line`, after whatever syslog header came before `CEF:`.
pub fn parse(line: &str) -> Result<Cef, String> {
    let text = start(line).ok_or("no `CEF:` header")?;
    let (header, extension) = header(text)?;
    Ok(Cef { header, extension: pairs(extension) })
}

/// The text after `CEF:` (FortiOS has written `CEF: 0|`, with a space, in some versions).
fn start(line: &str) -> Option<&str> {
    line.match_indices("CEF:")
        .find(|(i, _)| line[..*i].chars().next_back().is_none_or(|c| !c.is_alphanumeric()))
        .map(|(i, _)| line[i + "CEF:".len()..].trim_start())
}

fn header(text: &str) -> Result<(Vec<String>, &str), String> {
    let mut fields = Vec::with_capacity(HEADER_FIELDS);
    let mut field = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.clone().next() {
                Some((_, escaped @ ('|' | '\\'))) => {
                    field.push(escaped);
                    chars.next();
                }
                _ => field.push('\\'),
            },
            '|' => {
                fields.push(std::mem::take(&mut field));
                if fields.len() == HEADER_FIELDS {
                    return Ok((fields, &text[i + 1..]));
                }
            }
            _ => field.push(c),
        }
    }
    Err(format!(
        "the CEF header has {} of its {HEADER_FIELDS} fields (Version|Device Vendor|Device Product|Device Version|\
         Signature ID|Name|Severity|Extension)",
        fields.len()
    ))
}

/// The extension's pairs: a key starts a word and ends at `=`; its value runs to the
/// space before the next key, since values are not quoted and hold spaces.
fn pairs(extension: &str) -> Vec<(String, String)> {
    let bytes = extension.as_bytes();
    let mut keys = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if i == 0 || bytes[i - 1] == b' ' {
            let len = bytes[i..].iter().take_while(|b| is_key_byte(**b)).count();
            if len > 0 && bytes.get(i + len) == Some(&b'=') {
                keys.push((i, i + len));
                i += len + 1;
                continue;
            }
        }
        i += 1;
    }
    keys.iter()
        .enumerate()
        .map(|(n, &(start, equals))| {
            let end = keys.get(n + 1).map_or(extension.len(), |&(next, _)| next);
            let value = extension[equals + 1..end].trim_end_matches(' ');
            (extension[start..equals].to_string(), unescape(value))
        })
        .collect()
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']')
}

/// `\=`, `\\`, `\n` and `\r` are CEF's escapes; any other backslash is kept as written,
/// so that a sender that forgot to escape `DOMAIN\user` still reads as it meant.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('=') | Some('\\') => out.extend(chars.next()),
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            Some('r') => {
                chars.next();
                out.push('\r');
            }
            _ => out.push('\\'),
        }
    }
    out
}

/// The parser of FortiGate's CEF lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct FortigateCef;

impl LineParser for FortigateCef {
    fn parse(&mut self, line: &str) -> Result<Line, String> {
        if is_blank(line) {
            return Ok(Line::Skip(EMPTY));
        }
        let cef = parse(line)?;
        if !is_web_filter(&cef) {
            return Ok(Line::Skip(NOT_WEB));
        }
        request(&cef).map(Line::Request)
    }
}

/// FortiOS names the subtype in `FTNTFGTsubtype` and, as `type:subtype`, in `cat`.
fn is_web_filter(cef: &Cef) -> bool {
    let subtype = present(cef.get("FTNTFGTsubtype"))
        .or_else(|| present(cef.get("cat")).and_then(|cat| cat.split_once(':').map(|(_, sub)| sub.to_string())));
    subtype.is_none_or(|s| s.trim().eq_ignore_ascii_case("webfilter"))
}

fn request(cef: &Cef) -> Result<WebRequest, String> {
    let at = logged_at(cef)?;
    let action = present(cef.get("act")).ok_or("no `act` field")?;
    let target = requested(cef.get("request"), cef.get("dhost")).ok_or("no `request` or `dhost` field")?;
    let categories = present(cef.get("requestContext")).or_else(|| present(cef.get("FTNTFGTcatdesc")));
    Ok(WebRequest {
        at,
        user: present(cef.get("duser")).or_else(|| present(cef.get("FTNTFGTunauthuser"))),
        ip: address("src", cef.get("src"))?,
        group: present(cef.get("FTNTFGTgroup")),
        target,
        categories: categories.into_iter().collect(),
        action,
        rule: super::fortigate::rule(cef.get("FTNTFGTpolicyid"), cef.get("FTNTFGTprofile")),
    })
}

/// `rt` when the sender adds it; else the box's date and time (with its offset when it
/// gives one); else `FTNTFGTeventtime`, which FortiOS always sends.
fn logged_at(cef: &Cef) -> Result<LoggedTime, String> {
    if let Some(rt) = present(cef.get("rt")) {
        return receipt_time(&rt);
    }
    if let Some(date) = present(cef.get("FTNTFGTdate")) {
        let date = times::date("FTNTFGTdate", &date)?;
        let time = present(cef.get("FTNTFGTtime")).ok_or("no `FTNTFGTtime` field with `FTNTFGTdate`")?;
        let local = date.and_time(times::time("FTNTFGTtime", &time)?);
        return match present(cef.get("FTNTFGTtz")) {
            Some(tz) => times::at_offset(local, times::offset("FTNTFGTtz", &tz)?),
            None => Ok(LoggedTime::Local(local)),
        };
    }
    match present(cef.get("FTNTFGTeventtime")) {
        Some(eventtime) => times::epoch_any("FTNTFGTeventtime", &eventtime),
        None => Err("no time: no `rt`, `FTNTFGTdate` or `FTNTFGTeventtime` field".into()),
    }
}

/// CEF allows `rt` as milliseconds since 1970 or as `MMM dd yyyy HH:mm:ss` (local).
fn receipt_time(rt: &str) -> Result<LoggedTime, String> {
    if rt.bytes().all(|b| b.is_ascii_digit()) {
        return times::epoch_millis("rt", rt);
    }
    times::local_in(rt, &["%b %d %Y %H:%M:%S", "%b %d %Y %H:%M:%S%.3f"])
        .map(LoggedTime::Local)
        .ok_or_else(|| format!("rt {rt:?} is neither milliseconds since 1970 nor MMM dd yyyy HH:mm:ss"))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;
    use crate::vendors::testing::{self, utc};

    const SAMPLE: &str = include_str!("../../samples/fortigate-cef.log");

    fn sample(number: usize) -> &'static str {
        testing::line(SAMPLE, number)
    }

    fn parse_line(line: &str) -> Result<Line, String> {
        FortigateCef.parse(line)
    }

    fn request(line: &str) -> WebRequest {
        testing::request(&mut FortigateCef, line)
    }

    #[test]
    fn the_header_escapes_pipes_and_the_extension_equals_signs() {
        let cef = parse(r"<134>Mar 12 10:15:00 fw01 CEF:0|Acme\|Corp|Fil\\ter|1.0|100|Name with spaces|5|msg=a b\=c d\\e\nf src=10.0.0.1 empty= end=x  ").unwrap();
        assert_eq!(cef.header, ["0", "Acme|Corp", r"Fil\ter", "1.0", "100", "Name with spaces", "5"]);
        assert_eq!(cef.get("msg"), Some("a b=c d\\e\nf"));
        assert_eq!(cef.get("src"), Some("10.0.0.1"));
        assert_eq!(cef.get("empty"), Some(""));
        assert_eq!(cef.get("end"), Some("x"));
        assert_eq!(parse("CEF: 0|a|b|c|d|e|f|").unwrap().header[0], "0");
        assert_eq!(parse("CEF:0|a|b|c|d|e|f|").unwrap().get("x"), None);
    }

    #[test]
    fn a_block_with_a_whole_url_and_its_own_date_and_time() {
        assert_eq!(
            request(sample(1)),
            WebRequest {
                at: utc("2026-03-12T08:41:07Z"),
                user: Some("jsmith".into()),
                ip: Some("10.10.1.23".parse().unwrap()),
                group: Some("Students".into()),
                target: "https://www.adult-videos.example/watch/clip?id=123&ref=search".into(),
                categories: vec!["Pornography".into()],
                action: "blocked".into(),
                rule: Some("policy-12".into()),
            }
        );
    }

    #[test]
    fn times_from_rt_from_eventtime_and_local() {
        assert_eq!(request(sample(2)).at, utc("2026-03-12T08:43:12Z"));
        assert_eq!(request(sample(12)).at, utc("2026-03-12T09:48:21.123456789Z"));
        let local = sample(1).replace(" FTNTFGTtz=+0000", "");
        let want = NaiveDateTime::parse_from_str("2026-03-12 08:41:07", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(request(&local).at, LoggedTime::Local(want));
        let text_rt = sample(2).replace("rt=1773304992000", "rt=Mar 12 2026 08:43:12");
        assert_eq!(request(&text_rt).at, LoggedTime::Local(want + chrono::Duration::seconds(125)));
    }

    #[test]
    fn a_syslog_header_a_relative_request_and_a_guest() {
        let request_3 = request(sample(3));
        assert_eq!(request_3.target, "www.instagram.com/explore/");
        assert_eq!(request_3.user.as_deref(), Some("mokafor"));
        let guest = request(sample(9));
        assert_eq!((guest.user, guest.group), (None, None));
        assert_eq!(guest.ip, Some("10.20.5.14".parse().unwrap()));
        assert_eq!(guest.categories, ["Gambling"]);
        assert_eq!(request(sample(8)).action, "warning");
        assert_eq!(request(sample(7)).categories, ["Explicit Violence"]);
    }

    #[test]
    fn other_records_are_skipped() {
        assert_eq!(parse_line(sample(6)), Ok(Line::Skip(NOT_WEB)));
        assert_eq!(parse_line(sample(20)), Ok(Line::Skip(NOT_WEB)));
        assert_eq!(parse_line(""), Ok(Line::Skip(EMPTY)));
    }

    #[test]
    fn malformed_lines_say_what_is_wrong() {
        assert_eq!(
            parse_line(sample(11)),
            Err("the CEF header has 3 of its 7 fields (Version|Device Vendor|Device Product|Device Version|\
                 Signature ID|Name|Severity|Extension)"
                .into())
        );
        assert_eq!(parse_line(sample(16)), Err("no time: no `rt`, `FTNTFGTdate` or `FTNTFGTeventtime` field".into()));
        assert_eq!(parse_line("date=2026-03-12 time=10:15:00"), Err("no `CEF:` header".into()));
        let bad = sample(1).replace("FTNTFGTtime=08:41:07", "FTNTFGTtime=8h41");
        assert_eq!(parse_line(&bad), Err("FTNTFGTtime \"8h41\" is not HH:MM:SS".into()));
        let no_act = sample(1).replace(" act=blocked", "");
        assert_eq!(parse_line(&no_act), Err("no `act` field".into()));
    }

    #[test]
    fn no_prefix_of_a_line_panics() {
        let line = sample(3);
        for (end, _) in line.char_indices() {
            let _ = parse_line(&line[..end]);
        }
        for garbage in ["CEF:", "CEF:|||||||", "CEF:0|a|b|c|d|e|f|=", "CEF:0|a|b|c|d|e|f| =x \\", "xCEF:0", "CEF:é\\"]
        {
            let _ = parse_line(garbage);
        }
    }
}
