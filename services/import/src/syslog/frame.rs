//! Messages out of a TCP syslog stream, framed as RFC 6587 allows: octet counting
//! (`LEN SP MSG`) or non-transparent, ended by LF (or NUL, which some senders use).
//!
//! Kept apart from the sockets so that every way a stream can be cut is testable without
//! one. Memory is bounded by the maximum message size whatever a peer sends.

/// One framed message, or how long one was that is refused for its size.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Frame {
    Message(Vec<u8>),
    /// At least this many bytes; the stream goes on after it.
    Oversized(usize),
}

/// Octet counts longer than this are not counts (a message of digits, or garbage).
const MAX_COUNT_DIGITS: usize = 20;

pub(super) struct Framer {
    buf: Vec<u8>,
    max: usize,
    /// Skipping the rest of an oversized LF-ended message, up to its end.
    discarding: bool,
}

enum Count {
    /// The message is `buf[header..header + len]`, when it has all arrived.
    Counted {
        header: usize,
        len: usize,
    },
    /// Digits so far: more must arrive to tell.
    Undecided,
    NotCounted,
}

fn is_end(b: u8) -> bool {
    b == b'\n' || b == b'\0'
}

impl Framer {
    pub(super) fn new(max: usize) -> Self {
        Framer { buf: Vec::new(), max, discarding: false }
    }

    pub(super) fn push(&mut self, data: &[u8]) {
        let data = if !self.discarding {
            data
        } else if let Some(end) = data.iter().position(|&b| is_end(b)) {
            self.discarding = false;
            &data[end + 1..]
        } else {
            // Nothing before the end of an oversized message is kept.
            return;
        };
        self.buf.extend_from_slice(data);
    }

    /// The next whole message, `None` until more arrives. `Err` is framing that cannot be
    /// trusted to find the next message (an octet count beyond the maximum): the
    /// connection must be closed, since resynchronising on a corrupt count would misframe
    /// everything after it.
    pub(super) fn next(&mut self) -> Result<Option<Frame>, String> {
        if self.discarding {
            return Ok(None);
        }
        // Blank lines, CRs, and the LF some senders add after octet-counted messages.
        let start = self.buf.iter().position(|&b| !matches!(b, b'\n' | b'\r' | b'\0')).unwrap_or(self.buf.len());
        self.buf.drain(..start);
        if self.buf.is_empty() {
            return Ok(None);
        }
        match self.count()? {
            Count::Counted { header, len } if self.buf.len() >= header + len => {
                let message = self.buf[header..header + len].to_vec();
                self.buf.drain(..header + len);
                return Ok(Some(Frame::Message(message)));
            }
            Count::Counted { .. } | Count::Undecided => return Ok(None),
            Count::NotCounted => {}
        }
        Ok(match self.buf.iter().position(|&b| is_end(b)) {
            Some(end) if end > self.max => {
                self.buf.drain(..=end);
                Some(Frame::Oversized(end))
            }
            Some(end) => {
                let mut message: Vec<u8> = self.buf.drain(..=end).collect();
                message.pop();
                Some(Frame::Message(message))
            }
            None if self.buf.len() > self.max => {
                let seen = self.buf.len();
                self.buf.clear();
                self.discarding = true;
                Some(Frame::Oversized(seen))
            }
            None => None,
        })
    }

    /// What is left when the peer closes, once `next` has given `None`: an LF-framed
    /// message it did not end is still a message; an octet-counted one cut short is refused.
    pub(super) fn finish(self) -> Result<Option<Frame>, String> {
        if self.discarding || self.buf.iter().all(|&b| matches!(b, b'\n' | b'\r' | b'\0')) {
            return Ok(None);
        }
        match self.count()? {
            Count::Counted { len, .. } => Err(format!("the connection closed inside a message of {len} octets")),
            Count::Undecided | Count::NotCounted => Ok(Some(Frame::Message(self.buf))),
        }
    }

    fn count(&self) -> Result<Count, String> {
        let digits = self.buf.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > MAX_COUNT_DIGITS || self.buf[0] == b'0' {
            return Ok(Count::NotCounted);
        }
        match self.buf.get(digits) {
            None => Ok(Count::Undecided),
            Some(b' ') => {
                let count = &self.buf[..digits];
                // Too many digits for a u64 is as much beyond the maximum as any.
                let len = std::str::from_utf8(count).ok().and_then(|s| s.parse::<usize>().ok()).unwrap_or(usize::MAX);
                if len > self.max {
                    let count = String::from_utf8_lossy(count);
                    return Err(format!(
                        "octet count {count} is beyond the maximum message size of {} bytes",
                        self.max
                    ));
                }
                Ok(Count::Counted { header: digits + 1, len })
            }
            Some(_) => Ok(Count::NotCounted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(max: usize, chunks: &[&[u8]]) -> (Vec<Frame>, Result<Option<Frame>, String>) {
        let mut framer = Framer::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk);
            while let Some(frame) = framer.next().expect("framing") {
                out.push(frame);
            }
        }
        (out, framer.finish())
    }

    fn message(text: &str) -> Frame {
        Frame::Message(text.as_bytes().to_vec())
    }

    #[test]
    fn octet_counting_however_the_stream_is_cut() {
        let stream = b"11 <13>x=1 a=b12 <13>y=22 c=d\n4 <1>z\n";
        let expected = vec![message("<13>x=1 a=b"), message("<13>y=22 c=d"), message("<1>z")];
        for cut in 0..stream.len() {
            for second in cut..stream.len() {
                let (out, left) = frames(100, &[&stream[..cut], &stream[cut..second], &stream[second..]]);
                assert_eq!(out, expected, "cut at {cut} and {second}");
                assert_eq!(left, Ok(None));
            }
        }
    }

    #[test]
    fn lf_and_nul_framing() {
        let (out, left) = frames(100, &[b"<13>a=1\n<13>b=2\r\n\n<13>c", b"=3\0<13>d=4\n<13>unended"]);
        assert_eq!(out, vec![message("<13>a=1"), message("<13>b=2\r"), message("<13>c=3"), message("<13>d=4")]);
        assert_eq!(left, Ok(Some(message("<13>unended"))));
    }

    #[test]
    fn digits_not_followed_by_a_space_start_an_lf_framed_message() {
        let (out, left) = frames(100, &[b"2026-03-12T10:15:00Z fw01 x=1\n12", b"3\n"]);
        assert_eq!(out, vec![message("2026-03-12T10:15:00Z fw01 x=1"), message("123")]);
        assert_eq!(left, Ok(None));
    }

    #[test]
    fn oversized_lf_messages_are_refused_and_the_stream_goes_on() {
        let long = [b'x'; 30];
        let (out, left) = frames(10, &[b"<1>ok\n", &long, &long, b"tail\n<1>next\n", &long, b"\n<1>last"]);
        assert_eq!(out, vec![message("<1>ok"), Frame::Oversized(30), message("<1>next"), Frame::Oversized(30)]);
        assert_eq!(left, Ok(Some(message("<1>last"))));
    }

    #[test]
    fn an_octet_count_beyond_the_maximum_is_an_error() {
        let mut framer = Framer::new(64 * 1024);
        framer.push(b"999999999999 x");
        assert!(framer.next().is_err_and(|e| e.contains("999999999999")));
        let mut framer = Framer::new(64 * 1024);
        framer.push(b"99999999999999999999999999999999 x");
        assert!(framer.next().is_ok_and(|frame| frame.is_none()));
    }

    #[test]
    fn a_counted_message_cut_short_is_refused_at_the_end() {
        let (out, left) = frames(100, &[b"20 <13>x"]);
        assert!(out.is_empty());
        assert!(left.is_err_and(|e| e.contains("20 octets")));
    }
}
