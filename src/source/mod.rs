//! Sources of transactions: report files (CSV, XLSX, JSONL) and the gateway API.
//!
//! Every file source implements [`RecordReader`]: it refills one caller-owned
//! [`Transaction`] per record, so reading a million rows allocates nothing per row.
//! [`read_all`] concatenates several inputs and applies the bad-record policy.

pub mod csv;
pub mod fields;
pub mod gateway;
pub mod jsonl;
pub mod xlsx;

use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use chrono_tz::Tz;

use crate::error::{Error, Location, Result};
use crate::model::{Currency, Transaction};
use fields::{FieldError, FieldSet};

/// Reads one record at a time into a reused [`Transaction`].
pub trait RecordReader {
    /// Fills `tx` with the next record; `Ok(false)` at the end. After an
    /// [`Error::Record`] the reader has moved past the bad record and may be called again.
    fn read_into(&mut self, tx: &mut Transaction) -> Result<bool>;

    /// Where the record `read_into` last filled sits: input, row and line, where known.
    fn location(&self) -> Option<Location> {
        None
    }
}

/// A check of a record that its reader found good, beyond what the readers check: the
/// field it is about and why the record is refused (see [`SourceOptions::check`]).
pub type RecordCheck = fn(&Transaction) -> Option<(&'static str, String)>;

/// A file format recibo reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    Csv,
    Xlsx,
    Jsonl,
}

impl InputFormat {
    /// From a file's extension; standard input (`-`) is CSV unless told otherwise.
    pub fn from_name(name: &str) -> Result<InputFormat> {
        if name == "-" {
            return Ok(InputFormat::Csv);
        }
        let ext = Path::new(name)
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("csv") | Some("txt") => Ok(InputFormat::Csv),
            Some("xlsx") | Some("xlsm") => Ok(InputFormat::Xlsx),
            Some("jsonl") | Some("ndjson") => Ok(InputFormat::Jsonl),
            _ => Err(Error::usage(format!(
                "{name}: cannot tell the format from the extension; use .csv, .xlsx or .jsonl (or --input-format)"
            ))),
        }
    }
}

/// One input as the user named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// A path, or `-` for standard input.
    pub name: String,
    pub format: InputFormat,
}

/// How inputs are read.
#[derive(Clone, Debug)]
pub struct SourceOptions {
    /// XLSX sheet to read; the first sheet when `None`.
    pub sheet: Option<String>,
    /// Zone for spreadsheet date-time cells, which carry no offset.
    pub zone: Tz,
    /// Free-text fields the caller looks at (see [`fields::ReadOptions::text_fields`]).
    pub text_fields: FieldSet,
    /// Longest record: a CSV record or JSONL line, an XLSX shared string. What a reader
    /// holds at once, so hostile input (an unclosed quote, `/dev/zero`, a 1 GB string in a
    /// 1 MB workbook) ends in an error instead of filling memory.
    pub max_record_bytes: usize,
    /// Refuses records that read well but cannot be used where they go (a store keeps
    /// microseconds): a refused record is a bad record, named by input, row and field.
    pub check: Option<RecordCheck>,
}

/// The default [`SourceOptions::max_record_bytes`]: far above any real transaction.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1 << 20;

/// An XLSX workbook's shared strings are held whole by the reader: at most this many times
/// the record limit in all.
pub const SHARED_STRINGS_PER_RECORD_LIMIT: u64 = 1024;

impl SourceOptions {
    pub fn new(sheet: Option<String>, zone: Tz) -> SourceOptions {
        SourceOptions {
            sheet,
            zone,
            text_fields: FieldSet::ALL,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            check: None,
        }
    }
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions::new(None, Tz::UTC)
    }
}

/// Opens one input for reading.
pub fn open(input: &Input, options: &SourceOptions) -> Result<Box<dyn RecordReader>> {
    let name = input.name.as_str();
    if name == "-" {
        // Not locked: the CSV parser reads it from a thread of its own.
        let stdin = std::io::stdin();
        return Ok(match input.format {
            InputFormat::Csv => Box::new(csv::CsvReader::new(name, stdin, options)?),
            InputFormat::Jsonl => Box::new(jsonl::JsonlReader::with_limit(
                name,
                stdin.lock(),
                options.max_record_bytes,
            )),
            InputFormat::Xlsx => {
                return Err(Error::usage(
                    "XLSX cannot be read from standard input; name the file",
                ));
            }
        });
    }
    let open_file = || std::fs::File::open(name).map_err(|e| Error::source(name, e));
    Ok(match input.format {
        InputFormat::Csv => Box::new(csv::CsvReader::new(name, open_file()?, options)?),
        InputFormat::Jsonl => Box::new(jsonl::JsonlReader::with_limit(
            name,
            BufReader::with_capacity(256 * 1024, open_file()?),
            options.max_record_bytes,
        )),
        InputFormat::Xlsx => Box::new(xlsx::XlsxReader::open(name, options)?),
    })
}

/// Report files read in order, with the bad-record policy.
#[derive(Clone, Debug)]
pub struct FileSource {
    pub inputs: Vec<Input>,
    pub options: SourceOptions,
    /// Skip bad records (each reported, counted) instead of stopping.
    pub skip_bad: bool,
    /// Skipped records are counted but not reported: a pass over inputs read before,
    /// whose bad records were reported then.
    pub quiet: bool,
}

impl FileSource {
    /// Reads every record, handing the good ones to `each`.
    pub fn read(&self, each: impl FnMut(&Transaction) -> Result<()>) -> Result<ReadStats> {
        let bad = match (self.skip_bad, self.quiet) {
            (false, _) => BadRecords::Stop,
            (true, false) => BadRecords::Skip,
            (true, true) => BadRecords::SkipQuietly,
        };
        read_all(&self.inputs, &self.options, bad, each)
    }

    /// True when the inputs can be read a second time (standard input cannot).
    pub fn rereadable(&self) -> bool {
        self.inputs.iter().all(|i| i.name != "-")
    }
}

/// Orders looked up at the gateway's API.
#[derive(Clone, Debug)]
pub struct GatewaySource {
    pub config: gateway::GatewayConfig,
    pub orders: Vec<String>,
}

impl GatewaySource {
    /// Fetches every order and hands each transaction (the payment, then its refunds) to
    /// `each`, in order. An order that fails is reported and counted as skipped; when no
    /// order at all could be fetched for another reason than "not found", the gateway
    /// counts as unreachable.
    pub fn read(&self, mut each: impl FnMut(&Transaction) -> Result<()>) -> Result<ReadStats> {
        let mut stats = ReadStats::default();
        let mut stop: Option<Error> = None;
        let mut unreachable: Option<String> = None;
        let summary = gateway::fetch_orders_while(&self.config, self.orders.clone(), |outcome| {
            match outcome.result {
                Ok(transactions) => {
                    for tx in &transactions {
                        stats.records += 1;
                        if let Err(e) = each(tx) {
                            // The output failed: asking the gateway for more is wasted work.
                            stop = Some(e);
                            return ControlFlow::Break(());
                        }
                    }
                }
                Err(e) => {
                    // The error names the order itself.
                    tracing::warn!("{e}");
                    stats.skipped += 1;
                    if !e.is_not_found() {
                        unreachable = Some(e.to_string());
                    }
                }
            }
            ControlFlow::Continue(())
        });
        if let Some(e) = stop {
            return Err(e);
        }
        if summary.orders_found == 0
            && let Some(last) = unreachable
        {
            return Err(Error::source(
                &self.config.base_url,
                format!("no order could be fetched; last error: {last}"),
            ));
        }
        stats.gateway = Some(summary);
        Ok(stats)
    }
}

/// Which read of a source this is: bad records are reported on the first only, so that a
/// command reading its inputs several times (receipts, a job) reports each once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    First,
    Again,
}

/// What a read does with a bad record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadRecords {
    /// Stop at it, with its error.
    Stop,
    /// Report it (`tracing::warn!`), count it and go on.
    Skip,
    /// Count it and go on: it was reported by an earlier pass.
    SkipQuietly,
}

/// Where transactions come from: report files, the gateway's API, or a store.
#[derive(Clone, Debug)]
pub enum Source {
    Files(FileSource),
    Gateway(GatewaySource),
    Store(crate::store::StoreSource),
}

impl Source {
    /// [`Source::read`], reporting bad records on the first pass only.
    pub fn read_pass(
        &self,
        pass: Pass,
        each: impl FnMut(&Transaction) -> Result<()>,
    ) -> Result<ReadStats> {
        if pass == Pass::First {
            return self.read(each);
        }
        let mut again = self.clone();
        match &mut again {
            Source::Files(files) => files.quiet = true,
            Source::Store(crate::store::StoreSource {
                query: Some(query), ..
            }) => query.quiet = true,
            _ => {}
        }
        again.read(each)
    }

    pub fn read(&self, each: impl FnMut(&Transaction) -> Result<()>) -> Result<ReadStats> {
        match self {
            Source::Files(files) => files.read(each),
            Source::Gateway(gateway) => gateway.read(each),
            Source::Store(store) => store.read(each),
        }
    }

    /// A store reads only what `filter` keeps, the filter becoming its query's `WHERE`;
    /// other sources still read every record. For a caller that looks at nothing but the
    /// records `filter` keeps (an export, not receipts, which also need the payments).
    pub fn push_down(mut self, filter: &crate::filter::Filter) -> Source {
        if let Source::Store(store) = &mut self {
            store.filter = filter.clone();
        }
        self
    }

    /// What the source is named by in summaries: the inputs, the gateway, the store (with
    /// no password).
    pub fn names(&self) -> Vec<String> {
        match self {
            Source::Files(files) => files.inputs.iter().map(|i| i.name.clone()).collect(),
            Source::Gateway(g) => vec![g.config.base_url.clone()],
            Source::Store(s) => vec![s.url.to_string()],
        }
    }

    /// True when reading again is cheap and gives the same records: files, not standard
    /// input, and not the gateway (a second pass would fetch every order again).
    pub fn rereadable(&self) -> bool {
        match self {
            Source::Files(files) => files.rereadable(),
            Source::Gateway(_) => false,
            Source::Store(_) => true,
        }
    }

    /// Reads only these free-text fields of report files (the others stay empty); the
    /// gateway's answers are small and always read whole.
    pub fn with_text_fields(mut self, fields: FieldSet) -> Source {
        if let Source::Files(files) = &mut self {
            files.options.text_fields = fields;
        }
        self
    }
}

/// What reading the inputs came to.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadStats {
    /// Good records read, before filtering.
    pub records: u64,
    /// Bad records skipped (with `--skip-bad`), or gateway orders that failed.
    pub skipped: u64,
    /// What the gateway was asked and answered, when it was the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<gateway::FetchSummary>,
}

/// Reads every input in order and hands each good record to `each`. A bad record stops
/// the run unless `skip_bad`, in which case it is reported with `tracing::warn!` and
/// counted. Errors from `each` stop the run.
///
/// Parsing runs on its own thread, a batch of records ahead of `each`, so reading and
/// writing use two cores. Batches go back to the reader for refilling: memory stays flat
/// and no record allocates once the buffers have grown.
pub fn read_all(
    inputs: &[Input],
    options: &SourceOptions,
    bad: BadRecords,
    mut each: impl FnMut(&Transaction) -> Result<()>,
) -> Result<ReadStats> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    let stop = Arc::new(AtomicBool::new(false));
    // The reader owns its inputs, so that after an error it can be left behind rather than
    // waited for: a reader blocked on standard input (`tail -f | recibo ...`) would
    // otherwise hold the error back until the input closed.
    let reader = {
        let (inputs, options, stop) = (inputs.to_vec(), options.clone(), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("recibo-reader".into())
            .spawn(move || parse_inputs(&inputs, &options, full_tx, empty_rx, &stop))
            .map_err(|e| Error::source("inputs", format!("cannot start the reader thread: {e}")))?
    };
    {
        let mut stats = ReadStats::default();
        let outcome = (|| {
            for mut batch in full_rx.iter() {
                for event in batch.events.drain(..) {
                    match event {
                        Event::Record(i) => {
                            stats.records += 1;
                            each(&batch.records[i])?;
                        }
                        Event::Bad(e) if bad != BadRecords::Stop => {
                            if bad == BadRecords::Skip {
                                tracing::warn!("skipped {e}");
                            }
                            stats.skipped += 1;
                        }
                        Event::Bad(e) | Event::Fatal(e) => return Err(e),
                    }
                }
                // The reader may have stopped already; then the batch is simply dropped.
                let _ = empty_tx.send(batch);
            }
            Ok(())
        })();
        // Whatever happened, let the reader thread finish instead of parsing on.
        stop.store(true, Ordering::Relaxed);
        drop(full_rx);
        if outcome.is_ok() && reader.join().is_err() {
            // It has sent everything, so it is done or about to be; a panic there must not
            // pass for the end of the input.
            return Err(Error::source(
                "inputs",
                "the reader stopped unexpectedly; the output is incomplete",
            ));
        }
        outcome.map(|()| stats)
    }
}

/// Runs `produce` on its own thread, handing the records it gives to `each` here a
/// batch at a time, so that producing (a store's reads) and consuming (an output's
/// writes) each use a core. Batches come back to be refilled: memory stays flat. When
/// `each` fails, `produce` is stopped at its next batch and `each`'s error is returned.
pub(crate) fn ahead<P>(
    produce: P,
    mut each: impl FnMut(&Transaction) -> Result<()>,
) -> Result<ReadStats>
where
    P: FnOnce(&mut dyn FnMut(&Transaction) -> Result<()>) -> Result<ReadStats> + Send,
{
    let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<Transaction>, usize)>(BATCHES_IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<Transaction>>();
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let stopped = || Error::System("the reading stopped".into());
            let mut batch: Vec<Transaction> = Vec::with_capacity(BATCH_RECORDS);
            let mut used = 0;
            let read = produce(&mut |tx| {
                if used == batch.len() {
                    batch.push(tx.clone());
                } else {
                    batch[used].clone_from(tx);
                }
                used += 1;
                if used == BATCH_RECORDS {
                    let next = empty_rx.try_recv().unwrap_or_default();
                    full_tx
                        .send((std::mem::replace(&mut batch, next), used))
                        .map_err(|_| stopped())?;
                    used = 0;
                }
                Ok(())
            });
            // What was read before a failure is handed on before the failure is.
            if used > 0 {
                let _ = full_tx.send((batch, used));
            }
            read
        });
        let consumed = (|| {
            for (batch, used) in full_rx.iter() {
                batch[..used].iter().try_for_each(&mut each)?;
                let _ = empty_tx.send(batch);
            }
            Ok(())
        })();
        // A consumer that failed stops the producer at its next batch.
        drop(full_rx);
        let produced = producer.join().unwrap_or_else(|_| {
            Err(Error::System(
                "the reading thread stopped unexpectedly".into(),
            ))
        });
        consumed.and(produced)
    })
}

/// Records parsed per batch.
const BATCH_RECORDS: usize = 512;
/// Batches queued between the reader thread and the writer.
const BATCHES_IN_FLIGHT: usize = 4;

/// A batch of parsed records: the records themselves (reused from batch to batch) and, in
/// input order, what happened (a good record, a bad one, or the end of the road).
struct Batch {
    records: Vec<Transaction>,
    events: Vec<Event>,
}

enum Event {
    /// `records[i]` holds a good record.
    Record(usize),
    /// A bad record, with where and why.
    Bad(Error),
    /// An input could not be read at all; nothing follows.
    Fatal(Error),
}

fn parse_inputs(
    inputs: &[Input],
    options: &SourceOptions,
    full: mpsc::SyncSender<Batch>,
    empty: mpsc::Receiver<Batch>,
    stop: &AtomicBool,
) {
    let usd = Currency::parse("USD").expect("USD is known");
    let fresh = || Batch {
        records: Vec::with_capacity(BATCH_RECORDS),
        events: Vec::with_capacity(BATCH_RECORDS),
    };
    let mut batch = fresh();
    let mut used = 0;
    for input in inputs {
        let mut reader = match open(input, options) {
            Ok(r) => r,
            Err(e) => {
                batch.events.push(Event::Fatal(e));
                let _ = full.send(batch);
                return;
            }
        };
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if used == batch.records.len() {
                batch.records.push(Transaction::blank(usd));
            }
            match reader.read_into(&mut batch.records[used]) {
                Ok(true) => {
                    let refused = options.check.and_then(|check| check(&batch.records[used]));
                    if let Some((field, message)) = refused {
                        let location = reader.location().unwrap_or_else(|| Location {
                            input: input.name.clone(),
                            row: 0,
                            line: None,
                        });
                        batch.events.push(Event::Bad(Error::Record {
                            location,
                            field: Some(field),
                            message,
                        }));
                    } else {
                        batch.events.push(Event::Record(used));
                        used += 1;
                    }
                }
                Ok(false) => break,
                Err(e) if e.is_record() => batch.events.push(Event::Bad(e)),
                Err(e) => {
                    batch.events.push(Event::Fatal(e));
                    let _ = full.send(batch);
                    return;
                }
            }
            if used == BATCH_RECORDS || batch.events.len() >= BATCH_RECORDS {
                if full.send(batch).is_err() {
                    return;
                }
                batch = empty.try_recv().unwrap_or_else(|_| fresh());
                used = 0;
            }
        }
    }
    if !batch.events.is_empty() {
        let _ = full.send(batch);
    }
}

pub(crate) fn record_error(location: Location, e: FieldError) -> Error {
    Error::Record {
        location,
        field: Some(e.field),
        message: e.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn numbered(n: usize) -> Transaction {
        let mut tx = Transaction::blank(Currency::parse("USD").unwrap());
        tx.transaction_id = n.to_string();
        tx
    }

    #[test]
    fn records_read_ahead_arrive_in_order_and_failures_on_either_side_stop_both() {
        // Every record, in order, with the producer's stats.
        let mut seen = Vec::new();
        let stats = ahead(
            |each| {
                for n in 0..2000 {
                    each(&numbered(n))?;
                }
                Ok(ReadStats {
                    records: 2000,
                    ..ReadStats::default()
                })
            },
            |tx| {
                seen.push(tx.transaction_id.parse::<usize>().unwrap());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(stats.records, 2000);
        assert_eq!(seen, (0..2000).collect::<Vec<_>>());

        // The producer's failure comes after the records it gave before it.
        let mut seen = 0;
        let err = ahead(
            |each| {
                for n in 0..600 {
                    each(&numbered(n))?;
                }
                Err(Error::usage("row 601 is bad"))
            },
            |_| {
                seen += 1;
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!((seen, err.to_string().contains("row 601")), (600, true));

        // The consumer's failure is the one returned, and stops the producer early.
        let produced = AtomicUsize::new(0);
        let err = ahead(
            |each| {
                for n in 0..1_000_000 {
                    produced.fetch_add(1, Ordering::Relaxed);
                    each(&numbered(n))?;
                }
                Ok(ReadStats::default())
            },
            |tx| {
                if tx.transaction_id == "700" {
                    return Err(Error::usage("the disk is full"));
                }
                Ok(())
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("disk is full"), "{err}");
        assert!(produced.load(Ordering::Relaxed) < 100_000);
    }
}
