//! JSON Lines of the model: one [`Transaction`] per line in its serde form.

use std::io::{BufRead, Read};

use super::RecordReader;
use crate::error::{Error, Location, Result};
use crate::model::Transaction;

/// The longest line read by default ([`super::DEFAULT_MAX_RECORD_BYTES`]). A transaction's
/// JSON is a few kilobytes; without a bound, an input with no newline (`-i /dev/zero`)
/// would be read into memory until the machine runs out.
pub const MAX_LINE_BYTES: usize = super::DEFAULT_MAX_RECORD_BYTES;

pub struct JsonlReader<R: BufRead> {
    name: String,
    input: R,
    line: String,
    line_no: u64,
    row: u64,
    /// A line was cut at the limit: nothing after it is read.
    cut: bool,
    max_line: usize,
}

impl<R: BufRead> JsonlReader<R> {
    pub fn new(name: &str, input: R) -> JsonlReader<R> {
        JsonlReader::with_limit(name, input, MAX_LINE_BYTES)
    }

    /// A reader refusing lines longer than `max_line` bytes.
    pub fn with_limit(name: &str, input: R, max_line: usize) -> JsonlReader<R> {
        JsonlReader {
            max_line,
            name: name.to_string(),
            input,
            line: String::new(),
            line_no: 0,
            row: 0,
            cut: false,
        }
    }
}

impl<R: BufRead> JsonlReader<R> {
    /// An error about the line just read.
    fn record_error(&self, message: impl Into<String>) -> Error {
        Error::Record {
            location: Location {
                input: self.name.clone(),
                row: self.row,
                line: Some(self.line_no),
            },
            field: None,
            message: message.into(),
        }
    }
}

impl<R: BufRead> RecordReader for JsonlReader<R> {
    fn location(&self) -> Option<Location> {
        Some(Location {
            input: self.name.clone(),
            row: self.row,
            line: Some(self.line_no),
        })
    }

    fn read_into(&mut self, tx: &mut Transaction) -> Result<bool> {
        if self.cut {
            return Err(Error::source(
                &self.name,
                format!(
                    "not read past line {}, which is longer than {} bytes (--max-record-size)",
                    self.line_no, self.max_line
                ),
            ));
        }
        loop {
            self.line.clear();
            let limit = self.max_line as u64 + 1;
            let n = match (&mut self.input).take(limit).read_line(&mut self.line) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    // The bad line was consumed: it counts, so later lines keep their numbers.
                    self.line_no += 1;
                    self.row += 1;
                    return Err(self.record_error("is not valid UTF-8"));
                }
                Err(e) => return Err(Error::source(&self.name, e)),
            };
            if n == 0 {
                return Ok(false);
            }
            self.line_no += 1;
            if self.line.len() > self.max_line && !self.line.ends_with('\n') {
                self.row += 1;
                // Where such a line ends is unknown (`/dev/zero` has no end), so reading
                // stops here even with `--skip-bad`; the next call says so.
                self.cut = true;
                return Err(self.record_error(format!(
                    "is longer than {} bytes (--max-record-size)",
                    self.max_line
                )));
            }
            if self.line_no == 1 && self.line.starts_with('\u{feff}') {
                self.line.drain(..'\u{feff}'.len_utf8());
            }
            if self.line.trim().is_empty() {
                continue;
            }
            self.row += 1;
            let mut json = serde_json::Deserializer::from_str(&self.line);
            *tx = serde_path_to_error::deserialize(&mut json).map_err(|e| {
                let mut error = self.record_error(e.inner().to_string());
                if let Error::Record { field, .. } = &mut error {
                    *field = field_of(e.path());
                }
                error
            })?;
            return Ok(true);
        }
    }
}

/// The field a deserialization error is about: the first key of its path, when it is one
/// of the keys a transaction has in JSONL.
fn field_of(path: &serde_path_to_error::Path) -> Option<&'static str> {
    let serde_path_to_error::Segment::Map { key } = path.iter().next()? else {
        return None;
    };
    jsonl_keys().iter().copied().find(|k| k == key)
}

/// The keys of a transaction in JSONL, as serde names them; built once (and kept for the
/// process's life) from a blank transaction, so no list of names is kept by hand.
fn jsonl_keys() -> &'static [&'static str] {
    static KEYS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let blank = Transaction::blank(crate::model::Currency::parse("USD").expect("a currency"));
        match serde_json::to_value(blank) {
            Ok(serde_json::Value::Object(map)) => map
                .keys()
                .map(|k| &*Box::leak(k.clone().into_boxed_str()))
                .collect(),
            _ => Vec::new(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Currency;

    fn first_sample_line() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/transactions.jsonl");
        let text = std::fs::read_to_string(path).unwrap();
        text.lines().next().unwrap().to_string()
    }

    #[test]
    fn a_line_past_the_limit_is_a_record_error_and_reading_stops_there() {
        let good = first_sample_line();
        let input = format!("{}\n{good}\n", "0".repeat(3 * MAX_LINE_BYTES));
        let mut reader = JsonlReader::new("big.jsonl", input.as_bytes());
        let mut tx = Transaction::blank(Currency::parse("USD").unwrap());
        let err = reader.read_into(&mut tx).unwrap_err().to_string();
        assert!(err.contains("big.jsonl") && err.contains("line 1"), "{err}");
        assert!(err.contains("longer than"), "{err}");
        let rest = reader.read_into(&mut tx).unwrap_err().to_string();
        assert!(rest.contains("not read past line 1"), "{rest}");
    }

    #[test]
    fn endless_input_without_a_newline_stops_at_the_limit() {
        let mut reader =
            JsonlReader::new("/dev/zero", std::io::BufReader::new(std::io::repeat(b'0')));
        let mut tx = Transaction::blank(Currency::parse("USD").unwrap());
        // The reader must return its error after one limit's worth of bytes, not keep reading.
        let err = reader.read_into(&mut tx);
        assert!(err.is_err());
        assert!(reader.line.len() <= MAX_LINE_BYTES + 1);
    }

    #[test]
    fn a_bom_on_the_first_line_is_accepted() {
        let input = format!("\u{feff}{}\n", first_sample_line());
        let mut reader = JsonlReader::new("bom.jsonl", input.as_bytes());
        let mut tx = Transaction::blank(Currency::parse("USD").unwrap());
        assert!(reader.read_into(&mut tx).unwrap());
    }

    #[test]
    fn a_bad_value_names_its_field() {
        let good = first_sample_line();
        let mut tx = Transaction::blank(Currency::parse("USD").unwrap());
        let value: serde_json::Value = serde_json::from_str(&good).unwrap();
        for (key, bad) in [
            ("paymentTime", serde_json::json!("yesterday")),
            ("transactionId", serde_json::json!(12)),
            ("amount", serde_json::json!("628.00")),
        ] {
            let mut record = value.clone();
            record[key] = bad;
            let line = format!("{record}\n");
            let mut reader = JsonlReader::new("bad.jsonl", line.as_bytes());
            match reader.read_into(&mut tx) {
                Err(Error::Record { field, .. }) => assert_eq!(field, Some(key), "{line}"),
                other => panic!("{key}: {other:?}"),
            }
        }
    }
}
