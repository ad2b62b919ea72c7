//! `recibo sample`: deterministic synthetic transactions in the reference layout.

use super::Outcome;
use super::args::SampleArgs;
use super::config::output_format;
use crate::columns::sets;
use crate::error::Result;
use crate::output::Target;
use crate::sample::{SampleOptions, generate};
use crate::sink::{self, ExportOptions};

pub fn run(args: &SampleArgs) -> Result<Outcome> {
    let target = Target::parse(&args.output);
    let format = output_format(args.format.as_deref(), &target)?;
    let reference = sets::resolve("reference", None)?;
    let mut columns = reference.columns;
    // The gateway API's fields too, so samples exercise every column.
    for key in [
        "orderId",
        "bankCode",
        "refundType",
        "rejectReason",
        "merchantName",
    ] {
        columns.extend(crate::columns::find(key));
    }
    let options = ExportOptions {
        columns,
        end_marker: args.end_marker,
        ..ExportOptions::default()
    };
    let mut sink = sink::open(format, &target, &options)?;
    let sample = SampleOptions {
        rows: args.rows,
        seed: args.seed,
        ..SampleOptions::default()
    };
    generate(&sample, |tx| sink.write(tx))?;
    let written = sink.finish()?;
    Ok(Outcome {
        summary: format!("{written} sample transactions written to {target}"),
        skipped: 0,
    })
}
