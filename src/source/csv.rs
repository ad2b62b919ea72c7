//! CSV reports in the reference layout: header names matched case-insensitively, columns
//! in any order, the gateway's trailing `<END>` line accepted.

use std::io::Read;

use csv::ByteRecord;

use super::fields::{Field, FieldMap, FieldSet, ReadOptions, fill_transaction};
use super::{RecordReader, record_error};
use crate::error::{Error, Location, Result};
use crate::model::Transaction;

pub struct CsvReader<R: Read> {
    name: String,
    reader: csv::Reader<R>,
    map: FieldMap,
    record: ByteRecord,
    row: u64,
    options: ReadOptions,
    ended: bool,
}

impl<R: Read> CsvReader<R> {
    /// Reads the header row and picks the separator it uses (spreadsheets set to Brazilian
    /// Portuguese write `;` and a decimal comma).
    pub fn new(
        name: &str,
        mut input: R,
        text_fields: FieldSet,
    ) -> Result<CsvReader<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>> {
        let mut head = Vec::with_capacity(8192);
        let mut byte = [0u8; 1];
        // Sniff the first line only; the bytes read are replayed to the CSV parser.
        while head.len() < 1 << 20 {
            match input.read(&mut byte) {
                Ok(0) => break,
                Ok(_) => {
                    head.push(byte[0]);
                    if byte[0] == b'\n' {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::source(name, e)),
            }
        }
        let delimiter = sniff_delimiter(&head);
        let chained = std::io::Cursor::new(head).chain(input);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .buffer_capacity(256 * 1024)
            .from_reader(chained);
        let headers = reader
            .byte_headers()
            .map_err(|e| Error::source(name, e))?
            .clone();
        if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
            return Err(Error::source(
                name,
                "the file is empty: expected a header row",
            ));
        }
        let headers: Vec<String> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                std::str::from_utf8(h).map(str::to_owned).map_err(|_| {
                    Error::source(name, format!("header cell {} is not valid UTF-8", i + 1))
                })
            })
            .collect::<Result<_>>()?;
        let map = FieldMap::from_headers(headers.iter().map(String::as_str))
            .map_err(|m| Error::source(name, m))?;
        Ok(CsvReader {
            name: name.to_string(),
            reader,
            map,
            record: ByteRecord::new(),
            row: 0,
            options: ReadOptions {
                decimal_comma: delimiter == b';',
                text_fields,
            },
            ended: false,
        })
    }
}

/// The separator a header line uses: whichever of `,`, `;` and TAB it holds most of
/// (`,` on a tie), so exports made with `--decimal-comma` or `--delimiter tab` read back.
pub fn sniff_delimiter(header_line: &[u8]) -> u8 {
    let count = |d: u8| header_line.iter().filter(|b| **b == d).count();
    [b';', b'\t'].into_iter().fold(
        b',',
        |best, d| if count(d) > count(best) { d } else { best },
    )
}

impl<R: Read> CsvReader<R> {
    fn location(&self) -> Location {
        Location {
            input: self.name.clone(),
            row: self.row,
            line: self.record.position().map(|p| p.line()),
        }
    }
}

impl<R: Read> CsvReader<R> {
    fn record_error(&self, field: Option<&'static str>, message: String) -> Error {
        Error::Record {
            location: self.location(),
            field,
            message,
        }
    }

    /// The column key at a record position, if the position is a known column.
    fn key_at(&self, position: usize) -> Option<&'static str> {
        Field::ALL
            .into_iter()
            .find(|f| self.map.position(*f) == Some(position))
            .map(|f| f.key())
    }
}

impl<R: Read> RecordReader for CsvReader<R> {
    fn read_into(&mut self, tx: &mut Transaction) -> Result<bool> {
        if self.ended {
            return Ok(false);
        }
        let more = match self.reader.read_byte_record(&mut self.record) {
            Ok(more) => more,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(Error::source(&self.name, e));
            }
            Err(e) => {
                // The bad record was consumed: the next one has the next row number.
                self.row += 1;
                let location = Location {
                    input: self.name.clone(),
                    row: self.row,
                    line: e.position().map(|p| p.line()),
                };
                return Err(Error::Record {
                    location,
                    field: None,
                    message: e.to_string(),
                });
            }
        };
        if !more {
            return Ok(false);
        }
        self.row += 1;
        // One UTF-8 check over the whole record (fields lie back to back in one buffer) is
        // several times cheaper than one per field; a field is then a slice of it. The
        // SIMD check of `simdutf8` takes a fraction of the time of `std`'s on these records.
        let text = match simdutf8::compat::from_utf8(self.record.as_slice()) {
            Ok(text) => text,
            Err(e) => {
                let position = (0..self.record.len())
                    .find(|i| {
                        self.record
                            .range(*i)
                            .is_some_and(|r| r.end > e.valid_up_to())
                    })
                    .unwrap_or(0);
                return Err(self.record_error(
                    self.key_at(position),
                    format!(
                        "field {} is not valid UTF-8 (files must be UTF-8)",
                        position + 1
                    ),
                ));
            }
        };
        let field = |i: usize| self.record.range(i).and_then(|r| text.get(r));
        if self.record.len() == 1 && field(0).is_some_and(|f| f.trim() == "<END>") {
            self.ended = true;
            if self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| Error::source(&self.name, e))?
                && !(self.record.len() == 1 && self.record[0].is_empty())
            {
                self.row += 1;
                return Err(self.record_error(None, "data after the <END> line".into()));
            }
            return Ok(false);
        }
        if self.record.len() == 1 && self.record[0].is_empty() {
            // A blank line between records carries nothing.
            return self.read_into(tx);
        }
        if self.record.len() != self.map.width() {
            return Err(self.record_error(
                None,
                format!(
                    "ragged row: {} fields where the header has {}",
                    self.record.len(),
                    self.map.width()
                ),
            ));
        }
        // A field boundary inside a character would make its slice `None`.
        if let Some(bad) = (0..self.record.len()).find(|i| field(*i).is_none()) {
            return Err(self.record_error(
                self.key_at(bad),
                format!("field {} is not valid UTF-8 (files must be UTF-8)", bad + 1),
            ));
        }
        let map = &self.map;
        fill_transaction(tx, |f| map.position(f).and_then(field), self.options)
            .map_err(|e| record_error(self.location(), e))?;
        Ok(true)
    }
}
