//! Many receipts at once: rendered in parallel with rayon, written to a folder, a ZIP
//! archive and/or one merged PDF, with a manifest of every refund and what became of it.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rayon::prelude::*;

use super::content::ReceiptInput;
use super::page::ReceiptPage;
use super::pdf::{RenderOptions, RenderedPdf, Renderer};
use super::template::Branding;
use super::work::{Work, ineligible_reason};
use crate::error::{Error, Result};
use crate::locale::{Lang, Locales};
use crate::model::Transaction;
use crate::output::{
    AtomicFile, FileRecord, remove_stale_temporaries, sha256_hex, write_atomically, write_in_batch,
};
use crate::source::fields::needs_formula_guard;

/// What a bulk run produces and how.
#[derive(Clone, Debug)]
pub struct BulkOptions {
    pub langs: Vec<Lang>,
    /// The templates receipts are printed with.
    pub branding: Branding,
    pub zone: Tz,
    pub generated_at: DateTime<Utc>,
    pub pdfa: bool,
    /// One PDF per refund per language in this folder.
    pub out_dir: Option<PathBuf>,
    /// The same files in one ZIP archive (with the manifest inside).
    pub zip: Option<PathBuf>,
    /// One PDF with a page per refund per language.
    pub merge: Option<PathBuf>,
    /// Where the manifest goes; by default beside the outputs.
    pub manifest: Option<PathBuf>,
    /// Rewrite files even when identical ones exist.
    pub force: bool,
    /// Most pages of the merged document (see [`DEFAULT_MAX_MERGED_PAGES`]).
    pub max_merged_pages: usize,
}

/// The merged document's pages are all held until it is written (the PDF writer assembles
/// a document whole, about 65 KB a page): its page count is bounded, and a run that would
/// pass the bound stops before rendering anything.
pub const DEFAULT_MAX_MERGED_PAGES: usize = 10_000;

/// What became of one receipt (a refund in one language).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStatus {
    /// Its PDF was written (into the folder, the archive or the merged document).
    Written,
    /// An identical file was already in the folder and was left alone.
    Unchanged,
    /// The refund gets no receipt (not successful, or a repeat); the reason says why.
    Skipped,
    /// It could not be rendered; the reason says why.
    Failed,
}

impl ReceiptStatus {
    /// As the manifest and job summaries write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Written => "written",
            ReceiptStatus::Unchanged => "unchanged",
            ReceiptStatus::Skipped => "skipped",
            ReceiptStatus::Failed => "failed",
        }
    }

    /// A receipt the user asked for that does not exist now.
    pub fn is_missing(self) -> bool {
        matches!(self, ReceiptStatus::Skipped | ReceiptStatus::Failed)
    }
}

/// One line of `manifest.csv`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ManifestEntry {
    pub refund_id: String,
    pub language: String,
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    pub status: ReceiptStatus,
    pub reason: String,
}

impl ManifestEntry {
    fn new(refund: &Transaction, lang: Lang, status: ReceiptStatus) -> ManifestEntry {
        ManifestEntry {
            refund_id: refund.transaction_id.clone(),
            language: lang.tag().into(),
            file: String::new(),
            bytes: 0,
            sha256: String::new(),
            status,
            reason: String::new(),
        }
    }
}

/// What a bulk run did. Every receipt has its line in the manifest; the report keeps
/// counts, and the first [`NOT_RENDERED_KEPT`] receipts that were skipped or failed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BulkReport {
    pub rendered: u64,
    pub written: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
    /// The first skipped or failed receipts, with their reasons.
    pub not_rendered: Vec<ManifestEntry>,
    /// Files written (folder files, the archive, the merge, the manifest).
    pub files: Vec<FileRecord>,
}

/// Skipped or failed receipts a report lists (the manifest lists them all): a job summary
/// stays readable, and its size bounded, however many refunds failed.
pub const NOT_RENDERED_KEPT: usize = 1000;

impl BulkReport {
    fn count(&mut self, entry: &ManifestEntry) {
        match entry.status {
            ReceiptStatus::Written => self.written += 1,
            ReceiptStatus::Unchanged => self.unchanged += 1,
            ReceiptStatus::Skipped => self.skipped += 1,
            ReceiptStatus::Failed => self.failed += 1,
        }
        if entry.status.is_missing() && self.not_rendered.len() < NOT_RENDERED_KEPT {
            self.not_rendered.push(entry.clone());
        }
    }
}

/// A receipt of a batch after the parallel stage: its page (for a merged document), and
/// its PDF with digest and what became of its folder file, or why it could not be rendered.
struct Rendered {
    page: ReceiptPage,
    outcome: std::result::Result<RenderedReceipt, String>,
}

struct RenderedReceipt {
    pdf: RenderedPdf,
    sha256: String,
    /// `None` without a folder; else written or unchanged, or the error writing it.
    folder: Result<Option<ReceiptStatus>>,
}

/// Receipts rendered per parallel batch: enough to keep every core busy, few enough that
/// memory stays flat however many refunds there are.
const BATCH: usize = 256;

/// A file name for a refund's receipt that cannot leave its folder: only ASCII letters,
/// digits, `-`, `_` and `.`; no leading dot and no `..`; bounded length.
pub fn safe_file_name(refund_id: &str, lang: Lang) -> String {
    let mut id: String = refund_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    while id.contains("..") {
        id = id.replace("..", "_");
    }
    if id.is_empty() || id.starts_with('.') {
        id.insert(0, '_');
    }
    format!("{id}_{}.pdf", lang.tag())
}

/// Renders and writes every receipt of `work` (see [`BulkRun`]).
pub fn run(
    work: &Work,
    options: &BulkOptions,
    locales: &Locales,
    renderer: &Renderer,
    on_progress: &(dyn Fn() + Sync),
) -> Result<BulkReport> {
    let mut bulk = BulkRun::start(options, locales, renderer)?;
    bulk.add(work, on_progress)?;
    bulk.finish()
}

/// A bulk run, fed its work chunk by chunk, in four stages: select the refunds that get
/// receipts, name their files, render them (in parallel, batch by batch), and emit them
/// to the folder, archive and merged document, each with its line in the manifest, which
/// is written as it goes. What it holds does not grow with the number of receipts, but
/// for a merged document, whose pages are all assembled at the end, and the names and
/// refund IDs already used, which keep names unique and repeats out.
pub struct BulkRun<'a> {
    options: &'a BulkOptions,
    locales: &'a Locales,
    renderer: &'a Renderer,
    render_options: RenderOptions,
    report: BulkReport,
    /// Refunds seen, by merchant and ID: a repeat gets no second receipt.
    seen: HashSet<(String, String)>,
    names: Names,
    emitter: Emitter<'a>,
}

impl<'a> BulkRun<'a> {
    pub fn start(
        options: &'a BulkOptions,
        locales: &'a Locales,
        renderer: &'a Renderer,
    ) -> Result<BulkRun<'a>> {
        if options.out_dir.is_none() && options.zip.is_none() && options.merge.is_none() {
            return Err(Error::usage(
                "say where receipts go: --out DIR, --zip FILE and/or --merge FILE",
            ));
        }
        Self::begin(options, locales, renderer, None)
    }

    /// A run whose ZIP archive (with its manifest last) is written to `out` as it goes,
    /// for a server's response: `options` names no folder, file or merged document.
    pub fn start_streaming(
        options: &'a BulkOptions,
        locales: &'a Locales,
        renderer: &'a Renderer,
        out: Box<dyn Write + Send>,
    ) -> Result<BulkRun<'a>> {
        if options.out_dir.is_some() || options.zip.is_some() || options.merge.is_some() {
            return Err(Error::usage(
                "a streamed archive is written nowhere else".to_string(),
            ));
        }
        Self::begin(options, locales, renderer, Some(out))
    }

    fn begin(
        options: &'a BulkOptions,
        locales: &'a Locales,
        renderer: &'a Renderer,
        stream: Option<Box<dyn Write + Send>>,
    ) -> Result<BulkRun<'a>> {
        if let Some(signer) = options.branding.signer() {
            signer
                .check_time(options.generated_at)
                .map_err(|e| Error::usage(e.to_string()))?;
        }
        Ok(BulkRun {
            options,
            locales,
            renderer,
            render_options: RenderOptions {
                pdfa: options.pdfa,
                creation_date: Some(options.generated_at),
                document_title: None,
                signer: options.branding.signer().cloned(),
            },
            report: BulkReport::default(),
            seen: HashSet::new(),
            names: Names::default(),
            emitter: Emitter::open(options, stream)?,
        })
    }

    /// Renders and emits the receipts of one chunk of work; `on_progress` is called once
    /// per receipt. Manifest lines follow the source's order, a refund's languages in turn,
    /// however the work is cut into chunks.
    pub fn add(&mut self, work: &Work, on_progress: &(dyn Fn() + Sync)) -> Result<()> {
        let options = self.options;
        let pages = work.eligible_total.saturating_mul(options.langs.len());
        if let Some(merge) = &options.merge
            && pages > options.max_merged_pages
        {
            return Err(Error::usage(format!(
                "--merge {}: {pages} pages would be one document, more than the {} it may have \
                 (--max-merged-pages); write them with --zip or --out, or split the run with --shard or --from/--to",
                merge.display(),
                options.max_merged_pages
            )));
        }
        let selected = self.select(work);
        let mut rest = selected.as_slice();
        while !rest.is_empty() {
            // The next stretch of refunds holding up to a batch of receipts to render.
            let mut receipts = 0;
            let take = rest
                .iter()
                .take_while(|(_, reason)| {
                    let fits = receipts < BATCH;
                    if reason.is_none() {
                        receipts += options.langs.len();
                    }
                    fits
                })
                .count()
                .max(1);
            let (stretch, after) = rest.split_at(take);
            rest = after;
            let batch: Vec<(&Transaction, Lang)> = stretch
                .iter()
                .filter(|(_, reason)| reason.is_none())
                .flat_map(|(r, _)| options.langs.iter().map(move |l| (*r, *l)))
                .collect();
            // Named in order, before the parallel stage, so that names never depend on
            // which thread finishes first.
            let batch_names: Vec<String> = batch
                .iter()
                .map(|(refund, lang)| self.names.name(refund, *lang))
                .collect();
            if let Some(dir) = &options.out_dir {
                // What a killed run left for these receipts; other files in the folder,
                // other runs' included, are not this run's to touch.
                let these: HashSet<&str> = batch_names.iter().map(String::as_str).collect();
                remove_stale_temporaries(dir, |target| these.contains(target));
            }
            let rendered = render(
                work,
                options,
                self.locales,
                self.renderer,
                &self.render_options,
                &batch,
                &batch_names,
                on_progress,
            );
            let mut rendered = batch.iter().zip(batch_names).zip(rendered);
            for (refund, reason) in stretch {
                match reason {
                    Some(reason) => {
                        for lang in &options.langs {
                            let mut entry =
                                ManifestEntry::new(refund, *lang, ReceiptStatus::Skipped);
                            entry.reason.clone_from(reason);
                            self.emitter.record(&mut self.report, entry)?;
                        }
                    }
                    None => {
                        for (((refund, lang), name), receipt) in
                            rendered.by_ref().take(options.langs.len())
                        {
                            self.emitter
                                .emit(&mut self.report, refund, *lang, name, receipt)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The select stage: every refund of `work`, with the reason it gets no receipt (not
    /// successful, or the same refund again), or `None` when it gets one.
    fn select<'w>(&mut self, work: &'w Work) -> Vec<(&'w Transaction, Option<String>)> {
        work.refunds
            .iter()
            .map(|refund| {
                let key = (refund.customer_id.clone(), refund.transaction_id.clone());
                let reason = if self.seen.contains(&key) {
                    Some("the same refund appears again in the input".to_string())
                } else {
                    self.seen.insert(key);
                    ineligible_reason(refund)
                };
                (refund, reason)
            })
            .collect()
    }

    /// Writes the merged document, the manifest and the archive; what the run did.
    pub fn finish(mut self) -> Result<BulkReport> {
        self.emitter
            .finish(&mut self.report, self.renderer, &self.render_options)?;
        Ok(self.report)
    }
}

/// The name stage: every receipt's file name, unique within the run, also where case does
/// not count (a folder on a case-insensitive file system, an archive unpacked there), so
/// `ABC_en.pdf` and `abc_en.pdf` never both appear.
#[derive(Default)]
struct Names {
    /// Lower-case names given so far.
    used: HashSet<String>,
}

impl Names {
    fn name(&mut self, refund: &Transaction, lang: Lang) -> String {
        let name = safe_file_name(&refund.transaction_id, lang);
        if self.used.insert(name.to_ascii_lowercase()) {
            return name;
        }
        // Refund IDs that differ only in characters made safe or in case, or the same ID at
        // two merchants: a prefix from both IDs, and a counter should even that clash.
        let key = format!("{}\u{0}{}", refund.customer_id, refund.transaction_id);
        let hash = &sha256_hex(key.as_bytes())[..8];
        let mut candidate = format!("{hash}_{name}");
        let mut n = 2;
        while !self.used.insert(candidate.to_ascii_lowercase()) {
            candidate = format!("{hash}-{n}_{name}");
            n += 1;
        }
        candidate
    }
}

/// The render stage, on every core: each receipt of `batch` laid out, rendered on its own
/// (even for `--merge` alone, so that a receipt that cannot be laid out is left out of the
/// merged document instead of sinking it), digested, and written into the folder.
#[allow(clippy::too_many_arguments)]
fn render(
    work: &Work,
    options: &BulkOptions,
    locales: &Locales,
    renderer: &Renderer,
    render_options: &RenderOptions,
    batch: &[(&Transaction, Lang)],
    names: &[String],
    on_progress: &(dyn Fn() + Sync),
) -> Vec<Rendered> {
    batch
        .par_iter()
        .zip(names.par_iter())
        .map(|((refund, lang), name)| {
            let (page, pdf) = renderer.receipt(
                locales,
                &ReceiptInput {
                    refund,
                    original: work.original_of(refund),
                    lang: *lang,
                    zone: options.zone,
                    generated_at: options.generated_at,
                    branding: &options.branding,
                },
                render_options.pdfa,
            );
            let outcome = pdf.map_err(|e| e.to_string()).map(|pdf| {
                let sha256 = sha256_hex(&pdf.bytes);
                let folder = options.out_dir.as_ref().map(|dir| {
                    let path = dir.join(name);
                    if !options.force && same_file(&path, &pdf.bytes) {
                        Ok(ReceiptStatus::Unchanged)
                    } else {
                        write_in_batch(&path, &pdf.bytes).map(|()| ReceiptStatus::Written)
                    }
                });
                RenderedReceipt {
                    pdf,
                    sha256,
                    folder: folder.transpose(),
                }
            });
            on_progress();
            Rendered { page, outcome }
        })
        .collect()
}

/// Where an archive goes.
// One per run, and both variants are about the same size.
#[allow(clippy::large_enum_variant)]
enum Archive {
    /// A file, under a temporary name until the run is done.
    File(
        zip::ZipWriter<Spent<std::io::BufWriter<std::fs::File>>>,
        AtomicFile,
    ),
    /// A stream (a server's response), with data descriptors since it cannot seek back.
    Stream(zip::ZipWriter<zip::write::StreamWriter<Spent<Box<dyn Write + Send>>>>),
}

/// A ZIP writer's failure; a reader that went away (a client that left a streamed archive)
/// is [`Error::BrokenPipe`], which ends the run without an error to report.
fn zip_error(target: impl std::fmt::Display, e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::Io(io) => Error::output_io(target, io),
        other => Error::output(target, other),
    }
}

/// What an archive is written to, quiet once spent: after a write failed, or once the run
/// abandoned the archive (see [`Abandon`]). A run that stops drops its unfinished
/// `ZipWriter`, which then tries to write the archive's end: that would print its own
/// failure to stderr (past the logs), or end a partial archive as a well-formed one. What is
/// written after either is discarded; the error that stopped the run is already reported.
struct Spent<W> {
    inner: W,
    spent: Arc<AtomicBool>,
}

impl<W> Spent<W> {
    fn new(inner: W, spent: &Arc<AtomicBool>) -> Spent<W> {
        Spent {
            inner,
            spent: Arc::clone(spent),
        }
    }

    fn quiet(&self) -> bool {
        self.spent.load(Ordering::Relaxed)
    }

    /// An archive whose writes all went through; one that lost some is never finished as
    /// if it were whole.
    fn succeeded(&self, target: &str) -> Result<()> {
        if self.quiet() {
            return Err(Error::output_io(
                target,
                std::io::Error::other("a write to it failed"),
            ));
        }
        Ok(())
    }

    fn check<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if result.is_err() {
            self.spent.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl<W: Write> Write for Spent<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.quiet() {
            return Ok(buf.len());
        }
        let written = self.inner.write(buf);
        self.check(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.quiet() {
            return Ok(());
        }
        let flushed = self.inner.flush();
        self.check(flushed)
    }
}

impl<W: std::io::Seek> std::io::Seek for Spent<W> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        if self.quiet() {
            return Ok(0);
        }
        let sought = self.inner.seek(to);
        self.check(sought)
    }
}

impl Archive {
    fn name(&self) -> String {
        match self {
            Archive::File(_, file) => file.target().display().to_string(),
            Archive::Stream(_) => "the streamed archive".to_string(),
        }
    }

    /// Starts the entry `name`: what follows is written into it.
    fn start(&mut self, name: &str, options: zip::write::SimpleFileOptions) -> Result<()> {
        let started = match self {
            Archive::File(writer, _) => writer.start_file(name, options),
            Archive::Stream(writer) => writer.start_file(name, options),
        };
        started.map_err(|e| zip_error(self.name(), e))
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Archive::File(writer, _) => writer,
            Archive::Stream(writer) => writer,
        }
    }
}

/// The emit stage, in order: the manifest's lines, the archive, the merged document.
struct Emitter<'o> {
    /// First, so that it is dropped before the archive (fields drop in order).
    abandon: Abandon,
    options: &'o BulkOptions,
    zip: Option<Archive>,
    zip_options: zip::write::SimpleFileOptions,
    /// Every page of the merged document: the PDF writer needs them all at once.
    merged_pages: Vec<ReceiptPage>,
    manifest: Manifest,
}

/// Abandons an archive when dropped armed. As the first field of [`Emitter`] it is dropped
/// before the archive of a run that stopped; in `finish`, declared after the archive it
/// guards, it is dropped first when finishing the archive fails.
struct Abandon {
    flag: Arc<AtomicBool>,
    armed: bool,
}

impl Abandon {
    fn new(flag: &Arc<AtomicBool>) -> Abandon {
        Abandon {
            flag: Arc::clone(flag),
            armed: true,
        }
    }
}

impl Drop for Abandon {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::Relaxed);
        }
    }
}

impl<'o> Emitter<'o> {
    fn open(
        options: &'o BulkOptions,
        stream: Option<Box<dyn Write + Send>>,
    ) -> Result<Emitter<'o>> {
        let spent = Arc::new(AtomicBool::new(false));
        let zip = match (&options.zip, stream) {
            (_, Some(out)) => Some(Archive::Stream(zip::ZipWriter::new_stream(Spent::new(
                out, &spent,
            )))),
            (Some(path), None) => {
                let mut file = AtomicFile::create(path)?;
                let handle = file
                    .file()
                    .try_clone()
                    .map_err(|e| Error::output(path.display(), e))?;
                Some(Archive::File(
                    zip::ZipWriter::new(Spent::new(std::io::BufWriter::new(handle), &spent)),
                    file,
                ))
            }
            (None, None) => None,
        };
        Ok(Emitter {
            options,
            zip,
            zip_options: zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                // A fixed timestamp keeps archives of the same receipts byte-identical.
                .last_modified_time(zip::DateTime::default()),
            merged_pages: Vec::new(),
            manifest: Manifest::open(options)?,
            abandon: Abandon::new(&spent),
        })
    }

    /// Counts `entry` and gives it its manifest line.
    fn record(&mut self, report: &mut BulkReport, entry: ManifestEntry) -> Result<()> {
        report.count(&entry);
        self.manifest.push(entry)
    }

    fn emit(
        &mut self,
        report: &mut BulkReport,
        refund: &Transaction,
        lang: Lang,
        name: String,
        rendered: Rendered,
    ) -> Result<()> {
        let options = self.options;
        let Rendered { page, outcome } = rendered;
        let receipt = match outcome {
            Err(reason) => {
                tracing::warn!("refund {}: {reason}", refund.transaction_id);
                let mut entry = ManifestEntry::new(refund, lang, ReceiptStatus::Failed);
                entry.reason = reason;
                return self.record(report, entry);
            }
            Ok(receipt) => receipt,
        };
        report.rendered += 1;
        for missing in &receipt.pdf.missing_glyphs {
            tracing::warn!(
                "refund {}: no shipped font has {:?} (U+{:04X}); a replacement mark is printed",
                missing.refund_id,
                missing.character,
                u32::from(missing.character)
            );
        }
        let bytes = receipt.pdf.bytes.len() as u64;
        let mut entry = ManifestEntry {
            file: name,
            bytes,
            sha256: receipt.sha256,
            ..ManifestEntry::new(refund, lang, ReceiptStatus::Written)
        };
        if let Some(status) = receipt.folder? {
            entry.status = status;
            if status == ReceiptStatus::Written
                && let Some(dir) = &options.out_dir
            {
                report.files.push(FileRecord {
                    path: dir.join(&entry.file),
                    bytes,
                    sha256: entry.sha256.clone(),
                });
            }
        }
        if let Some(archive) = &mut self.zip {
            archive.start(entry.file.as_str(), self.zip_options)?;
            archive
                .writer()
                .write_all(&receipt.pdf.bytes)
                .map_err(|e| Error::output_io(archive.name(), e))?;
        }
        if let Some(merge) = &options.merge {
            self.merged_pages.push(page);
            if options.out_dir.is_none() && options.zip.is_none() {
                // The line names the merged file; its size and digest follow once written.
                entry.file = file_name(merge);
                entry.bytes = 0;
                entry.sha256.clear();
            }
        }
        self.record(report, entry)
    }

    /// Writes the merged document, the manifest and the archive, and records them.
    fn finish(
        mut self,
        report: &mut BulkReport,
        renderer: &Renderer,
        render_options: &RenderOptions,
    ) -> Result<()> {
        let options = self.options;
        if let Some(path) = &options.merge {
            if self.merged_pages.is_empty() {
                tracing::warn!("no successful refunds: {} not written", path.display());
            } else {
                let pdf = renderer
                    .render(&self.merged_pages, render_options)
                    .map_err(|e| Error::output(path.display(), e))?;
                write_atomically(path, &pdf.bytes)?;
                let record = FileRecord::of_bytes(path, &pdf.bytes);
                self.manifest.merged(&file_name(path), &record)?;
                report.files.push(record);
            }
        }
        self.manifest.release()?;
        if let Some(mut archive) = self.zip.take() {
            let mut abandon = Abandon::new(&self.abandon.flag);
            let target = archive.name();
            archive.start("manifest.csv", self.zip_options)?;
            self.manifest.copy_into(archive.writer(), &target)?;
            match archive {
                Archive::File(writer, file) => {
                    let mut inner = writer.finish().map_err(|e| zip_error(&target, e))?;
                    inner.flush().map_err(|e| Error::output(&target, e))?;
                    inner.succeeded(&target)?;
                    drop(inner);
                    // Read back in blocks: the archive may be far larger than memory should
                    // hold.
                    let mut record = FileRecord::of_file(file.temp_path())?;
                    record.path = file.target().to_path_buf();
                    file.commit()?;
                    report.files.push(record);
                }
                Archive::Stream(writer) => {
                    let mut inner = writer.finish().map_err(|e| zip_error(&target, e))?;
                    inner.flush().map_err(|e| Error::output_io(&target, e))?;
                    inner.get_ref().succeeded(&target)?;
                }
            }
            abandon.armed = false;
        }
        if let Some(record) = self.manifest.commit()? {
            report.files.push(record);
        }
        self.abandon.armed = false;
        Ok(())
    }
}

/// The manifest, written line by line as receipts are emitted: into its own file (under
/// a temporary name until the run is done), or for an archive alone into an unnamed
/// temporary file that is copied into the archive at the end.
struct Manifest {
    writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
    /// The same file, to read it back for the archive.
    reader: std::fs::File,
    /// The manifest's own file, when it has one.
    file: Option<AtomicFile>,
    name: String,
    /// For a merged document alone, lines wait for its size and digest, which they give.
    held: Option<Vec<ManifestEntry>>,
}

impl Manifest {
    fn open(options: &BulkOptions) -> Result<Manifest> {
        let (reader, file, name) = match manifest_path(options) {
            Some(path) => {
                let mut file = AtomicFile::create(&path)?;
                let handle = file
                    .file()
                    .try_clone()
                    .map_err(|e| Error::output(path.display(), e))?;
                (handle, Some(file), path.display().to_string())
            }
            None => {
                let handle = tempfile::tempfile()
                    .map_err(|e| Error::output("manifest.csv (a temporary file)", e))?;
                (handle, None, "manifest.csv".to_string())
            }
        };
        let handle = reader.try_clone().map_err(|e| Error::output(&name, e))?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(handle));
        writer
            .write_record(MANIFEST_COLUMNS)
            .map_err(|e| Error::output(&name, e))?;
        // A streamed archive has neither, nor a merged document.
        let merge_only =
            options.merge.is_some() && options.out_dir.is_none() && options.zip.is_none();
        Ok(Manifest {
            writer,
            reader,
            file,
            name,
            held: merge_only.then(Vec::new),
        })
    }

    fn push(&mut self, entry: ManifestEntry) -> Result<()> {
        match &mut self.held {
            Some(held) => {
                held.push(entry);
                Ok(())
            }
            None => self.write(&entry),
        }
    }

    fn write(&mut self, e: &ManifestEntry) -> Result<()> {
        // Refund IDs and reasons come from the input: guard them like any exported text.
        let guard = |text: &str| {
            if needs_formula_guard(text) {
                format!("'{text}")
            } else {
                text.to_string()
            }
        };
        self.writer
            .write_record([
                guard(&e.refund_id).as_str(),
                e.language.as_str(),
                e.file.as_str(),
                &e.bytes.to_string(),
                e.sha256.as_str(),
                e.status.as_str(),
                guard(&e.reason).as_str(),
            ])
            .map_err(|err| Error::output(&self.name, err))
    }

    /// Gives the held lines naming the merged document its size and digest.
    fn merged(&mut self, merged_name: &str, record: &FileRecord) -> Result<()> {
        for entry in self.held.iter_mut().flatten() {
            if entry.status == ReceiptStatus::Written && entry.file == merged_name {
                entry.bytes = record.bytes;
                entry.sha256.clone_from(&record.sha256);
            }
        }
        Ok(())
    }

    /// Writes the lines held back, and flushes.
    fn release(&mut self) -> Result<()> {
        for entry in self.held.take().unwrap_or_default() {
            self.write(&entry)?;
        }
        self.writer
            .flush()
            .map_err(|e| Error::output_io(&self.name, e))
    }

    /// Copies the manifest, as written so far, into `out`.
    fn copy_into(&mut self, out: &mut dyn Write, target: &str) -> Result<()> {
        use std::io::Seek;
        self.reader
            .seek(std::io::SeekFrom::Start(0))
            .map_err(|e| Error::output(&self.name, e))?;
        std::io::copy(&mut self.reader, out).map_err(|e| Error::output_io(target, e))?;
        Ok(())
    }

    /// Puts the manifest's own file in place, if it has one, and records it.
    fn commit(self) -> Result<Option<FileRecord>> {
        let Some(file) = self.file else {
            return Ok(None);
        };
        drop(self.writer);
        let mut record = FileRecord::of_file(file.temp_path())?;
        record.path = file.target().to_path_buf();
        file.commit()?;
        Ok(Some(record))
    }
}

const MANIFEST_COLUMNS: [&str; 7] = [
    "refund_id",
    "language",
    "file",
    "bytes",
    "sha256",
    "status",
    "reason",
];

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn same_file(path: &Path, bytes: &[u8]) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|existing| existing == bytes)
}

/// The manifest's place: `--manifest`, else `manifest.csv` in the folder, else beside the
/// merged PDF (`october.manifest.csv`). A ZIP alone carries it inside.
fn manifest_path(options: &BulkOptions) -> Option<PathBuf> {
    if let Some(p) = &options.manifest {
        return Some(p.clone());
    }
    if let Some(dir) = &options.out_dir {
        return Some(dir.join("manifest.csv"));
    }
    options
        .merge
        .as_ref()
        .map(|m| m.with_extension("manifest.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape_the_folder() {
        for hostile in [
            "../../etc/passwd",
            "..",
            ".",
            "/abs/path",
            "a/../b",
            "x\u{0}y",
            "a\\b",
            "\n",
            "",
            "....",
        ] {
            let name = safe_file_name(hostile, Lang::En);
            assert!(
                !name.contains('/') && !name.contains('\\') && !name.contains(".."),
                "{hostile:?} -> {name}"
            );
            assert!(!name.starts_with('.'), "{hostile:?} -> {name}");
            assert!(
                name.chars().all(|c| c.is_ascii_graphic()),
                "{hostile:?} -> {name}"
            );
        }
        assert_eq!(
            safe_file_name("2026110100042", Lang::PtBr),
            "2026110100042_pt-BR.pdf"
        );
    }

    #[test]
    fn names_differ_where_case_does_not_count() {
        let mut refund = Transaction::blank(crate::model::Currency::parse("BRL").unwrap());
        let mut names = Names::default();
        let mut given = Vec::new();
        for id in ["ABC", "abc", "AbC", "a/b", "a_b", "abc"] {
            refund.transaction_id = id.into();
            given.push(names.name(&refund, Lang::En));
        }
        assert_eq!(given[0], "ABC_en.pdf");
        let lower: HashSet<String> = given.iter().map(|n| n.to_ascii_lowercase()).collect();
        assert_eq!(lower.len(), given.len(), "{given:?}");
    }

    #[test]
    fn work_in_chunks_gives_the_same_manifest_and_archive_as_work_in_one_piece() {
        use crate::filter::Filter;
        use crate::receipt::work::collect_in_chunks;
        use crate::source::ReadStats;

        let mut txs = crate::sample::generate_vec(&crate::sample::SampleOptions {
            rows: 400,
            ..Default::default()
        });
        // A repeated refund: skipped as a repeat however the chunks fall.
        let refund = txs
            .iter()
            .find(|t| t.is_successful_refund())
            .unwrap()
            .clone();
        txs.push(refund);
        let read = |_: crate::source::Pass, each: &mut dyn FnMut(&Transaction) -> Result<()>| {
            for tx in &txs {
                each(tx)?;
            }
            Ok(ReadStats {
                records: txs.len() as u64,
                ..ReadStats::default()
            })
        };
        let locales = Locales::new().unwrap();
        let renderer = Renderer::new();
        let dir = tempfile::tempdir().unwrap();
        let bulk = |chunk: usize, name: &str| {
            let options = BulkOptions {
                branding: Branding::default(),
                langs: vec![Lang::En, Lang::PtBr],
                zone: chrono_tz::UTC,
                generated_at: "2026-11-01T00:00:00Z".parse().unwrap(),
                pdfa: false,
                out_dir: None,
                zip: Some(dir.path().join(format!("{name}.zip"))),
                merge: None,
                manifest: Some(dir.path().join(format!("{name}.csv"))),
                force: false,
                max_merged_pages: DEFAULT_MAX_MERGED_PAGES,
            };
            let mut run = BulkRun::start(&options, &locales, &renderer).unwrap();
            let mut chunks = 0;
            collect_in_chunks(&Filter::default(), true, chunk, read, |work| {
                chunks += 1;
                assert!(work.refunds.len() <= chunk);
                run.add(work, &|| {})
            })
            .unwrap();
            let report = run.finish().unwrap();
            let bytes =
                |ext: &str| std::fs::read(dir.path().join(format!("{name}.{ext}"))).unwrap();
            (
                chunks,
                report.rendered,
                report.skipped,
                bytes("csv"),
                bytes("zip"),
            )
        };
        let whole = bulk(usize::MAX, "whole");
        let chunked = bulk(7, "chunked");
        assert_eq!(whole.0, 1);
        assert!(chunked.0 > 3, "{} chunks", chunked.0);
        assert!(
            whole.1 > 20 && whole.2 >= 2,
            "{} rendered, {} skipped",
            whole.1,
            whole.2
        );
        assert_eq!((whole.1, whole.2), (chunked.1, chunked.2));
        assert!(whole.3 == chunked.3, "manifests differ");
        assert!(whole.4 == chunked.4, "archives differ");
    }
}
