//! `recibo run JOB.toml`: an unattended run of a job file for one window, with a JSON
//! summary of everything read and written.

use std::time::Instant;

use chrono::{NaiveDate, Utc};

use super::Outcome;
use super::args::RunArgs;

use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::filter::Shard;
use crate::job::window::{Window, yesterday};
use crate::job::{Job, expand_path};
use crate::locale::Locales;
use crate::model::Transaction;
use crate::output::{FileRecord, Target};
use crate::receipt::bulk::{BulkOptions, BulkRun, DEFAULT_MAX_MERGED_PAGES, ReceiptStatus};
use crate::receipt::pdf::Renderer;
use crate::receipt::work::{REFUNDS_PER_CHUNK, collect, collect_in_chunks};
use crate::sink::{self, Format};
use crate::source::{Pass, ReadStats, Source};
use crate::store::{Access, DEFAULT_BATCH_ROWS, DbUrl, ImportStats, Store, StoreSource};

#[derive(Debug, Default, serde::Serialize)]
struct Summary {
    job: String,
    job_file: String,
    window: Option<Window>,
    shard: Option<String>,
    inputs: Vec<String>,
    /// What the source brought into the job's store (`[store]`), before the outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    import: Option<ImportSummary>,
    read: ReadStats,
    exports: Vec<ExportSummary>,
    receipts: Vec<ReceiptsSummary>,
    files: Vec<FileRecord>,
    duration_ms: u128,
    exit_code: u8,
    error: Option<String>,
}

#[derive(Debug, serde::Serialize)]
struct ImportSummary {
    store: String,
    #[serde(flatten)]
    stats: ImportStats,
}

#[derive(Debug, serde::Serialize)]
struct ExportSummary {
    path: String,
    format: sink::Format,
    rows_in: u64,
    rows_out: u64,
}

#[derive(Debug, serde::Serialize)]
struct ReceiptsSummary {
    languages: Vec<String>,
    refunds_selected: usize,
    rendered: u64,
    written: u64,
    unchanged: u64,
    skipped: u64,
    failed: u64,
    /// Why refunds got no receipt, one line per refund and language.
    not_rendered: Vec<NotRendered>,
}

#[derive(Debug, serde::Serialize)]
struct NotRendered {
    refund_id: String,
    language: String,
    status: ReceiptStatus,
    reason: String,
}

pub fn run(args: &RunArgs, quiet: bool) -> Result<Outcome> {
    let started = Instant::now();
    let mut summary = Summary {
        job_file: args.job.display().to_string(),
        ..Summary::default()
    };
    let result = run_job(args, quiet, &mut summary);
    summary.duration_ms = started.elapsed().as_millis();
    summary.exit_code = match &result {
        Ok(o) if o.skipped > 0 => 1,
        Ok(_) => 0,
        Err(e) => e.exit_code() as u8,
    };
    if let Err(e) = &result {
        summary.error = Some(e.to_string());
    }
    if let Some(target) = &args.summary {
        super::write_summary(target, &summary)?;
    }
    result
}

fn run_job(args: &RunArgs, quiet: bool, summary: &mut Summary) -> Result<Outcome> {
    let job = Job::load(&args.job)?;
    summary.job = job.name.clone();
    let day = match &args.date {
        Some(d) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| Error::usage(format!("--date {d:?}: expected YYYY-MM-DD")))?,
        None => yesterday(Utc::now(), job.zone),
    };
    let window = job.window_for(day);
    let shard = args
        .shard
        .as_deref()
        .map(str::parse::<Shard>)
        .transpose()
        .map_err(super::config::flag_error)?;
    summary.window = Some(window.clone());
    summary.shard = shard.map(|s| format!("{}/{}", s.index, s.count));

    let mut filter = job.filter.clone();
    filter.from = Some(window.from);
    filter.to = Some(window.to);
    filter.shard = shard;
    let mut source = job.input.source(job.zone, &filter)?;
    summary.inputs = source.names();
    let mut skipped = 0;
    if let Some(db) = &job.store {
        // Everything the source gives is kept, not only this window's: the store is the
        // job's memory, and the outputs below take their window from it. A shard keeps
        // its own part, so N shards together keep everything once.
        let url = DbUrl::parse(db)?;
        let mut store = Store::open(&url, Access::Write)?;
        let progress = super::Progress::rows(quiet, "importing");
        let part = Filter {
            shard,
            ..Filter::default()
        };
        let stats = store.import_from(&source, &part, DEFAULT_BATCH_ROWS, &|| progress.tick())?;
        progress.finish();
        skipped += stats.read.skipped;
        summary.import = Some(ImportSummary {
            store: url.to_string(),
            stats,
        });
        source = Source::Store(StoreSource {
            url,
            filter: Filter::default(),
            query: None,
        });
    }
    // A source that cannot be read twice (standard input, the gateway) gives the receipts
    // their work during the export's pass; a file is simply read again.
    let mut work = None;

    if !job.exports.is_empty() {
        let mut sinks = Vec::new();
        let mut text_fields = filter.text_fields();
        for export in &job.exports {
            let path = expand_path(&export.path, &job.name, &window, shard);
            let target = Target::File(path.clone());
            let format = export
                .table
                .format
                .unwrap_or_else(|| Format::from_target(&target).unwrap_or(Format::Csv));
            let mut options = export.table.options.clone();
            // Dated like the job's receipts, at the end of the window: a rerun of the same
            // window writes the same bytes.
            options.created = Some(window.to);
            text_fields = text_fields.union(sink::text_fields(format, &options));
            sinks.push((path, format, sink::open(format, &target, &options)?));
        }
        let mut export = |tx: &Transaction| {
            if filter.matches(tx) {
                for (_, _, sink) in sinks.iter_mut() {
                    sink.write(tx)?;
                }
            }
            Ok(())
        };
        let stats = if job.receipts.is_empty() {
            // Nothing else reads this pass: skip copying text no export writes.
            source
                .clone()
                .push_down(&filter)
                .with_text_fields(text_fields)
                .read(export)?
        } else if !source.rereadable() {
            let gathered = collect(&filter, false, |pass, each| {
                source.read_pass(pass, |tx| {
                    export(tx)?;
                    each(tx)
                })
            })?;
            let stats = gathered.stats.clone();
            work = Some(gathered);
            stats
        } else {
            // The receipts read the source again: a store sends this pass only the rows
            // the exports keep.
            source.clone().push_down(&filter).read(export)?
        };
        skipped += stats.skipped;
        for (path, format, sink) in sinks {
            let rows_out = sink.finish()?;
            summary.files.push(FileRecord::of_file(&path)?);
            summary.exports.push(ExportSummary {
                path: path.display().to_string(),
                format,
                rows_in: stats.records,
                rows_out,
            });
        }
        summary.read = stats;
    }

    if !job.receipts.is_empty() {
        let locales = Locales::new().map_err(|e| Error::System(e.to_string()))?;
        let renderer = Renderer::new();
        let expand = |p: &Option<String>| {
            p.as_deref()
                .map(|t| expand_path(t, &job.name, &window, shard))
        };
        let options: Vec<BulkOptions> = job
            .receipts
            .iter()
            .map(|receipts| BulkOptions {
                branding: receipts.branding.clone(),
                langs: receipts.langs.clone(),
                zone: job.zone,
                // Dated at the end of their window, so a rerun reproduces them byte for byte.
                generated_at: window.to,
                pdfa: receipts.pdfa,
                out_dir: expand(&receipts.out),
                zip: expand(&receipts.zip),
                merge: expand(&receipts.merge),
                manifest: None,
                force: false,
                max_merged_pages: DEFAULT_MAX_MERGED_PAGES,
            })
            .collect();
        let mut runs = options
            .iter()
            .map(|o| BulkRun::start(o, &locales, &renderer))
            .collect::<Result<Vec<_>>>()?;
        let receipts_per_refund: usize = options.iter().map(|o| o.langs.len()).sum();
        let mut progress = None;
        let mut selected = 0;
        // Every block of receipts gets each chunk of work in turn, so the input is read
        // once per chunk, not once per block.
        let mut add = |work: &crate::receipt::work::Work| {
            selected = work.selected_total;
            let progress = progress.get_or_insert_with(|| {
                super::Progress::items(
                    quiet,
                    (work.eligible_total * receipts_per_refund) as u64,
                    "receipts",
                )
            });
            for run in runs.iter_mut() {
                run.add(work, &|| progress.tick())?;
            }
            Ok(())
        };
        let stats = match work.take() {
            Some(work) => {
                add(&work)?;
                work.stats
            }
            None => collect_in_chunks(
                &filter,
                source.rereadable(),
                REFUNDS_PER_CHUNK,
                // The exports' pass has reported the bad records already.
                |pass, each| {
                    let pass = if job.exports.is_empty() {
                        pass
                    } else {
                        Pass::Again
                    };
                    source.read_pass(pass, each)
                },
                &mut add,
            )?,
        };
        if let Some(progress) = progress {
            progress.finish();
        }
        if job.exports.is_empty() {
            skipped += stats.skipped;
            summary.read = stats;
        }
        for (options, run) in options.iter().zip(runs) {
            let report = run.finish()?;
            skipped += report.failed;
            summary.files.extend(report.files.iter().cloned());
            summary.receipts.push(ReceiptsSummary {
                languages: options.langs.iter().map(|l| l.tag().to_string()).collect(),
                refunds_selected: selected,
                rendered: report.rendered,
                written: report.written,
                unchanged: report.unchanged,
                skipped: report.skipped,
                failed: report.failed,
                not_rendered: report
                    .not_rendered
                    .iter()
                    .map(|e| NotRendered {
                        refund_id: e.refund_id.clone(),
                        language: e.language.clone(),
                        status: e.status,
                        reason: e.reason.clone(),
                    })
                    .collect(),
            });
        }
    }
    Ok(Outcome {
        summary: format!(
            "job {} for {} .. {} ({}): {} records read, {} files written",
            job.name,
            window.first_day,
            window.last_day,
            window.zone,
            summary.read.records,
            summary.files.len()
        ),
        skipped,
    })
}
