//! XLSX reports in the reference layout: the first worksheet (or `--sheet`), header names
//! matched as in CSV, the gateway's trailing `<END>` row accepted.
//!
//! The sheet is streamed, never loaded whole: calamine's cell reader borrows the workbook,
//! so it runs on a worker thread that owns the workbook and hands over rows already turned
//! into text, a batch at a time, through a bounded channel. Batches go back to the worker
//! for reuse, so memory stays flat and the row loop allocates nothing once warm. The worker
//! also takes the XML parsing off the thread that filters and writes. (calamine does hold a
//! workbook's shared-string table in memory; files recibo writes have none, their strings
//! are inline.)
//!
//! Cells become the text a CSV report would hold: numbers in their shortest exact decimal
//! form (so an amount is never rounded: `1234.5` in a JPY row is an error, not 1235), dates
//! as ISO 8601 with the offset of [`SourceOptions::zone`], formulas as their saved result.
//!
//! A workbook that recibo split at the sheet row limit ("Transactions", "Transactions 2",
//! ...) is read whole when no sheet is named: sheets named after the first one with a
//! number, and headed by the same header row, continue it.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use calamine::{
    DataRef, ExcelDateTime, ExcelDateTimeType, Reader, SheetType, SheetVisible, Xlsx,
    XlsxFormulaMetadata,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat};
use chrono_tz::Tz;

use super::fields::{FieldMap, ReadOptions, fill_transaction};
use super::{RecordReader, SourceOptions, record_error};
use crate::error::{Error, Location, Result};
use crate::model::Transaction;
use crate::model::time::{TimeError, in_range, local_to_utc, parse_local, write_iso8601};

/// Refuses a workbook with a part the XLSX reader would hold too much of at once: it holds
/// the shared-string table whole before it reads a row, and a cell's text whole while it
/// reads the cell, so a 1 MB file holding a 1 GB string (deflate packs repeated bytes a
/// thousandfold) would otherwise take gigabytes. Each shared string and each worksheet
/// cell (an inline string, say) may take `max_item` bytes of XML, the table 1024 times
/// that; measured as the parts are inflated, so a size the archive claims falsely changes
/// nothing. This costs one more inflate of the worksheets: about 9 % more instructions a
/// read (cachegrind, 50,000 rows).
fn check_parts(name: &str, file: &File, max_item: u64) -> Result<()> {
    let fail = |m: String| Error::source(name, m);
    let Ok(mut archive) = zip::ZipArchive::new(file) else {
        // Not an archive: the workbook reader says why.
        return Ok(());
    };
    let parts: Vec<(usize, String)> = (0..archive.len())
        .filter_map(|i| {
            let part = archive.name_for_index(i)?.ok()?.to_ascii_lowercase();
            let wanted = part.ends_with("sharedstrings.xml")
                || (part.starts_with("xl/worksheets/") && part.ends_with(".xml"));
            wanted.then_some((i, part))
        })
        .collect();
    for (index, part_name) in parts {
        let mut part = archive
            .by_index(index)
            .map_err(|e| fail(format!("not a readable XLSX workbook: {e}")))?;
        let shared = part_name.ends_with("sharedstrings.xml");
        let (end, max_total) = if shared {
            (
                &b"</si>"[..],
                max_item.saturating_mul(super::SHARED_STRINGS_PER_RECORD_LIMIT),
            )
        } else {
            (&b"</c>"[..], u64::MAX)
        };
        match longest_item(&mut part, end, max_item, max_total) {
            Ok(()) => {}
            Err(Scan::Unreadable(e)) => {
                return Err(fail(format!("not a readable XLSX workbook: {e}")));
            }
            Err(Scan::TooMuch) => {
                return Err(fail(format!(
                    "its shared strings take more than {max_total} bytes, which recibo would have to hold at once (raise --max-record-size)"
                )));
            }
            Err(Scan::TooLong(n)) if shared => {
                return Err(fail(format!(
                    "shared string {n} is longer than {max_item} bytes (--max-record-size)"
                )));
            }
            Err(Scan::TooLong(n)) => {
                return Err(fail(format!(
                    "cell {n} of {part_name} is longer than {max_item} bytes (--max-record-size)"
                )));
            }
        }
    }
    Ok(())
}

/// Why [`longest_item`] stopped.
enum Scan {
    Unreadable(std::io::Error),
    /// The part is longer than its limit in all.
    TooMuch,
    /// Item `n` (from 1) is longer than its limit.
    TooLong(u64),
}

/// Reads `part` through, checking that no item (the bytes up to and including each `end`
/// tag) is longer than `max_item` and the whole no longer than `max_total`.
fn longest_item(
    part: &mut impl Read,
    end: &[u8],
    max_item: u64,
    max_total: u64,
) -> std::result::Result<(), Scan> {
    let finder = memchr::memmem::Finder::new(end);
    // The last `end.len() - 1` bytes of a chunk are kept before the next, so that a tag cut
    // in two by the chunk boundary is still found. Offsets count from the part's start.
    let keep = end.len() - 1;
    let mut buf = vec![0u8; 64 * 1024 + keep];
    let (mut carried, mut start, mut item_start, mut items) = (0usize, 0u64, 0u64, 0u64);
    loop {
        let n = match part.read(&mut buf[carried..]) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Scan::Unreadable(e)),
        };
        let filled = carried + n;
        if start + filled as u64 > max_total {
            return Err(Scan::TooMuch);
        }
        for at in finder.find_iter(&buf[..filled]) {
            let tag_end = start + (at + end.len()) as u64;
            // A tag found in the carried bytes of the last chunk was counted then.
            if tag_end <= item_start {
                continue;
            }
            if tag_end - item_start > max_item {
                return Err(Scan::TooLong(items + 1));
            }
            item_start = tag_end;
            items += 1;
        }
        if start + filled as u64 - item_start > max_item {
            return Err(Scan::TooLong(items + 1));
        }
        let kept = keep.min(filled);
        buf.copy_within(filled - kept..filled, 0);
        start += (filled - kept) as u64;
        carried = kept;
    }
}

/// Rows per batch handed from the worker to the reader.
const BATCH_ROWS: usize = 1024;
/// Batches in flight between the threads (beyond the one each side holds).
const BATCHES_IN_FLIGHT: usize = 2;

pub struct XlsxReader {
    name: String,
    /// The input as locations name it: the file, plus the sheet once past the first.
    input: String,
    map: FieldMap,
    read_options: ReadOptions,
    rx: Receiver<Msg>,
    recycle: Sender<Batch>,
    worker: Option<JoinHandle<()>>,
    batch: Option<Batch>,
    /// Next row of `batch` to hand out, and next entry of its `problems`.
    next: usize,
    next_problem: usize,
    /// Data rows seen, the `<END>` row included (as the CSV reader counts).
    row: u64,
    ended: bool,
    done: bool,
}

impl XlsxReader {
    /// Opens the workbook, picks the sheet and reads its header row.
    pub fn open(name: &str, options: &SourceOptions) -> Result<XlsxReader> {
        let file = File::open(name).map_err(|e| Error::source(name, e))?;
        check_parts(name, &file, options.max_record_bytes as u64)?;
        let xlsx: Xlsx<_> = Xlsx::new(BufReader::with_capacity(256 * 1024, file))
            .map_err(|e| Error::source(name, format!("not a readable XLSX workbook: {e}")))?;
        let sheets =
            choose_sheets(&xlsx, options.sheet.as_deref()).map_err(|m| Error::source(name, m))?;
        let first_sheet = sheets[0].clone();

        let (tx, rx) = mpsc::sync_channel(BATCHES_IN_FLIGHT);
        let (recycle, recycled) = mpsc::channel();
        let zone = options.zone;
        let worker = std::thread::Builder::new()
            .name("xlsx-reader".into())
            .spawn({
                let name = name.to_string();
                move || work(&name, xlsx, sheets, zone, tx, recycled)
            })
            .map_err(|e| Error::source(name, format!("cannot start the XLSX reader: {e}")))?;
        let header = match rx.recv() {
            Ok(Msg::Header(cells)) => Ok(cells),
            Ok(Msg::Failed(message)) => Err(Error::source(name, message)),
            _ => Err(Error::source(name, "the XLSX reader stopped unexpectedly")),
        };
        let map = header.and_then(|header| {
            FieldMap::from_headers(header.iter().map(String::as_str))
                .map_err(|m| Error::source(name, format!("{m} (sheet {first_sheet:?})")))
        });
        let map = match map {
            Ok(map) => map,
            Err(e) => {
                drop(rx);
                let _ = worker.join();
                return Err(e);
            }
        };
        Ok(XlsxReader {
            name: name.to_string(),
            input: name.to_string(),
            map,
            read_options: ReadOptions {
                decimal_comma: false,
                text_fields: options.text_fields,
                formula_guard: false,
            },
            rx,
            recycle,
            worker: Some(worker),
            batch: None,
            next: 0,
            next_problem: 0,
            row: 0,
            ended: false,
            done: false,
        })
    }

    fn location(&self, line: u32) -> Location {
        Location {
            input: self.input.clone(),
            row: self.row,
            line: Some(u64::from(line)),
        }
    }

    /// Makes `self.batch` hold an unread row; `Ok(false)` at the end of the data.
    fn fill_batch(&mut self) -> Result<bool> {
        loop {
            if self.batch.as_ref().is_some_and(|b| self.next < b.len) {
                return Ok(true);
            }
            if let Some(batch) = self.batch.take() {
                // The worker may have stopped already; then the batch is simply dropped.
                let _ = self.recycle.send(batch);
            }
            match self.rx.recv() {
                Ok(Msg::Rows(batch)) => {
                    self.batch = Some(batch);
                    self.next = 0;
                    self.next_problem = 0;
                }
                Ok(Msg::Sheet(sheet)) => self.input = format!("{} (sheet {sheet:?})", self.name),
                Ok(Msg::Done) => {
                    self.done = true;
                    return Ok(false);
                }
                Ok(Msg::Failed(message)) => {
                    self.done = true;
                    return Err(Error::source(&self.name, message));
                }
                Ok(Msg::Header(_)) | Err(_) => {
                    self.done = true;
                    return Err(Error::source(
                        &self.name,
                        "the XLSX reader stopped unexpectedly",
                    ));
                }
            }
        }
    }
}

impl RecordReader for XlsxReader {
    fn location(&self) -> Option<Location> {
        let batch = self.batch.as_ref()?;
        let line = *batch.lines.get(self.next.checked_sub(1)?)?;
        Some(self.location(line))
    }

    fn read_into(&mut self, tx: &mut Transaction) -> Result<bool> {
        loop {
            if self.done || !self.fill_batch()? {
                return Ok(false);
            }
            let Some(batch) = self.batch.as_ref() else {
                return Ok(false);
            };
            let i = self.next;
            self.next += 1;
            self.row += 1;
            let line = batch.lines[i];
            let cells = &batch.cells[i * batch.width..(i + 1) * batch.width];
            if self.ended {
                self.done = true;
                let location = self.location(line);
                return Err(Error::Record {
                    location,
                    field: None,
                    message: "data after the <END> line".into(),
                });
            }
            if cells[0].trim() == "<END>" {
                self.ended = true;
                continue;
            }
            while let Some(problem) = batch.problems.get(self.next_problem).filter(|p| p.row <= i) {
                self.next_problem += 1;
                if problem.row < i {
                    continue;
                }
                let field = match problem.column {
                    None => None,
                    Some(c) => match self.map.field_at(c) {
                        Some(field) => Some(field.key()),
                        // A bad cell under a header recibo does not read harms nothing.
                        None => continue,
                    },
                };
                let message = problem.message.clone();
                return Err(Error::Record {
                    location: self.location(line),
                    field,
                    message,
                });
            }
            let map = &self.map;
            let get = |f| map.position(f).map(|p| cells[p].as_str());
            if let Err(e) = fill_transaction(tx, get, self.read_options) {
                return Err(record_error(self.location(line), e));
            }
            return Ok(true);
        }
    }
}

impl Drop for XlsxReader {
    fn drop(&mut self) {
        // Closing the channel wakes a worker blocked on sending, which then stops.
        let (_, closed) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.rx, closed));
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The sheets to read: the named one, or the first worksheet and its continuations.
fn choose_sheets<R: Read + Seek>(
    xlsx: &Xlsx<R>,
    wanted: Option<&str>,
) -> Result<Vec<String>, String> {
    let sheets = xlsx.sheets_metadata();
    let worksheets: Vec<&calamine::Sheet> = sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .collect();
    let list = || {
        worksheets
            .iter()
            .map(|s| format!("{:?}", s.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = wanted {
        let found = worksheets.iter().find(|s| s.name == wanted).or_else(|| {
            worksheets
                .iter()
                .find(|s| s.name.trim().eq_ignore_ascii_case(wanted.trim()))
        });
        return match found {
            Some(sheet) => Ok(vec![sheet.name.clone()]),
            None if worksheets.is_empty() => Err(format!(
                "no sheet named {wanted:?}: the workbook has no worksheet"
            )),
            None => Err(format!(
                "no sheet named {wanted:?}; the workbook's sheets are {}",
                list()
            )),
        };
    }
    let first = worksheets
        .iter()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets.first())
        .ok_or_else(|| "the workbook has no worksheet".to_string())?;
    let mut chosen = vec![first.name.clone()];
    for n in 2.. {
        let next = format!("{} {n}", first.name);
        if !worksheets.iter().any(|s| s.name == next) {
            break;
        }
        chosen.push(next);
    }
    Ok(chosen)
}

/// Rows of one sheet as text, `width` cells each.
struct Batch {
    width: usize,
    /// `len * width` cells in use; the strings beyond are kept for reuse.
    cells: Vec<String>,
    /// The sheet row (1-based) of each row.
    lines: Vec<u32>,
    len: usize,
    /// Cells that could not become text, in row order.
    problems: Vec<Problem>,
}

struct Problem {
    row: usize,
    /// Column index in the sheet; `None` for a problem with the row itself.
    column: Option<usize>,
    message: String,
}

impl Batch {
    fn new(width: usize) -> Batch {
        Batch {
            width,
            cells: Vec::new(),
            lines: Vec::new(),
            len: 0,
            problems: Vec::new(),
        }
    }

    fn reset(&mut self, width: usize) {
        self.width = width;
        self.len = 0;
        self.lines.clear();
        self.problems.clear();
    }

    /// Starts row `len`: its cells emptied, its sheet line noted.
    fn begin_row(&mut self, line: u32) {
        let end = (self.len + 1) * self.width;
        if self.cells.len() < end {
            self.cells.resize_with(end, String::new);
        }
        for cell in &mut self.cells[self.len * self.width..end] {
            cell.clear();
        }
        self.lines.truncate(self.len);
        self.lines.push(line);
        self.problems.retain(|p| p.row < self.len);
    }
}

enum Msg {
    /// The header row of the first sheet, trailing empty cells dropped.
    Header(Vec<String>),
    Rows(Batch),
    /// The rows that follow come from this (continuation) sheet.
    Sheet(String),
    Done,
    Failed(String),
}

/// Why the worker stopped early.
enum Stop {
    /// The reader was dropped.
    Closed,
    /// A numbered sheet turned out to be another table: the data ends before it.
    NotContinued,
    Failed(String),
}

fn work<R: Read + Seek>(
    name: &str,
    mut xlsx: Xlsx<R>,
    sheets: Vec<String>,
    zone: Tz,
    out: SyncSender<Msg>,
    recycled: Receiver<Batch>,
) {
    let mut worker = Worker {
        name,
        first_sheet: &sheets[0],
        out: &out,
        recycled: &recycled,
        zone,
        header: None,
        batch: None,
    };
    let result = sheets
        .iter()
        .enumerate()
        .try_for_each(|(i, sheet)| worker.sheet(&mut xlsx, sheet, i > 0));
    let last = match result {
        Ok(()) | Err(Stop::NotContinued) => worker.flush().map(|()| Msg::Done),
        Err(stop) => Err(stop),
    };
    match last {
        Ok(msg) => {
            let _ = out.send(msg);
        }
        Err(Stop::Failed(message)) => {
            let _ = out.send(Msg::Failed(message));
        }
        Err(Stop::Closed | Stop::NotContinued) => {}
    }
}

struct Worker<'c> {
    name: &'c str,
    first_sheet: &'c str,
    out: &'c SyncSender<Msg>,
    recycled: &'c Receiver<Batch>,
    zone: Tz,
    header: Option<Vec<String>>,
    batch: Option<Batch>,
}

impl Worker<'_> {
    fn send(&self, msg: Msg) -> Result<(), Stop> {
        self.out.send(msg).map_err(|_| Stop::Closed)
    }

    /// Sends the rows gathered so far.
    fn flush(&mut self) -> Result<(), Stop> {
        match self.batch.take() {
            Some(batch) if batch.len > 0 => self.send(Msg::Rows(batch)),
            _ => Ok(()),
        }
    }

    fn width(&self) -> usize {
        self.header.as_ref().map_or(0, Vec::len)
    }

    fn batch(&mut self) -> &mut Batch {
        let width = self.width();
        let recycled = self.recycled;
        self.batch.get_or_insert_with(|| {
            let mut batch = recycled.try_recv().unwrap_or_else(|_| Batch::new(width));
            batch.reset(width);
            batch
        })
    }

    fn sheet<R: Read + Seek>(
        &mut self,
        xlsx: &mut Xlsx<R>,
        sheet: &str,
        continuation: bool,
    ) -> Result<(), Stop> {
        let fail = |e: calamine::XlsxError| Stop::Failed(format!("sheet {sheet:?}: {e}"));
        let mut cells = xlsx.worksheet_cells_reader(sheet).map_err(fail)?;
        let zone = self.zone;
        // Header row being read, until the first row with a value has been seen.
        let mut header: Option<Vec<String>> = Some(Vec::new());
        let mut current: Option<u32> = None;
        let mut has_value = false;
        let mut beyond = String::new();
        loop {
            let cell = cells.next_cell_with_formula_metadata().map_err(fail)?;
            let row = cell.as_ref().map(|c| c.pos.0);
            if row != current {
                if current.is_some() && has_value {
                    match header.take() {
                        Some(cells) => self.take_header(cells, sheet, continuation)?,
                        None => self.end_row()?,
                    }
                }
                let Some(row) = row else { break };
                current = Some(row);
                has_value = false;
                match header.as_mut() {
                    Some(cells) => cells.clear(),
                    None => self.batch().begin_row(row + 1),
                }
            }
            let Some(cell) = cell else { break };
            let column = cell.pos.1 as usize;
            // A hostile reference such as `ZZZZZZZ1` would size the row to billions of
            // cells; no real sheet goes past XFD. The number calamine read may have wrapped,
            // so the message names the limit, not a column name it cannot trust.
            if column >= MAX_COLUMNS {
                return Err(Stop::Failed(format!(
                    "sheet {sheet:?}, row {}: a cell reference past column XFD, the last of the {MAX_COLUMNS} columns a sheet can have",
                    cell.pos.0 + 1
                )));
            }
            let width = self.width();
            let slot = match header.as_mut() {
                Some(cells) => {
                    if cells.len() <= column {
                        cells.resize_with(column + 1, String::new);
                    }
                    &mut cells[column]
                }
                None if column < width => {
                    let batch = self.batch();
                    let index = batch.len * width + column;
                    &mut batch.cells[index]
                }
                None => {
                    beyond.clear();
                    &mut beyond
                }
            };
            let result = write_cell(slot, &cell.value, cell.formula.as_ref(), zone);
            has_value |= !slot.is_empty() || result.is_err();
            if header.is_some() {
                continue;
            }
            let batch_row = self.batch().len;
            let problem = match result {
                Err(message) if column < width => Some(Problem {
                    row: batch_row,
                    column: Some(column),
                    message,
                }),
                _ if column >= width && (!beyond.is_empty() || result.is_err()) => Some(Problem {
                    row: batch_row,
                    column: None,
                    message: format!(
                        "a value in column {}, right of the last header cell",
                        column_name(column)
                    ),
                }),
                _ => None,
            };
            if let Some(problem) = problem {
                self.batch().problems.push(problem);
            }
        }
        if header.is_some() && !continuation {
            return Err(Stop::Failed(format!(
                "sheet {sheet:?} is empty: expected a header row"
            )));
        }
        Ok(())
    }

    fn take_header(
        &mut self,
        mut cells: Vec<String>,
        sheet: &str,
        continuation: bool,
    ) -> Result<(), Stop> {
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if continuation {
            let same = self.header.as_ref().is_some_and(|first| {
                first.len() == cells.len()
                    && first.iter().zip(&cells).all(|(a, b)| a.trim() == b.trim())
            });
            if !same {
                tracing::warn!(
                    "{}: sheet {sheet:?} not read: its header row differs from sheet {:?}'s, so it does not continue it (name it with --sheet to read it)",
                    self.name,
                    self.first_sheet
                );
                return Err(Stop::NotContinued);
            }
            self.flush()?;
            return self.send(Msg::Sheet(sheet.to_string()));
        }
        self.header = Some(cells.clone());
        self.send(Msg::Header(cells))
    }

    /// Keeps the row just read (it has a value); sends the batch once full.
    fn end_row(&mut self) -> Result<(), Stop> {
        let batch = self.batch();
        batch.len += 1;
        if batch.len == BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }
}

/// Columns an XLSX sheet can have (A to XFD).
const MAX_COLUMNS: usize = 16_384;

/// `A` for 0, `AA` for 26: how a spreadsheet names a column.
fn column_name(mut column: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Appends a cell's text to `out`. An error means the cell holds no usable value (a
/// spreadsheet error, or a formula never calculated); it matters only when the cell is
/// in a column recibo reads.
fn write_cell(
    out: &mut String,
    value: &DataRef<'_>,
    formula: Option<&XlsxFormulaMetadata>,
    zone: Tz,
) -> Result<(), String> {
    match value {
        DataRef::Empty => {
            if let Some(formula) = formula {
                // Files written by libraries that do not calculate carry no saved result;
                // a formula that is only a text literal (`="2026110100042"`) is its own result.
                let text = match formula {
                    XlsxFormulaMetadata::Normal { formula }
                    | XlsxFormulaMetadata::Shared { formula, .. } => Some(formula.as_str()),
                    _ => None,
                };
                match text.and_then(|f| string_literal(f, out)) {
                    Some(()) => {}
                    None => {
                        return Err("holds a formula with no saved result; open and save the file in a spreadsheet app to calculate it".into());
                    }
                }
            }
        }
        DataRef::String(s) => out.push_str(s),
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::Int(n) => out.push_str(itoa::Buffer::new().format(*n)),
        DataRef::Float(f) => push_number(out, *f),
        DataRef::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let serial = dt.as_f64();
            // calamine clamps a serial past either end to 9999-12-31 or 1899-12-31; such a
            // cell (1e15, -1, NaN) holds no date, whatever it would show.
            // calamine keeps a workbook's date system private; a cell of the 1900 system
            // equals one made with it.
            let system_1900 = ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false);
            let last = if *dt != system_1900 {
                LAST_SERIAL_1904
            } else {
                LAST_SERIAL_1900
            };
            if !(0.0..last).contains(&serial) {
                return Err(format!(
                    "date-time cell {} is not a date (a spreadsheet's dates are serial numbers 0 to {}, up to 9999-12-31)",
                    Number(serial),
                    last as u64 - 1
                ));
            }
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            let local = NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d))
                .and_then(|date| {
                    date.and_hms_milli_opt(u32::from(h), u32::from(mi), u32::from(s), u32::from(ms))
                })
                .ok_or_else(|| format!("date-time cell {} is not a valid date", Number(serial)))?;
            write_local(out, local, zone)?;
        }
        // A duration has no date; its serial number is all there is.
        DataRef::DateTime(dt) => push_number(out, dt.as_f64()),
        DataRef::DateTimeIso(s) => write_iso_cell(out, s, zone)?,
        DataRef::DurationIso(s) => out.push_str(s),
        DataRef::Error(e) => {
            out.push_str(&e.to_string());
            return Err(format!("holds the spreadsheet error {e}"));
        }
    }
    Ok(())
}

/// An ISO date cell (`t="d"`): kept as is when it has an offset (the time parser judges
/// it then, as it judges a CSV cell), else read in `zone`.
fn write_iso_cell(out: &mut String, text: &str, zone: Tz) -> Result<(), String> {
    let s = text.trim();
    if DateTime::parse_from_rfc3339(s).is_ok() {
        out.push_str(s);
        return Ok(());
    }
    let local = match parse_local(s).map_err(|e| e.to_string())? {
        Some(local) => Some(local),
        None => s
            .parse::<NaiveDate>()
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
    };
    match local {
        Some(local) => write_local(out, local, zone)?,
        None => out.push_str(s),
    }
    Ok(())
}

/// Serial numbers past 9999-12-31, the last date a spreadsheet has, in the 1900 and the
/// 1904 date systems.
const LAST_SERIAL_1900: f64 = 2_958_466.0;
const LAST_SERIAL_1904: f64 = 2_957_004.0;

/// A wall-clock time in `zone` as recibo writes a time, if it is one recibo reads.
fn write_local(out: &mut String, local: NaiveDateTime, zone: Tz) -> Result<(), String> {
    let t = local_to_utc(local, zone);
    if !in_range(t) {
        return Err(format!(
            "date-time cell {local} in {zone} is {}",
            TimeError::OutOfRange(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        ));
    }
    write_iso8601(out, t, zone);
    Ok(())
}

/// A number as a cell holds it, in the shortest exact decimal.
struct Number(f64);

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = String::new();
        push_number(&mut text, self.0);
        f.write_str(&text)
    }
}

/// Writes the text of a formula that is a single string literal (`"a""b"` is `a"b`);
/// `None`, writing nothing, for any other formula.
fn string_literal(formula: &str, out: &mut String) -> Option<()> {
    let inner = formula.trim().strip_prefix('"')?.strip_suffix('"')?;
    let mut rest = inner;
    let start = out.len();
    while let Some(quote) = rest.find('"') {
        if !rest[quote + 1..].starts_with('"') {
            out.truncate(start);
            return None;
        }
        out.push_str(&rest[..=quote]);
        rest = &rest[quote + 2..];
    }
    out.push_str(rest);
    Some(())
}

/// Appends `n` as the shortest decimal that reads back as the same `f64`, never in
/// exponent form: integers as digits, `12.34` as `12.34` (not `12.339999...`).
fn push_number(out: &mut String, n: f64) {
    const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() < EXACT_INTEGERS {
        out.push_str(itoa::Buffer::new().format(n as i64));
        return;
    }
    if !n.is_finite() {
        out.push_str(if n.is_nan() {
            "NaN"
        } else if n > 0.0 {
            "inf"
        } else {
            "-inf"
        });
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(n);
    let Some(e) = text.find('e') else {
        out.push_str(text);
        return;
    };
    let exponent: i64 = text[e + 1..].parse().unwrap_or(0);
    let mantissa = &text[..e];
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let int_len = mantissa.find('.').unwrap_or(mantissa.len()) as i64;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let point = int_len + exponent;
    if negative {
        out.push('-');
    }
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        out.push_str(&digits);
    } else if point as usize >= digits.len() {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(n: f64) -> String {
        let mut s = String::new();
        push_number(&mut s, n);
        s
    }

    #[test]
    fn numbers_are_written_exactly_and_without_exponents() {
        assert_eq!(number(12.34), "12.34");
        assert_eq!(number(-90.5), "-90.5");
        assert_eq!(number(1234.0), "1234");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(0.001), "0.001");
        assert_eq!(number(1.5e-7), "0.00000015");
        assert_eq!(number(-2.5e-6), "-0.0000025");
        assert_eq!(number(1e20), "100000000000000000000");
        assert_eq!(number(1.25e17), "125000000000000000");
        assert_eq!(number(2026110100042.0), "2026110100042");
        assert_eq!(number(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn string_literal_formulas_are_their_text() {
        let lit = |f: &str| {
            let mut s = String::from("x");
            string_literal(f, &mut s).map(|()| s)
        };
        assert_eq!(lit("\"2026110100042\"").as_deref(), Some("x2026110100042"));
        assert_eq!(lit("\"=SUM\"").as_deref(), Some("x=SUM"));
        assert_eq!(lit("\"say \"\"hi\"\"\"").as_deref(), Some("xsay \"hi\""));
        assert_eq!(lit("\"\"").as_deref(), Some("x"));
        assert_eq!(lit("SUM(A1:A2)"), None);
        assert_eq!(lit("\"a\"&\"b\""), None);
    }

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }
}
