//! Reads events from what publishers hand us: JSON Lines (one event, or one batch array,
//! per line), a JSON array, or a CloudEvents batch (which is a JSON array too).
//!
//! Each event keeps the line it started on, so that a report can say `FILE:LINE`. Lines
//! are read as bytes and never judged here: the validator gives every verdict.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use serde_json::value::RawValue;

/// One event as found in the input, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// 1-based line on which the event starts.
    pub line: usize,
    pub raw: Vec<u8>,
}

pub type Items = Box<dyn Iterator<Item = io::Result<Item>> + Send>;

/// Opens a file (or standard input for `-`) and yields its events.
pub fn open(path: &str) -> io::Result<Items> {
    let reader: Box<dyn BufRead + Send> = if path == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, File::open(path)?))
    };
    read(reader)
}

/// Yields the events of any reader.
pub fn read(mut reader: Box<dyn BufRead + Send>) -> io::Result<Items> {
    let first = loop {
        let buffer = reader.fill_buf()?;
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break Some(buffer[i]),
            None if buffer.is_empty() => break None,
            None => {
                let n = buffer.len();
                reader.consume(n);
            }
        }
    };
    if first == Some(b'[') {
        // A whole-file array, or JSON Lines whose lines are batches: read it all and try
        // the array first.
        let mut all = Vec::new();
        reader.read_to_end(&mut all)?;
        if let Some(items) = array_items(&all, 1) {
            return Ok(Box::new(items.into_iter().map(Ok)));
        }
        return Ok(Box::new(Lines { reader: Box::new(io::Cursor::new(all)), line: 0, pending: Vec::new() }));
    }
    Ok(Box::new(Lines { reader, line: 0, pending: Vec::new() }))
}

/// The elements of a JSON array, each with the line it starts on (counted from `first_line`).
fn array_items(text: &[u8], first_line: usize) -> Option<Vec<Item>> {
    let elements: Vec<&RawValue> = serde_json::from_slice(text).ok()?;
    let mut line = first_line;
    let mut counted = 0;
    let items = elements
        .into_iter()
        .map(|element| {
            let offset = element.get().as_ptr() as usize - text.as_ptr() as usize;
            line += text[counted..offset].iter().filter(|&&b| b == b'\n').count();
            counted = offset;
            Item { line, raw: element.get().as_bytes().to_vec() }
        })
        .collect();
    Some(items)
}

struct Lines {
    reader: Box<dyn BufRead + Send>,
    line: usize,
    pending: Vec<Item>,
}

impl Iterator for Lines {
    type Item = io::Result<Item>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if !self.pending.is_empty() {
                return Some(Ok(self.pending.remove(0)));
            }
            let mut buffer = Vec::new();
            match self.reader.read_until(b'\n', &mut buffer) {
                Err(e) => return Some(Err(e)),
                Ok(0) => return None,
                Ok(_) => {}
            }
            self.line += 1;
            let trimmed = buffer.trim_ascii();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed[0] == b'[' {
                if let Some(items) = array_items(trimmed, self.line) {
                    self.pending = items;
                    continue;
                }
            }
            return Some(Ok(Item { line: self.line, raw: trimmed.to_vec() }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<(usize, String)> {
        read(Box::new(io::Cursor::new(text.as_bytes().to_vec())))
            .unwrap()
            .map(|i| i.unwrap())
            .map(|i| (i.line, String::from_utf8(i.raw).unwrap()))
            .collect()
    }

    #[test]
    fn json_lines_keep_their_line_numbers_and_skip_blank_lines() {
        assert_eq!(items("{\"a\":1}\n\n{\"b\":2}\n"), vec![(1, "{\"a\":1}".into()), (3, "{\"b\":2}".into())]);
    }

    #[test]
    fn a_pretty_printed_array_gives_the_line_each_element_starts_on() {
        let text = "[\n  {\"a\": 1},\n  {\n    \"b\": 2\n  }\n]\n";
        assert_eq!(items(text), vec![(2, "{\"a\": 1}".into()), (3, "{\n    \"b\": 2\n  }".into())]);
    }

    #[test]
    fn batches_on_lines_are_split() {
        let text = "[{\"a\":1},{\"a\":2}]\n[{\"a\":3}]\n";
        assert_eq!(items(text).iter().map(|i| i.0).collect::<Vec<_>>(), vec![1, 1, 2]);
    }

    #[test]
    fn a_broken_line_is_passed_on_for_the_validator_to_judge() {
        assert_eq!(items("{oops\n{\"a\":1}"), vec![(1, "{oops".into()), (2, "{\"a\":1}".into())]);
    }
}
