//! JSON Lines of the model: one [`Transaction`] per line in its serde form.

use std::io::BufRead;

use super::RecordReader;
use crate::error::{Error, Location, Result};
use crate::model::Transaction;

pub struct JsonlReader<R: BufRead> {
    name: String,
    input: R,
    line: String,
    line_no: u64,
    row: u64,
}

impl<R: BufRead> JsonlReader<R> {
    pub fn new(name: &str, input: R) -> JsonlReader<R> {
        JsonlReader {
            name: name.to_string(),
            input,
            line: String::new(),
            line_no: 0,
            row: 0,
        }
    }
}

impl<R: BufRead> RecordReader for JsonlReader<R> {
    fn read_into(&mut self, tx: &mut Transaction) -> Result<bool> {
        loop {
            self.line.clear();
            let n = match self.input.read_line(&mut self.line) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    // The bad line was consumed: it counts, so later lines keep their numbers.
                    self.line_no += 1;
                    self.row += 1;
                    return Err(Error::Record {
                        location: Location {
                            input: self.name.clone(),
                            row: self.row,
                            line: Some(self.line_no),
                        },
                        field: None,
                        message: "is not valid UTF-8".into(),
                    });
                }
                Err(e) => return Err(Error::source(&self.name, e)),
            };
            if n == 0 {
                return Ok(false);
            }
            self.line_no += 1;
            if self.line.trim().is_empty() {
                continue;
            }
            self.row += 1;
            *tx = serde_json::from_str(&self.line).map_err(|e| Error::Record {
                location: Location {
                    input: self.name.clone(),
                    row: self.row,
                    line: Some(self.line_no),
                },
                field: None,
                message: e.to_string(),
            })?;
            return Ok(true);
        }
    }
}
