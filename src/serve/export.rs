//! `GET /v1/transactions/export` (a CSV, XLSX or JSONL report) and `GET /v1/transactions`
//! (JSON pages for a UI), both from the report files in memory or from the store.
//!
//! Query parameters are the export command's flags without their dashes (`type=REFUND`,
//! `from=2026-10-01`, `columns=accounting`, `header-lang=pt-BR`, ...); they fill the same
//! [`FilterRequest`] and [`TableRequest`] the command line and job files do and go through
//! the same validation, so the HTTP API and the CLI accept and refuse the same things, with
//! the same error codes. Lists take commas or repeated parameters.

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::mpsc;

use super::App;
use super::db::StorePool;
use super::routes::{ApiError, query_pairs};
use super::state::Snapshot;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::model::Transaction;
use crate::output::{OutputStream, Target};
use crate::request::{ColumnSelection, FilterRequest, SettingError, TableRequest};
use crate::sink::csv::CsvSink;
use crate::sink::jsonl::JsonlSink;
use crate::sink::{self, ExportOptions, Format, Sink};
use crate::store::query::Position;

/// Pieces waiting between the thread writing an export and the connection: with
/// [`PIECE`] this bounds an export's memory to about half a megabyte beyond its writer's
/// buffer.
const CHUNKS_IN_FLIGHT: usize = 32;
/// Largest piece handed to the connection. The send timeout runs from one piece to the
/// next, so small pieces let a client that reads slowly but steadily (a download at a few
/// KB/s) keep going, while one that stopped reading still loses its slot.
const PIECE: usize = 16 * 1024;
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DEFAULT_PAGE: usize = 100;

/// What a query string asked for.
struct Params {
    filter: FilterRequest,
    table: TableRequest,
    limit: Option<String>,
    cursor: Option<String>,
    /// The receipts' languages, for an archive of receipts.
    langs: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Export,
    Page,
    Receipts,
}

fn parse_params(
    uri: &Uri,
    endpoint: Endpoint,
    templates: Option<&Path>,
) -> Result<Params, ApiError> {
    parse_pairs(query_pairs(uri)?, endpoint, templates)
}

fn parse_pairs(
    pairs: Vec<(String, String)>,
    endpoint: Endpoint,
    templates: Option<&Path>,
) -> Result<Params, ApiError> {
    let mut p = Params {
        filter: FilterRequest::default(),
        table: TableRequest {
            templates: templates.map(Path::to_path_buf),
            ..TableRequest::default()
        },
        limit: None,
        cursor: None,
        langs: Vec::new(),
    };
    let mut seen = HashSet::new();
    for (raw_key, value) in pairs {
        let key = raw_key.replace('-', "_");
        let export = endpoint == Endpoint::Export;
        let page = endpoint == Endpoint::Page;
        let receipts = endpoint == Endpoint::Receipts;
        let list = |values: &mut Vec<String>| {
            values.extend(
                value
                    .split(',')
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty()),
            )
        };
        let is_list = matches!(
            key.as_str(),
            "currency" | "type" | "method" | "acquirer" | "status" | "id" | "lang"
        );
        if !is_list && !seen.insert(key.clone()) {
            return Err(ApiError::bad_request(format!("{raw_key} is given twice")));
        }
        match key.as_str() {
            "from" => p.filter.from = Some(value),
            "to" => p.filter.to = Some(value),
            "tz" => p.filter.tz = Some(value),
            "currency" => list(&mut p.filter.currency),
            "type" => list(&mut p.filter.r#type),
            "method" => list(&mut p.filter.method),
            "acquirer" => list(&mut p.filter.acquirer),
            "status" => list(&mut p.filter.status),
            "id" => list(&mut p.filter.id),
            "related" => p.filter.related = Some(value),
            "shard" => p.filter.shard = Some(value),
            "columns" if export => p.table.columns = Some(column_spec(value)?),
            "header_lang" if export => p.table.header_lang = Some(value),
            "bom" if export => p.table.bom = flag(&raw_key, &value)?,
            "delimiter" if export => p.table.delimiter = Some(value),
            "decimal_comma" if export => p.table.decimal_comma = flag(&raw_key, &value)?,
            "end_marker" if export => p.table.end_marker = flag(&raw_key, &value)?,
            "format" if export => p.table.format = Some(value),
            "limit" if page => p.limit = Some(value),
            "cursor" if page => p.cursor = Some(value),
            "lang" if receipts => list(&mut p.langs),
            _ => {
                let accepted = match endpoint {
                    Endpoint::Export => {
                        "format, columns, header-lang, bom, delimiter, decimal-comma, end-marker"
                    }
                    Endpoint::Page => "limit, cursor",
                    Endpoint::Receipts => "lang",
                };
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {raw_key:?}; accepted: from, to, tz, currency, type, method, acquirer, \
                     status, id, related, shard, {accepted}"
                )));
            }
        }
    }
    Ok(p)
}

/// A column set by name or a list of keys. The command line also takes a path to a
/// `.toml` set, but a request must not make the server read files of its choosing.
fn column_spec(value: String) -> Result<String, ApiError> {
    if ColumnSelection::new(value.as_str()).names_no_file() {
        Ok(value)
    } else {
        Err(ApiError::bad_request(format!(
            "columns {value:?}: give a column set's name or comma-separated column keys"
        )))
    }
}

/// A refused setting as a query names it: by its parameter.
pub(crate) fn query_error(e: SettingError) -> ApiError {
    let parameter = e.setting.key().replace('_', "-");
    ApiError::new(
        StatusCode::BAD_REQUEST,
        e.code(),
        format!("{parameter}: {}", e.message),
    )
}

fn flag(key: &str, value: &str) -> Result<bool, ApiError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "{key}={value:?}: use true or false"
        ))),
    }
}

/// Where an export or a listing reads: the files' snapshot, or the store.
pub(crate) enum Data {
    Files(Arc<Snapshot>),
    Store(Arc<StorePool>),
}

pub(crate) fn data(app: &Arc<App>) -> Result<Data, ApiError> {
    if let Some(pool) = &app.db {
        return Ok(Data::Store(Arc::clone(pool)));
    }
    app.store.as_ref().map(|s| Data::Files(s.current())).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "no_report_files",
            "this server answers from the gateway only; exports and listings need report files (-i) or a store (--db)",
        )
    })
}

impl Data {
    /// Hands every transaction `filter` keeps to `each`, in the data's order; a store
    /// does the filtering in its query. Blocks.
    fn each(
        &self,
        filter: &Filter,
        each: &mut dyn FnMut(&Transaction) -> Result<()>,
    ) -> Result<()> {
        match self {
            Data::Files(snapshot) => snapshot
                .transactions
                .iter()
                .filter(|tx| filter.matches(tx))
                .try_for_each(each),
            Data::Store(pool) => pool.with(|store| store.read(filter, each)).map(drop),
        }
    }

    /// The transactions carrying `id` among their IDs, in the data's order (at most a few
    /// dozen). Blocks.
    pub(crate) fn with_id(&self, id: &str) -> Result<Vec<Transaction>, ApiError> {
        match self {
            Data::Files(snapshot) => Ok(snapshot
                .with_id(id)
                .take(crate::serve::db::MATCHES_KEPT)
                .cloned()
                .collect()),
            Data::Store(pool) => pool.with_id(id).map_err(ApiError::store),
        }
    }

    /// The transactions that are `id` (its own rows: a payment and a refund may share an
    /// ID) and the ones referring to it as their original, at most `FAMILY_SHOWN` of
    /// those. Every own row is kept however many others come first. Blocks.
    pub(crate) fn family(&self, id: &str) -> Result<Family, ApiError> {
        use crate::serve::db::MATCHES_KEPT;
        let snapshot = match self {
            Data::Files(snapshot) => snapshot,
            // A store looks each half up through its index and counts the rest.
            Data::Store(pool) => {
                let (own, others, more) = pool
                    .with(|store| store.family(id, MATCHES_KEPT, FAMILY_SHOWN))
                    .map_err(ApiError::store)?;
                return Ok(Family { own, others, more });
            }
        };
        let filter = Filter {
            related: Some(id.to_string()),
            ..Filter::default()
        };
        let mut family = Family::default();
        for tx in snapshot.with_id(id).filter(|tx| filter.matches(tx)) {
            if tx.transaction_id == id {
                // Only report files repeat a row (a store keeps one per ID and type).
                if family.own.len() < MATCHES_KEPT {
                    family.own.push(tx.clone());
                }
            } else if family.others.len() < FAMILY_SHOWN {
                family.others.push(tx.clone());
            } else {
                family.more += 1;
            }
        }
        Ok(family)
    }

    /// One page of the transactions `filter` keeps, after `cursor` (one this function
    /// issued for the same data). Blocks.
    pub(crate) fn listing(
        &self,
        filter: &Filter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Listing, ApiError> {
        let cursor = cursor.filter(|c| !c.is_empty());
        match self {
            Data::Files(snapshot) => {
                let start = match cursor {
                    None => 0,
                    Some(c) => {
                        let (generation, position) = parse_cursor(c)?;
                        if generation != snapshot.generation {
                            return Err(ApiError::new(
                                StatusCode::GONE,
                                "cursor_expired",
                                "the data was reloaded since this cursor was issued; start again without a cursor",
                            ));
                        }
                        position
                    }
                };
                let mut items = Vec::with_capacity(limit.min(1024));
                let mut next = None;
                for (i, tx) in snapshot.transactions.iter().enumerate().skip(start) {
                    if !filter.matches(tx) {
                        continue;
                    }
                    if items.len() == limit {
                        next = Some(format!("{}.{i}", snapshot.generation));
                        break;
                    }
                    items.push(tx.clone());
                }
                Ok(Listing {
                    items,
                    next,
                    snapshot: Some(Arc::clone(snapshot)),
                })
            }
            Data::Store(pool) => {
                let after = cursor.map(parse_store_cursor).transpose()?;
                let (items, more) = pool
                    .page(filter, after.as_ref(), limit)
                    .map_err(ApiError::store)?;
                let next = match items.last() {
                    Some(last) if more => Some(store_cursor(last)),
                    _ => None,
                };
                Ok(Listing {
                    items,
                    next,
                    snapshot: None,
                })
            }
        }
    }
}

/// Rows referring to a transaction that its page lists; a payment refunded thousands of
/// times says how many more there are.
pub(crate) const FAMILY_SHOWN: usize = 200;

/// A transaction ID's rows and the rows referring to it (see [`Data::family`]).
#[derive(Default)]
pub(crate) struct Family {
    pub own: Vec<Transaction>,
    pub others: Vec<Transaction>,
    /// Rows referring to it beyond the first [`FAMILY_SHOWN`].
    pub more: u64,
}

/// One page of a listing.
pub(crate) struct Listing {
    pub items: Vec<Transaction>,
    /// Where the next page starts, when one follows.
    pub next: Option<String>,
    /// The files' snapshot the page comes from (a store has no generations).
    pub snapshot: Option<Arc<Snapshot>>,
}

/// What an export's query string asks for, checked as the command line checks its flags.
pub(crate) fn export_request(
    uri: &Uri,
    templates: Option<&Path>,
) -> Result<(Filter, ExportOptions, Format), ApiError> {
    let params = parse_params(uri, Endpoint::Export, templates)?;
    let zone = params.filter.zone().map_err(query_error)?;
    let filter = params.filter.validate().map_err(query_error)?;
    let table = params.table.validate(zone).map_err(query_error)?;
    Ok((filter, table.options, table.format.unwrap_or(Format::Csv)))
}

/// Exports running per client address, so that one client cannot hold every export slot.
pub(crate) struct PerClient {
    limit: usize,
    running: std::sync::Mutex<HashMap<IpAddr, usize>>,
}

/// One client's hold on an export; released when dropped.
pub(crate) struct ClientSlot {
    owner: Arc<PerClient>,
    client: Option<IpAddr>,
}

impl PerClient {
    pub fn new(limit: usize) -> PerClient {
        PerClient {
            limit: limit.max(1),
            running: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// A slot for `client`, or `None` when it already runs `limit` exports. A request
    /// without an address (served in-process) is not counted.
    pub fn try_acquire(self: &Arc<Self>, client: Option<IpAddr>) -> Option<ClientSlot> {
        if let Some(ip) = client {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            let count = running.entry(ip).or_default();
            if *count >= self.limit {
                return None;
            }
            *count += 1;
        }
        Some(ClientSlot {
            owner: Arc::clone(self),
            client,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let Some(ip) = self.client else { return };
        let mut running = self.owner.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = running.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                running.remove(&ip);
            }
        }
    }
}

/// The peer address of the connection a request came on, when the server knows it.
pub(crate) fn client_address(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

pub async fn export(
    State(app): State<Arc<App>>,
    uri: Uri,
    extensions: Extensions,
) -> Result<Response, ApiError> {
    let (filter, options, format) = export_request(&uri, app.templates.as_deref())?;
    let data = data(&app)?;
    let body = streamed(&app, &extensions, "exports", move |out| {
        write_export(&data, &filter, &options, format, out).map(|rows| {
            tracing::debug!(rows, "export written");
        })
    })
    .await?;
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (XLSX_TYPE, "xlsx"),
        Format::Jsonl => ("application/x-ndjson", "jsonl"),
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"transactions.{extension}\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A response body that `write` writes on a blocking thread while the client reads it,
/// within the server's limits on `what` (exports, archives) at once and per client. The
/// first chunk is awaited, so an error before any byte is an error answer.
async fn streamed(
    app: &Arc<App>,
    extensions: &Extensions,
    what: &str,
    write: impl FnOnce(ChunkWriter) -> Result<()> + Send + 'static,
) -> Result<Body, ApiError> {
    let Some(client_slot) = app
        .exports_by_client
        .try_acquire(client_address(extensions))
    else {
        return Err(ApiError::busy(&format!("{what} from this client")));
    };
    let Ok(permit) = Arc::clone(&app.exports).try_acquire_owned() else {
        return Err(ApiError::busy(what));
    };
    let (chunks, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let finished = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&finished);
    let send_timeout = app.send_timeout;
    let runtime = tokio::runtime::Handle::current();
    let what = what.to_string();
    let writer = tokio::task::spawn_blocking(move || {
        let _slots = (permit, client_slot);
        let sender = chunks.clone();
        let out = ChunkWriter {
            chunks,
            timeout: send_timeout,
            runtime,
        };
        match write(out) {
            Ok(()) => done.store(true, Ordering::Release),
            // The client left: nothing to report.
            Err(Error::BrokenPipe) => {}
            Err(e) => {
                tracing::warn!(error = %e, "{what}: stopped");
                // Never waits: a client that stopped reading has a full channel, and the
                // body ends short either way (see `Chunks`).
                let _ = sender.try_send(Err(io::Error::other(e.to_string())));
            }
        }
    });
    body_of(receiver, writer, finished).await
}

/// `GET /v1/receipts.zip?<filters>&lang=en,pt-BR`: a ZIP of the receipts of every
/// successful refund the filters select, one PDF per language, named and listed in a
/// `manifest.csv` (the last entry) as `recibo receipts --zip` does. Streamed as it is
/// rendered: memory stays flat however many refunds the view holds.
pub async fn receipts_zip(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: axum::http::HeaderMap,
    extensions: Extensions,
) -> Result<Response, ApiError> {
    use crate::receipt::bulk::{BulkOptions, BulkRun, DEFAULT_MAX_MERGED_PAGES};
    use crate::receipt::work::{REFUNDS_PER_CHUNK, collect_in_chunks};
    use crate::source::{Pass, ReadStats};

    let params = parse_params(&uri, Endpoint::Receipts, None)?;
    let zone = params.filter.zone().map_err(query_error)?;
    let filter = params.filter.validate().map_err(query_error)?;
    let langs = if params.langs.is_empty() {
        vec![super::receipts::preferred_lang(&headers)]
    } else {
        params
            .langs
            .join(",")
            .parse::<crate::request::Langs>()
            .map_err(query_error)?
            .0
    };
    let data = data(&app)?;
    // Receipts from the files carry their load time, as a single served receipt does.
    let generated_at = match &data {
        Data::Files(snapshot) => snapshot.loaded_at,
        Data::Store(_) => chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0),
    };
    let served = Arc::clone(&app);
    let body = streamed(&app, &extensions, "receipt archives", move |out| {
        let app = served;
        let options = BulkOptions {
            langs,
            branding: app.branding.clone(),
            zone,
            generated_at,
            pdfa: false,
            out_dir: None,
            zip: None,
            merge: None,
            manifest: None,
            force: false,
            max_merged_pages: DEFAULT_MAX_MERGED_PAGES,
        };
        let mut bulk =
            BulkRun::start_streaming(&options, &app.locales, &app.renderer, Box::new(out))?;
        let everything = Filter::default();
        collect_in_chunks(
            &filter,
            true,
            REFUNDS_PER_CHUNK,
            // The refunds' pass may ask the store for the view alone; the payments' pass
            // looks for the payments they refund, wherever they are.
            |pass, each| {
                let asked = if pass == Pass::First {
                    &filter
                } else {
                    &everything
                };
                data.each(asked, each).map(|()| ReadStats::default())
            },
            |work| bulk.add(work, &|| {}),
        )?;
        let report = bulk.finish()?;
        tracing::debug!(rendered = report.rendered, "receipt archive written");
        Ok(())
    })
    .await?;
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"receipts.zip\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The response body from the chunks an export writes, streamed as they come so memory
/// stays flat however large the export. The first chunk is awaited before answering, so an
/// export that fails at once (an XLSX that cannot be assembled) is still a JSON error; a
/// failure later can only cut the body short, which the client sees as an aborted transfer.
async fn body_of(
    mut receiver: mpsc::Receiver<io::Result<Bytes>>,
    writer: tokio::task::JoinHandle<()>,
    finished: Arc<AtomicBool>,
) -> Result<Body, ApiError> {
    match receiver.recv().await {
        Some(Ok(first)) => Ok(Body::from_stream(Chunks {
            first: Some(first),
            rest: receiver,
            finished,
        })),
        Some(Err(e)) => Err(ApiError::internal(format!("the export failed: {e}"))),
        None => {
            writer
                .await
                .map_err(|_| ApiError::internal("the export stopped"))?;
            Ok(Body::empty())
        }
    }
}

/// The export's chunks as a stream for the response body.
struct Chunks {
    first: Option<Bytes>,
    rest: mpsc::Receiver<io::Result<Bytes>>,
    /// Set once the whole export was written: the channel closing before that is an
    /// export that stopped, and the body must end in an error (an aborted transfer), never
    /// as a complete-looking but short file.
    finished: Arc<AtomicBool>,
}

impl futures_core::Stream for Chunks {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        match self.rest.poll_recv(cx) {
            Poll::Ready(None) if !self.finished.swap(true, Ordering::AcqRel) => Poll::Ready(Some(
                Err(io::Error::other("the export stopped before its end")),
            )),
            other => other,
        }
    }
}

/// Hands what a sink writes to the connection, waiting while the client is slower than
/// the export, but not longer than the send timeout: a client that stopped reading must
/// not hold an export slot for as long as it keeps the connection open. A client that hung
/// up surfaces as a broken pipe, which ends the export.
struct ChunkWriter {
    chunks: mpsc::Sender<io::Result<Bytes>>,
    timeout: Duration,
    /// The server's runtime; the writer runs on one of its blocking threads.
    runtime: tokio::runtime::Handle,
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut rest = Bytes::copy_from_slice(buf);
        while !rest.is_empty() {
            let piece = rest.split_to(rest.len().min(PIECE));
            let sent = self.runtime.block_on(tokio::time::timeout(
                self.timeout,
                self.chunks.send(Ok(piece)),
            ));
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(_)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the client closed the connection",
                    ));
                }
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "the client took no data for {} s (--send-timeout)",
                            self.timeout.as_secs()
                        ),
                    ));
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn write_export(
    data: &Data,
    filter: &Filter,
    options: &ExportOptions,
    format: Format,
    mut out: ChunkWriter,
) -> Result<u64> {
    match format {
        Format::Csv | Format::Jsonl => {
            let stream = OutputStream::to_writer(Box::new(out), "the response");
            let mut sink: Box<dyn Sink> = match format {
                Format::Csv => Box::new(CsvSink::new(stream, options)?),
                _ => Box::new(JsonlSink::new(stream)),
            };
            data.each(filter, &mut |tx| sink.write(tx))?;
            sink.finish()
        }
        Format::Xlsx => {
            // The format needs to seek, so the workbook is finished in a file first.
            let dir = tempfile::tempdir().map_err(|e| Error::output("a temporary folder", e))?;
            let path = dir.path().join("transactions.xlsx");
            let mut sink = sink::open(Format::Xlsx, &Target::File(path.clone()), options)?;
            data.each(filter, &mut |tx| sink.write(tx))?;
            let count = sink.finish()?;
            let mut file =
                std::fs::File::open(&path).map_err(|e| Error::output(path.display(), e))?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = file
                    .read(&mut buf)
                    .map_err(|e| Error::output(path.display(), e))?;
                if n == 0 {
                    break;
                }
                out.write_all(&buf[..n])
                    .map_err(|e| Error::output_io("the response", e))?;
            }
            Ok(count)
        }
    }
}

/// `GET /v1/transactions`: `{generation, items, nextCursor}`, items in the JSONL form of a
/// transaction (exact minor units, RFC 3339 times). A cursor is valid for the data it was
/// issued from; after a reload it is refused with 410 and the listing starts over.
/// What a listing's query string asks for: the filter, and the `limit` and `cursor` as given.
pub(crate) fn page_request(
    uri: &Uri,
) -> Result<(Filter, Option<String>, Option<String>), ApiError> {
    let params = parse_params(uri, Endpoint::Page, None)?;
    let filter = params.filter.validate().map_err(query_error)?;
    Ok((filter, params.limit, params.cursor))
}

/// A listing's filter and cursor from query pairs (the web page's view).
pub(crate) fn view_request(
    pairs: Vec<(String, String)>,
) -> Result<(Filter, Option<String>), ApiError> {
    let params = parse_pairs(pairs, Endpoint::Page, None)?;
    let filter = params.filter.validate().map_err(query_error)?;
    Ok((filter, params.cursor))
}

pub async fn page(State(app): State<Arc<App>>, uri: Uri) -> Result<Response, ApiError> {
    let (filter, limit, cursor) = page_request(&uri)?;
    let limit = match limit.as_deref() {
        None => DEFAULT_PAGE.min(app.max_page),
        Some(l) => match l.trim().parse::<usize>() {
            Ok(n) if (1..=app.max_page).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "limit {l:?}: give 1 to {}",
                    app.max_page
                )));
            }
        },
    };
    let data = data(&app)?;
    let body = app
        .read(move || {
            let listing = data.listing(&filter, cursor.as_deref(), limit)?;
            let body = match &listing.snapshot {
                Some(snapshot) => json!({
                    "generation": snapshot.generation,
                    "loadedAt": snapshot.loaded_at.to_rfc3339(),
                    "items": listing.items,
                    "nextCursor": listing.next,
                }),
                None => json!({
                    "items": listing.items,
                    "nextCursor": listing.next,
                }),
            };
            serde_json::to_vec(&body)
                .map_err(|e| ApiError::internal(format!("the listing cannot be written: {e}")))
        })
        .await?;
    Ok(json_response(body))
}

fn json_response(body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

// A page from the store has as its cursor the last row's place in the store's order
// (payment time, then transaction ID), so it stays valid across imports: the next page
// starts after that row, whatever was added or changed in between.

/// `s<microseconds>.<transaction ID in hex>.<type in hex>`: opaque to a client, safe in
/// a URL.
fn store_cursor(tx: &Transaction) -> String {
    use std::fmt::Write as _;
    let mut text = format!("s{}", tx.payment_time.timestamp_micros());
    for part in [tx.transaction_id.as_str(), tx.transaction_type.as_str()] {
        text.push('.');
        for b in part.bytes() {
            let _ = write!(text, "{b:02x}");
        }
    }
    text
}

fn parse_store_cursor(text: &str) -> Result<Position, ApiError> {
    let bad = || ApiError::bad_request(format!("cursor {text:?} is not one this server issued"));
    let mut parts = text.strip_prefix('s').ok_or_else(bad)?.split('.');
    let micros = parts.next().ok_or_else(bad)?;
    let mut text_part = || -> Result<String, ApiError> {
        let hex = parts.next().ok_or_else(bad)?;
        if hex.len() % 2 != 0 || hex.len() > 2 * 4096 {
            return Err(bad());
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
            .collect::<Result<Vec<u8>, ApiError>>()?;
        String::from_utf8(bytes).map_err(|_| bad())
    };
    let transaction_id = text_part()?;
    let transaction_type = text_part()?;
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(Position {
        micros: micros.parse().map_err(|_| bad())?,
        transaction_id,
        transaction_type,
    })
}

fn parse_cursor(text: &str) -> Result<(u64, usize), ApiError> {
    let bad = || ApiError::bad_request(format!("cursor {text:?} is not one this server issued"));
    let (generation, position) = text.split_once('.').ok_or_else(bad)?;
    Ok((
        generation.parse().map_err(|_| bad())?,
        position.parse().map_err(|_| bad())?,
    ))
}
