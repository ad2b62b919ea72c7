//! `recibo receipts`: every successful refund the filters select, rendered in parallel.

use super::args::{ReceiptsArgs, RenderArgs};
use super::config::flag_error;
use super::{Outcome, Progress};
use crate::error::{Error, Result};
use crate::locale::Locales;
use crate::receipt::bulk::{BulkOptions, BulkRun};
use crate::receipt::pdf::Renderer;
use crate::receipt::template::Branding;
use crate::receipt::work::{REFUNDS_PER_CHUNK, collect_in_chunks};
use crate::request::{ReceiptRequest, ReceiptSpec};

/// The receipt settings of `--lang`, `--tz`, `--generated-at` and `--pdfa`.
pub fn receipt_spec(args: &RenderArgs, lang: &str, tz: &str) -> Result<ReceiptSpec> {
    ReceiptRequest {
        lang: Some(lang.to_string()),
        tz: Some(tz.to_string()),
        generated_at: args.generated_at.clone(),
        pdfa: args.pdfa,
    }
    .validate()
    .map_err(flag_error)
}

/// The templates, verification URL and signer the flags name, checked before anything is
/// read.
pub fn branding(args: &RenderArgs) -> Result<Branding> {
    Ok(
        Branding::new(&args.templates, None, args.verify_url.as_deref())?
            .with_signer(args.sign.signer()?),
    )
}

pub fn run(args: &ReceiptsArgs, quiet: bool) -> Result<Outcome> {
    let zone = args.filter.zone()?;
    let filter = args.filter.validate()?;
    let spec = receipt_spec(&args.render, &args.lang, &args.filter.tz)?;
    let branding = branding(&args.render)?;
    let source = args.input.source(zone, &filter)?;
    let options = BulkOptions {
        branding,
        langs: spec.langs,
        zone,
        generated_at: spec.generated_at,
        pdfa: spec.pdfa,
        out_dir: args.out.clone(),
        zip: args.zip.clone(),
        merge: args.merge.clone(),
        manifest: args.manifest.clone(),
        force: args.force,
        max_merged_pages: args.max_merged_pages,
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
            .map_err(|e| Error::System(format!("cannot start {jobs} rendering threads: {e}")))?;
    }

    let locales = Locales::new().map_err(|e| Error::System(e.to_string()))?;
    let renderer = Renderer::new();
    let mut bulk = BulkRun::start(&options, &locales, &renderer)?;
    let mut progress = None;
    let mut selected = 0;
    let stats = collect_in_chunks(
        &filter,
        source.rereadable(),
        REFUNDS_PER_CHUNK,
        |pass, each| source.read_pass(pass, each),
        |work| {
            selected = work.selected_total;
            let progress = progress.get_or_insert_with(|| {
                Progress::items(
                    quiet,
                    (work.eligible_total * options.langs.len()) as u64,
                    "receipts",
                )
            });
            bulk.add(work, &|| progress.tick())
        },
    )?;
    if let Some(progress) = progress {
        progress.finish();
    }
    let report = bulk.finish()?;

    let summary = format!(
        "{} refunds selected from {} records: {} receipts rendered ({} written, {} unchanged), {} skipped, {} failed{}",
        selected,
        stats.records,
        report.rendered,
        report.written,
        report.unchanged,
        report.skipped,
        report.failed,
        if stats.skipped > 0 {
            format!(", {} bad rows skipped", stats.skipped)
        } else {
            String::new()
        }
    );
    Ok(Outcome {
        summary,
        skipped: report.failed + stats.skipped,
    })
}
