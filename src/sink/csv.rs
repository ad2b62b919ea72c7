//! CSV exports: RFC 4180, streamed. Fields are written as the `csv` crate writes them
//! (quoted only when they hold the separator, a quote, CR or LF; quotes doubled; a record
//! of one empty field as `""`; LF after each record), a whole field at a time.
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

pub struct CsvSink {
    writer: FieldWriter,
    columns: Vec<&'static Column>,
    options: ExportOptions,
    /// One reusable buffer for the cell being formatted.
    cell: String,
    rows: u64,
}

impl CsvSink {
    pub fn open(target: &Target, options: &ExportOptions) -> Result<CsvSink> {
        CsvSink::new(OutputStream::open(target)?, options)
    }

    /// A CSV sink on a stream the caller opened (an HTTP response body).
    pub fn new(mut stream: OutputStream, options: &ExportOptions) -> Result<CsvSink> {
        let target = stream.target().clone();
        let target = &target;
        if options.bom {
            std::io::Write::write_all(&mut stream, "\u{feff}".as_bytes())
                .map_err(|e| Error::output_io(target, e))?;
        }
        let mut writer = FieldWriter::new(stream, options.delimiter);
        for column in &options.columns {
            writer.field(column.header(options.header).as_bytes());
        }
        writer
            .end_record()
            .map_err(|e| Error::output_io(target, e))?;
        Ok(CsvSink {
            writer,
            columns: options.columns.clone(),
            options: options.clone(),
            cell: String::new(),
            rows: 0,
        })
    }

    fn target(&self) -> &Target {
        self.writer.stream().target()
    }
}

/// Bytes gathered before they go to the output stream.
const WRITE_BUFFER: usize = 64 * 1024;

/// A CSV writer that copies each field whole, with the quoting rules of the `csv` crate's
/// default writer (`QuoteStyle::Necessary`, doubled quotes, `\n` records) with the
/// separator given.
struct FieldWriter {
    /// Taken by [`FieldWriter::into_inner`]; until then always there.
    stream: Option<OutputStream>,
    buf: Vec<u8>,
    delimiter: u8,
    /// Fields written to the record being written.
    fields: usize,
    /// Where the record being written starts in `buf` (records are flushed whole).
    record_start: usize,
}

impl FieldWriter {
    fn new(stream: OutputStream, delimiter: u8) -> FieldWriter {
        FieldWriter {
            stream: Some(stream),
            buf: Vec::with_capacity(WRITE_BUFFER + 4096),
            delimiter,
            fields: 0,
            record_start: 0,
        }
    }

    /// Adds a field to the record being written.
    fn field(&mut self, field: &[u8]) {
        if self.fields > 0 {
            self.buf.push(self.delimiter);
        }
        self.fields += 1;
        if !needs_quotes(field, self.delimiter) {
            self.buf.extend_from_slice(field);
            return;
        }
        self.buf.push(b'"');
        let mut rest = field;
        while let Some(i) = memchr::memchr(b'"', rest) {
            self.buf.extend_from_slice(&rest[..=i]);
            self.buf.push(b'"');
            rest = &rest[i + 1..];
        }
        self.buf.extend_from_slice(rest);
        self.buf.push(b'"');
    }

    /// Ends the record being written; a record that wrote no byte is one empty field,
    /// written as `""` so that it reads back as a record.
    fn end_record(&mut self) -> std::io::Result<()> {
        if self.buf.len() == self.record_start {
            self.buf.extend_from_slice(b"\"\"");
        }
        self.buf.push(b'\n');
        self.fields = 0;
        if self.buf.len() >= WRITE_BUFFER {
            self.flush()?;
        }
        self.record_start = self.buf.len();
        Ok(())
    }

    fn stream(&self) -> &OutputStream {
        self.stream
            .as_ref()
            .expect("the stream is there until into_inner")
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(stream) = &mut self.stream {
            std::io::Write::write_all(stream, &self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }

    /// The stream, with everything written handed to it.
    fn into_inner(mut self) -> std::io::Result<OutputStream> {
        self.flush()?;
        let mut stream = self
            .stream
            .take()
            .expect("the stream is there until into_inner");
        std::io::Write::flush(&mut stream)?;
        Ok(stream)
    }
}

impl Drop for FieldWriter {
    /// An export that stops on an error still hands on what it wrote (to standard output,
    /// the rows before the error; a file is then discarded whole).
    fn drop(&mut self) {
        if let Some(mut stream) = self.stream.take()
            && std::io::Write::write_all(&mut stream, &self.buf).is_ok()
        {
            let _ = std::io::Write::flush(&mut stream);
        }
    }
}

/// True when `field` holds the separator, a quote, CR or LF: the bytes that make the `csv`
/// crate quote a field. Eight bytes at a time (a zero byte of `word ^ pattern` is a match).
fn needs_quotes(field: &[u8], delimiter: u8) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let matches = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let mut words = field.chunks_exact(8);
    for chunk in &mut words {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if matches(word, delimiter)
            | matches(word, b'"')
            | matches(word, b'\r')
            | matches(word, b'\n')
            != 0
        {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b == delimiter || b == b'"' || b == b'\r' || b == b'\n')
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
                    self.writer.field(text.as_bytes());
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
                    super::check_time(self.target(), tx, column.key, t)?;
                    let zone = if always_utc(column) {
                        chrono_tz::UTC
                    } else {
                        self.options.zone
                    };
                    write_iso8601(&mut self.cell, t, zone);
                }
                Cell::Integer(n) => self.cell.push_str(itoa::Buffer::new().format(n)),
            }
            self.writer.field(self.cell.as_bytes());
        }
        if let Err(e) = self.writer.end_record() {
            let target = self.target().clone();
            return Err(Error::output_io(&target, e));
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        let target = self.target().clone();
        if self.options.end_marker {
            self.writer.field(b"<END>");
            self.writer
                .end_record()
                .map_err(|e| Error::output_io(&target, e))?;
        }
        let stream = self
            .writer
            .into_inner()
            .map_err(|e| Error::output_io(&target, e))?;
        stream.commit()?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::needs_quotes;

    #[test]
    fn needs_quotes_finds_each_special_byte_anywhere() {
        for delimiter in [b',', b';', b'\t'] {
            for special in [delimiter, b'"', b'\r', b'\n'] {
                for len in 1..40 {
                    for at in 0..len {
                        let mut field = vec![b'a'; len];
                        field[at] = special;
                        assert!(needs_quotes(&field, delimiter), "{field:?}");
                    }
                }
            }
            // Bytes one off each special one, and UTF-8 and non-UTF-8 bytes, need none.
            let plain: Vec<u8> = (0..=255u8)
                .filter(|b| ![delimiter, b'"', b'\r', b'\n'].contains(b))
                .collect();
            assert!(!needs_quotes(&plain, delimiter));
            assert!(!needs_quotes(b"", delimiter));
        }
    }
}
