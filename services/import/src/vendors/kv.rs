//! The `key=value` lines FortiGate and Sophos Firewall write, read one way for both.
//!
//! Neither vendor quotes consistently: FortiOS quotes strings but not numbers or
//! addresses, and Sophos quotes a value in one firmware version and not in the next
//! (`user_name="jsmith"`, `user_name=jsmith`). So a value may be quoted or not, quoted
//! values may hold spaces and escaped quotes, and a lone word after an unquoted value is
//! read as more of that value, which is how an unquoted `log_type=Content Filtering` reads.

/// A line's pairs, in the order written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pairs(Vec<Pair>);

#[derive(Debug, Clone, PartialEq)]
struct Pair {
    key: String,
    value: String,
    quoted: bool,
}

impl Pairs {
    /// The value of `key` as written (perhaps empty); the first, should a key repeat.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|p| p.key == key).map(|p| p.value.as_str())
    }

    /// The value of the first of `keys` the line has: for fields a vendor renamed.
    pub fn first(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|key| self.get(key))
    }
}

/// The text of `line` from the first of `anchors` that begins a word.
///
/// Over syslog a relay puts its own header before the vendor's text (`<189>Mar 12
/// 10:15:00 fw01`, or RFC 5424's with structured data that has `=` signs of its own); the
/// vendor's first field is where its text starts. The anchor must begin a key, so that
/// `date=` is not found inside `update=`.
pub fn from_anchor<'a>(line: &'a str, anchors: &[&str]) -> Option<&'a str> {
    anchors
        .iter()
        .filter_map(|anchor| {
            line.match_indices(anchor).map(|(i, _)| i).find(|&i| line[..i].chars().next_back().is_none_or(ends_word))
        })
        .min()
        .map(|i| &line[i..])
}

/// Whether `c` can end what comes before a key: anything a key is not made of (FortiOS
/// syslog puts `<189>` right before `date=`, with no space).
fn ends_word(c: char) -> bool {
    !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// The pairs of `text`; `Err` when a quoted value never ends (the line was cut short).
pub fn parse(text: &str) -> Result<Pairs, String> {
    let mut pairs: Vec<Pair> = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = match rest[..word_end].find('=').filter(|&eq| eq > 0) {
            Some(eq) => {
                let key = &rest[..eq];
                let after = &rest[eq + 1..];
                let (value, was_quoted, rest) = match after.strip_prefix('"') {
                    Some(inside) => {
                        let (value, len) = quoted(inside)
                            .ok_or_else(|| format!("the value of `{key}` has no closing quote (a line cut short?)"))?;
                        (value, true, &inside[len..])
                    }
                    None => {
                        let end = after.find(char::is_whitespace).unwrap_or(after.len());
                        (after[..end].to_string(), false, &after[end..])
                    }
                };
                pairs.push(Pair { key: key.to_string(), value, quoted: was_quoted });
                rest
            }
            None => {
                continue_value(&mut pairs, &rest[..word_end]);
                &rest[word_end..]
            }
        }
        .trim_start();
    }
    Ok(Pairs(pairs))
}

/// A quoted value up to its closing quote, unescaped, and the length it took with the quote.
fn quoted(inside: &str) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = inside.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, i + 1)),
            '\\' => match chars.clone().next() {
                Some((_, next @ ('"' | '\\'))) => {
                    value.push(next);
                    chars.next();
                }
                _ => value.push('\\'),
            },
            _ => value.push(c),
        }
    }
    None
}

/// A word with no `=`: more of an unquoted value that had a space in it. After a quoted
/// value (or before any pair) it belongs to nothing, and is dropped.
fn continue_value(pairs: &mut [Pair], word: &str) {
    if let Some(last) = pairs.last_mut().filter(|p| !p.quoted && !p.value.is_empty()) {
        last.value.push(' ');
        last.value.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_unquoted_empty_and_escaped_values() {
        let pairs =
            parse(r#"date=2026-03-12 user="jsmith" msg="a \"quoted\" word" empty="" bare= tail=C:\\x url=/a?b=c"#)
                .unwrap();
        assert_eq!(pairs.get("date"), Some("2026-03-12"));
        assert_eq!(pairs.get("user"), Some("jsmith"));
        assert_eq!(pairs.get("msg"), Some(r#"a "quoted" word"#));
        assert_eq!(pairs.get("empty"), Some(""));
        assert_eq!(pairs.get("bare"), Some(""));
        assert_eq!(pairs.get("tail"), Some(r"C:\\x"));
        assert_eq!(pairs.get("url"), Some("/a?b=c"));
        assert_eq!(pairs.get("missing"), None);
        assert_eq!(pairs.first(&["user_name", "user"]), Some("jsmith"));
    }

    #[test]
    fn sophos_quoting_of_either_version_reads_the_same() {
        let old = parse(r#"log_type="Content Filtering" user_name="jsmith" fw_rule_id=5"#).unwrap();
        let new = parse(r#"log_type=Content Filtering user_name=jsmith fw_rule_id="5""#).unwrap();
        for key in ["log_type", "user_name", "fw_rule_id"] {
            assert_eq!(old.get(key), new.get(key), "{key}");
        }
        assert_eq!(new.get("log_type"), Some("Content Filtering"));
    }

    #[test]
    fn a_backslash_in_a_quoted_value_escapes_only_quotes_and_backslashes() {
        let pairs = parse(r#"user="CURRIC\\jsmith" path="C:\temp""#).unwrap();
        assert_eq!(pairs.get("user"), Some(r"CURRIC\jsmith"));
        assert_eq!(pairs.get("path"), Some(r"C:\temp"));
    }

    #[test]
    fn a_line_cut_inside_a_quote_is_refused() {
        assert_eq!(
            parse(r#"date=2026-03-12 url="https://exam"#).unwrap_err(),
            "the value of `url` has no closing quote (a line cut short?)"
        );
        assert!(parse(r#"msg="ends in a backslash\""#).is_err());
    }

    #[test]
    fn the_vendor_text_starts_at_its_first_field() {
        let line =
            r#"<189>1 2026-03-12T10:15:00Z fw01 - - - [meta sequenceId="7"] update=1 date=2026-03-12 time=10:15:00"#;
        assert_eq!(from_anchor(line, &["date="]), Some("date=2026-03-12 time=10:15:00"));
        assert_eq!(from_anchor("device=\"SFW\" date=x", &["date=", "device="]), Some("device=\"SFW\" date=x"));
        assert_eq!(from_anchor("update=1", &["date="]), None);
        assert_eq!(from_anchor("<189>date=2026-03-12", &["date="]), Some("date=2026-03-12"));
        assert_eq!(from_anchor("", &["date="]), None);
    }
}
