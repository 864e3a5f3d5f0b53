//! FortiGate web filter logs, key=value, as FortiOS writes them to disk, to FortiAnalyzer
//! and over syslog, from schools that filter on their own firewall.
//!
//! Only `type=utm subtype=webfilter` records are requests; a FortiGate sends its traffic,
//! event and other UTM logs down the same stream, and those are skipped, not refused.

use super::kv::{self, Pairs};
use super::{address, is_blank, present, requested, times, Line, LineParser, EMPTY, NOT_WEB};
use crate::clock::LoggedTime;
use crate::web::WebRequest;

/// The parser of FortiGate's key=value lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fortigate;

impl LineParser for Fortigate {
    fn parse(&mut self, line: &str) -> Result<Line, String> {
        if is_blank(line) {
            return Ok(Line::Skip(EMPTY));
        }
        let text = kv::from_anchor(line, &["date="]).ok_or("no `date` field")?;
        let pairs = kv::parse(text)?;
        if !is_web_filter(&pairs)? {
            return Ok(Line::Skip(NOT_WEB));
        }
        request(&pairs).map(Line::Request)
    }
}

fn is_web_filter(pairs: &Pairs) -> Result<bool, String> {
    let kind = pairs.get("type").ok_or("no `type` field")?;
    let subtype = pairs.get("subtype").ok_or("no `subtype` field")?;
    Ok(kind.trim().eq_ignore_ascii_case("utm") && subtype.trim().eq_ignore_ascii_case("webfilter"))
}

fn request(pairs: &Pairs) -> Result<WebRequest, String> {
    let at = logged_at(pairs)?;
    let action = present(pairs.get("action")).ok_or("no `action` field")?;
    let target = requested(pairs.get("url"), pairs.get("hostname")).ok_or("no `url` or `hostname` field")?;
    Ok(WebRequest {
        at,
        // `unauthuser` names a user the FortiGate recognised without a login (FSSO, a
        // FortiClient): still the person who made the request.
        user: present(pairs.get("user")).or_else(|| present(pairs.get("unauthuser"))),
        ip: address("srcip", pairs.get("srcip"))?,
        group: present(pairs.get("group")),
        target,
        categories: present(pairs.get("catdesc")).into_iter().collect(),
        action,
        rule: rule(pairs.get("policyid"), pairs.get("profile")),
    })
}

/// `date` and `time` are the box's wall clock; `tz` (FortiOS 6.2 on) says its offset.
fn logged_at(pairs: &Pairs) -> Result<LoggedTime, String> {
    let date = times::date("date", pairs.get("date").ok_or("no `date` field")?)?;
    let time = times::time("time", pairs.get("time").ok_or("no `time` field")?)?;
    let local = date.and_time(time);
    match present(pairs.get("tz")) {
        Some(tz) => times::at_offset(local, times::offset("tz", &tz)?),
        None => Ok(LoggedTime::Local(local)),
    }
}

/// The firewall policy that applied the web filter profile names the rule best (a school
/// has a policy per group); the profile when the record has no policy.
pub(super) fn rule(policy: Option<&str>, profile: Option<&str>) -> Option<String> {
    present(policy).map(|id| format!("policy-{id}")).or_else(|| present(profile))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;
    use crate::vendors::testing::{self, utc};

    const SAMPLE: &str = include_str!("../../samples/fortigate.log");

    fn sample(number: usize) -> &'static str {
        testing::line(SAMPLE, number)
    }

    fn parse(line: &str) -> Result<Line, String> {
        Fortigate.parse(line)
    }

    fn request(line: &str) -> WebRequest {
        testing::request(&mut Fortigate, line)
    }

    #[test]
    fn a_block_with_a_whole_url() {
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
    fn a_relative_url_after_a_syslog_priority() {
        let request = request(sample(3));
        assert_eq!(request.target, "www.instagram.com/explore/");
        assert_eq!(request.user.as_deref(), Some("mokafor"));
        assert_eq!(request.categories, ["Social Networking"]);
    }

    #[test]
    fn a_guest_without_a_user_and_a_url_filter_block_without_a_category() {
        let guest = request(sample(7));
        assert_eq!((guest.user, guest.group), (None, None));
        assert_eq!(guest.ip, Some("10.20.5.14".parse().unwrap()));
        assert_eq!(guest.rule.as_deref(), Some("policy-20"));
        let local_list = request(sample(15));
        assert_eq!(local_list.categories, Vec::<String>::new());
        assert_eq!(local_list.target, "games-unblocked-66.example/");
        let empty_user = request(sample(19));
        assert_eq!((empty_user.user, empty_user.action.as_str()), (None, "passthrough"));
    }

    #[test]
    fn without_tz_the_time_is_the_schools() {
        let request = request(sample(20));
        let local = NaiveDateTime::parse_from_str("2026-03-12 10:33:58", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(request.at, LoggedTime::Local(local));
        let offset = sample(1).replace("tz=\"+0000\"", "tz=\"-0500\"");
        assert_eq!(super::request(&kv::parse(&offset).unwrap()).unwrap().at, utc("2026-03-12T13:41:07Z"));
    }

    #[test]
    fn other_records_are_skipped() {
        assert_eq!(parse(sample(8)), Ok(Line::Skip(NOT_WEB)));
        assert_eq!(parse(sample(17)), Ok(Line::Skip(NOT_WEB)));
        assert_eq!(parse("  "), Ok(Line::Skip(EMPTY)));
    }

    #[test]
    fn malformed_lines_say_what_is_wrong() {
        assert_eq!(parse(sample(14)), Err("the value of `hostname` has no closing quote (a line cut short?)".into()));
        assert_eq!(parse(sample(21)), Err("time \"25:99:00\" is not HH:MM:SS".into()));
        assert_eq!(parse("<189>Mar 12 10:15:00 fw01 logid=\"0316013056\""), Err("no `date` field".into()));
        assert_eq!(parse("date=2026-03-12 type=\"utm\" subtype=\"webfilter\""), Err("no `time` field".into()));
        let no_action = sample(1).replace("action=\"blocked\"", "");
        assert_eq!(parse(&no_action), Err("no `action` field".into()));
        let bad_ip = sample(1).replace("srcip=10.10.1.23", "srcip=10.10.1");
        assert_eq!(parse(&bad_ip), Err("srcip \"10.10.1\" is not an IP address".into()));
    }

    #[test]
    fn no_prefix_of_a_line_panics() {
        let line = sample(1);
        for (end, _) in line.char_indices() {
            let _ = parse(&line[..end]);
        }
        for garbage in
            ["=", "date=", "date=\"", "\"\"=\"", "date==", "date=2026-03-12 time=10:00:00 tz=\"+\"", "\u{feff}date=é"]
        {
            let _ = parse(garbage);
        }
    }
}
