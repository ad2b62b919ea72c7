//! `recibo receipts`: every successful refund the filters select, rendered in parallel.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::args::{ReceiptsArgs, RenderArgs};
use super::{Outcome, Progress};
use crate::error::{Error, Result};
use crate::locale::{Lang, Locales};
use crate::model::time::parse_bound;
use crate::receipt::bulk::{self, BulkOptions};
use crate::receipt::pdf::Renderer;
use crate::receipt::work::collect;

/// `--generated-at`, or now (to the second, so the printed time and metadata agree).
pub fn generated_at(args: &RenderArgs, zone: Tz) -> Result<DateTime<Utc>> {
    match &args.generated_at {
        Some(t) => parse_bound(t, zone).map_err(|e| Error::usage(format!("--generated-at: {e}"))),
        None => Ok(DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_default()),
    }
}

pub fn run(args: &ReceiptsArgs, quiet: bool) -> Result<Outcome> {
    let zone = args.filter.zone()?;
    let filter = args.filter.validate()?;
    let source = args.input.source(zone, &filter)?;
    let langs = Lang::parse_list(&args.lang).map_err(|e| Error::usage(format!("--lang: {e}")))?;
    let options = BulkOptions {
        langs,
        zone,
        generated_at: generated_at(&args.render, zone)?,
        pdfa: args.render.pdfa,
        out_dir: args.out.clone(),
        zip: args.zip.clone(),
        merge: args.merge.clone(),
        manifest: args.manifest.clone(),
        force: args.force,
    };
    if options.out_dir.is_none() && options.zip.is_none() && options.merge.is_none() {
        return Err(Error::usage(
            "say where receipts go: --out DIR, --zip FILE and/or --merge FILE",
        ));
    }
    if let Some(jobs) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
            .map_err(|e| Error::usage(format!("--jobs: {e}")))?;
    }

    let work = collect(&filter, source.rereadable(), |each| source.read(each))?;
    let locales = Locales::new().map_err(|e| Error::usage(e.to_string()))?;
    let renderer = Renderer::new();
    let eligible = work
        .refunds
        .iter()
        .filter(|r| r.is_successful_refund())
        .count();
    let progress = Progress::items(quiet, (eligible * options.langs.len()) as u64, "receipts");
    let report = bulk::run(&work, &options, &locales, &renderer, &|| progress.tick())?;
    progress.finish();

    let summary = format!(
        "{} refunds selected from {} records: {} receipts rendered ({} written, {} unchanged), {} skipped, {} failed{}",
        work.refunds.len(),
        work.stats.records,
        report.rendered,
        report.written,
        report.unchanged,
        report.skipped,
        report.failed,
        if work.stats.skipped > 0 {
            format!(", {} bad rows skipped", work.stats.skipped)
        } else {
            String::new()
        }
    );
    Ok(Outcome {
        summary,
        skipped: report.failed + work.stats.skipped,
    })
}
