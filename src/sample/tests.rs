use chrono::Datelike;
use std::collections::{HashMap, HashSet};

use super::catalog::*;
use super::generator::*;
use super::*;
use crate::model::{Currency, TxStatus, TxType};

fn options(rows: u64, seed: u64) -> SampleOptions {
    SampleOptions {
        rows,
        seed,
        ..SampleOptions::default()
    }
}

#[test]
fn same_seed_same_rows_other_seed_other_rows() {
    let a = generate_vec(&options(5_000, 7));
    assert_eq!(a.len(), 5_000);
    assert_eq!(a, generate_vec(&options(5_000, 7)));
    assert_ne!(a, generate_vec(&options(5_000, 8)));
}

#[test]
fn refunds_refer_to_earlier_successful_payments_and_never_exceed_them() {
    for seed in [1, 42] {
        let rows = generate_vec(&options(40_000, seed));
        // id -> (amount, currency, time, paid back so far)
        let mut payments: HashMap<&str, (i64, Currency, i64, i64)> = HashMap::new();
        let mut auths: HashMap<&str, (i64, Currency, i64)> = HashMap::new();
        let mut used_auths = HashSet::new();
        let (mut totals, mut partials) = (0, 0);
        for tx in &rows {
            let time = tx.payment_time.timestamp();
            let ok = tx.status == TxStatus::Success;
            match tx.transaction_type {
                TxType::Payment => {
                    assert!(tx.original_transaction_id.is_empty());
                    assert!(tx.amount.minor > 0);
                    if ok {
                        let entry = (tx.amount.minor, tx.amount.currency, time, 0);
                        assert!(payments.insert(&tx.transaction_id, entry).is_none());
                    }
                }
                TxType::Authorization => {
                    if ok {
                        auths.insert(
                            &tx.transaction_id,
                            (tx.amount.minor, tx.amount.currency, time),
                        );
                    }
                }
                TxType::Refund | TxType::Dispute => {
                    let Some(p) = payments.get_mut(tx.original_transaction_id.as_str()) else {
                        panic!(
                            "{} refers to no earlier successful payment",
                            tx.transaction_id
                        );
                    };
                    assert_eq!(p.1, tx.amount.currency, "{}", tx.transaction_id);
                    assert!(
                        p.2 + MIN_REFUND_LAG <= time,
                        "{} not after its payment",
                        tx.transaction_id
                    );
                    assert!(tx.amount.minor < 0, "{}", tx.transaction_id);
                    if tx.transaction_type == TxType::Refund {
                        match tx.refund_type.as_str() {
                            "total" => {
                                assert_eq!(-tx.amount.minor, p.0);
                                totals += 1;
                            }
                            "partial" => {
                                assert!(-tx.amount.minor < p.0);
                                partials += 1;
                            }
                            other => panic!("refund type {other:?}"),
                        }
                        assert!(!tx.reason.is_empty());
                    }
                    if tx.status != TxStatus::Fail || tx.transaction_type == TxType::Dispute {
                        p.3 -= tx.amount.minor;
                    }
                    assert!(
                        p.3 <= p.0,
                        "{} over-refunds {}",
                        tx.transaction_id,
                        tx.original_transaction_id
                    );
                }
                TxType::Capture | TxType::Void => {
                    let a = auths[tx.original_transaction_id.as_str()];
                    assert!(used_auths.insert(tx.original_transaction_id.as_str()));
                    assert_eq!(a.1, tx.amount.currency);
                    assert!(a.2 < time);
                    assert!(tx.amount.minor.abs() <= a.0 && tx.amount.minor != 0);
                }
                ref other => panic!("unexpected type {other}"),
            }
        }
        assert!(
            totals > 100 && partials > 100,
            "{totals} total, {partials} partial refunds"
        );
    }
}

#[test]
fn every_exponent_and_the_required_currencies_occur() {
    let rows = generate_vec(&options(20_000, 3));
    let codes: HashSet<&str> = rows.iter().map(|t| t.amount.currency.code()).collect();
    for code in ["VND", "JPY", "KRW", "BHD", "BRL", "CNY", "USD", "EUR"] {
        assert!(codes.contains(code), "{code} missing");
    }
    let exponents: HashSet<u8> = rows.iter().map(|t| t.amount.currency.exponent()).collect();
    assert!(exponents.contains(&0) && exponents.contains(&2) && exponents.contains(&3));
    for tx in &rows {
        let spec = CURRENCIES
            .iter()
            .find(|c| c.code == tx.amount.currency.code())
            .unwrap();
        if tx.transaction_type == TxType::Payment {
            assert!((spec.min..=spec.max).contains(&tx.amount.minor), "{tx:?}");
        }
    }
}

#[test]
fn settlement_and_fee_only_on_successful_payments_and_captures() {
    for tx in generate_vec(&options(20_000, 5)) {
        let settles = tx.status == TxStatus::Success
            && matches!(tx.transaction_type, TxType::Payment | TxType::Capture);
        assert_eq!(tx.settlement.is_some(), settles, "{tx:?}");
        assert_eq!(tx.fee.is_some(), settles, "{tx:?}");
        if let (Some(s), Some(f)) = (tx.settlement, tx.fee) {
            assert_eq!(s.currency, f.currency);
            assert!(s.minor > 0 && f.minor > 0 && f.minor < s.minor, "{tx:?}");
            assert!(s.currency == tx.amount.currency || s.currency.code() == "USD");
        }
        let failed = tx.status == TxStatus::Fail
            && matches!(tx.transaction_type, TxType::Payment | TxType::Refund);
        if failed {
            assert!(!tx.reason.is_empty());
        }
    }
}

#[test]
fn descriptions_fit_and_include_the_awkward_cases() {
    let rows = generate_vec(&options(20_000, 11));
    let descriptions: Vec<&str> = rows.iter().map(|t| t.order_description.as_str()).collect();
    assert!(descriptions.iter().all(|d| d.chars().count() <= 256));
    let any = |f: &dyn Fn(&str) -> bool| descriptions.iter().any(|d| f(d));
    for trigger in ['=', '+', '-', '@', '\t'] {
        assert!(
            any(&|d| d.starts_with(trigger)),
            "no description starts with {trigger:?}"
        );
    }
    assert!(any(&|d| d.contains('"')));
    assert!(any(&|d| d.contains('\n')));
    assert!(any(&|d| d.contains(',')));
    assert!(any(&|d| d.chars().count() == 256));
    assert!(any(&|d| d.is_empty()));
    assert!(any(&|d| d.contains("Pão")));
    assert!(any(&|d| d.contains("礼盒")));
    assert!(any(&|d| d.contains("headphones")));
    let reasons: HashSet<&str> = rows.iter().map(|t| t.reason.as_str()).collect();
    for reason in [
        "Cliente desistiu da compra",
        "商品质量问题",
        "Duplicate charge",
    ] {
        assert!(reasons.contains(reason), "{reason}");
    }
}

#[test]
fn the_on_demand_refund_exists_in_every_large_enough_sample() {
    for (rows, seed) in [(100, 7), (100, 1), (101, 99), (1_000, 7), (20_000, 2)] {
        let sample = generate_vec(&options(rows, seed));
        let found: Vec<&Transaction> = sample
            .iter()
            .filter(|t| t.transaction_id == ON_DEMAND_REFUND_ID)
            .collect();
        assert_eq!(found.len(), 1, "{rows} rows, seed {seed}");
        let refund = found[0];
        assert!(refund.is_successful_refund());
        assert_eq!(refund.payment_time.date_naive().to_string(), "2026-11-01");
        assert_eq!(refund.acquirer, "Antom");
        assert_eq!(refund.amount.currency.code(), "BRL");
        assert!(
            sample
                .iter()
                .any(|t| t.transaction_id == refund.original_transaction_id)
        );
    }
    // Fewer rows or a window without that day: no promise, and no stray copy either.
    let mut late = options(1_000, 7);
    late.start = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    assert!(
        generate_vec(&late)
            .iter()
            .all(|t| t.transaction_id != ON_DEMAND_REFUND_ID)
    );
}

#[test]
fn antom_brl_refunds_fill_october() {
    let rows = generate_vec(&options(30_000, 7));
    let october = |t: &&Transaction| {
        t.is_successful_refund()
            && t.acquirer == "Antom"
            && t.amount.currency.code() == "BRL"
            && t.payment_time.month() == 10
    };
    assert!(rows.iter().filter(october).count() > 300);
}

#[test]
fn times_are_ordered_in_the_window_and_ids_unique_and_dated() {
    let opts = options(50_000, 9);
    let rows = generate_vec(&opts);
    let end = opts.start + chrono::Duration::days(i64::from(opts.days));
    let mut ids = HashSet::new();
    for pair in rows.windows(2) {
        assert!(pair[0].payment_time <= pair[1].payment_time);
    }
    for tx in &rows {
        assert!(opts.start <= tx.payment_time && tx.payment_time < end);
        assert!(
            ids.insert(tx.transaction_id.as_str()),
            "duplicate {}",
            tx.transaction_id
        );
        assert_eq!(tx.transaction_id.len(), 13);
        let date = tx.payment_time.format("%Y%m%d").to_string();
        assert!(
            tx.transaction_id.starts_with(&date),
            "{} at {date}",
            tx.transaction_id
        );
        let request_prefix = match tx.transaction_type {
            TxType::Payment | TxType::Authorization => "req_",
            TxType::Refund => "rfd_",
            TxType::Capture => "cap_",
            TxType::Void => "void_",
            _ => "",
        };
        assert!(tx.transaction_request_id.starts_with(request_prefix));
        assert!(tx.reference_transaction_id.starts_with("ORD-"));
        assert!(!tx.acquirer_reference_no.is_empty() && !tx.customer_id.is_empty());
    }
}

#[test]
fn ids_stay_unique_past_100000_a_day() {
    let mut opts = options(120_000, 4);
    opts.days = 1;
    let mut ids = HashSet::new();
    let mut longer = 0;
    generate(&opts, |tx| {
        let id: u64 = tx.transaction_id.parse().unwrap();
        assert!(ids.insert(id), "duplicate {id}");
        longer += usize::from(tx.transaction_id.len() > 13);
        Ok::<(), ()>(())
    })
    .unwrap();
    assert_eq!(longer, 20_000);
}

#[test]
fn memory_stays_bounded() {
    // Enough rows to fill every pool and then keep replacing entries.
    let mut generator = Generator::new(&options(60_000, 7));
    let mut tx = Transaction::blank(generator.currencies[0]);
    for row in 0..60_000 {
        generator.fill(row, &mut tx);
    }
    assert_eq!(generator.pool.len(), POOL_SLOTS);
    assert_eq!(generator.pool.capacity(), POOL_SLOTS);
    assert_eq!(generator.recent.slots.capacity(), RECENT_SLOTS);
    assert_eq!(generator.auths.slots.capacity(), AUTH_SLOTS);
    // The rows are handed out one at a time; none is kept.
    let mut count = 0u64;
    generate(&options(200_000, 7), |_| {
        count += 1;
        Ok::<(), ()>(())
    })
    .unwrap();
    assert_eq!(count, 200_000);
}

#[test]
fn emit_errors_stop_generation() {
    let mut seen = 0;
    let result = generate(&options(1_000, 7), |_| {
        seen += 1;
        if seen == 10 { Err("full") } else { Ok(()) }
    });
    assert_eq!(result, Err("full"));
    assert_eq!(seen, 10);
}

#[test]
fn tables_are_consistent() {
    for merchant in &MERCHANTS {
        assert!(
            merchant.channels.iter().any(|c| c.method == MethodId::Card),
            "{}",
            merchant.name
        );
        for channel in merchant.channels {
            assert!(
                (channel.account as usize) < merchant.accounts.len(),
                "{}",
                merchant.name
            );
        }
        assert!(merchant.stores.len() < 256 && merchant.sub_merchants.len() < 256);
    }
    for spec in &CURRENCIES {
        assert!(Currency::parse(spec.code).is_ok());
        assert_eq!(spec.min % spec.step, 0, "{}", spec.code);
    }
}

#[test]
#[ignore = "prints the mix; run with --ignored --nocapture"]
fn print_mix() {
    let opts = options(1_000_000, 7);
    let started = std::time::Instant::now();
    let mut count = 0u64;
    generate(&opts, |_| {
        count += 1;
        Ok::<(), ()>(())
    })
    .unwrap();
    let elapsed = started.elapsed();
    println!(
        "{count} rows in {elapsed:?}: {:.0} rows/s",
        count as f64 / elapsed.as_secs_f64()
    );
    let mut mix: HashMap<String, u64> = HashMap::new();
    let mut refund_types: HashMap<String, u64> = HashMap::new();
    let mut paid_at: HashMap<String, i64> = HashMap::new();
    let mut n = 0;
    generate(&options(100_000, 7), |tx| {
        n += 1;
        *mix.entry(format!("{} {}", tx.transaction_type, tx.status))
            .or_default() += 1;
        *mix.entry(format!("{}", tx.transaction_type)).or_default() += 1;
        if tx.transaction_type == TxType::Payment && tx.status == TxStatus::Success {
            paid_at.insert(tx.transaction_id.clone(), tx.payment_time.timestamp());
        }
        if tx.transaction_type == TxType::Refund {
            *refund_types.entry(tx.refund_type.clone()).or_default() += 1;
            let lag = tx.payment_time.timestamp() - paid_at[&tx.original_transaction_id];
            let bucket = match lag {
                ..3600 => "lag <1h",
                3600..86_400 => "lag 1h-1d",
                86_400..259_200 => "lag 1d-3d",
                259_200..864_000 => "lag 3d-10d",
                _ => "lag >10d",
            };
            *mix.entry(bucket.to_string()).or_default() += 1;
        }
        *mix.entry(format!("cur {}", tx.amount.currency))
            .or_default() += 1;
        *mix.entry(format!("acq {}", tx.acquirer)).or_default() += 1;
        if tx.transaction_id == ON_DEMAND_REFUND_ID || n < 3 {
            println!("{tx:?}");
        }
        Ok::<(), ()>(())
    })
    .unwrap();
    let mut mix: Vec<_> = mix.into_iter().collect();
    mix.sort();
    for (k, v) in mix {
        println!("{k:30} {v:7} {:5.2}%", v as f64 / n as f64 * 100.0);
    }
    println!("{refund_types:?}");
}
