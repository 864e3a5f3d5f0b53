//! The personal-data rules that a per-field schema cannot express: no UPN and no e-mail
//! address anywhere in an event, whatever the field (free text included).
//!
//! This runs on every event the ingest receives, so the walk allocates nothing unless it
//! finds something.

use serde_json::Value;

/// Every string in `value` that looks like a real identifier, as a reason naming its path.
pub(crate) fn findings(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut path = Vec::new();
    walk(value, &mut path, &mut found);
    found
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn walk<'a>(value: &'a Value, path: &mut Vec<Segment<'a>>, found: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if contains_upn(s) {
                found.push(format!(
                    "{}: contains what looks like a UPN; send only pseudonymous references (p_...)",
                    render(path)
                ));
            } else if s.contains('@') && contains_email(s) {
                found.push(format!(
                    "{}: contains what looks like an e-mail address; send only pseudonymous references",
                    render(path)
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                walk(item, path, found);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push(Segment::Key(key));
                walk(item, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

fn render(path: &[Segment<'_>]) -> String {
    let mut text = String::new();
    for segment in path {
        match segment {
            Segment::Key(k) if text.is_empty() => text.push_str(k),
            Segment::Key(k) => {
                text.push('.');
                text.push_str(k);
            }
            Segment::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    if text.is_empty() {
        "event".to_string()
    } else {
        text
    }
}

/// A unique pupil number: a capital letter, 11 digits, then a digit or capital letter,
/// standing alone as a word.
fn contains_upn(s: &str) -> bool {
    s.len() >= 13
        && s.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| {
            let b = word.as_bytes();
            b.len() == 13
                && b[0].is_ascii_uppercase()
                && b[1..12].iter().all(u8::is_ascii_digit)
                && (b[12].is_ascii_digit() || b[12].is_ascii_uppercase())
        })
}

/// `local@domain.tld` anywhere in the text.
fn contains_email(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().any(|(i, &c)| {
        if c != b'@' || i == 0 || !is_local(bytes[i - 1]) {
            return false;
        }
        let host_len = bytes[i + 1..].iter().take_while(|&&b| is_host(b)).count();
        let host = &bytes[i + 1..i + 1 + host_len];
        let host = host.strip_suffix(b".").unwrap_or(host);
        match host.iter().rposition(|&b| b == b'.') {
            Some(dot) => dot > 0 && host.len() - dot > 2,
            None => false,
        }
    })
}

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._%+-'".contains(&b)
}

fn is_host(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upns_are_found_as_whole_words_only() {
        assert!(contains_upn("A12345678901B"));
        assert!(contains_upn("pupil A123456789012 again"));
        assert!(!contains_upn("a12345678901B"));
        assert!(!contains_upn("A1234567890123"));
        assert!(!contains_upn("p_0123456789abcdef"));
    }

    #[test]
    fn emails_are_found_inside_text() {
        assert!(contains_email("jo.bloggs@school.sch.uk"));
        assert!(contains_email("please ask j@x.org first"));
        assert!(!contains_email("@handle"));
        assert!(!contains_email("user@localhost"));
        assert!(!contains_email("www.example.com"));
    }

    #[test]
    fn findings_name_the_path() {
        let event = serde_json::json!({"data": {"notes": ["ok", "mail jo@x.org"]}});
        assert_eq!(findings(&event).len(), 1);
        assert!(findings(&event)[0].starts_with("data.notes[1]: contains what looks like an e-mail"));
    }
}
