//! CSV exports: RFC 4180, streamed.
//!
//! Amounts are exact major-unit decimals with the currency's digits, times ISO 8601 in the
//! export's zone. Text that a spreadsheet would run as a formula gets a leading `'`.

use super::{ExportOptions, Sink};
use crate::columns::{Cell, Column, always_utc};
use crate::error::{Error, Result};
use crate::model::Transaction;
use crate::model::time::write_iso8601;
use crate::output::{OutputStream, Target};
use crate::source::fields::needs_formula_guard;
use std::io::Write;

pub struct CsvSink {
    stream: OutputStream,
    encoder: RecordEncoder,
    columns: Vec<&'static Column>,
    options: ExportOptions,
    /// One reusable buffer for a cell that is formatted before it is written.
    cell: String,
    rows: u64,
}

/// Bytes of encoded records gathered before they go to the stream in one write.
const FLUSH_AT: usize = 64 * 1024;

impl CsvSink {
    pub fn open(target: &Target, options: &ExportOptions) -> Result<CsvSink> {
        CsvSink::new(OutputStream::open(target)?, options)
    }

    /// A CSV sink on a stream the caller opened (an HTTP response body).
    pub fn new(stream: OutputStream, options: &ExportOptions) -> Result<CsvSink> {
        let mut encoder = RecordEncoder::new(options.delimiter);
        if options.bom {
            encoder.out.extend_from_slice("\u{feff}".as_bytes());
        }
        for column in &options.columns {
            encoder.field(column.header(options.header).as_bytes());
        }
        encoder.end_record();
        Ok(CsvSink {
            stream,
            encoder,
            columns: options.columns.clone(),
            options: options.clone(),
            cell: String::new(),
            rows: 0,
        })
    }

    fn flush(&mut self) -> Result<()> {
        if let Err(e) = self.stream.write_all(&self.encoder.out) {
            return Err(Error::output_io(self.stream.target(), e));
        }
        self.encoder.out.clear();
        Ok(())
    }
}

/// RFC 4180 encoding into a byte buffer, one record at a time: a field is quoted only when
/// it holds the delimiter, a quote, CR or LF, and its quotes are doubled. The `csv` crate's
/// writer does the same through a byte-at-a-time state machine; an export writes tens of
/// millions of short fields, and this checks each one with a table and copies it whole.
struct RecordEncoder {
    out: Vec<u8>,
    delimiter: u8,
    /// Whether a byte forces the field that holds it into quotes.
    special: [bool; 256],
    /// Fields written to the current record so far.
    fields: usize,
    /// Where the current record starts in `out`.
    record_start: usize,
}

impl RecordEncoder {
    fn new(delimiter: u8) -> RecordEncoder {
        let mut special = [false; 256];
        for b in [delimiter, b'"', b'\r', b'\n'] {
            special[usize::from(b)] = true;
        }
        RecordEncoder {
            out: Vec::with_capacity(FLUSH_AT + 4096),
            delimiter,
            special,
            fields: 0,
            record_start: 0,
        }
    }

    fn field(&mut self, bytes: &[u8]) {
        if self.fields > 0 {
            self.out.push(self.delimiter);
        }
        self.fields += 1;
        if !bytes.iter().any(|&b| self.special[usize::from(b)]) {
            self.out.extend_from_slice(bytes);
            return;
        }
        self.out.reserve(bytes.len() + 2);
        self.out.push(b'"');
        for part in bytes.split_inclusive(|&b| b == b'"') {
            self.out.extend_from_slice(part);
            if part.last() == Some(&b'"') {
                self.out.push(b'"');
            }
        }
        self.out.push(b'"');
    }

    fn end_record(&mut self) {
        // A record of one empty field would be a blank line, which readers skip.
        if self.fields == 1 && self.out.len() == self.record_start {
            self.out.extend_from_slice(b"\"\"");
        }
        self.out.push(b'\n');
        self.fields = 0;
        self.record_start = self.out.len();
    }
}

/// A CSV write error as recibo reports it; a closed standard output is a broken pipe.
pub fn csv_error(target: &Target, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::output_io(target, io),
        other => Error::output(target, format!("{other:?}")),
    }
}

impl Sink for CsvSink {
    fn write(&mut self, tx: &Transaction) -> Result<()> {
        for column in &self.columns {
            self.cell.clear();
            match (column.value)(tx) {
                Cell::Empty => {}
                // Most text goes out as it is, without a copy into `cell`.
                Cell::Text(text) if !needs_formula_guard(text) => {
                    self.encoder.field(text.as_bytes());
                    continue;
                }
                Cell::Text(text) => {
                    self.cell.push('\'');
                    self.cell.push_str(text);
                }
                Cell::Amount(money) => money.write_major(
                    &mut self.cell,
                    if self.options.decimal_comma {
                        b','
                    } else {
                        b'.'
                    },
                ),
                Cell::Currency(c) => self.cell.push_str(c.code()),
                Cell::Time(t) => {
                    let zone = if always_utc(column) {
                        chrono_tz::UTC
                    } else {
                        self.options.zone
                    };
                    write_iso8601(&mut self.cell, t, zone);
                }
                Cell::Integer(n) => self.cell.push_str(itoa::Buffer::new().format(n)),
            }
            self.encoder.field(self.cell.as_bytes());
        }
        self.encoder.end_record();
        self.rows += 1;
        if self.encoder.out.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        if self.options.end_marker {
            self.encoder.field(b"<END>");
            self.encoder.end_record();
        }
        self.flush()?;
        self.stream.commit()?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::RecordEncoder;

    /// Encodes `records` and reads them back with the `csv` crate.
    fn round_trip(delimiter: u8, records: &[Vec<&str>]) -> Vec<Vec<String>> {
        let mut encoder = RecordEncoder::new(delimiter);
        for record in records {
            for field in record {
                encoder.field(field.as_bytes());
            }
            encoder.end_record();
        }
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(encoder.out.as_slice())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn fields_read_back_as_written() {
        let awkward = [
            "plain",
            "",
            "with,comma",
            "with;semicolon",
            "with\ttab",
            "say \"hi\"",
            "\"",
            "\"\"",
            "line\nbreak",
            "cr\rlf\r\n",
            "  spaces  ",
            "退款, 第二行\n\"引号\"",
            "'=SUM(A1)",
        ];
        for delimiter in [b',', b';', b'\t', b'|'] {
            let records: Vec<Vec<&str>> = vec![
                awkward.to_vec(),
                awkward.iter().rev().copied().collect(),
                vec![""],
                vec!["<END>"],
            ];
            let back = round_trip(delimiter, &records);
            let expected: Vec<Vec<String>> = records
                .iter()
                .map(|r| r.iter().map(|f| f.to_string()).collect())
                .collect();
            assert_eq!(back, expected, "delimiter {:?}", char::from(delimiter));
        }
    }

    #[test]
    fn quotes_only_what_needs_quotes() {
        let mut encoder = RecordEncoder::new(b';');
        for field in ["1,50", "a;b", "x\"y", "plain"] {
            encoder.field(field.as_bytes());
        }
        encoder.end_record();
        assert_eq!(encoder.out, b"1,50;\"a;b\";\"x\"\"y\";plain\n");
    }
}
