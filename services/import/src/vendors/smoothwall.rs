//! Smoothwall's web filter log as its reporting exports it to CSV: a filter built for UK
//! schools, whose categories include the UK Safer Internet Centre's safeguarding ones
//! (the IWF list, counter-terrorism, self harm).
//!
//! The export has a header row (`Time,Username,Source IP,Group,Code,URL,Categories`),
//! and which columns it has, and in what order, depends on the report it came from, so
//! columns are found by their names. Times are the school's wall clock, in ISO or UK
//! (day first) order; `Code` is the HTTP status the filter returned (403 for its block
//! page), passed on as the action word for the mapping to read.

use super::{address, csv_fields, is_blank, present, times, Line, LineParser, EMPTY, HEADER};
use crate::clock::LoggedTime;
use crate::web::WebRequest;

/// The time formats Smoothwall's exports have used.
const TIME_FORMATS: &[&str] =
    &["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"];

/// The parser of a Smoothwall CSV export; it learns the columns from the header row.
#[derive(Debug, Default, Clone)]
pub struct Smoothwall {
    columns: Option<Columns>,
}

/// Where each field is, and the header's own names for the ones refusals name.
#[derive(Debug, Clone, PartialEq)]
struct Columns {
    count: usize,
    time: (usize, String),
    /// A separate date column, for reports that split the date from the time.
    date: Option<usize>,
    url: (usize, String),
    code: (usize, String),
    user: Option<usize>,
    ip: Option<(usize, String)>,
    group: Option<usize>,
    categories: Option<usize>,
}

impl LineParser for Smoothwall {
    fn parse(&mut self, line: &str) -> Result<Line, String> {
        if is_blank(line) {
            return Ok(Line::Skip(EMPTY));
        }
        let fields = csv_fields(line)?;
        // A header row again, further down, is the next export appended to this one.
        if let Some(columns) = Columns::from_header(&fields)? {
            self.columns = Some(columns);
            return Ok(Line::Skip(HEADER));
        }
        let columns = self.columns.as_ref().ok_or(
            "no header row yet: the export starts with one naming its columns (Time, Username, Source IP, Group, \
             Code, URL, Categories)",
        )?;
        if fields.len() != columns.count {
            return Err(format!("{} columns where the header row has {}", fields.len(), columns.count));
        }
        columns.request(&fields).map(Line::Request)
    }
}

impl Columns {
    /// The columns a header row names; `None` when the row is not a header (it does not
    /// name both a time and a URL column). A header without a needed column is refused.
    fn from_header(fields: &[String]) -> Result<Option<Columns>, String> {
        let names: Vec<String> = fields.iter().map(|f| normal(f)).collect();
        let find = |aliases: &[&str]| names.iter().position(|n| aliases.contains(&n.as_str()));
        let named = |aliases: &[&str]| find(aliases).map(|i| (i, fields[i].trim().to_string()));
        let time = named(&["time", "datetime", "timestamp", "dateandtime"]).or_else(|| named(&["date"]));
        let (Some(time), Some(url)) = (time, named(&["url", "uri"])) else {
            return Ok(None);
        };
        let date = find(&["date"]).filter(|&i| i != time.0);
        let code = named(&["code", "statuscode", "httpcode", "status"]).ok_or("the header row has no `Code` column")?;
        Ok(Some(Columns {
            count: fields.len(),
            time,
            date,
            url,
            code,
            user: find(&["username", "user"]),
            ip: named(&["sourceip", "clientip", "srcip", "ip"]),
            group: find(&["group", "groups", "usergroup"]),
            categories: find(&["categories", "category"]),
        }))
    }

    fn request(&self, fields: &[String]) -> Result<WebRequest, String> {
        let field = |i: usize| fields.get(i).map(String::as_str);
        let required = |(i, name): &(usize, String)| present(field(*i)).ok_or_else(|| format!("no {name}"));
        let time = required(&self.time)?;
        let date = self.date.and_then(|i| present(field(i)));
        let at = logged_at(&self.time.1, &time, date.as_deref())?;
        let action = required(&self.code)?;
        let target = required(&self.url)?;
        let ip = match &self.ip {
            Some((i, name)) => address(name, field(*i))?,
            None => None,
        };
        Ok(WebRequest {
            at,
            user: self.user.and_then(|i| present(field(i))),
            ip,
            group: self.group.and_then(|i| present(field(i))),
            target,
            categories: self.categories.map(|i| split(field(i).unwrap_or_default())).unwrap_or_default(),
            action,
            rule: None,
        })
    }
}

/// Header names as reports spell them: `Source IP`, `source_ip`, `SOURCE IP`.
fn normal(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase()
}

/// The time column holds the date too, or the date column gives it.
fn logged_at(name: &str, time: &str, date: Option<&str>) -> Result<LoggedTime, String> {
    times::local_in(time, TIME_FORMATS)
        .or_else(|| date.and_then(|date| times::local_in(&format!("{date} {time}"), TIME_FORMATS)))
        .map(LoggedTime::Local)
        .ok_or_else(|| {
            format!("{name} {time:?} is not a date and time such as 2026-03-12 10:15:00 or 12/03/2026 10:15:00")
        })
}

/// Several categories share the field: `;` between them when any is there (so a name
/// with a comma survives), else `,`.
fn split(list: &str) -> Vec<String> {
    let separator = if list.contains(';') { ';' } else { ',' };
    list.split(separator).filter_map(|c| present(Some(c))).collect()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;

    const SAMPLE: &str = include_str!("../../samples/smoothwall.csv");

    fn local(text: &str) -> LoggedTime {
        LoggedTime::Local(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    /// Every line of the sample as parsed, in order, by one parser.
    fn parsed() -> Vec<Result<Line, String>> {
        let mut parser = Smoothwall::default();
        SAMPLE.lines().map(|line| parser.parse(line)).collect()
    }

    fn request(number: usize) -> WebRequest {
        match parsed().swap_remove(number - 1) {
            Ok(Line::Request(request)) => request,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_block_with_a_whole_url() {
        assert_eq!(
            request(3),
            WebRequest {
                at: local("2026-03-12 08:41:07"),
                user: Some("jsmith".into()),
                ip: Some("10.10.1.23".parse().unwrap()),
                group: Some("Students".into()),
                target: "https://www.adult-videos.example/watch/clip?id=123&ref=search".into(),
                categories: vec!["Pornography".into()],
                action: "403".into(),
                rule: None,
            }
        );
    }

    #[test]
    fn uk_dates_lists_of_categories_and_a_guest() {
        let allowed = request(4);
        assert_eq!(allowed.at, local("2026-03-12 08:43:12"));
        assert_eq!(allowed.action, "200");
        assert_eq!(request(9).categories, ["Violence", "Weapons"]);
        assert_eq!(request(20).categories, ["Intolerance", "Radicalisation"]);
        let guest = request(8);
        assert_eq!((guest.user, guest.ip), (None, Some("10.20.5.14".parse().unwrap())));
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let mut parser = Smoothwall::default();
        assert_eq!(parser.parse("url , CATEGORIES,code,time,source_ip"), Ok(Line::Skip(HEADER)));
        let Ok(Line::Request(request)) =
            parser.parse("http://x.example/a,Gambling;Games,403,12/03/2026 10:15,10.1.2.3")
        else {
            panic!("not a request");
        };
        assert_eq!(request.at, local("2026-03-12 10:15:00"));
        assert_eq!(request.categories, ["Gambling", "Games"]);
        assert_eq!((request.user, request.group), (None, None));
        assert_eq!(request.ip, Some("10.1.2.3".parse().unwrap()));
        assert_eq!(parser.parse("Time,URL"), Err("the header row has no `Code` column".into()));
        assert_eq!(parser.parse("Date,Time,URL,Code"), Ok(Line::Skip(HEADER)));
        let Ok(Line::Request(split)) = parser.parse("12/03/2026,10:15:00,x.example,200") else {
            panic!("not a request");
        };
        assert_eq!(split.at, local("2026-03-12 10:15:00"));
    }

    #[test]
    fn the_header_is_skipped_and_malformed_lines_say_why() {
        let lines = parsed();
        assert_eq!(
            lines[0],
            Err("no header row yet: the export starts with one naming its columns (Time, Username, Source IP, \
                 Group, Code, URL, Categories)"
                .into())
        );
        assert_eq!(lines[1], Ok(Line::Skip(HEADER)));
        assert_eq!(lines[13], Err("4 columns where the header row has 7".into()));
        let mut parser = Smoothwall::default();
        parser.parse(SAMPLE.lines().nth(1).unwrap()).unwrap();
        assert_eq!(
            parser.parse("12/13/2026 10:00:00,jsmith,10.10.1.23,Students,403,https://x.example/,Gambling"),
            Err("Time \"12/13/2026 10:00:00\" is not a date and time such as 2026-03-12 10:15:00 or 12/03/2026 10:15:00"
                .into())
        );
        assert_eq!(parser.parse(",jsmith,10.10.1.23,Students,403,https://x.example/,Gambling"), Err("no Time".into()));
        assert_eq!(parser.parse("  "), Ok(Line::Skip(EMPTY)));
    }

    #[test]
    fn no_prefix_of_a_line_panics() {
        let line = SAMPLE.lines().nth(2).unwrap();
        let mut parser = Smoothwall::default();
        parser.parse(SAMPLE.lines().nth(1).unwrap()).unwrap();
        for (end, _) in line.char_indices() {
            let _ = parser.parse(&line[..end]);
        }
        for garbage in ["\"", ",,,,,,", "time,url,code", "é,\u{0},\"\"\""] {
            let _ = Smoothwall::default().parse(garbage);
            let _ = parser.parse(garbage);
        }
    }
}
