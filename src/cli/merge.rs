//! `recibo merge`: joins what sharded runs wrote, in part-name order so the result does not
//! depend on which worker finished first. CSV parts (exports and manifests) keep one
//! header; summaries become one summary with totals.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::Outcome;
use super::args::MergeArgs;
use crate::error::{Error, Result};
use crate::output::{OutputStream, Target, write_atomically};
use crate::sink::csv::csv_error;

pub fn run(args: &MergeArgs) -> Result<Outcome> {
    let target = Target::parse(&args.output);
    // Standard output takes the kind of the first part named.
    let implied = match &target {
        Target::File(_) => target.extension(),
        _ => args
            .parts
            .first()
            .and_then(|p| p.extension())
            .map(|e| e.to_string_lossy().to_ascii_lowercase()),
    };
    let kind = match implied.as_deref() {
        Some("csv") | None => "csv",
        Some("json") => "json",
        Some("xlsx") => "xlsx",
        Some(other) => {
            return Err(Error::usage(format!(
                "-o {}: cannot merge .{other} parts; merge .csv exports and manifests, .xlsx exports or .json summaries",
                args.output
            )));
        }
    };
    let parts = list_parts(&args.parts, kind, &target)?;
    if parts.is_empty() {
        return Err(Error::usage(format!(
            "no .{kind} parts found in {}",
            show(&args.parts)
        )));
    }
    let rows = match kind {
        "csv" => merge_csv(&parts, &target)?,
        "xlsx" => merge_xlsx(&parts, &target, args)?,
        _ => merge_summaries(&parts, &target)?,
    };
    Ok(Outcome {
        summary: format!("{} parts merged into {target} ({rows} rows)", parts.len()),
        skipped: 0,
    })
}

fn show(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Files named directly, and the `.kind` files of named folders in name order; the
/// output itself is never its own part.
fn list_parts(args: &[PathBuf], kind: &str, target: &Target) -> Result<Vec<PathBuf>> {
    let mut parts = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(arg)
                .map_err(|e| Error::source(arg.display(), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case(kind))
                })
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            found.sort();
            parts.extend(found);
        } else if arg.is_file() {
            parts.push(arg.clone());
        } else {
            return Err(Error::source(arg.display(), "no such file or folder"));
        }
    }
    if let Target::File(out) = target {
        let out = std::fs::canonicalize(out).unwrap_or_else(|_| out.clone());
        parts.retain(|p| std::fs::canonicalize(p).map_or(true, |p| p != out));
    }
    Ok(parts)
}

/// Concatenates CSV parts that share one header. A BOM, the delimiter and the gateway's
/// `<END>` line follow the first part.
fn merge_csv(parts: &[PathBuf], target: &Target) -> Result<u64> {
    let mut out = Some(OutputStream::open(target)?);
    let mut header: Option<csv::ByteRecord> = None;
    let mut writer: Option<csv::Writer<OutputStream>> = None;
    let mut end_marker = false;
    let mut rows = 0;
    let mut record = csv::ByteRecord::new();
    for part in parts {
        let (bom, delimiter, reader) = open_csv_part(part)?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(reader);
        let this_header = reader
            .byte_headers()
            .map_err(|e| Error::source(part.display(), e))?
            .clone();
        match &header {
            None => {
                let mut stream = out
                    .take()
                    .expect("opened once, taken with the first header");
                if bom {
                    stream
                        .write_all("\u{feff}".as_bytes())
                        .map_err(|e| Error::output_io(target, e))?;
                }
                let mut w = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_writer(stream);
                w.write_byte_record(&this_header)
                    .map_err(|e| csv_error(target, e))?;
                writer = Some(w);
                header = Some(this_header);
            }
            Some(h) if *h != this_header => {
                return Err(Error::source(
                    part.display(),
                    "its header differs from the first part's",
                ));
            }
            Some(_) => {}
        }
        let w = writer
            .as_mut()
            .expect("writer opened with the first header");
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| Error::source(part.display(), e))?
        {
            if record.len() == 1 && record[0].trim_ascii() == b"<END>" {
                end_marker = true;
                continue;
            }
            w.write_byte_record(&record)
                .map_err(|e| csv_error(target, e))?;
            rows += 1;
        }
    }
    let stream = match writer {
        Some(mut w) => {
            if end_marker {
                w.write_record(["<END>"])
                    .map_err(|e| csv_error(target, e))?;
            }
            w.into_inner()
                .map_err(|e| Error::output_io(target, e.into_error()))?
        }
        None => out.take().expect("still here when no part had a header"),
    };
    stream.commit()?;
    Ok(rows)
}

/// A CSV part, read as a stream: whether it starts with a BOM, its delimiter (sniffed
/// from the header line) and a reader past the BOM. Memory holds the header line and a
/// buffer, never the part.
fn open_csv_part(part: &Path) -> Result<(bool, u8, impl Read)> {
    let fail = |e: std::io::Error| Error::source(part.display(), e);
    let file = std::fs::File::open(part).map_err(fail)?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut first_line = Vec::new();
    // A header line is a few kilobytes; a "line" of a megabyte is not a report's header,
    // and the CSV reader will say what is wrong with it.
    (&mut reader)
        .take(1 << 20)
        .read_until(b'\n', &mut first_line)
        .map_err(fail)?;
    let bom = first_line.starts_with("\u{feff}".as_bytes());
    if bom {
        first_line.drain(..3);
    }
    let delimiter = crate::source::csv::sniff_delimiter(&first_line);
    Ok((
        bom,
        delimiter,
        std::io::Cursor::new(first_line).chain(reader),
    ))
}

/// The first row of the first sheet of an XLSX part, read cell by cell, so a large part
/// is not loaded to learn its header.
fn xlsx_header(part: &Path) -> Result<Vec<String>> {
    use calamine::{DataType, Reader};
    let fail = |e: calamine::XlsxError| Error::source(part.display(), e);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(part).map_err(fail)?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| Error::source(part.display(), "no sheet"))?;
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(fail)?;
    let mut header: Vec<String> = Vec::new();
    let mut first_row = None;
    while let Some(cell) = cells.next_cell().map_err(fail)? {
        let (row, col) = cell.get_position();
        if *first_row.get_or_insert(row) != row {
            break;
        }
        // Excel's own limit: 16,384 columns (XFD). A cell beyond it is not a worksheet's.
        if col >= 16_384 {
            return Err(Error::source(
                part.display(),
                format!(
                    "its header has a cell in column {}, past Excel's last column",
                    col + 1
                ),
            ));
        }
        let col = col as usize;
        if header.len() <= col {
            header.resize(col + 1, String::new());
        }
        header[col] = cell.get_value().as_string().unwrap_or_default();
    }
    Ok(header)
}

/// XLSX parts headed by column keys (the default header): read back as transactions and
/// written again with the same columns, so amounts keep their currency's number format and
/// times their zone (`--tz`, the zone the parts were written in).
fn merge_xlsx(parts: &[PathBuf], target: &Target, args: &MergeArgs) -> Result<u64> {
    if target.is_stdout() {
        return Err(Error::usage(
            "XLSX cannot be streamed to standard output; give a file with -o",
        ));
    }
    let zone = args
        .tz
        .parse::<crate::request::Zone>()
        .map_err(super::config::flag_error)?
        .0;
    let first = &parts[0];
    let header = xlsx_header(first)?;
    let mut columns = Vec::new();
    for key in &header {
        match (
            crate::columns::find(key),
            crate::source::fields::Field::from_header(key),
        ) {
            (Some(column), Some(_)) => columns.push(column),
            _ => {
                return Err(Error::source(
                    first.display(),
                    format!(
                        "column {key:?} cannot be read back; XLSX parts merge when headed by the keys of report \
                         fields (export them with --header-lang key), or merge CSV parts instead"
                    ),
                ));
            }
        }
    }
    let options = crate::sink::ExportOptions {
        columns,
        header: crate::columns::HeaderLang::Key,
        zone,
        ..crate::sink::ExportOptions::default()
    };
    let mut sink = crate::sink::open(crate::sink::Format::Xlsx, target, &options)?;
    let inputs: Vec<crate::source::Input> = parts
        .iter()
        .map(|p| crate::source::Input {
            name: p.display().to_string(),
            format: crate::source::InputFormat::Xlsx,
        })
        .collect();
    let source_options = crate::source::SourceOptions::new(None, zone);
    crate::source::read_all(
        &inputs,
        &source_options,
        crate::source::BadRecords::Stop,
        |tx| sink.write(tx),
    )?;
    sink.finish()
}

/// Summaries of sharded runs as one: every part kept, plus totals and the worst exit code.
fn merge_summaries(parts: &[PathBuf], target: &Target) -> Result<u64> {
    let mut summaries = Vec::new();
    let (mut records, mut skipped, mut exit_code) = (0u64, 0u64, 0u64);
    let mut files = Vec::new();
    for part in parts {
        let text = std::fs::read_to_string(part).map_err(|e| Error::source(part.display(), e))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::source(part.display(), format!("not a summary: {e}")))?;
        records += value["read"]["records"].as_u64().unwrap_or(0);
        skipped += value["read"]["skipped"].as_u64().unwrap_or(0);
        exit_code = exit_code.max(value["exit_code"].as_u64().unwrap_or(0));
        if let Some(f) = value["files"].as_array() {
            files.extend(f.iter().cloned());
        }
        summaries.push(value);
    }
    let merged = serde_json::json!({
        "parts": summaries,
        "read": {"records": records, "skipped": skipped},
        "files": files,
        "exit_code": exit_code,
    });
    let mut json = serde_json::to_vec_pretty(&merged).map_err(|e| Error::output(target, e))?;
    json.push(b'\n');
    match target {
        Target::File(path) => write_atomically(path, &json)?,
        _ => std::io::stdout()
            .write_all(&json)
            .map_err(|e| Error::output_io(target, e))?,
    }
    Ok(summaries.len() as u64)
}
