//! Many receipts at once: rendered in parallel with rayon, written to a folder, a ZIP
//! archive and/or one merged PDF, with a manifest of every refund and what became of it.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::content::{ReceiptInput, build_page};
use super::pdf::{RenderOptions, Renderer};
use super::work::{Work, ineligible_reason};
use crate::error::{Error, Result};
use crate::locale::{Lang, Locales};
use crate::model::Transaction;
use crate::output::{AtomicFile, remove_stale_temporaries, write_atomically, write_in_batch};
use crate::source::fields::needs_formula_guard;

/// What a bulk run produces and how.
#[derive(Clone, Debug)]
pub struct BulkOptions {
    pub langs: Vec<Lang>,
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
}

/// One line of `manifest.csv`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ManifestEntry {
    pub refund_id: String,
    pub language: String,
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    /// `written`, `unchanged` (an identical file was already there), `skipped`, `failed`.
    pub status: &'static str,
    pub reason: String,
}

/// What a bulk run did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct BulkReport {
    pub rendered: u64,
    pub written: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
    pub entries: Vec<ManifestEntry>,
    /// Files written, with their sizes and digests (folder files, the archive, the merge,
    /// the manifest).
    pub files: Vec<(PathBuf, u64, String)>,
}

/// One receipt of a batch: its page (for a merged document) and its PDF with digest and
/// what became of its file in the folder (`Some(true)` written, `Some(false)` unchanged),
/// or why it could not be rendered.
struct Rendered {
    page: super::page::ReceiptPage,
    outcome: std::result::Result<(super::pdf::RenderedPdf, String, Result<Option<bool>>), String>,
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

/// Lower-case hex SHA-256, as manifests and summaries give it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Renders and writes every receipt of `work`. `on_progress` is called once per receipt.
pub fn run(
    work: &Work,
    options: &BulkOptions,
    locales: &Locales,
    renderer: &Renderer,
    on_progress: &(dyn Fn() + Sync),
) -> Result<BulkReport> {
    if options.out_dir.is_none() && options.zip.is_none() && options.merge.is_none() {
        return Err(Error::usage(
            "say where receipts go: --out DIR, --zip FILE and/or --merge FILE",
        ));
    }
    let mut report = BulkReport::default();
    let render_options = RenderOptions {
        pdfa: options.pdfa,
        creation_date: Some(options.generated_at),
        document_title: None,
    };

    // Which refunds get receipts; the rest are listed with the reason.
    let mut seen = HashSet::new();
    let mut eligible: Vec<&Transaction> = Vec::new();
    let mut used_names = HashSet::new();
    for refund in &work.refunds {
        let reason = if !seen.insert((refund.customer_id.as_str(), refund.transaction_id.as_str()))
        {
            Some("the same refund appears again in the input".to_string())
        } else {
            ineligible_reason(refund)
        };
        match reason {
            None => eligible.push(refund),
            Some(reason) => {
                for lang in &options.langs {
                    report.skipped += 1;
                    report.entries.push(ManifestEntry {
                        refund_id: refund.transaction_id.clone(),
                        language: lang.tag().into(),
                        file: String::new(),
                        bytes: 0,
                        sha256: String::new(),
                        status: "skipped",
                        reason: reason.clone(),
                    });
                }
            }
        }
    }

    let mut zip = match &options.zip {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            let handle = file
                .file()
                .try_clone()
                .map_err(|e| Error::output(path.display(), e))?;
            Some((zip::ZipWriter::new(std::io::BufWriter::new(handle)), file))
        }
        None => None,
    };
    let zip_options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        // A fixed timestamp keeps archives of the same receipts byte-identical.
        .last_modified_time(zip::DateTime::default());
    let mut merged_pages = Vec::new();

    let jobs: Vec<(&Transaction, Lang)> = eligible
        .iter()
        .flat_map(|r| options.langs.iter().map(move |l| (*r, *l)))
        .collect();
    for batch in jobs.chunks(BATCH) {
        // Names first, in order, so that two IDs made alike by `safe_file_name` get names
        // that do not depend on which thread finishes first.
        let names: Vec<String> = batch
            .iter()
            .map(|(refund, lang)| {
                let name = safe_file_name(&refund.transaction_id, *lang);
                if used_names.insert(name.clone()) {
                    return name;
                }
                // Refund IDs that differ only in characters made safe, or the same ID at
                // two merchants: a prefix from both IDs, and a counter should even that clash.
                let key = format!("{}\u{0}{}", refund.customer_id, refund.transaction_id);
                let hash = &sha256_hex(key.as_bytes())[..8];
                let mut candidate = format!("{hash}_{name}");
                let mut n = 2;
                while !used_names.insert(candidate.clone()) {
                    candidate = format!("{hash}-{n}_{name}");
                    n += 1;
                }
                candidate
            })
            .collect();
        if let Some(dir) = &options.out_dir {
            // What a killed run left for these receipts; other files in the folder, other
            // runs' included, are not this run's to touch.
            let batch_names: HashSet<&str> = names.iter().map(String::as_str).collect();
            remove_stale_temporaries(dir, |target| batch_names.contains(target));
        }
        // Rendering, digests and folder files on every core; the archive, the merged
        // document and the manifest are assembled in order below.
        let rendered: Vec<Rendered> = batch
            .par_iter()
            .zip(names.par_iter())
            .map(|((refund, lang), name)| {
                let page = build_page(
                    locales,
                    &ReceiptInput {
                        refund,
                        original: work.original_of(refund),
                        lang: *lang,
                        zone: options.zone,
                        generated_at: options.generated_at,
                    },
                );
                // Rendered on its own even for --merge alone: a receipt that cannot be laid
                // out is then left out of the merged document instead of sinking it.
                let outcome = match renderer.render(std::slice::from_ref(&page), &render_options) {
                    Err(e) => Err(e.to_string()),
                    Ok(pdf) => {
                        let sha256 = sha256_hex(&pdf.bytes);
                        let folder = match &options.out_dir {
                            None => Ok(None),
                            Some(dir) => {
                                let path = dir.join(name);
                                if !options.force && same_file(&path, &pdf.bytes) {
                                    Ok(Some(false))
                                } else {
                                    write_in_batch(&path, &pdf.bytes).map(|()| Some(true))
                                }
                            }
                        };
                        Ok((pdf, sha256, folder))
                    }
                };
                on_progress();
                Rendered { page, outcome }
            })
            .collect();
        for (((refund, lang), name), Rendered { page, outcome }) in
            batch.iter().zip(names).zip(rendered)
        {
            let mut entry = ManifestEntry {
                refund_id: refund.transaction_id.clone(),
                language: lang.tag().into(),
                file: name.clone(),
                bytes: 0,
                sha256: String::new(),
                status: "written",
                reason: String::new(),
            };
            match outcome {
                Err(reason) => {
                    tracing::warn!("refund {}: {reason}", refund.transaction_id);
                    report.failed += 1;
                    entry.status = "failed";
                    entry.reason = reason;
                    entry.file.clear();
                    report.entries.push(entry);
                    continue;
                }
                Ok((pdf, sha256, folder)) => {
                    report.rendered += 1;
                    for missing in &pdf.missing_glyphs {
                        tracing::warn!(
                            "refund {}: no shipped font has {:?} (U+{:04X}); a replacement mark is printed",
                            missing.refund_id,
                            missing.character,
                            u32::from(missing.character)
                        );
                    }
                    entry.bytes = pdf.bytes.len() as u64;
                    entry.sha256 = sha256;
                    match folder? {
                        Some(true) => {
                            report.written += 1;
                            let path = options
                                .out_dir
                                .as_ref()
                                .map(|d| d.join(&name))
                                .unwrap_or_default();
                            report.files.push((path, entry.bytes, entry.sha256.clone()));
                        }
                        Some(false) => {
                            entry.status = "unchanged";
                            report.unchanged += 1;
                        }
                        None => {}
                    }
                    if let Some((writer, file)) = &mut zip {
                        writer
                            .start_file(name.as_str(), zip_options)
                            .and_then(|_| writer.write_all(&pdf.bytes).map_err(Into::into))
                            .map_err(|e| Error::output(file.target().display(), e))?;
                        if options.out_dir.is_none() {
                            report.written += 1;
                        }
                    }
                }
            }
            if let Some(merge) = &options.merge {
                merged_pages.push(page);
                if options.out_dir.is_none() && options.zip.is_none() {
                    // The row names the merged file; its size and digest follow once written.
                    report.written += 1;
                    entry.file = file_name(merge);
                    entry.bytes = 0;
                    entry.sha256.clear();
                }
            }
            report.entries.push(entry);
        }
    }

    if let Some(path) = &options.merge {
        if merged_pages.is_empty() {
            tracing::warn!("no successful refunds: {} not written", path.display());
        } else {
            let pdf = renderer
                .render(&merged_pages, &render_options)
                .map_err(|e| Error::output(path.display(), e))?;
            write_atomically(path, &pdf.bytes)?;
            let (bytes, sha256) = (pdf.bytes.len() as u64, sha256_hex(&pdf.bytes));
            let merged_name = file_name(path);
            for entry in report
                .entries
                .iter_mut()
                .filter(|e| e.status == "written" && e.file == merged_name)
            {
                entry.bytes = bytes;
                entry.sha256.clone_from(&sha256);
            }
            report.files.push((path.clone(), bytes, sha256));
        }
    }
    let manifest = manifest_csv(&report.entries)?;
    if let Some((mut writer, file)) = zip.take() {
        let target = file.target().display().to_string();
        writer
            .start_file("manifest.csv", zip_options)
            .and_then(|_| writer.write_all(&manifest).map_err(Into::into))
            .map_err(|e| Error::output(&target, e))?;
        let mut inner = writer.finish().map_err(|e| Error::output(&target, e))?;
        inner.flush().map_err(|e| Error::output(&target, e))?;
        drop(inner);
        let bytes = std::fs::read(file.temp_path()).map_err(|e| Error::output(&target, e))?;
        let path = file.target().to_path_buf();
        file.commit()?;
        report
            .files
            .push((path, bytes.len() as u64, sha256_hex(&bytes)));
    }
    if let Some(path) = manifest_path(options) {
        write_atomically(&path, &manifest)?;
        report
            .files
            .push((path, manifest.len() as u64, sha256_hex(&manifest)));
    }
    Ok(report)
}

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

fn manifest_csv(entries: &[ManifestEntry]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::output("manifest.csv", e);
    writer
        .write_record([
            "refund_id",
            "language",
            "file",
            "bytes",
            "sha256",
            "status",
            "reason",
        ])
        .map_err(fail)?;
    for e in entries {
        // Refund IDs and reasons come from the input: guard them like any exported text.
        let guard = |text: &str| {
            if needs_formula_guard(text) {
                format!("'{text}")
            } else {
                text.to_string()
            }
        };
        writer
            .write_record([
                guard(&e.refund_id).as_str(),
                e.language.as_str(),
                e.file.as_str(),
                &e.bytes.to_string(),
                e.sha256.as_str(),
                e.status,
                guard(&e.reason).as_str(),
            ])
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::output("manifest.csv", e.error()))
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
}
