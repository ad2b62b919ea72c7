//! Which refunds get receipts: the refunds a filter selects from a source, each with its
//! original payment when the source holds it (for the original amount and payment method).

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::filter::Filter;
use crate::model::{Transaction, TxType};
use crate::source::ReadStats;

/// Refunds to issue receipts for, in source order, and the payments they refund.
#[derive(Debug, Default)]
pub struct Work {
    /// Every refund the filter selected, successful or not: the ones that are not get a
    /// line in the manifest saying why they have no receipt.
    pub refunds: Vec<Transaction>,
    /// Original payments by transaction ID.
    pub originals: HashMap<String, Transaction>,
    pub stats: ReadStats,
}

impl Work {
    pub fn original_of(&self, refund: &Transaction) -> Option<&Transaction> {
        self.originals.get(&refund.original_transaction_id)
    }
}

/// Collects the work from a source that `read` reads from the start each time it is
/// called. With `rereadable`, a second pass picks up just the payments the selected refunds
/// refer to, so memory holds the refunds and their payments, not the whole input;
/// otherwise (standard input) every payment seen is kept for the lookup.
pub fn collect(
    filter: &Filter,
    rereadable: bool,
    mut read: impl FnMut(&mut dyn FnMut(&Transaction) -> Result<()>) -> Result<ReadStats>,
) -> Result<Work> {
    let mut work = Work::default();
    let mut payments: HashMap<String, Transaction> = HashMap::new();
    work.stats = read(&mut |tx: &Transaction| {
        if tx.transaction_type == TxType::Refund && filter.matches(tx) {
            work.refunds.push(tx.clone());
        } else if !rereadable && tx.transaction_type != TxType::Refund {
            // The first record of a payment wins, as in the two-pass read below.
            payments
                .entry(tx.transaction_id.clone())
                .or_insert_with(|| tx.clone());
        }
        Ok(())
    })?;
    let wanted: HashSet<&str> = work
        .refunds
        .iter()
        .map(|r| r.original_transaction_id.as_str())
        .filter(|id| !id.is_empty())
        .collect();
    if rereadable {
        if !wanted.is_empty() {
            let mut originals = HashMap::new();
            read(&mut |tx: &Transaction| {
                if tx.transaction_type != TxType::Refund
                    && wanted.contains(tx.transaction_id.as_str())
                {
                    originals
                        .entry(tx.transaction_id.clone())
                        .or_insert_with(|| tx.clone());
                }
                Ok(())
            })?;
            work.originals = originals;
        }
    } else {
        payments.retain(|id, _| wanted.contains(id.as_str()));
        work.originals = payments;
    }
    Ok(work)
}

/// Why a refund gets no receipt, or `None` when it does.
pub fn ineligible_reason(refund: &Transaction) -> Option<String> {
    if refund.is_successful_refund() {
        None
    } else {
        Some(format!(
            "{}: receipts are issued only for successful refunds",
            refund.kind_and_status()
        ))
    }
}

/// What an ID names, when a receipt is asked for by it.
#[derive(Debug)]
pub enum RefundMatch<'a> {
    /// The refund: the one whose own ID it is, or the only refund carrying it.
    Refund(&'a Transaction),
    /// No transaction carries the ID.
    Unknown,
    /// Transactions carry it, but no refund: the first of them.
    NotARefund(&'a Transaction),
    /// Several refunds carry it (an order refunded twice) and none has it as its own ID.
    Ambiguous(Vec<&'a Transaction>),
}

/// Picks the refund `id` names among `matches`, the transactions carrying it: a refund's
/// own ID wins; otherwise it must name exactly one refund.
pub fn pick_refund<'a>(
    id: &str,
    matches: impl IntoIterator<Item = &'a Transaction>,
) -> RefundMatch<'a> {
    let mut first = None;
    let mut refunds = Vec::new();
    for tx in matches {
        first.get_or_insert(tx);
        if tx.transaction_type == TxType::Refund {
            if tx.transaction_id == id {
                return RefundMatch::Refund(tx);
            }
            refunds.push(tx);
        }
    }
    match (refunds.len(), first) {
        (1, _) => RefundMatch::Refund(refunds[0]),
        (0, None) => RefundMatch::Unknown,
        (0, Some(tx)) => RefundMatch::NotARefund(tx),
        _ => RefundMatch::Ambiguous(refunds),
    }
}
