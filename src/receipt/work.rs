//! Which refunds get receipts: the refunds a filter selects from a source, each with its
//! original payment when the source holds it (for the original amount and payment method).

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::filter::Filter;
use crate::model::transaction::kind_and_status;
use crate::model::{Transaction, TxStatus, TxType};
use crate::source::{Pass, ReadStats};

/// Refunds to issue receipts for, in source order, and the payments they refund.
#[derive(Debug, Default)]
pub struct Work {
    /// Every refund the filter selected, successful or not: the ones that are not get a
    /// line in the manifest saying why they have no receipt.
    pub refunds: Vec<Transaction>,
    /// Original payments by transaction ID.
    pub originals: HashMap<String, Transaction>,
    pub stats: ReadStats,
    /// Refunds the filter selects in the whole source, and the successful ones among them:
    /// more than `refunds` holds when the work comes in chunks ([`collect_in_chunks`]).
    pub selected_total: usize,
    pub eligible_total: usize,
}

impl Work {
    pub fn original_of(&self, refund: &Transaction) -> Option<&Transaction> {
        self.originals.get(&refund.original_transaction_id)
    }
}

/// A reader of the whole source, from the start, each time it is called; told whether this
/// is its first pass, on which alone bad records are reported.
pub type ReadAll<'r> =
    dyn FnMut(Pass, &mut dyn FnMut(&Transaction) -> Result<()>) -> Result<ReadStats> + 'r;

/// Collects the work from a source that `read` reads from the start each time it is
/// called. With `rereadable`, a second pass picks up just the payments the selected refunds
/// refer to, so memory holds the refunds and their payments, not the whole input;
/// otherwise (standard input, the gateway) every payment seen is kept for the lookup.
pub fn collect(
    filter: &Filter,
    rereadable: bool,
    mut read: impl FnMut(Pass, &mut dyn FnMut(&Transaction) -> Result<()>) -> Result<ReadStats>,
) -> Result<Work> {
    if rereadable {
        return chunk_of(filter, 0, usize::MAX, Pass::First, &mut read);
    }
    let mut work = Work::default();
    let mut payments: HashMap<String, Transaction> = HashMap::new();
    work.stats = read(Pass::First, &mut |tx: &Transaction| {
        if tx.transaction_type == TxType::Refund && filter.matches(tx) {
            work.refunds.push(tx.clone());
        } else if tx.transaction_type != TxType::Refund {
            // The first record of a payment wins (see `is_original_of`), in both passes.
            payments
                .entry(tx.transaction_id.clone())
                .or_insert_with(|| tx.clone());
        }
        Ok(())
    })?;
    work.selected_total = work.refunds.len();
    work.eligible_total = work
        .refunds
        .iter()
        .filter(|r| r.is_successful_refund())
        .count();
    let wanted = wanted_payments(&work.refunds);
    payments.retain(|id, _| wanted.contains(id.as_str()));
    work.originals = payments;
    Ok(work)
}

/// Refunds a bulk run holds at once, with their payments. A source with more is read again
/// for each further chunk, so memory stays bounded however many refunds it selects.
pub const REFUNDS_PER_CHUNK: usize = 16_384;

/// The work in chunks of at most `chunk` refunds, in source order, each handed to `each`
/// with its payments. A source that cannot be read again comes as one chunk. Every chunk
/// costs two reads of the source (its refunds, then their payments); a source that selects
/// no more than `chunk` refunds is read twice, as [`collect`] reads it.
pub fn collect_in_chunks(
    filter: &Filter,
    rereadable: bool,
    chunk: usize,
    mut read: impl FnMut(Pass, &mut dyn FnMut(&Transaction) -> Result<()>) -> Result<ReadStats>,
    mut each: impl FnMut(&Work) -> Result<()>,
) -> Result<ReadStats> {
    if !rereadable {
        let work = collect(filter, false, &mut read)?;
        each(&work)?;
        return Ok(work.stats);
    }
    let chunk = chunk.max(1);
    let mut start = 0;
    let mut first_stats = None;
    loop {
        let pass = if start == 0 { Pass::First } else { Pass::Again };
        let work = chunk_of(filter, start, chunk, pass, &mut read)?;
        each(&work)?;
        let selected = work.selected_total;
        first_stats.get_or_insert(work.stats);
        start = start.saturating_add(chunk);
        if start >= selected {
            return Ok(first_stats.unwrap_or_default());
        }
    }
}

/// Refunds `start..start + len` of those the filter selects, with their payments: two
/// reads of a source that can be read again.
fn chunk_of(
    filter: &Filter,
    start: usize,
    len: usize,
    pass: Pass,
    read: &mut ReadAll,
) -> Result<Work> {
    let mut work = Work::default();
    let end = start.saturating_add(len);
    let (mut selected, mut eligible) = (0, 0);
    work.stats = read(pass, &mut |tx: &Transaction| {
        if tx.transaction_type == TxType::Refund && filter.matches(tx) {
            if (start..end).contains(&selected) {
                work.refunds.push(tx.clone());
            }
            selected += 1;
            eligible += usize::from(tx.is_successful_refund());
        }
        Ok(())
    })?;
    work.selected_total = selected;
    work.eligible_total = eligible;
    let wanted = wanted_payments(&work.refunds);
    if !wanted.is_empty() {
        let mut originals = HashMap::new();
        read(Pass::Again, &mut |tx: &Transaction| {
            if tx.transaction_type != TxType::Refund && wanted.contains(tx.transaction_id.as_str())
            {
                // The first record of a payment wins (see `is_original_of`).
                originals
                    .entry(tx.transaction_id.clone())
                    .or_insert_with(|| tx.clone());
            }
            Ok(())
        })?;
        work.originals = originals;
    }
    Ok(work)
}

fn wanted_payments(refunds: &[Transaction]) -> HashSet<&str> {
    refunds
        .iter()
        .map(|r| r.original_transaction_id.as_str())
        .filter(|id| !id.is_empty())
        .collect()
}

/// Whether `payment` is the transaction `refund` refunds: not itself a refund, and
/// carrying the refund's original transaction ID as its own.
///
/// When a source holds several records of that payment (a report that lists it twice, a
/// gateway answer and a file), the **first** one read is the original: every lookup
/// ([`collect`], the server's index, a gateway answer) keeps the first and ignores the rest.
pub fn is_original_of(payment: &Transaction, refund: &Transaction) -> bool {
    !refund.original_transaction_id.is_empty()
        && payment.transaction_type != TxType::Refund
        && payment.transaction_id == refund.original_transaction_id
}

/// The first of `candidates` that is `refund`'s original payment (see [`is_original_of`]).
pub fn original_among<'a>(
    refund: &Transaction,
    candidates: impl IntoIterator<Item = &'a Transaction>,
) -> Option<&'a Transaction> {
    candidates.into_iter().find(|tx| is_original_of(tx, refund))
}

/// Why a refund gets no receipt, or `None` when it does: the reason a bulk run's manifest
/// gives, and the tail of [`NoReceipt::NotSuccessful`].
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

/// Why an ID gets no receipt. The messages are the same in every front end; the command
/// line turns the kind into its exit code, the server into 404 or 409 and [`NoReceipt::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoReceipt {
    /// No transaction carries the ID.
    #[error("no transaction has the ID {id:?}")]
    NotFound { id: String },
    /// Transactions carry the ID, but no refund (the first of them is described).
    #[error(
        "no receipt for {id}: it is a {} (transaction {transaction_id}), not a refund",
        kind_and_status(tx_type, status)
    )]
    NotARefund {
        id: String,
        transaction_id: String,
        tx_type: TxType,
        status: TxStatus,
    },
    /// Several refunds carry the ID (an order refunded twice) and none has it as its own.
    #[error("{id} matches {} refunds ({}); name one by its refund ID", refunds.len(), refunds.join(", "))]
    Ambiguous { id: String, refunds: Vec<String> },
    /// The ID names one refund, and it has not succeeded.
    #[error(
        "no receipt for {id}: refund {transaction_id} is a {}: receipts are issued only for successful refunds",
        kind_and_status(tx_type, status)
    )]
    NotSuccessful {
        id: String,
        transaction_id: String,
        tx_type: TxType,
        status: TxStatus,
    },
}

impl NoReceipt {
    /// A stable name for the kind of refusal, as the server's JSON `error` gives it.
    pub fn code(&self) -> &'static str {
        match self {
            NoReceipt::NotFound { .. } => "not_found",
            NoReceipt::NotARefund { .. } => "not_a_refund",
            NoReceipt::Ambiguous { .. } => "ambiguous_id",
            NoReceipt::NotSuccessful { .. } => "not_eligible",
        }
    }
}

/// The refund `id` names among `matches` (the transactions carrying it, in source order),
/// when it gets a receipt. A refund's own ID wins; otherwise the ID must name exactly one
/// refund; that refund must have succeeded.
pub fn receipt_refund<'a>(
    id: &str,
    matches: impl IntoIterator<Item = &'a Transaction>,
) -> std::result::Result<&'a Transaction, NoReceipt> {
    let mut first = None;
    let mut refunds = Vec::new();
    let mut own = None;
    for tx in matches {
        first.get_or_insert(tx);
        if tx.transaction_type == TxType::Refund {
            if tx.transaction_id == id {
                own = Some(tx);
                break;
            }
            refunds.push(tx);
        }
    }
    let refund = match (own, refunds.as_slice(), first) {
        (Some(refund), _, _) | (None, &[refund], _) => refund,
        (None, [], None) => return Err(NoReceipt::NotFound { id: id.to_string() }),
        (None, [], Some(tx)) => {
            return Err(NoReceipt::NotARefund {
                id: id.to_string(),
                transaction_id: tx.transaction_id.clone(),
                tx_type: tx.transaction_type.clone(),
                status: tx.status.clone(),
            });
        }
        (None, several, _) => {
            return Err(NoReceipt::Ambiguous {
                id: id.to_string(),
                refunds: several.iter().map(|r| r.transaction_id.clone()).collect(),
            });
        }
    };
    if refund.is_successful_refund() {
        Ok(refund)
    } else {
        Err(NoReceipt::NotSuccessful {
            id: id.to_string(),
            transaction_id: refund.transaction_id.clone(),
            tx_type: refund.transaction_type.clone(),
            status: refund.status.clone(),
        })
    }
}
