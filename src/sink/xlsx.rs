//! XLSX exports, streamed with rust_xlsxwriter's constant-memory worksheets: each row is
//! flushed to a temporary file as soon as the next one starts, so memory stays flat.
//!
//! Amounts are number cells shown with exactly the currency's digits, times real date-time
//! cells (wall time in the export's zone), codes and text plain strings. A string cell is
//! never run as a formula, so XLSX needs no formula guard. A sheet holds at most
//! [`MAX_SHEET_ROWS`] rows; the export continues on "Transactions 2", "Transactions 3", ...
//! each with the same header.

use std::io::{BufWriter, Write};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{ExportOptions, Sink};
use crate::columns::{Cell, Column, HeaderLang, Kind, always_utc};
use crate::error::{Error, Result};
use crate::model::Transaction;
use crate::model::time::{in_zone, write_iso8601};
use crate::output::{AtomicFile, Target};

/// Rows in one Excel worksheet, the header included.
pub const MAX_SHEET_ROWS: u32 = 1_048_576;

/// Name of the first sheet; later ones add " 2", " 3", ...
pub const SHEET_NAME: &str = "Transactions";

const ZIP_LEVEL: u8 = 2;
/// The exponent of most currencies: amounts with it take their column's format.
const COMMON_EXPONENT: u8 = 2;
const TIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";
/// Days from Excel's day 0 (1899-12-30, in the 1900 date system) to the unix epoch.
const EXCEL_UNIX_EPOCH_DAYS: f64 = 25_569.0;
/// From 1900-03-01 on, serial numbers count days plainly; before it Excel's phantom
/// 1900-02-29 gets in the way, so earlier times are written as text.
const FIRST_PLAIN_SERIAL: f64 = 61.0;

pub struct XlsxSink {
    workbook: Workbook,
    /// The sheet being written; pushed into `workbook` when full or at the end.
    sheet: Worksheet,
    sheets: u32,
    /// Next row of `sheet` to write (0 is the header).
    row: u32,
    rows_per_sheet: u32,
    columns: Vec<&'static Column>,
    header: HeaderLang,
    zone: Tz,
    header_format: Format,
    time_format: Format,
    /// Number formats by currency exponent, made once: looking a format up costs a hash
    /// of the whole `Format`, building one costs allocations.
    amount_formats: Vec<Format>,
    file: AtomicFile,
    target: Target,
    /// Scratch text for times outside Excel's calendar.
    text: String,
    rows: u64,
    /// A row failed half-written; the sink accepts nothing more.
    failed: bool,
}

impl XlsxSink {
    pub fn open(target: &Target, options: &ExportOptions) -> Result<XlsxSink> {
        Self::open_with_row_limit(target, options, MAX_SHEET_ROWS)
    }

    /// As [`XlsxSink::open`], with sheets of at most `rows_per_sheet` rows (header
    /// included, at least 2); lets tests reach the sheet rollover without a million rows.
    #[doc(hidden)]
    pub fn open_with_row_limit(
        target: &Target,
        options: &ExportOptions,
        rows_per_sheet: u32,
    ) -> Result<XlsxSink> {
        let Target::File(path) = target else {
            return Err(Error::usage(
                "XLSX cannot be streamed to standard output (the format needs to seek); give a file with -o",
            ));
        };
        let file = AtomicFile::create(path)?;
        let err = |e: XlsxError| Error::output(target, e);
        let mut workbook = Workbook::new();
        // Row data waits in temporary files until the workbook is assembled; beside the
        // target they land on the same disk, not in a /tmp that may be memory.
        if let Some(dir) = file.temp_path().parent() {
            workbook.set_tempdir(dir).map_err(err)?;
        }
        // Compressing the sheet XML is a third to a half of the cost of an export. Level 2
        // takes about half the time of the default 6; against level 3 it saves a tenth of
        // an export's time for a file 8 % larger.
        workbook.set_zip_compression_level(ZIP_LEVEL);
        if let Some(created) = &options.created {
            workbook.set_properties(
                &rust_xlsxwriter::DocProperties::new().set_creation_datetime(created),
            );
        }
        let amount_formats = (0..=4u8).map(amount_format).collect();
        let mut sink = XlsxSink {
            sheet: Worksheet::new(),
            workbook,
            sheets: 0,
            row: 0,
            rows_per_sheet: rows_per_sheet.clamp(2, MAX_SHEET_ROWS),
            columns: options.columns.clone(),
            header: options.header,
            zone: options.zone,
            header_format: Format::new().set_bold(),
            time_format: Format::new().set_num_format(TIME_FORMAT),
            amount_formats,
            file,
            target: target.clone(),
            text: String::new(),
            rows: 0,
            failed: false,
        };
        sink.sheet = sink.new_sheet().map_err(err)?;
        Ok(sink)
    }

    /// Starts the next sheet: name, header row, frozen header, column widths.
    fn new_sheet(&mut self) -> Result<Worksheet, XlsxError> {
        let mut sheet = self.workbook.new_worksheet_with_constant_memory()?;
        self.sheets += 1;
        if self.sheets == 1 {
            sheet.set_name(SHEET_NAME)?;
        } else {
            sheet.set_name(format!("{SHEET_NAME} {}", self.sheets))?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (col, column) in self.columns.iter().enumerate() {
            let col = col as u16;
            let header = column.header(self.header);
            sheet.set_column_width(col, column_width(column, header))?;
            // A cell written without a format takes its column's, which spares a lookup per
            // cell: rust_xlsxwriter finds a cell format's index by hashing the whole Format.
            match column.kind {
                Kind::Time => {
                    sheet.set_column_format(col, &self.time_format)?;
                }
                Kind::Amount => {
                    sheet.set_column_format(
                        col,
                        &self.amount_formats[usize::from(COMMON_EXPONENT)],
                    )?;
                }
                _ => {}
            }
            sheet.write_string_with_format(0, col, header, &self.header_format)?;
        }
        self.row = 1;
        Ok(sheet)
    }

    /// Replaces the current sheet by `next`, setting the filter over the rows written,
    /// and hands the finished sheet to the workbook.
    fn close_sheet(&mut self, next: Worksheet, last_row: u32) -> Result<(), XlsxError> {
        let mut sheet = std::mem::replace(&mut self.sheet, next);
        if !self.columns.is_empty() {
            sheet.autofilter(0, 0, last_row, (self.columns.len() - 1) as u16)?;
        }
        self.workbook.push_worksheet(sheet);
        Ok(())
    }

    /// Writes one row; an error names the column of the cell that failed.
    fn write_row(&mut self, tx: &Transaction) -> Result<(), (&'static str, XlsxError)> {
        for i in 0..self.columns.len() {
            let column = self.columns[i];
            self.write_cell(i as u16, column, (column.value)(tx))
                .map_err(|e| (column.key, e))?;
        }
        Ok(())
    }

    fn write_cell(&mut self, col: u16, column: &Column, cell: Cell<'_>) -> Result<(), XlsxError> {
        let row = self.row;
        match cell {
            Cell::Empty => {}
            Cell::Text(text) => {
                self.sheet.write_string(row, col, text)?;
            }
            Cell::Currency(currency) => {
                self.sheet.write_string(row, col, currency.code())?;
            }
            Cell::Integer(n) => {
                self.sheet.write_number(row, col, n as f64)?;
            }
            Cell::Amount(money) => {
                let value = money.to_major_f64();
                let exponent = money.currency.exponent();
                if exponent == COMMON_EXPONENT {
                    self.sheet.write_number(row, col, value)?;
                } else {
                    let i = usize::from(exponent);
                    while self.amount_formats.len() <= i {
                        let next = self.amount_formats.len() as u8;
                        self.amount_formats.push(amount_format(next));
                    }
                    self.sheet.write_number_with_format(
                        row,
                        col,
                        value,
                        &self.amount_formats[i],
                    )?;
                }
            }
            Cell::Time(t) => {
                let zone = if always_utc(column) {
                    chrono_tz::UTC
                } else {
                    self.zone
                };
                match excel_serial(t, zone) {
                    Some(serial) => {
                        self.sheet.write_number(row, col, serial)?;
                    }
                    None => {
                        self.text.clear();
                        write_iso8601(&mut self.text, t, zone);
                        self.sheet.write_string(row, col, self.text.as_str())?;
                    }
                }
            }
        }
        Ok(())
    }

    fn sheet_name(&self) -> String {
        self.sheet.name()
    }
}

std::thread_local! {
    /// Set while [`without_panics`] runs, so that its panics print nothing.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into an error message. rust_xlsxwriter's constant-memory
/// sheets write each finished row to a temporary file and panic (`expect`) when that write
/// fails, e.g. on a full disk; its API gives no other way to see the error, so the calls
/// that can reach that write (writing a cell, closing a sheet, saving) go through here.
/// The default panic report is silenced for these calls only: the error is reported like
/// any other output error.
fn without_panics<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|payload| {
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("the XLSX writer failed");
        // rust_xlsxwriter's message ends with the I/O error in debug form; the readable
        // part is its `message` field when there is one.
        match text.split_once("message: \"") {
            Some((_, rest)) => format!(
                "cannot write the sheet data: {}",
                rest.split('"').next().unwrap_or(rest)
            ),
            None => format!("cannot write the sheet data: {text}"),
        }
    })
}

fn amount_format(exponent: u8) -> Format {
    let mut pattern = String::from("#,##0");
    if exponent > 0 {
        pattern.push('.');
        pattern.extend(std::iter::repeat_n('0', usize::from(exponent)));
    }
    Format::new().set_num_format(pattern)
}

/// The instant as an Excel serial date-time: the wall time in `zone`, as days and a
/// fraction of a day since Excel's day 0. `None` before 1900-03-01 or after 9999, finer than a millisecond, or
/// ambiguous in `zone`.
fn excel_serial(t: DateTime<Utc>, zone: Tz) -> Option<f64> {
    // A date cell keeps milliseconds and no offset; a finer time, or a wall time the zone
    // shows twice (the hour repeated when clocks go back), is written as ISO 8601 text
    // instead, which keeps every digit and the offset, and reads back as the same instant.
    if !t.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        return None;
    }
    let local = in_zone(t, zone).naive_local();
    if crate::model::time::local_to_utc(local, zone) != t {
        return None;
    }
    let millis = local.and_utc().timestamp_millis();
    let serial = millis as f64 / 86_400_000.0 + EXCEL_UNIX_EPOCH_DAYS;
    (FIRST_PLAIN_SERIAL..2_958_466.0)
        .contains(&serial)
        .then_some(serial)
}

/// Widths in Excel's character units. Constant-memory sheets cannot autofit (the rows are
/// gone by the time the widths are written), so the width comes from what a column holds.
fn column_width(column: &Column, header: &str) -> f64 {
    let content: f64 = match column.kind {
        Kind::Time => 20.0,
        Kind::Amount => 14.0,
        Kind::Currency => 10.0,
        Kind::Integer => 12.0,
        Kind::Text if column.key == "orderDescription" || column.key == "reason" => 40.0,
        Kind::Text => 22.0,
    };
    // Wide (CJK) characters take two units; the filter button takes about two more.
    let header_width: usize = header
        .chars()
        .map(|c| if c.len_utf8() >= 3 { 2 } else { 1 })
        .sum();
    content.max(header_width as f64 + 3.0).min(60.0)
}

impl Sink for XlsxSink {
    fn write(&mut self, tx: &Transaction) -> Result<()> {
        if self.failed {
            return Err(Error::output(
                &self.target,
                "an earlier row could not be written",
            ));
        }
        if self.row == self.rows_per_sheet {
            let last_row = self.row - 1;
            let target = self.target.clone();
            without_panics(|| -> Result<()> {
                let next = self.new_sheet().map_err(|e| Error::output(&target, e))?;
                self.close_sheet(next, last_row)
                    .map_err(|e| Error::output(&target, e))
            })
            .map_err(|message| {
                self.failed = true;
                Error::output(&self.target, message)
            })??;
        }
        // Checked before any cell of the row is written, so a refused row leaves none.
        for column in &self.columns {
            if let Cell::Time(t) = (column.value)(tx) {
                super::check_time(&self.target, tx, column.key, t)?;
            }
        }
        let written = match without_panics(|| self.write_row(tx)) {
            Ok(result) => result.map_err(|(key, e)| format!("column {key}: {e}")),
            Err(message) => Err(message),
        };
        if let Err(message) = written {
            // Part of the row may be in the sheet already: nothing more can be added after it.
            self.failed = true;
            let message = format!(
                "sheet {:?}, row {}, {message}",
                self.sheet_name(),
                self.row + 1
            );
            return Err(Error::output(&self.target, message));
        }
        self.row += 1;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        let target = self.target.clone();
        if self.failed {
            return Err(Error::output(
                &target,
                "an earlier row could not be written",
            ));
        }
        let err = |e: XlsxError| Error::output(&target, e);
        let last_row = self.row - 1;
        without_panics(|| self.close_sheet(Worksheet::new(), last_row))
            .map_err(|m| Error::output(&target, m))?
            .map_err(err)?;
        let rows = self.rows;
        let XlsxSink {
            mut workbook,
            mut file,
            ..
        } = *self;
        let mut out = BufWriter::with_capacity(256 * 1024, file.file());
        without_panics(|| workbook.save_to_writer(&mut out))
            .map_err(|m| Error::output(&target, m))?
            .map_err(err)?;
        out.flush().map_err(|e| Error::output_io(&target, e))?;
        drop(out);
        file.commit()?;
        Ok(rows)
    }
}
