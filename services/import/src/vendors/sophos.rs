//! Sophos Firewall (SFOS, formerly XG) content filtering logs, key=value as it sends them
//! over syslog, from schools that filter on their own firewall.
//!
//! Firmware versions differ in quoting (`user_name="jsmith"`, `user_name=jsmith`) and,
//! in later firmware, in some names (`timestamp` for `date` and `time`, `user_group` for
//! `user_gp`, `http_category` for `category`); either reads. Only `log_type="Content Filtering"` records are requests.

use super::kv::{self, Pairs};
use super::{address, is_blank, present, requested, times, Line, LineParser, EMPTY, NOT_WEB};
use crate::clock::LoggedTime;
use crate::web::WebRequest;

/// Where Sophos' own text starts, whichever firmware wrote it.
const FIRST_FIELDS: &[&str] = &["device=", "device_name=", "timestamp=", "date="];

/// The parser of Sophos Firewall's key=value lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sophos;

impl LineParser for Sophos {
    fn parse(&mut self, line: &str) -> Result<Line, String> {
        if is_blank(line) {
            return Ok(Line::Skip(EMPTY));
        }
        let text = kv::from_anchor(line, FIRST_FIELDS).ok_or("no `device`, `timestamp` or `date` field")?;
        let pairs = kv::parse(text)?;
        let log_type = pairs.get("log_type").ok_or("no `log_type` field")?;
        if !same_words(log_type, "Content Filtering") {
            return Ok(Line::Skip(NOT_WEB));
        }
        request(&pairs).map(Line::Request)
    }
}

/// Sophos has written the same value in different case and spacing across versions.
fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().map(str::to_lowercase).eq(b.split_whitespace().map(str::to_lowercase))
}

fn request(pairs: &Pairs) -> Result<WebRequest, String> {
    let at = logged_at(pairs)?;
    let action = present(pairs.get("log_subtype")).ok_or("no `log_subtype` field")?;
    let target = requested(pairs.get("url"), pairs.get("domain")).ok_or("no `url` or `domain` field")?;
    Ok(WebRequest {
        at,
        user: present(pairs.first(&["user_name", "user"])),
        ip: address("src_ip", pairs.get("src_ip"))?,
        group: present(pairs.first(&["user_gp", "user_group"])),
        target,
        categories: present(pairs.first(&["category", "http_category"])).into_iter().collect(),
        action,
        rule: present(pairs.get("fw_rule_id")).map(|id| format!("rule-{id}")),
    })
}

/// Later firmware writes `timestamp` with its offset; earlier, `date` and `time` on the box's
/// clock and `timezone` as an abbreviation. Only GMT and UTC say the offset for certain
/// (BST, IST and CST each name more than one zone), so any other is the school's clock.
fn logged_at(pairs: &Pairs) -> Result<LoggedTime, String> {
    if let Some(timestamp) = present(pairs.get("timestamp")) {
        return times::iso_with_offset("timestamp", &timestamp);
    }
    let date = times::date("date", pairs.get("date").ok_or("no `date` field")?)?;
    let time = times::time("time", pairs.get("time").ok_or("no `time` field")?)?;
    let local = date.and_time(time);
    let zone = present(pairs.get("timezone")).unwrap_or_default().to_ascii_uppercase();
    Ok(match zone.as_str() {
        "GMT" | "UTC" | "Z" => LoggedTime::Utc(local.and_utc()),
        _ => LoggedTime::Local(local),
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;
    use crate::vendors::testing::{self, utc};

    const SAMPLE: &str = include_str!("../../samples/sophos.log");

    fn sample(number: usize) -> &'static str {
        testing::line(SAMPLE, number)
    }

    fn parse(line: &str) -> Result<Line, String> {
        Sophos.parse(line)
    }

    fn request(line: &str) -> WebRequest {
        testing::request(&mut Sophos, line)
    }

    #[test]
    fn a_denied_request_with_a_whole_url() {
        assert_eq!(
            request(sample(1)),
            WebRequest {
                at: utc("2026-03-12T08:41:07Z"),
                user: Some("jsmith".into()),
                ip: Some("10.10.1.23".parse().unwrap()),
                group: Some("Students".into()),
                target: "https://www.adult-videos.example/watch/clip?id=123&ref=search".into(),
                categories: vec!["Sexually Explicit".into()],
                action: "Denied".into(),
                rule: Some("rule-5".into()),
            }
        );
    }

    #[test]
    fn unquoted_values_and_the_newer_names_read_the_same() {
        assert_eq!(
            request(sample(12)),
            WebRequest {
                at: utc("2026-03-12T10:02:44Z"),
                user: Some("lcarter".into()),
                ip: Some("10.10.1.41".parse().unwrap()),
                group: Some("Students".into()),
                target: "https://chatgpt.com/".into(),
                categories: vec!["Generative AI".into()],
                action: "Denied".into(),
                rule: Some("rule-5".into()),
            }
        );
        let newer = request(sample(13));
        assert_eq!(newer.at, utc("2026-03-12T10:05:19Z"));
        assert_eq!((newer.user.as_deref(), newer.group.as_deref()), (Some("rpatel"), Some("Students")));
        assert_eq!(newer.categories, ["Search Engines"]);
        assert_eq!(newer.rule.as_deref(), Some("rule-7"));
    }

    #[test]
    fn a_syslog_header_a_guest_and_a_warning() {
        assert_eq!(request(sample(3)).user.as_deref(), Some("mokafor"));
        let guest = request(sample(7));
        assert_eq!((guest.user, guest.group), (None, None));
        assert_eq!(guest.ip, Some("10.20.5.14".parse().unwrap()));
        assert_eq!(guest.target, "https://lucky-spins-casino.example/");
        assert_eq!(request(sample(6)).action, "Warned");
    }

    #[test]
    fn a_zone_other_than_gmt_is_the_schools_clock() {
        let summer = sample(1).replace("timezone=\"GMT\"", "timezone=\"BST\"");
        let local = NaiveDateTime::parse_from_str("2026-03-12 08:41:07", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(request(&summer).at, LoggedTime::Local(local));
        let domain_only =
            sample(1).replace("url=\"https://www.adult-videos.example/watch/clip?id=123&ref=search\"", "url=\"\"");
        assert_eq!(request(&domain_only).target, "www.adult-videos.example");
    }

    #[test]
    fn other_records_are_skipped() {
        assert_eq!(parse(sample(8)), Ok(Line::Skip(NOT_WEB)));
        assert_eq!(parse(sample(17)), Ok(Line::Skip(NOT_WEB)));
        assert_eq!(parse("\t"), Ok(Line::Skip(EMPTY)));
    }

    #[test]
    fn malformed_lines_say_what_is_wrong() {
        assert_eq!(parse(sample(14)), Err("the value of `url` has no closing quote (a line cut short?)".into()));
        assert_eq!(parse(sample(21)), Err("no `time` field".into()));
        assert_eq!(parse("log_type=\"Content Filtering\""), Err("no `device`, `timestamp` or `date` field".into()));
        assert_eq!(parse("device=\"SFW\" date=2026-03-12"), Err("no `log_type` field".into()));
        let bad = sample(1).replace("date=2026-03-12", "date=12/03/2026");
        assert_eq!(parse(&bad), Err("date \"12/03/2026\" is not YYYY-MM-DD".into()));
    }

    #[test]
    fn no_prefix_of_a_line_panics() {
        for number in [1, 13] {
            let line = sample(number);
            for (end, _) in line.char_indices() {
                let _ = parse(&line[..end]);
            }
        }
    }
}
