//! Cisco Umbrella DNS logs, CSV as Umbrella exports them to S3: the filter of schools
//! that filter at the DNS resolver (often with roaming clients on take-home devices).
//!
//! No header as a rule (an export tool may add one, which is skipped), every field
//! quoted, times in UTC, and the columns `timestamp, most granular identity, identities,
//! internal ip, external ip, action, query type, response code, domain, categories, most
//! granular identity type, identity types, blocked categories`; later log versions add
//! columns at the end, which are not needed. A DNS log knows the domain asked for, never
//! a URL, and names a person only when the identity that matched was a user.

use chrono::NaiveDateTime;

use super::{address, csv_fields, is_blank, present, Line, LineParser, EMPTY, HEADER};
use crate::clock::LoggedTime;
use crate::web::WebRequest;

/// The columns of the version-3 DNS log, the fewest a line may have.
const COLUMNS: usize = 13;
const TIMESTAMP: usize = 0;
const IDENTITY: usize = 1;
const INTERNAL_IP: usize = 3;
const ACTION: usize = 5;
const DOMAIN: usize = 8;
const CATEGORIES: usize = 9;
const IDENTITY_TYPE: usize = 10;
const BLOCKED_CATEGORIES: usize = 12;

/// The parser of Umbrella's DNS log lines.
#[derive(Debug, Default, Clone, Copy)]
pub struct Umbrella;

impl LineParser for Umbrella {
    fn parse(&mut self, line: &str) -> Result<Line, String> {
        if is_blank(line) {
            return Ok(Line::Skip(EMPTY));
        }
        let fields = csv_fields(line)?;
        if fields.first().is_some_and(|f| f.trim().eq_ignore_ascii_case("timestamp")) {
            return Ok(Line::Skip(HEADER));
        }
        if fields.len() < COLUMNS {
            return Err(format!(
                "{} columns where Umbrella's DNS log has {COLUMNS} (timestamp, most granular identity, identities, \
                 internal ip, external ip, action, query type, response code, domain, categories, most granular \
                 identity type, identity types, blocked categories)",
                fields.len()
            ));
        }
        request(&fields).map(Line::Request)
    }
}

fn request(fields: &[String]) -> Result<WebRequest, String> {
    let field = |i: usize| fields.get(i).map(String::as_str);
    let at = logged_at(field(TIMESTAMP).unwrap_or_default())?;
    let action = present(field(ACTION)).ok_or("no action")?;
    let domain = present(field(DOMAIN)).ok_or("no domain")?;
    let blocked = action.eq_ignore_ascii_case("blocked");
    Ok(WebRequest {
        at,
        user: user(field(IDENTITY), field(IDENTITY_TYPE)),
        ip: address("internal ip", field(INTERNAL_IP))?,
        group: None,
        // DNS names end in a dot ("example.com."): the root, not part of the host.
        target: domain.trim_end_matches('.').to_string(),
        categories: categories(field(CATEGORIES), field(BLOCKED_CATEGORIES), blocked),
        action,
        rule: None,
    })
}

fn logged_at(text: &str) -> Result<LoggedTime, String> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
        .map(|t| LoggedTime::Utc(t.and_utc()))
        .map_err(|_| format!("timestamp {text:?} is not YYYY-MM-DD HH:MM:SS"))
}

/// The user, when the identity that matched was one (`AD Users`, `Google Workspace
/// Users`, `SAML Users`...): `Jane Smith (jsmith@school.example)` names them in the
/// parentheses. A network, site or computer identity names no person: the address does.
fn user(identity: Option<&str>, kind: Option<&str>) -> Option<String> {
    let kind = kind?.trim().to_ascii_lowercase();
    if !(kind.ends_with("users") || kind.ends_with("user")) {
        return None;
    }
    let identity = present(identity)?;
    let inside =
        identity.strip_suffix(')').and_then(|rest| rest.rsplit_once('(')).and_then(|(_, inside)| present(Some(inside)));
    inside.or(Some(identity))
}

/// The categories that blocked the request first (web.rs reads the first as the deciding
/// one), then the domain's others, once each.
fn categories(all: Option<&str>, blocked_by: Option<&str>, blocked: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let first = if blocked { blocked_by } else { None };
    for category in split(first).chain(split(all)) {
        if !out.iter().any(|c| c.eq_ignore_ascii_case(&category)) {
            out.push(category);
        }
    }
    out
}

/// Categories are joined by a bare comma; a comma followed by a space is part of a name
/// ("Conventions, Conferences and Trade Shows").
fn split(list: Option<&str>) -> impl Iterator<Item = String> + '_ {
    let list = list.unwrap_or_default();
    let mut names = Vec::new();
    let mut start = 0;
    for (i, _) in list.match_indices(',') {
        if !list[i + 1..].starts_with(' ') {
            names.push(&list[start..i]);
            start = i + 1;
        }
    }
    names.push(&list[start..]);
    names.into_iter().filter_map(|name| present(Some(name)))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::vendors::testing::{self, utc};

    fn sample() -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/umbrella.csv.gz");
        let file = std::fs::File::open(path).expect("the Umbrella sample");
        let mut text = String::new();
        flate2::read::GzDecoder::new(file).read_to_string(&mut text).expect("gzip");
        text.lines().map(str::to_string).collect()
    }

    fn line(number: usize) -> String {
        sample().swap_remove(number - 1)
    }

    fn parse(line: &str) -> Result<Line, String> {
        Umbrella.parse(line)
    }

    fn request(line: &str) -> WebRequest {
        testing::request(&mut Umbrella, line)
    }

    #[test]
    fn a_block_of_a_signed_in_user() {
        assert_eq!(
            request(&line(2)),
            WebRequest {
                at: utc("2026-03-12T08:41:07Z"),
                user: Some("jsmith@school.example".into()),
                ip: Some("10.10.1.23".parse().unwrap()),
                group: None,
                target: "www.adult-videos.example".into(),
                categories: vec!["Pornography".into(), "Adult Themes".into()],
                action: "Blocked".into(),
                rule: None,
            }
        );
    }

    #[test]
    fn a_network_identity_names_no_user_and_a_bare_username_is_one() {
        let network = request(&line(7));
        assert_eq!(network.user, None);
        assert_eq!(network.ip, Some("10.20.5.14".parse().unwrap()));
        assert_eq!(network.categories, ["Gambling"]);
        assert_eq!(request(&line(20)).user.as_deref(), Some("mokafor"));
        assert_eq!(request(&line(18)).user, None);
    }

    #[test]
    fn an_allowed_request_lists_its_categories_only() {
        let allowed = request(&line(9));
        assert_eq!(allowed.action, "Allowed");
        assert_eq!(allowed.categories, ["Computers and Internet", "SaaS and B2B"]);
        assert_eq!(allowed.user.as_deref(), Some("dkhan@school.example"));
    }

    #[test]
    fn names_with_a_comma_and_a_space_stay_whole() {
        let names: Vec<String> = split(Some("Business Services,Conventions, Conferences and Trade Shows,")).collect();
        assert_eq!(names, ["Business Services", "Conventions, Conferences and Trade Shows"]);
        assert_eq!(categories(Some("A,B"), Some("B"), true), ["B", "A"]);
        assert_eq!(categories(Some("A,B"), Some("B"), false), ["A", "B"]);
    }

    #[test]
    fn users_as_umbrella_names_them() {
        assert_eq!(
            user(Some("Jane Smith (jsmith@school.example)"), Some("AD Users")).as_deref(),
            Some("jsmith@school.example")
        );
        assert_eq!(
            user(Some("jsmith@school.example"), Some("Google Workspace Users")).as_deref(),
            Some("jsmith@school.example")
        );
        assert_eq!(user(Some("Jane Smith ()"), Some("AD Users")).as_deref(), Some("Jane Smith ()"));
        assert_eq!(user(Some("Site Network"), Some("Networks")), None);
        assert_eq!(user(Some("LAB-PC-07"), Some("Roaming Computers")), None);
        assert_eq!(user(Some("jsmith"), None), None);
    }

    #[test]
    fn the_header_is_skipped_and_malformed_lines_say_why() {
        assert_eq!(parse(&line(1)), Ok(Line::Skip(HEADER)));
        assert_eq!(parse(""), Ok(Line::Skip(EMPTY)));
        let short = parse(&line(13)).unwrap_err();
        assert!(short.starts_with("3 columns where Umbrella's DNS log has 13 (timestamp,"), "{short}");
        assert_eq!(parse(&line(21)), Err("timestamp \"2026-03-12T10:47:31\" is not YYYY-MM-DD HH:MM:SS".into()));
        let bad_ip = line(2).replace("\"10.10.1.23\"", "\"10.10.1.x\"");
        assert_eq!(parse(&bad_ip), Err("internal ip \"10.10.1.x\" is not an IP address".into()));
    }

    #[test]
    fn no_prefix_of_a_line_panics() {
        let line = line(2);
        for (end, _) in line.char_indices() {
            let _ = parse(&line[..end]);
        }
        for garbage in ["\"", ",,,,,,,,,,,,", "\"a\"b\"", "é,\u{0}"] {
            let _ = parse(garbage);
        }
    }
}
