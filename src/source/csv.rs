//! CSV reports in the reference layout: header names matched case-insensitively, columns
//! in any order, the gateway's trailing `<END>` line accepted.

use std::io::Read;

use csv::StringRecord;

use super::fields::{FieldMap, ReadOptions, fill_transaction};
use super::{RecordReader, record_error};
use crate::error::{Error, Location, Result};
use crate::model::Transaction;

pub struct CsvReader<R: Read> {
    name: String,
    reader: csv::Reader<R>,
    map: FieldMap,
    record: StringRecord,
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
            record: StringRecord::new(),
            row: 0,
            options: ReadOptions {
                decimal_comma: delimiter == b';',
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

impl<R: Read> RecordReader for CsvReader<R> {
    fn read_into(&mut self, tx: &mut Transaction) -> Result<bool> {
        if self.ended {
            return Ok(false);
        }
        // A StringRecord checks UTF-8 for the whole record in one pass.
        let read = self.reader.read_record(&mut self.record).map_err(|e| {
            let location = Location {
                input: self.name.clone(),
                row: self.row + 1,
                line: e.position().map(|p| p.line()),
            };
            match e.kind() {
                csv::ErrorKind::Io(_) => Error::source(&self.name, e),
                csv::ErrorKind::Utf8 { err, .. } => Error::Record {
                    location,
                    field: super::fields::Field::ALL
                        .into_iter()
                        .find(|f| self.map.position(*f) == Some(err.field()))
                        .map(|f| f.key()),
                    message: format!(
                        "field {} is not valid UTF-8 (files must be UTF-8)",
                        err.field() + 1
                    ),
                },
                _ => Error::Record {
                    location,
                    field: None,
                    message: e.to_string(),
                },
            }
        });
        let more = match read {
            Ok(more) => more,
            Err(e) => {
                // The bad record was consumed: the next one has the next row number.
                if e.is_record() {
                    self.row += 1;
                }
                return Err(e);
            }
        };

        if !more {
            return Ok(false);
        }
        self.row += 1;
        if self.record.len() == 1 && self.record[0].trim() == "<END>" {
            self.ended = true;
            if self
                .reader
                .read_record(&mut self.record)
                .map_err(|e| Error::source(&self.name, e))?
                && !(self.record.len() == 1 && self.record[0].is_empty())
            {
                self.row += 1;
                let location = self.location();
                return Err(Error::Record {
                    location,
                    field: None,
                    message: "data after the <END> line".into(),
                });
            }
            return Ok(false);
        }
        let location = || self.location();
        if self.record.len() == 1 && self.record[0].is_empty() {
            // A blank line between records carries nothing.
            return self.read_into(tx);
        }
        if self.record.len() != self.map.width() {
            return Err(Error::Record {
                location: location(),
                field: None,
                message: format!(
                    "ragged row: {} fields where the header has {}",
                    self.record.len(),
                    self.map.width()
                ),
            });
        }
        let record = &self.record;
        let map = &self.map;
        let get = |f| map.position(f).map(|i| &record[i]);
        fill_transaction(tx, get, self.options).map_err(|e| record_error(location(), e))?;
        Ok(true)
    }
}
