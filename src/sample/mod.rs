//! Synthetic transactions for `recibo sample`: demos, tests and benchmarks.
//!
//! The rows are the mix a gateway's transaction details report holds: payments of a handful
//! of merchants in currencies with 0, 2 and 3 minor digits, their total and partial refunds,
//! card authorizations with their captures and voids, a few disputes. They carry the awkward
//! data real reports do: descriptions in several scripts, with commas, quotes, line breaks
//! and spreadsheet formula triggers, some at the 256-character limit.
//!
//! A seed names the same rows on every machine: one seeded generator, integer arithmetic
//! only (no floats, no pointer-sized random draws). Memory stays flat however many rows are
//! asked for: refunds, captures and disputes are drawn from small bounded pools of earlier
//! transactions, never from all of them.

use chrono::{DateTime, TimeZone, Utc};

use crate::model::Transaction;

mod catalog;
mod draw;
mod generator;
#[cfg(test)]
mod tests;

use generator::Generator;

/// The refund the on-demand example asks for (`recibo receipt 2026110100042`). Every
/// sample of at least [`ON_DEMAND_MIN_ROWS`] rows whose window covers 2026-11-01 has it, as a
/// successful refund created that day.
pub const ON_DEMAND_REFUND_ID: &str = "2026110100042";

/// Below this many rows the sample is too sparse to promise the on-demand refund.
pub const ON_DEMAND_MIN_ROWS: u64 = 100;

const ON_DEMAND_ID: u64 = 2026110100042;
const ON_DEMAND_DAY: u64 = 20261101;
/// 2026-11-01T12:00:00Z.
const ON_DEMAND_NOON: i64 = 1_793_534_400;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleOptions {
    /// Number of transactions.
    pub rows: u64,
    /// Same seed, same rows.
    pub seed: u64,
    /// Creation times fall in `[start, start + days)`.
    pub start: DateTime<Utc>,
    pub days: u32,
}

impl Default for SampleOptions {
    /// October 2026 and the first week of November, so a sample has both a month of refunds
    /// to bulk-print and the 2026-11-01 on-demand refund.
    fn default() -> Self {
        SampleOptions {
            rows: 10_000,
            seed: 7,
            start: Utc
                .with_ymd_and_hms(2026, 10, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            days: 38,
        }
    }
}

/// Calls `emit` once per generated transaction, in creation-time order, refilling one
/// [`Transaction`] so that no row allocates once its strings have grown. Stops at the first
/// error `emit` returns.
pub fn generate<E>(
    options: &SampleOptions,
    mut emit: impl FnMut(&Transaction) -> Result<(), E>,
) -> Result<(), E> {
    let mut generator = Generator::new(options);
    let mut tx = generator.blank();
    for row in 0..options.rows {
        generator.fill(row, &mut tx);
        emit(&tx)?;
    }
    Ok(())
}

/// All rows at once; for tests and small samples.
pub fn generate_vec(options: &SampleOptions) -> Vec<Transaction> {
    let mut rows = Vec::with_capacity(usize::try_from(options.rows).unwrap_or(0).min(1 << 20));
    let result = generate(options, |tx| {
        rows.push(tx.clone());
        Ok::<(), std::convert::Infallible>(())
    });
    match result {
        Ok(()) => rows,
        Err(never) => match never {},
    }
}
