//! `recibo fetch`: pull orders from the gateway once and keep them as a file, so a nightly
//! job can render and export many times without asking the gateway again.

use super::Outcome;
use super::args::FetchArgs;
use super::config::output_format;
use crate::error::{Error, Result};
use crate::output::Target;
use crate::sink::{self, Format};

pub fn run(args: &FetchArgs, quiet: bool) -> Result<Outcome> {
    let zone = args.filter.zone()?;
    let filter = args.filter.validate()?;
    if args.input.db.is_some() {
        return Err(Error::usage(
            "fetch writes a file; load it into a store with `recibo import -i FILE --db URL`",
        ));
    }
    let input = super::args::InputArgs {
        gateway: true,
        ..args.input.clone()
    };
    let source = input.source(zone, &filter)?;
    let target = Target::parse(&args.output);
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
    if let Some(path) = &args.summary {
        super::write_summary(
            path,
            &serde_json::json!({
                "orders_asked": gateway.orders_asked,
                "orders_found": gateway.orders_found,
                "orders_failed": gateway.orders_failed,
                "refunds_pulled": gateway.refunds_pulled,
                "requests": gateway.requests,
                "retries": gateway.retries,
                "transactions_written": written,
                "output": target.to_string(),
            }),
        )?;
    }
    let summary = format!(
        "orders asked {}, found {}, failed {}; {} refunds pulled; {} transactions written to {target}",
        gateway.orders_asked,
        gateway.orders_found,
        gateway.orders_failed,
        gateway.refunds_pulled,
        written
    );
    // The totals are what an operator looks for first: say them even when logs are quiet.
    if !quiet {
        eprintln!("recibo: {summary}");
    }
    Ok(Outcome {
        summary: String::new(),
        skipped: stats.skipped,
    })
}
