//! The data a server answers from: every transaction of the report files, held in memory
//! with an index from each ID to the transactions carrying it, swapped whole on reload.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, SubsecRound, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};
use crate::locale::Lang;
use crate::model::Transaction;
use crate::receipt::template::ReceiptKey;
use crate::receipt::work::original_among;
use crate::source::{FileSource, ReadStats};

/// Entity tags remembered per snapshot before the memo is cleared: about 100 bytes each.
const ETAG_MEMO_LIMIT: usize = 100_000;

/// The transactions of one load of the inputs. Never changes once built; a reload builds a
/// new one.
pub struct Snapshot {
    pub transactions: Vec<Transaction>,
    /// Every non-empty ID (see [`Transaction::ids`]) to the positions of the transactions
    /// carrying it, each position once.
    by_id: HashMap<String, Vec<u32>>,
    /// When the data was loaded, to the second: the generation time printed on every receipt
    /// served from it, so a receipt's bytes (and its ETag) stay the same while it is served.
    pub loaded_at: DateTime<Utc>,
    /// Counts loads that changed the data, from 1.
    pub generation: u64,
    pub stats: ReadStats,
    /// ETags of receipts already rendered from this snapshot, so a conditional request
    /// that matches is answered without rendering.
    etags: Mutex<HashMap<(String, Lang, Tz), String>>,
    /// Verification codes of the successful refunds, under the server's receipt key, to
    /// their positions: made on the first lookup.
    codes: std::sync::OnceLock<HashMap<String, u32>>,
}

impl Snapshot {
    /// Reads every input into memory and indexes it.
    pub fn load(source: &FileSource, generation: u64) -> Result<Snapshot> {
        let mut transactions = Vec::new();
        let stats = source.read(|tx| {
            transactions.push(tx.clone());
            Ok(())
        })?;
        Snapshot::new(transactions, stats, generation, Utc::now())
    }

    pub fn new(
        transactions: Vec<Transaction>,
        stats: ReadStats,
        generation: u64,
        loaded_at: DateTime<Utc>,
    ) -> Result<Snapshot> {
        if transactions.len() > u32::MAX as usize {
            return Err(Error::usage(format!(
                "{} transactions are more than one server holds",
                transactions.len()
            )));
        }
        let mut by_id: HashMap<String, Vec<u32>> = HashMap::with_capacity(transactions.len() * 3);
        for (i, tx) in transactions.iter().enumerate() {
            let i = i as u32;
            for id in tx.ids() {
                if id.is_empty() {
                    continue;
                }
                let positions = by_id.entry(id.to_string()).or_default();
                // Two fields of one transaction may hold the same ID.
                if positions.last() != Some(&i) {
                    positions.push(i);
                }
            }
        }
        by_id.shrink_to_fit();
        Ok(Snapshot {
            transactions,
            by_id,
            loaded_at: loaded_at.trunc_subsecs(0),
            generation,
            stats,
            etags: Mutex::new(HashMap::new()),
            codes: std::sync::OnceLock::new(),
        })
    }

    /// The successful refund whose verification code under `key` is `code`.
    pub fn with_code(&self, key: &ReceiptKey, code: &str) -> Option<&Transaction> {
        let codes = self.codes.get_or_init(|| {
            self.transactions
                .iter()
                .enumerate()
                .filter(|(_, tx)| tx.is_successful_refund())
                .map(|(i, tx)| (key.code(tx), i as u32))
                .collect()
        });
        codes.get(code).map(|&i| &self.transactions[i as usize])
    }

    /// Positions of the transactions carrying `id` among their IDs, in input order.
    pub fn positions(&self, id: &str) -> &[u32] {
        self.by_id.get(id).map_or(&[], Vec::as_slice)
    }

    /// The transactions carrying `id` among their IDs, in input order.
    pub fn with_id<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Transaction> + 'a {
        self.positions(id)
            .iter()
            .map(|&i| &self.transactions[i as usize])
    }

    /// The payment a refund refunds, when the inputs hold it (the first, by the rule of
    /// [`is_original_of`]).
    pub fn original_of(&self, refund: &Transaction) -> Option<&Transaction> {
        original_among(refund, self.with_id(&refund.original_transaction_id))
    }

    /// The ETag of a receipt already rendered from this snapshot for the ID a request
    /// named; within one snapshot an ID always picks the same refund ([`crate::receipt::work::receipt_refund`]).
    pub fn etag(&self, requested_id: &str, lang: Lang, zone: Tz) -> Option<String> {
        self.etags
            .lock()
            .ok()?
            .get(&(requested_id.to_string(), lang, zone))
            .cloned()
    }

    pub fn remember_etag(&self, requested_id: &str, lang: Lang, zone: Tz, etag: &str) {
        if let Ok(mut memo) = self.etags.lock() {
            if memo.len() >= ETAG_MEMO_LIMIT {
                memo.clear();
            }
            memo.insert((requested_id.to_string(), lang, zone), etag.to_string());
        }
    }
}

/// How a reload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// New data is being served.
    Changed {
        generation: u64,
        transactions: usize,
    },
    /// The inputs hold the same transactions: the old snapshot, its load time and so its
    /// receipts' bytes, stay.
    Unchanged { generation: u64 },
}

/// The current snapshot and how to make the next one.
pub struct Store {
    source: FileSource,
    current: RwLock<Arc<Snapshot>>,
    /// Only one reload at a time, so two quick SIGHUPs cannot race to install older data.
    reloading: Mutex<()>,
    last_error: Mutex<Option<String>>,
}

impl Store {
    /// Loads the inputs; a server that cannot read them at start does not start.
    pub fn open(source: FileSource) -> Result<Store> {
        let first = Snapshot::load(&source, 1)?;
        Ok(Store {
            source,
            current: RwLock::new(Arc::new(first)),
            reloading: Mutex::new(()),
            last_error: Mutex::new(None),
        })
    }

    pub fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reads the inputs again and swaps the new data in whole. On any error the old data
    /// stays in service and the error is returned (and kept for `/healthz`). Blocks: call
    /// it off the async threads.
    pub fn reload(&self) -> Result<Reloaded> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let old = self.current();
        let outcome = (|| {
            let mut transactions = Vec::with_capacity(old.transactions.len());
            let stats = self.source.read(|tx| {
                transactions.push(tx.clone());
                Ok(())
            })?;
            if transactions == old.transactions {
                return Ok(Reloaded::Unchanged {
                    generation: old.generation,
                });
            }
            let generation = old.generation + 1;
            let next = Snapshot::new(transactions, stats, generation, Utc::now())?;
            let count = next.transactions.len();
            let mut slot = self.current.write().unwrap_or_else(|p| p.into_inner());
            *slot = Arc::new(next);
            Ok(Reloaded::Changed {
                generation,
                transactions: count,
            })
        })();
        let mut last_error = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        *last_error = outcome.as_ref().err().map(ToString::to_string);
        outcome
    }

    /// The error of the last reload, when it failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, Money, TxStatus, TxType};
    use crate::receipt::work::{NoReceipt, receipt_refund};

    fn tx(id: &str, kind: TxType, original: &str, order: &str) -> Transaction {
        let mut t = Transaction::blank(Currency::parse("USD").unwrap());
        t.transaction_id = id.into();
        t.transaction_type = kind;
        t.original_transaction_id = original.into();
        t.reference_transaction_id = order.into();
        t.status = TxStatus::Success;
        t.amount = Money::new(-100, t.amount.currency);
        t
    }

    fn snapshot(txs: Vec<Transaction>) -> Snapshot {
        Snapshot::new(txs, ReadStats::default(), 1, Utc::now()).unwrap()
    }

    #[test]
    fn every_id_finds_its_transactions_once() {
        let s = snapshot(vec![
            tx("P1", TxType::Payment, "", "O1"),
            tx("R1", TxType::Refund, "P1", "O1"),
            tx("R2", TxType::Refund, "P1", "R2"),
        ]);
        assert_eq!(s.positions("O1"), &[0, 1]);
        assert_eq!(s.positions("P1"), &[0, 1, 2]);
        assert_eq!(s.positions("R2"), &[2]);
        assert!(s.positions("nope").is_empty());
        assert!(s.positions("").is_empty());
        let r1 = &s.transactions[1];
        assert_eq!(
            s.original_of(r1).map(|t| t.transaction_id.as_str()),
            Some("P1")
        );
    }

    #[test]
    fn refund_lookup_follows_the_receipt_command() {
        let mut failed = tx("R3", TxType::Refund, "P1", "O3");
        failed.status = TxStatus::Fail;
        let s = snapshot(vec![
            tx("P1", TxType::Payment, "", "O1"),
            tx("R1", TxType::Refund, "P1", "O1"),
            tx("R2", TxType::Refund, "P1", "O2"),
            tx("P1R", TxType::Refund, "P1", ""),
            failed,
        ]);
        let pick = |id: &str| receipt_refund(id, s.with_id(id)).map(|t| t.transaction_id.as_str());
        assert_eq!(pick("R1"), Ok("R1"));
        assert_eq!(pick("O1"), Ok("R1"));
        assert_eq!(pick("O2"), Ok("R2"));
        assert!(
            matches!(pick("P1"), Err(NoReceipt::Ambiguous { refunds, .. }) if refunds.len() == 4)
        );
        assert_eq!(pick("zzz"), Err(NoReceipt::NotFound { id: "zzz".into() }));
        let refused = pick("O3").unwrap_err();
        assert!(
            matches!(&refused, NoReceipt::NotSuccessful { transaction_id, status: TxStatus::Fail, .. } if transaction_id == "R3")
        );
        assert_eq!(
            refused.to_string(),
            "no receipt for O3: refund R3 is a REFUND with status FAIL: receipts are issued only for successful refunds"
        );
        let only_payment = snapshot(vec![tx("P9", TxType::Payment, "", "O9")]);
        assert!(
            matches!(receipt_refund("O9", only_payment.with_id("O9")), Err(NoReceipt::NotARefund { transaction_id, .. }) if transaction_id == "P9")
        );
    }

    #[test]
    fn the_first_record_of_a_payment_is_the_original() {
        let mut first = tx("P1", TxType::Payment, "", "O1");
        first.order_description = "first".into();
        let mut second = first.clone();
        second.order_description = "second".into();
        let s = snapshot(vec![first, tx("R1", TxType::Refund, "P1", "O1"), second]);
        let original = s.original_of(&s.transactions[1]).unwrap();
        assert_eq!(original.order_description, "first");
        // A refund without an original ID has none, even beside a payment with an empty ID.
        let orphan = tx("R9", TxType::Refund, "", "");
        assert!(s.original_of(&orphan).is_none());
    }
}
