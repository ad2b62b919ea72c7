//! The filter stage: which transactions go on to a sink. Built once from validated flags;
//! [`Filter::matches`] runs per row and allocates nothing.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::model::{Currency, Transaction, TxStatus, TxType};
use crate::model::{Field, FieldSet};

/// The fields behind [`Transaction::ids`].
const ID_FIELDS: FieldSet = FieldSet::EMPTY
    .with(Field::TransactionId)
    .with(Field::OriginalTransactionId)
    .with(Field::TransactionRequestId)
    .with(Field::ReferenceTransactionId)
    .with(Field::AcquirerReferenceNo)
    .with(Field::OrderId);

/// Keeps a transaction when it passes every criterion given; an empty list means "any".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Creation time at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Creation time strictly before this instant.
    pub to: Option<DateTime<Utc>>,
    pub currencies: Vec<Currency>,
    pub types: Vec<TxType>,
    /// Payment method types, compared case-insensitively.
    pub methods: Vec<String>,
    /// Acquirers, compared case-insensitively.
    pub acquirers: Vec<String>,
    pub statuses: Vec<TxStatus>,
    /// Matches any of a transaction's IDs (see [`Transaction::ids`]). A set: a list of
    /// thousands of IDs costs each row a few comparisons, not thousands.
    pub ids: BTreeSet<String>,
    /// A payment ID: keeps the payment and every transaction that refers to it.
    pub related: Option<String>,
    /// Keep only this shard of the work (see [`Shard`]).
    pub shard: Option<Shard>,
}

impl Filter {
    /// The free-text fields [`Filter::matches`] looks at; a source may leave the others
    /// empty.
    pub fn text_fields(&self) -> FieldSet {
        let mut fields = FieldSet::EMPTY.with(Field::TransactionId);
        if !self.methods.is_empty() {
            fields = fields.with(Field::PaymentMethodType);
        }
        if !self.acquirers.is_empty() {
            fields = fields.with(Field::Acquirer);
        }
        if !self.ids.is_empty() {
            fields = fields.union(ID_FIELDS);
        }
        if self.related.is_some() || self.shard.is_some() {
            fields = fields.with(Field::OriginalTransactionId);
        }
        fields
    }

    pub fn matches(&self, tx: &Transaction) -> bool {
        if self.from.is_some_and(|from| tx.payment_time < from)
            || self.to.is_some_and(|to| tx.payment_time >= to)
        {
            return false;
        }
        if !self.currencies.is_empty() && !self.currencies.contains(&tx.amount.currency) {
            return false;
        }
        if !self.types.is_empty() && !self.types.contains(&tx.transaction_type) {
            return false;
        }
        if !self.statuses.is_empty() && !self.statuses.contains(&tx.status) {
            return false;
        }
        if !self.methods.is_empty()
            && !self
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&tx.payment_method_type))
        {
            return false;
        }
        if !self.acquirers.is_empty()
            && !self
                .acquirers
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&tx.acquirer))
        {
            return false;
        }
        if !self.ids.is_empty()
            && !tx
                .ids()
                .iter()
                .any(|id| !id.is_empty() && self.ids.contains(*id))
        {
            return false;
        }
        if let Some(payment) = &self.related
            && tx.transaction_id != *payment
            && tx.original_transaction_id != *payment
        {
            return false;
        }
        if let Some(shard) = self.shard
            && !shard.owns(tx.group_id())
        {
            return false;
        }
        true
    }

    /// True when nothing is filtered out.
    pub fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.currencies.is_empty()
            && self.types.is_empty()
            && self.methods.is_empty()
            && self.acquirers.is_empty()
            && self.statuses.is_empty()
            && self.ids.is_empty()
            && self.related.is_none()
            && self.shard.is_none()
    }
}

/// One of `count` disjoint parts of the work, chosen by a stable hash of the group ID (a
/// payment's ID, which its refunds carry as their original ID), so a payment and its
/// refunds always land in the same shard and N shards together cover everything once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, as written on the command line (`--shard 3/8`).
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub fn owns(&self, group_id: &str) -> bool {
        (Shard::key(group_id) % u64::from(self.count)) as u32 == self.index - 1
    }

    /// The hash a group's shard is taken from: stable, so a store can keep it and select a
    /// shard with arithmetic alone.
    pub fn key(group_id: &str) -> u64 {
        fnv1a(group_id.as_bytes())
    }
}

/// FNV-1a: stable across platforms, versions and runs (unlike std's `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_ids() {
        for n in [1u32, 3, 8] {
            for i in 0..500 {
                let id = format!("2026110{i:05}");
                let owners = (1..=n)
                    .filter(|k| {
                        Shard {
                            index: *k,
                            count: n,
                        }
                        .owns(&id)
                    })
                    .count();
                assert_eq!(owners, 1, "{id} in {n} shards");
            }
        }
        assert!("0/3".parse::<Shard>().is_err());
        assert!("4/3".parse::<Shard>().is_err());
        assert_eq!(
            "3/8".parse::<Shard>().unwrap(),
            Shard { index: 3, count: 8 }
        );
    }
}
