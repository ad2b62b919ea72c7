//! Export sinks: where filtered transactions are written. One file per format; each takes
//! the same [`ExportOptions`] and writes the chosen columns row by row.

pub mod csv;
pub mod jsonl;
pub mod xlsx;

use chrono_tz::Tz;

use crate::columns::{Column, HeaderLang};
use crate::error::{Error, Result};
use crate::model::FieldSet;
use crate::model::Transaction;
use crate::output::Target;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Jsonl,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The format a target's extension implies.
    pub fn from_target(target: &Target) -> Option<Format> {
        target.extension().and_then(|e| Format::parse(&e))
    }
}

/// The fields of a transaction that an export of `format` writes: those its columns read,
/// or every one for JSONL, which writes whole transactions.
pub fn text_fields(format: Format, options: &ExportOptions) -> FieldSet {
    match format {
        Format::Jsonl => FieldSet::ALL,
        Format::Csv | Format::Xlsx => options
            .columns
            .iter()
            .fold(FieldSet::EMPTY, |fields, column| fields.union(column.reads)),
    }
}

/// How an export is written; shared by every sink.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    pub columns: Vec<&'static Column>,
    pub header: HeaderLang,
    /// Zone for times.
    pub zone: Tz,
    /// CSV: a UTF-8 byte order mark first, for Excel.
    pub bom: bool,
    /// CSV field separator.
    pub delimiter: u8,
    /// CSV: `,` as the decimal mark in amounts.
    pub decimal_comma: bool,
    /// CSV: end with the gateway's `<END>` line.
    pub end_marker: bool,
    /// XLSX: the creation time in the document's properties; now when `None`. Jobs fix it
    /// so a rerun writes the same bytes.
    pub created: Option<chrono::DateTime<chrono::Utc>>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            columns: crate::columns::sets::resolve("default", None)
                .map(|s| s.columns)
                .unwrap_or_default(),
            header: HeaderLang::Key,
            zone: Tz::UTC,
            bom: false,
            delimiter: b',',
            decimal_comma: false,
            end_marker: false,
            created: None,
        }
    }
}

/// A sink takes transactions one at a time and commits its output at the end. Dropping a
/// sink without `finish` leaves no output file behind.
pub trait Sink {
    fn write(&mut self, tx: &Transaction) -> Result<()>;
    /// Completes the output (renames it into place); returns rows written.
    fn finish(self: Box<Self>) -> Result<u64>;
}

/// Refuses to write a time that no reader of recibo's would take back (see
/// [`crate::model::time::in_range`]); the error names the transaction and the column.
pub(crate) fn check_time(
    target: &Target,
    tx: &Transaction,
    key: &str,
    t: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    if crate::model::time::in_range(t) {
        return Ok(());
    }
    let text = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    Err(Error::output(
        target,
        format!(
            "transaction {:?}, column {key}: {}",
            tx.transaction_id,
            crate::model::time::TimeError::OutOfRange(text)
        ),
    ))
}

/// Opens the sink for `format` writing to `target`.
pub fn open(format: Format, target: &Target, options: &ExportOptions) -> Result<Box<dyn Sink>> {
    Ok(match format {
        Format::Csv => Box::new(csv::CsvSink::open(target, options)?),
        Format::Jsonl => Box::new(jsonl::JsonlSink::open(target)?),
        Format::Xlsx => {
            if target.is_stdout() {
                return Err(Error::usage(
                    "XLSX cannot be streamed to standard output (the format needs to seek); give a file with -o",
                ));
            }
            Box::new(xlsx::XlsxSink::open(target, options)?)
        }
    })
}
