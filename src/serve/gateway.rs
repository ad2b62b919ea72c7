//! Refunds fetched from the gateway per request, remembered for a short while so a receipt
//! downloaded twice (or in three languages) costs one gateway call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};

use crate::model::Transaction;
use crate::source::gateway::{GatewayClient, GatewayError};

/// What the gateway answered for one refund ID: the payment, then the refund(s).
pub struct Fetched {
    pub transactions: Vec<Transaction>,
    /// When these transactions were first seen: the generation time printed on their
    /// receipts, kept across refetches that bring the same data so the bytes stay the same.
    pub fetched_at: DateTime<Utc>,
}

struct Entry {
    fetched: Arc<Fetched>,
    stored: Instant,
}

/// A gateway client with a small cache in front.
pub struct Gateway {
    client: GatewayClient,
    entries: Mutex<HashMap<String, Entry>>,
    capacity: usize,
    ttl: Duration,
}

/// Whether an answer came from the cache.
pub enum Lookup {
    Hit(Arc<Fetched>),
    Miss(Arc<Fetched>),
}

impl Gateway {
    pub fn new(client: GatewayClient, capacity: usize, ttl: Duration) -> Gateway {
        Gateway {
            client,
            entries: Mutex::new(HashMap::new()),
            capacity,
            ttl,
        }
    }

    pub async fn refund(&self, id: &str) -> Result<Lookup, GatewayError> {
        let stale = {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            match entries.get(id) {
                Some(e) if e.stored.elapsed() < self.ttl => {
                    return Ok(Lookup::Hit(Arc::clone(&e.fetched)));
                }
                Some(e) => Some(Arc::clone(&e.fetched)),
                None => None,
            }
        };
        let transactions = crate::source::gateway::fetch_for_receipt(&self.client, id).await?;
        let fetched_at = match stale {
            Some(old) if old.transactions == transactions => old.fetched_at,
            _ => Utc::now().trunc_subsecs(0),
        };
        let fetched = Arc::new(Fetched {
            transactions,
            fetched_at,
        });
        if self.capacity > 0 {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if entries.len() >= self.capacity && !entries.contains_key(id) {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.stored)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
            entries.insert(
                id.to_string(),
                Entry {
                    fetched: Arc::clone(&fetched),
                    stored: Instant::now(),
                },
            );
        }
        Ok(Lookup::Miss(fetched))
    }
}
