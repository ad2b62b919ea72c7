//! `recibo export`: source → filter → CSV/XLSX/JSONL sink.

use super::args::ExportArgs;
use super::config::output_format;
use super::{Outcome, Progress};
use crate::error::Result;
use crate::filter::Filter;
use crate::output::Target;
use crate::sink::{self, Sink};
use crate::source::{ReadStats, Source};

pub fn run(args: &ExportArgs, quiet: bool) -> Result<Outcome> {
    let zone = args.filter.zone()?;
    let filter = args.filter.validate()?;
    let (_set, options) = args.table.validate(zone)?;
    let target = Target::parse(&args.output);
    let format = output_format(args.format.as_deref(), &target)?;
    let source = args
        .input
        .source(zone, &filter)?
        .push_down(&filter)
        .with_text_fields(sink::text_fields(format, &options).union(filter.text_fields()));

    let sink = sink::open(format, &target, &options)?;
    let (stats, written) = pipe(&source, &filter, sink, &Progress::rows(quiet, "exporting"))?;
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

/// The pipeline itself: every record of `source` that `filter` keeps goes to `sink`, which
/// is then committed. Returns what was read and how many rows were written.
pub fn pipe(
    source: &Source,
    filter: &Filter,
    mut sink: Box<dyn Sink>,
    progress: &Progress,
) -> Result<(ReadStats, u64)> {
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
    Ok((stats, written))
}
