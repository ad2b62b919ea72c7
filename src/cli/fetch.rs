//! `recibo fetch`: pull orders from the gateway once and keep them as a file or in a
//! store, so a nightly job can render and export many times without asking the gateway
//! again, and a store accumulates what every night pulled.

use super::Outcome;
use super::args::FetchArgs;
use super::config::output_format;
use crate::error::{Error, Result};
use crate::output::Target;
use crate::sink::{self, Format};
use crate::source::gateway::FetchSummary;
use crate::store::{Access, Store};

pub fn run(args: &FetchArgs, quiet: bool) -> Result<Outcome> {
    let zone = args.filter.zone()?;
    let filter = args.filter.validate()?;
    let input = super::args::InputArgs {
        gateway: true,
        db: None,
        ..args.input.clone()
    };
    if let Some(db) = &args.input.db {
        if args.output.is_some() || args.format.is_some() {
            return Err(Error::usage(
                "fetch writes into --db or into -o, not both: give one",
            ));
        }
        let url = crate::store::DbUrl::parse(db)?;
        // The store is opened (and its schema checked) before the gateway is asked.
        let mut store = Store::open(&url, Access::Write)?;
        let source = input.source(zone, &filter)?;
        let progress = super::Progress::rows(quiet, "fetching");
        let stats = store.import_from(&source, &filter, args.batch_rows.max(1), &|| {
            progress.tick()
        })?;
        progress.finish();
        let gateway = stats.read.gateway.clone().unwrap_or_default();
        report(
            args,
            quiet,
            &gateway,
            &format!(
                "{} added, {} updated in {url} ({} transactions)",
                stats.added, stats.updated, stats.total
            ),
            serde_json::json!({
                "store": url.to_string(),
                "added": stats.added,
                "updated": stats.updated,
                "transactions": stats.total,
            }),
        )?;
        return Ok(Outcome {
            summary: String::new(),
            skipped: stats.read.skipped,
        });
    }
    let source = input.source(zone, &filter)?;
    let target = Target::parse(args.output.as_deref().unwrap_or("-"));
    if matches!(target, Target::Stdout) && args.summary.as_deref() == Some("-") {
        return Err(Error::usage(
            "--summary - and -o - would both write to standard output: send one to a file",
        ));
    }
    let format = match (&args.format, Format::from_target(&target)) {
        (None, None) => Format::Jsonl,
        (flag, _) => output_format(flag.as_deref(), &target)?,
    };
    let (_, options) = args.table.validate(zone)?;
    let sink = sink::open(format, &target, &options)?;
    let (stats, written) = super::export::pipe(
        &source,
        &filter,
        sink,
        &super::Progress::rows(quiet, "fetching"),
    )?;
    let gateway = stats.gateway.clone().unwrap_or_default();
    report(
        args,
        quiet,
        &gateway,
        &format!("{written} transactions written to {target}"),
        serde_json::json!({
            "transactions_written": written,
            "output": target.to_string(),
        }),
    )?;
    Ok(Outcome {
        summary: String::new(),
        skipped: stats.skipped,
    })
}

/// Says what the gateway was asked and answered, and where it went (`kept`, and the
/// summary file's `extra` keys).
fn report(
    args: &FetchArgs,
    quiet: bool,
    gateway: &FetchSummary,
    kept: &str,
    extra: serde_json::Value,
) -> Result<()> {
    if let Some(path) = &args.summary {
        let mut summary = serde_json::json!({
            "orders_asked": gateway.orders_asked,
            "orders_found": gateway.orders_found,
            "orders_failed": gateway.orders_failed,
            "refunds_pulled": gateway.refunds_pulled,
            "requests": gateway.requests,
            "retries": gateway.retries,
        });
        if let (Some(summary), serde_json::Value::Object(extra)) = (summary.as_object_mut(), extra)
        {
            summary.extend(extra);
        }
        super::write_summary(path, &summary)?;
    }
    // The totals are what an operator looks for first: say them even when logs are quiet.
    if !quiet {
        eprintln!(
            "recibo: orders asked {}, found {}, failed {}; {} refunds pulled; {kept}",
            gateway.orders_asked,
            gateway.orders_found,
            gateway.orders_failed,
            gateway.refunds_pulled,
        );
    }
    Ok(())
}
