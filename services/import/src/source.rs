//! Lines of a source file as read: plain or gzipped (Umbrella's S3 exports), a file or
//! standard input, numbered from 1, decoded leniently (a log in Latin-1 still imports).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

/// The lines of `path` (`-`: standard input), gunzipped when the content is gzip.
pub fn lines(path: &Path) -> io::Result<impl Iterator<Item = io::Result<(usize, String)>>> {
    let raw: Box<dyn Read + Send> =
        if path == Path::new("-") { Box::new(io::stdin()) } else { Box::new(File::open(path)?) };
    let mut reader = BufReader::new(raw);
    let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead + Send> =
        if gzip { Box::new(BufReader::new(MultiGzDecoder::new(reader))) } else { Box::new(reader) };
    Ok(reader.split(b'\n').enumerate().map(|(i, line)| {
        let mut line = line?;
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok((i + 1, String::from_utf8(line).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())))
    }))
}
