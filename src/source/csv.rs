//! CSV reports in the reference layout: header names matched case-insensitively, columns
//! in any order, the gateway's trailing `<END>` line accepted.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use csv::ByteRecord;

use super::fields::{Field, FieldMap, ReadOptions, fill_transaction};
use super::{RecordReader, SourceOptions, record_error};
use crate::error::{Error, Location, Result};
use crate::model::Transaction;

/// Reads a CSV report. csv-core's parser runs on a thread of its own, a few batches of raw
/// records ahead of the thread that turns them into transactions: splitting the two is
/// what lets a CSV export use more than the two cores of reading and writing.
pub struct CsvReader {
    name: String,
    map: FieldMap,
    /// The fields filling a transaction reads, with their positions.
    fields_read: Vec<(Field, usize)>,
    raw: mpsc::Receiver<RawBatch>,
    recycle: mpsc::Sender<RawBatch>,
    /// The batch being read, and the position of its next item.
    batch: Option<RawBatch>,
    next: usize,
    row: u64,
    options: ReadOptions,
    /// The file's lines end in CRLF (as its header line does).
    crlf: bool,
    ended: bool,
}

/// Raw records, in input order, with the parse errors between them. Batches go back to
/// the parser to be refilled, so records keep their buffers.
struct RawBatch {
    records: Vec<ByteRecord>,
    /// The parser's line after each record (see [`CsvReader::line_of`]).
    end_lines: Vec<u64>,
    items: Vec<RawItem>,
}

enum RawItem {
    /// `records[i]` holds the next record.
    Record(usize),
    /// A record the parser could not read (consumed: the next one follows).
    Bad { line: Option<u64>, message: String },
    /// The input could not be read at all; nothing follows.
    Failed(String),
    /// The input ended; nothing follows. A parser that stops without saying so failed.
    End,
}

/// Records a raw batch holds.
const RAW_BATCH_RECORDS: usize = 512;
/// Batches parsed ahead.
const RAW_BATCHES_IN_FLIGHT: usize = 4;

impl CsvReader {
    /// Reads the header row and picks the separator it uses (spreadsheets set to Brazilian
    /// Portuguese write `;` and a decimal comma), then starts parsing the rest.
    pub fn new<R: Read + Send + 'static>(
        name: &str,
        mut input: R,
        source: &SourceOptions,
    ) -> Result<CsvReader> {
        let text_fields = source.text_fields;
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
        let crlf = head.ends_with(b"\r\n");
        let record_start = Arc::new(AtomicU64::new(0));
        let chained = RecordBound {
            input: std::io::Cursor::new(head).chain(input),
            read: 0,
            record_start: Arc::clone(&record_start),
            limit: source.max_record_bytes as u64,
            tail: Vec::new(),
            tail_start: 0,
            keep_from: 0,
        };
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

        let (full, raw) = mpsc::sync_channel(RAW_BATCHES_IN_FLIGHT);
        let (recycle, recycled) = mpsc::channel();
        // Never joined: a parser blocked on standard input must not hold up an error. It
        // ends at the end of the input, or at its next batch once this reader is dropped.
        std::thread::Builder::new()
            .name("recibo-csv".into())
            .spawn(move || parse(reader, delimiter, &record_start, full, recycled))
            .map_err(|e| Error::source(name, format!("cannot start the CSV parser: {e}")))?;
        let options = ReadOptions {
            decimal_comma: delimiter == b';',
            text_fields,
            formula_guard: true,
        };
        let fields_read = map
            .present()
            .filter(|(field, _)| options.fields_read().contains(*field))
            .collect();
        Ok(CsvReader {
            name: name.to_string(),
            map,
            fields_read,
            raw,
            recycle,
            batch: None,
            next: 0,
            row: 0,
            options,
            crlf,
            ended: false,
        })
    }
}

/// The parser thread: raw records in batches, until the input ends or nobody listens.
fn parse<R: Read>(
    mut reader: csv::Reader<RecordBound<R>>,
    delimiter: u8,
    record_start: &AtomicU64,
    full: mpsc::SyncSender<RawBatch>,
    recycled: mpsc::Receiver<RawBatch>,
) {
    // The line the record being parsed starts on.
    let mut record_line = reader.position().line();
    // Where the last record read starts, in bytes and lines: its raw text is kept until
    // the next one, so that the end of the input can tell whether it ended inside a quote.
    let mut last_start = (reader.position().byte(), record_line);
    loop {
        let mut batch = recycled.try_recv().unwrap_or_else(|_| RawBatch {
            records: Vec::with_capacity(RAW_BATCH_RECORDS),
            end_lines: Vec::with_capacity(RAW_BATCH_RECORDS),
            items: Vec::with_capacity(RAW_BATCH_RECORDS),
        });
        batch.items.clear();
        let mut used = 0;
        let mut done = false;
        while used < RAW_BATCH_RECORDS && batch.items.len() < RAW_BATCH_RECORDS {
            if used == batch.records.len() {
                batch.records.push(ByteRecord::new());
                batch.end_lines.push(0);
            }
            match reader.read_byte_record(&mut batch.records[used]) {
                Ok(true) => {
                    last_start = (record_start.load(Ordering::Relaxed), record_line);
                    reader.get_mut().keep_from = last_start.0;
                    batch.end_lines[used] = reader.position().line();
                    record_start.store(reader.position().byte(), Ordering::Relaxed);
                    record_line = reader.position().line();
                    batch.items.push(RawItem::Record(used));
                    used += 1;
                }
                Ok(false) => {
                    // The parser takes a quote left open at the end for the end of the
                    // field: the last record would silently hold the rest of a file cut
                    // short. That file is refused.
                    if ends_inside_quote(reader.get_ref().tail_from(last_start.0), delimiter) {
                        batch.items.push(RawItem::Failed(format!(
                            "the file ends inside a quoted field of the record from line {}: \
                             a quote is never closed, or the file is cut short",
                            last_start.1
                        )));
                    } else {
                        batch.items.push(RawItem::End);
                    }
                    done = true;
                    break;
                }
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    let line = record_line;
                    let message = match e.kind() {
                        csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::FileTooLarge => {
                            format!("the record from line {line} on: {io}")
                        }
                        _ => e.to_string(),
                    };
                    batch.items.push(RawItem::Failed(message));
                    done = true;
                    break;
                }
                Err(e) => batch.items.push(RawItem::Bad {
                    line: e.position().map(|p| p.line()),
                    message: e.to_string(),
                }),
            }
        }
        if full.send(batch).is_err() || done {
            return;
        }
    }
}

/// True when `raw`, the text of one or more records, ends inside a quoted field: a quote at
/// the start of a field opens one, a lone quote in it closes it (two are a quote in the
/// text), as the CSV parser reads them.
fn ends_inside_quote(raw: &[u8], delimiter: u8) -> bool {
    let mut quoted = false;
    let mut field_start = true;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if quoted {
            if b == b'"' {
                if raw.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if field_start && b == b'"' {
            quoted = true;
            field_start = false;
        } else {
            field_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    quoted
}

/// The input as the CSV parser reads it, refusing to go on once the record being parsed
/// has taken more than `limit` bytes: csv-core grows a record without bound, and one
/// unclosed quote early in a large file, or a file with no line breaks, would otherwise be
/// held whole. Counted in what the parser has read, so it is exact to its buffer's size.
struct RecordBound<R> {
    input: R,
    read: u64,
    /// Where the record being parsed starts, as the parser thread last saw it.
    record_start: Arc<AtomicU64>,
    limit: u64,
    /// The bytes read from `tail_start` on: the last record's and what follows it, so
    /// that the end of the input can be checked for a quote left open.
    tail: Vec<u8>,
    tail_start: u64,
    /// The parser needs nothing before this offset any more.
    keep_from: u64,
}

/// Bytes the tail may hold before what the parser no longer needs is dropped: dropping
/// seldom keeps the copying to about one pass over the input.
const TAIL_SLACK: u64 = 1 << 20;

impl<R> RecordBound<R> {
    /// The bytes read from offset `from` on (all that is kept when `from` is older).
    fn tail_from(&self, from: u64) -> &[u8] {
        let skip = from.saturating_sub(self.tail_start) as usize;
        &self.tail[skip.min(self.tail.len())..]
    }
}

impl<R: Read> Read for RecordBound<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let start = self.record_start.load(Ordering::Relaxed);
        if self.read.saturating_sub(start) > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!(
                    "a record longer than {} bytes (--max-record-size); a quote left open makes one",
                    self.limit
                ),
            ));
        }
        let n = self.input.read(buf)?;
        self.read += n as u64;
        if self.keep_from > self.tail_start + TAIL_SLACK {
            let drop = ((self.keep_from - self.tail_start) as usize).min(self.tail.len());
            self.tail.drain(..drop);
            self.tail_start += drop as u64;
        }
        self.tail.extend_from_slice(&buf[..n]);
        Ok(n)
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

impl CsvReader {
    fn location(&self, line: Option<u64>) -> Location {
        Location {
            input: self.name.clone(),
            row: self.row,
            line,
        }
    }

    /// The next raw item, or `None` at the end of the input.
    fn next_item(&mut self) -> Option<&RawItem> {
        loop {
            if let Some(batch) = &self.batch
                && self.next < batch.items.len()
            {
                self.next += 1;
                return self.batch.as_ref().map(|b| &b.items[self.next - 1]);
            }
            if let Some(done) = self.batch.take() {
                // The parser may have finished already; then the batch is simply dropped.
                let _ = self.recycle.send(done);
            }
            self.batch = Some(self.raw.recv().ok()?);
            self.next = 0;
        }
    }

    fn record_error(
        &self,
        line: Option<u64>,
        field: Option<&'static str>,
        message: String,
    ) -> Error {
        Error::Record {
            location: self.location(line),
            field,
            message,
        }
    }

    /// The column key at a record position, if the position is a known column.
    fn key_at(&self, position: usize) -> Option<&'static str> {
        self.map.field_at(position).map(Field::key)
    }
}

impl RecordReader for CsvReader {
    fn location(&self) -> Option<Location> {
        let batch = self.batch.as_ref()?;
        let line = match batch.items.get(self.next.checked_sub(1)?)? {
            RawItem::Record(i) => self.line_of(*i),
            RawItem::Bad { line, .. } => *line,
            _ => None,
        };
        Some(self.location(line))
    }

    fn read_into(&mut self, tx: &mut Transaction) -> Result<bool> {
        loop {
            if self.ended {
                return Ok(false);
            }
            let index = match self.next_item() {
                Some(RawItem::End) => {
                    self.ended = true;
                    return Ok(false);
                }
                None => {
                    self.ended = true;
                    return Err(Error::source(
                        &self.name,
                        "the CSV parser stopped before the end of the input",
                    ));
                }
                Some(RawItem::Failed(message)) => {
                    let message = message.clone();
                    self.ended = true;
                    return Err(Error::source(&self.name, message));
                }
                Some(RawItem::Bad { line, message }) => {
                    let (line, message) = (*line, message.clone());
                    // The bad record was consumed: the next one has the next row number.
                    self.row += 1;
                    return Err(Error::Record {
                        location: self.location(line),
                        field: None,
                        message,
                    });
                }
                Some(RawItem::Record(i)) => *i,
            };
            self.row += 1;
            let record = self.raw_record(index);
            if is_blank(record) {
                // A blank line between records carries nothing.
                continue;
            }
            if record.len() == 1 && record[0].trim_ascii() == b"<END>" {
                self.ended = true;
                let after = match self.next_item() {
                    Some(RawItem::Record(i)) => Ok(Some(*i)),
                    Some(RawItem::Bad { .. }) => Ok(None),
                    Some(RawItem::Failed(message)) => Err(message.clone()),
                    Some(RawItem::End) | None => return Ok(false),
                };
                return match after {
                    Err(message) => Err(Error::source(&self.name, message)),
                    Ok(Some(i)) if is_blank(self.raw_record(i)) => Ok(false),
                    Ok(next) => {
                        self.row += 1;
                        let line = next.and_then(|i| self.line_of(i));
                        Err(self.record_error(line, None, "data after the <END> line".into()))
                    }
                };
            }
            return self.fill(index, tx).map(|()| true);
        }
    }
}

/// A record of one empty field: a blank line.
fn is_blank(record: &ByteRecord) -> bool {
    record.len() == 1 && record[0].is_empty()
}

impl CsvReader {
    /// The line raw record `index` of the current batch starts on. csv-core dates a record
    /// from where the previous one ended: before any blank lines, and in a CRLF file before
    /// the previous line's LF. Where the parser stood after the record, less the line breaks
    /// inside it and its own LF (pending still in a CRLF file), is exact for files with one
    /// kind of line end (told from the header line). It is one off in a file that mixes LF
    /// and CRLF, and for a last record without a line break that follows blank lines.
    fn line_of(&self, index: usize) -> Option<u64> {
        let batch = self.batch.as_ref()?;
        let record = &batch.records[index];
        let inside = record.as_slice().iter().filter(|b| **b == b'\n').count() as u64;
        let own_break = if self.crlf { 0 } else { 1 };
        let after = batch.end_lines[index].saturating_sub(inside + own_break);
        Some(record.position().map_or(after, |p| p.line().max(after)))
    }

    /// Raw record `index` of the current batch.
    fn raw_record(&self, index: usize) -> &ByteRecord {
        &self.batch.as_ref().expect("items come in batches").records[index]
    }

    /// Turns the raw record `index` of the current batch into `tx`.
    fn fill(&self, index: usize, tx: &mut Transaction) -> Result<()> {
        let record = self.raw_record(index);
        // One UTF-8 check over the whole record (fields lie back to back in one buffer) is
        // several times cheaper than one per field; a field is then a slice of it. The
        // SIMD check of `simdutf8` takes a fraction of the time of `std`'s on these records.
        let text = match simdutf8::compat::from_utf8(record.as_slice()) {
            Ok(text) => text,
            Err(e) => {
                let position = (0..record.len())
                    .find(|i| record.range(*i).is_some_and(|r| r.end > e.valid_up_to()))
                    .unwrap_or(0);
                return Err(self.record_error(
                    self.line_of(index),
                    self.key_at(position),
                    format!(
                        "field {} is not valid UTF-8 (files must be UTF-8)",
                        position + 1
                    ),
                ));
            }
        };
        if record.len() != self.map.width() {
            // A quote opened and never closed swallows the line breaks after it: the row
            // then has too few fields, one of them spanning lines. Say so, since "ragged"
            // alone sends the reader looking for a missing comma.
            let unclosed = (record.len() < self.map.width())
                .then(|| (0..record.len()).find(|&i| record[i].contains(&b'\n')))
                .flatten()
                .map(|i| {
                    format!(
                        "; field {}{} runs across lines, so a quote in it is probably never closed",
                        i + 1,
                        self.key_at(i)
                            .map(|k| format!(" ({k})"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            return Err(self.record_error(
                self.line_of(index),
                None,
                format!(
                    "ragged row: {} fields where the header has {}{unclosed}",
                    record.len(),
                    self.map.width()
                ),
            ));
        }
        // Each field recibo reads, sliced once. A field boundary inside a character (two
        // fields that are valid UTF-8 only together) makes its slice `None`; in a field
        // nobody reads, as in a column recibo does not know, it harms nothing.
        let mut fields = [None; Field::ALL.len()];
        for &(field, position) in &self.fields_read {
            match record.range(position).and_then(|r| text.get(r)) {
                Some(slice) => fields[field as usize] = Some(slice),
                None => {
                    return Err(self.record_error(
                        self.line_of(index),
                        Some(field.key()),
                        format!(
                            "field {} is not valid UTF-8 (files must be UTF-8)",
                            position + 1
                        ),
                    ));
                }
            }
        }
        fill_transaction(tx, |f| fields[f as usize], self.options)
            .map_err(|e| record_error(self.location(self.line_of(index)), e))
    }
}
