//! CSV exports: RFC 4180 via the `csv` crate, streamed.
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
    writer: csv::Writer<OutputStream>,
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
        let mut writer = csv::WriterBuilder::new()
            .delimiter(options.delimiter)
            // The closing `<END>` line is a one-field record.
            .flexible(true)
            .buffer_capacity(64 * 1024)
            .from_writer(stream);
        let header: Vec<&str> = options
            .columns
            .iter()
            .map(|c| c.header(options.header))
            .collect();
        writer
            .write_record(&header)
            .map_err(|e| csv_error(target, e))?;
        Ok(CsvSink {
            writer,
            columns: options.columns.clone(),
            options: options.clone(),
            cell: String::new(),
            rows: 0,
        })
    }

    fn target(&self) -> &Target {
        self.writer.get_ref().target()
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
                    if let Err(e) = self.writer.write_field(text.as_bytes()) {
                        let target = self.target().clone();
                        return Err(csv_error(&target, e));
                    }
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
            if let Err(e) = self.writer.write_field(self.cell.as_bytes()) {
                let target = self.target().clone();
                return Err(csv_error(&target, e));
            }
        }
        if let Err(e) = self.writer.write_record(None::<&[u8]>) {
            let target = self.target().clone();
            return Err(csv_error(&target, e));
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        let target = self.target().clone();
        if self.options.end_marker {
            self.writer
                .write_record(["<END>"])
                .map_err(|e| csv_error(&target, e))?;
        }
        let stream = self
            .writer
            .into_inner()
            .map_err(|e| Error::output_io(&target, e.into_error()))?;
        stream.commit()?;
        Ok(self.rows)
    }
}
