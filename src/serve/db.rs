//! Serving from a store: every request asks the database through its indexes, so the
//! server is ready at once and its memory does not grow with the store; an import is
//! visible to the next request, with no reload.
//!
//! Connections are kept in a small pool: a request takes an idle one or opens a new one,
//! and gives it back when it succeeded (a failed one may be broken, so it is dropped).
//! At most `idle` connections are kept; how many are open at once is bounded by the
//! server's render and export limits.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};

use crate::error::Result;
use crate::filter::Filter;
use crate::model::{Transaction, TxStatus, TxType};
use crate::receipt::template::ReceiptKey;
use crate::receipt::work::{NoReceipt, original_among, receipt_refund};
use crate::store::query::Position;
use crate::store::{Access, DbUrl, Status, Store};

/// Transactions one ID may name before the rest are left out of a refusal's list.
pub(crate) const MATCHES_KEPT: usize = 64;

/// How old the verification codes' index may be before a code it does not know makes it
/// read the store again: a refund imported while the server runs is found by its code
/// within this time.
const CODES_FRESH: Duration = Duration::from_secs(60);

pub struct StorePool {
    pub url: DbUrl,
    idle: Mutex<Vec<Store>>,
    keep: usize,
    codes: Mutex<Codes>,
}

/// The verification code of every successful refund in the store, with its refund's ID,
/// read when a code is first asked for. A code is an HMAC of the refund, so a store
/// cannot be asked for it; about 80 bytes a refund.
#[derive(Default)]
struct Codes {
    read_at: Option<Instant>,
    ids: HashMap<Box<str>, Box<str>>,
}

/// A refund found in the store, with the payment it refunds and its generation time.
pub struct StoredRefund {
    pub refund: Transaction,
    pub original: Option<Transaction>,
    pub generated_at: DateTime<Utc>,
}

impl StorePool {
    /// Opens one connection (so a wrong URL, a missing store or a newer schema stops the
    /// server at start) and keeps it.
    pub fn open(url: DbUrl, keep: usize) -> Result<StorePool> {
        let first = Store::open(&url, Access::Read)?;
        Ok(StorePool {
            url,
            idle: Mutex::new(vec![first]),
            keep: keep.max(1),
            codes: Mutex::new(Codes::default()),
        })
    }

    /// Runs `work` on a connection. Blocks: call it off the async threads.
    pub fn with<T>(&self, work: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut store = match taken {
            Some(store) => store,
            None => Store::open(&self.url, Access::Read)?,
        };
        let outcome = work(&mut store);
        if outcome.is_ok() {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < self.keep {
                idle.push(store);
            }
        }
        outcome
    }

    pub fn status(&self) -> Result<Status> {
        self.with(|store| store.status())
    }

    /// The refund whose receipt `id` names, by the same rule as the files
    /// ([`receipt_refund`]), found through the store's ID indexes.
    pub fn refund(&self, id: &str) -> Result<std::result::Result<StoredRefund, NoReceipt>> {
        self.with(|store| {
            let named = with_ids(store, id)?;
            let refund = match receipt_refund(id, &named) {
                Ok(refund) => refund.clone(),
                Err(refused) => return Ok(Err(refused)),
            };
            let payments = if refund.original_transaction_id.is_empty() {
                Vec::new()
            } else {
                with_ids(store, &refund.original_transaction_id)?
            };
            let original = original_among(&refund, &payments).cloned();
            let mut rows = vec![refund.transaction_id.as_str()];
            if let Some(payment) = &original {
                rows.push(payment.transaction_id.as_str());
            }
            // The rows' last change, to the second: the same request gives the same bytes
            // (and ETag) until one of them changes.
            let generated_at = store
                .changed_at(&rows)?
                .unwrap_or_else(Utc::now)
                .trunc_subsecs(0);
            Ok(Ok(StoredRefund {
                refund,
                original,
                generated_at,
            }))
        })
    }

    /// The successful refund whose verification code under `key` is `code`. Blocks; the
    /// first call, and a code not known to an index older than [`CODES_FRESH`], read every
    /// successful refund of the store.
    pub fn with_code(&self, key: &ReceiptKey, code: &str) -> Result<Option<Transaction>> {
        let id = {
            // One reading at a time; lookups wait for it rather than each reading again.
            let mut codes = self.codes.lock().unwrap_or_else(|p| p.into_inner());
            let stale = codes.read_at.is_none_or(|at| at.elapsed() >= CODES_FRESH);
            if !codes.ids.contains_key(code) && stale {
                match self.read_codes(key) {
                    Ok(read) => *codes = read,
                    Err(e) => {
                        // A store that cannot be read is tried again only once the index
                        // would be stale anyway, not on every unknown code.
                        codes.read_at = Some(Instant::now());
                        return Err(e);
                    }
                }
            }
            codes.ids.get(code).cloned()
        };
        let Some(id) = id else {
            return Ok(None);
        };
        let filter = Filter {
            related: Some(id.to_string()),
            ..Filter::default()
        };
        let mut found = None;
        self.with(|store| {
            store.read(&filter, &mut |tx| {
                if found.is_none()
                    && tx.transaction_id == *id
                    && tx.is_successful_refund()
                    && key.code(tx) == code
                {
                    found = Some(tx.clone());
                }
                Ok(())
            })
        })?;
        Ok(found)
    }

    fn read_codes(&self, key: &ReceiptKey) -> Result<Codes> {
        let filter = Filter {
            types: vec![TxType::Refund],
            statuses: vec![TxStatus::Success],
            ..Filter::default()
        };
        let mut ids = HashMap::new();
        self.with(|store| {
            store.read(&filter, &mut |tx| {
                if tx.is_successful_refund() {
                    ids.insert(key.code(tx).into(), tx.transaction_id.as_str().into());
                }
                Ok(())
            })
        })?;
        Ok(Codes {
            read_at: Some(Instant::now()),
            ids,
        })
    }

    /// The transactions carrying `id` among their IDs (at most [`MATCHES_KEPT`]).
    pub fn with_id(&self, id: &str) -> Result<Vec<Transaction>> {
        self.with(|store| with_ids(store, id))
    }

    /// One page of a listing: at most `limit` rows after `after`, and whether more follow.
    pub fn page(
        &self,
        filter: &Filter,
        after: Option<&Position>,
        limit: usize,
    ) -> Result<(Vec<Transaction>, bool)> {
        self.with(|store| {
            let mut rows = Vec::with_capacity(limit + 1);
            store.read_page(filter, after, Some(limit as u64 + 1), &mut |tx| {
                rows.push(tx.clone());
                Ok(())
            })?;
            let more = rows.len() > limit;
            rows.truncate(limit);
            Ok((rows, more))
        })
    }
}

/// The transactions carrying `id` among their IDs (at most [`MATCHES_KEPT`]).
fn with_ids(store: &mut Store, id: &str) -> Result<Vec<Transaction>> {
    let filter = Filter {
        ids: [id.to_string()].into(),
        ..Filter::default()
    };
    let mut found = Vec::new();
    store.read_page(&filter, None, Some(MATCHES_KEPT as u64), &mut |tx| {
        found.push(tx.clone());
        Ok(())
    })?;
    Ok(found)
}
