//! The personal-data rules that a per-field schema cannot express: no UPN and no e-mail
//! address anywhere in an event, whatever the field (free text included).

use serde_json::Value;

/// Every string in `value` that looks like a real identifier, as `(path, reason)`.
pub(crate) fn findings(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(value, String::new(), &mut found);
    found
}

fn walk(value: &Value, path: String, found: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let at = if path.is_empty() { "event".to_string() } else { path };
            if contains_upn(s) {
                found.push(format!("{at}: contains what looks like a UPN; send only pseudonymous references (p_...)"));
            } else if contains_email(s) {
                found.push(format!(
                    "{at}: contains what looks like an e-mail address; send only pseudonymous references"
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                walk(item, child, found);
            }
        }
        _ => {}
    }
}

/// A unique pupil number: a capital letter, 11 digits, then a digit or capital letter,
/// standing alone as a word.
fn contains_upn(s: &str) -> bool {
    s.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| {
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
        let host: Vec<u8> = bytes[i + 1..].iter().copied().take_while(|&b| is_host(b)).collect();
        let host = host.strip_suffix(b".").unwrap_or(&host);
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
}
