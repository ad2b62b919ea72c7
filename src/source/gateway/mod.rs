//! The gateway API as a source: an order's payment and refunds over HTTPS, authenticated by
//! a short-lived HS256 JWT signed with the merchant's secret key (sent as `X-APPOTAPAY-AUTH`).
//!
//! [`fetch_orders`] pulls many orders with bounded concurrency and hands each order's
//! outcome to a callback in input order as soon as it and all before it are done;
//! [`fetch_refund`] pulls one refund with its payment. Both are synchronous: they run a
//! private tokio runtime, so they must not be called from inside an async context (use
//! [`GatewayClient`] there, or `spawn_blocking`).
//!
//! Transient failures (timeouts, connection errors, HTTP 429 and 5xx, errorCode 91, 94 and
//! 500) are retried with exponential backoff and jitter, honouring `Retry-After`; a 401
//! signs a new token and tries once more. Anything else is reported for that order alone.

pub(crate) mod api;
mod client;
mod config;
mod error;
pub(crate) mod map;
mod token;

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::ControlFlow;
use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinSet;

pub use client::{AUTH_HEADER, GatewayClient, LANGUAGE_HEADER, REQUEST_ID_HEADER};
pub use config::{
    ConfigError, ENV_API_KEY, ENV_PARTNER_CODE, ENV_SECRET_KEY, ENV_URL, GatewayConfig, SecretKey,
};
pub use error::{GatewayError, Target};
pub use map::ACQUIRER;
pub use token::CONTENT_TYPE as TOKEN_CONTENT_TYPE;

use crate::model::{Transaction, TxType};

/// What became of one order.
#[derive(Debug, Clone)]
pub struct OrderOutcome {
    pub order_id: String,
    /// The payment first, then its refunds.
    pub result: Result<Vec<Transaction>, GatewayError>,
}

/// Totals of one [`fetch_orders`] run, for a JSON summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FetchSummary {
    /// Distinct order IDs (duplicates in the input are fetched and reported once).
    pub orders_asked: u64,
    pub orders_found: u64,
    /// Orders that ended in an error, not found included.
    pub orders_failed: u64,
    /// Refund transactions received across all found orders.
    pub refunds_pulled: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests that repeated an earlier one.
    pub retries: u64,
}

/// Fetches every order in `order_ids` with at most `config.concurrency` requests in flight.
///
/// `on_outcome` is called once per distinct order ID, in input order, each call as soon as
/// that order and all before it are done. An order that fails is reported and the others
/// go on; a configuration that cannot work is reported as a `Setup` error for each order.
pub fn fetch_orders(
    config: &GatewayConfig,
    order_ids: Vec<String>,
    mut on_outcome: impl FnMut(OrderOutcome),
) -> FetchSummary {
    fetch_orders_while(config, order_ids, |outcome| {
        on_outcome(outcome);
        ControlFlow::Continue(())
    })
}

/// [`fetch_orders`] for a caller that may have to stop (its output failed): once
/// `on_outcome` breaks, no further order is started, the requests in flight are dropped,
/// and the summary counts what was delivered.
pub fn fetch_orders_while(
    config: &GatewayConfig,
    order_ids: Vec<String>,
    mut on_outcome: impl FnMut(OrderOutcome) -> ControlFlow<()>,
) -> FetchSummary {
    let mut seen = HashSet::with_capacity(order_ids.len());
    let ids: Vec<String> = order_ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    drop(seen);
    let mut summary = FetchSummary {
        orders_asked: ids.len() as u64,
        ..FetchSummary::default()
    };
    let mut deliver = |outcome: OrderOutcome, summary: &mut FetchSummary| {
        match &outcome.result {
            Ok(txs) => {
                summary.orders_found += 1;
                summary.refunds_pulled += txs
                    .iter()
                    .filter(|t| t.transaction_type == TxType::Refund)
                    .count() as u64;
            }
            Err(e) => {
                summary.orders_failed += 1;
                tracing::debug!(error = %e, "order not fetched");
            }
        }
        on_outcome(outcome)
    };
    if ids.is_empty() {
        return summary;
    }

    let setup = GatewayClient::new(config)
        .map_err(|e| e.to_string())
        .and_then(|client| Ok((client, runtime(config.concurrency)?)));
    let (client, runtime) = match setup {
        Ok(ok) => ok,
        Err(message) => {
            for id in ids {
                let target = Target::Order(id.clone());
                let result = Err(GatewayError::Setup {
                    target,
                    message: message.clone(),
                });
                let flow = deliver(
                    OrderOutcome {
                        order_id: id,
                        result,
                    },
                    &mut summary,
                );
                if flow.is_break() {
                    break;
                }
            }
            return summary;
        }
    };
    let client = Arc::new(client);
    runtime.block_on(run_ordered(
        Arc::clone(&client),
        ids,
        config.concurrency,
        |outcome| deliver(outcome, &mut summary),
    ));
    summary.requests = client.requests();
    summary.retries = client.retries();
    summary
}

/// What a receipt's ID names at the gateway: the refund with that `refundId` (or partner
/// `refundOriginalId`), else the order with that ID; its payment first, then its refunds.
/// The one rule for the command line and the server.
pub async fn fetch_for_receipt(
    client: &GatewayClient,
    id: &str,
) -> Result<Vec<Transaction>, GatewayError> {
    match client.fetch_refund(id).await {
        Err(GatewayError::NotFound {
            target,
            message,
            retries,
        }) => match client.fetch_order(id).await {
            // Neither lookup knows the ID: say so under the name it was asked for first.
            Err(e) if e.is_not_found() => Err(GatewayError::NotFound {
                target,
                message: format!("{message}; no order has this ID either"),
                retries: retries + e.retries(),
            }),
            other => other,
        },
        other => other,
    }
}

/// [`fetch_for_receipt`] for a caller without an async runtime.
pub fn fetch_refund(
    config: &GatewayConfig,
    refund_id: &str,
) -> Result<Vec<Transaction>, GatewayError> {
    let setup_error = |message: String| GatewayError::Setup {
        target: Target::Refund(refund_id.to_string()),
        message,
    };
    let client = GatewayClient::new(config).map_err(|e| setup_error(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| setup_error(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(fetch_for_receipt(&client, refund_id))
}

fn runtime(concurrency: usize) -> Result<tokio::runtime::Runtime, String> {
    // Requests wait on the network, not the CPU: a couple of threads carry any
    // concurrency; the JSON and the occasional TLS handshake are what they compute.
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(concurrency)
        .clamp(1, 4);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("recibo-gateway")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Runs the fetches `concurrency` at a time and delivers their outcomes in input order.
///
/// Orders finished ahead of a slow one wait in a reorder buffer. To bound that buffer while
/// one order is stuck in its retries, no order is started more than `window` places past
/// the oldest undelivered one.
async fn run_ordered(
    client: Arc<GatewayClient>,
    ids: Vec<String>,
    concurrency: usize,
    mut deliver: impl FnMut(OrderOutcome) -> ControlFlow<()>,
) {
    let concurrency = concurrency.max(1);
    let window = concurrency.saturating_mul(16).max(64);
    let mut tasks = JoinSet::new();
    let mut index_of = HashMap::with_capacity(concurrency);
    let mut ready: VecDeque<Option<Result<Vec<Transaction>, GatewayError>>> = VecDeque::new();
    let mut next_start = 0usize;
    let mut next_deliver = 0usize;
    loop {
        while tasks.len() < concurrency
            && next_start < ids.len()
            && next_start < next_deliver + window
        {
            let client = Arc::clone(&client);
            let id = ids[next_start].clone();
            let handle = tasks.spawn(async move { client.fetch_order(&id).await });
            index_of.insert(handle.id(), next_start);
            next_start += 1;
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        let (task, result) = match joined {
            Ok((task, result)) => (task, result),
            Err(e) => {
                let task = e.id();
                let id = index_of.get(&task).map_or("", |&i| ids[i].as_str());
                let result = Err(GatewayError::Setup {
                    target: Target::Order(id.to_string()),
                    message: format!("the fetch task failed: {e}"),
                });
                (task, result)
            }
        };
        let Some(index) = index_of.remove(&task) else {
            continue;
        };
        let slot = index - next_deliver;
        if ready.len() <= slot {
            ready.resize_with(slot + 1, || None);
        }
        ready[slot] = Some(result);
        while let Some(Some(_)) = ready.front() {
            let Some(Some(result)) = ready.pop_front() else {
                break;
            };
            let flow = deliver(OrderOutcome {
                order_id: ids[next_deliver].clone(),
                result,
            });
            next_deliver += 1;
            if flow.is_break() {
                // Dropping the JoinSet aborts the requests still in flight.
                return;
            }
        }
    }
}
