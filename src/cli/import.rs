//! `recibo import`: report files into a transaction store, upserted by transaction ID.

use super::args::ImportArgs;
use super::{Outcome, Progress};
use crate::error::{Error, Result};
use crate::request::SourceRequest;
use crate::store::{Access, Store};

pub fn run(args: &ImportArgs, quiet: bool) -> Result<Outcome> {
    let zone = args
        .tz
        .parse::<crate::request::Zone>()
        .map_err(super::config::flag_error)?
        .0;
    if args.batch_rows == 0 {
        return Err(Error::usage("--batch-rows must be at least 1"));
    }
    let files = SourceRequest {
        inputs: args.inputs.clone(),
        input_format: args.input_format.clone(),
        sheet: args.sheet.clone(),
        skip_bad: args.skip_bad,
        max_record_bytes: args.max_record_size,
        ..SourceRequest::default()
    }
    .files(zone)?;
    let url = args.db.url()?;
    let mut store = Store::open(&url, Access::Write)?;
    let progress = Progress::rows(quiet, "importing");
    let stats = store.import(&files, args.batch_rows, &|| progress.tick())?;
    progress.finish();
    if let Some(target) = &args.summary {
        super::write_summary(
            target,
            &serde_json::json!({
                "store": url.to_string(),
                "read": stats.read.records,
                "skipped": stats.read.skipped,
                "added": stats.added,
                "updated": stats.updated,
                "transactions": stats.total,
            }),
        )?;
    }
    let skipped = stats.read.skipped;
    Ok(Outcome {
        summary: format!(
            "{} read, {} added, {} updated, {} unchanged; {} transactions in {url}{}",
            stats.read.records,
            stats.added,
            stats.updated,
            stats
                .read
                .records
                .saturating_sub(stats.added + stats.updated),
            stats.total,
            if skipped > 0 {
                format!(", {skipped} bad rows skipped")
            } else {
                String::new()
            }
        ),
        skipped,
    })
}
