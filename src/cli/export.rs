//! `recibo export`: source → filter → CSV/XLSX/JSONL sink.

use super::args::ExportArgs;
use super::config::output_format;
use super::{Outcome, Progress};
use crate::error::Result;
use crate::output::Target;
use crate::sink;

pub fn run(args: &ExportArgs, quiet: bool) -> Result<Outcome> {
    let zone = args.filter.zone()?;
    let filter = args.filter.validate()?;
    let source = args.input.source(zone, &filter)?;
    let (_set, options) = args.table.validate(zone)?;
    let target = Target::parse(&args.output);
    let format = output_format(args.format.as_deref(), &target)?;

    let mut sink = sink::open(format, &target, &options)?;
    let progress = Progress::rows(quiet, "exporting");
    let stats = source.read(|tx| {
        progress.tick();
        if filter.matches(tx) {
            sink.write(tx)
        } else {
            Ok(())
        }
    })?;
    let written = sink.finish()?;
    progress.finish();
    let summary = format!(
        "{} read, {} written to {target}{}",
        stats.records,
        written,
        if stats.skipped > 0 {
            format!(", {} bad rows skipped", stats.skipped)
        } else {
            String::new()
        }
    );
    Ok(Outcome {
        summary,
        skipped: stats.skipped,
    })
}
