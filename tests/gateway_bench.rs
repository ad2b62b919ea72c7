//! Throughput of the gateway source against the fake gateway on 127.0.0.1: orders per
//! second through `fetch_orders` at several concurrency settings. A measurement, not a
//! check, so it is ignored by default:
//!
//! ```text
//! cargo test --release --test gateway_bench -- --ignored --nocapture
//! ```
//!
//! The first series has the fake answer from memory, so it shows the client's own cost per
//! order (token, request, JSON, mapping, reordering) plus the fake's; the second adds a
//! fixed answer time per request, as a real gateway has, to show what concurrency buys.

#[path = "support/gateway_server.rs"]
mod gateway_server;

use std::time::{Duration, Instant};

use gateway_server::{Fault, GatewayServer};
use recibo::source::gateway::{GatewayConfig, fetch_orders};

const ORDERS_PER_SETTING: u32 = 2_000;
const CONCURRENCY: [usize; 4] = [1, 8, 16, 32];

/// The fake's answer time in the second series: a real gateway takes milliseconds, and
/// only then does concurrency show what it buys.
const LATENCY: Duration = Duration::from_millis(5);
const LATENCY_ORDERS: u32 = 320;

/// Fetches `ORD-<first>`.. (`count` orders); orders per second, orders and seconds.
fn measure(config: &GatewayConfig, first: u32, count: u32) -> (f64, u64, f64) {
    let ids: Vec<String> = (first..first + count)
        .map(|n| format!("ORD-{n:04}"))
        .collect();
    let mut found = 0u64;
    let mut failed = 0u64;
    let started = Instant::now();
    let summary = fetch_orders(config, ids, |outcome| match outcome.result {
        Ok(_) => found += 1,
        Err(_) => failed += 1,
    });
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(failed, 0, "every order exists and answers: {summary:?}");
    assert_eq!(found, u64::from(count));
    (found as f64 / elapsed, found, elapsed)
}

#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
fn gateway_throughput() {
    let server = GatewayServer::start();
    // Fresh order IDs for each run, so that nothing is answered twice.
    let mut next = 1u32;
    for concurrency in CONCURRENCY {
        let mut config = server.config();
        config.concurrency = concurrency;
        let (rate, orders, secs) = measure(&config, next, ORDERS_PER_SETTING);
        next += ORDERS_PER_SETTING;
        println!(
            "gateway fetch: concurrency {concurrency}: {rate:.0} orders/s ({orders} orders, {secs:.2} s)"
        );
    }
    println!(
        "fake gateway: {} requests, at most {} handled at once, {} distinct tokens",
        server.total_requests(),
        server.max_in_flight(),
        server.distinct_tokens()
    );

    for concurrency in CONCURRENCY {
        let mut config = server.config();
        config.concurrency = concurrency;
        for n in next..next + LATENCY_ORDERS {
            server.inject(&format!("ORD-{n:04}"), Fault::Slow(LATENCY), 1);
        }
        let (rate, orders, secs) = measure(&config, next, LATENCY_ORDERS);
        next += LATENCY_ORDERS;
        println!(
            "gateway fetch, {} ms per answer: concurrency {concurrency}: {rate:.0} orders/s ({orders} orders, {secs:.2} s)",
            LATENCY.as_millis()
        );
    }
    println!(
        "fake gateway: {} requests, at most {} handled at once",
        server.total_requests(),
        server.max_in_flight()
    );
}
