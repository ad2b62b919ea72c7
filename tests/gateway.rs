//! The gateway source against a fake gateway on 127.0.0.1: mapping, token, retries, faults,
//! ordering under concurrency and escaping.

#[path = "support/gateway_server.rs"]
mod gateway_server;

use std::time::{Duration, Instant};

use gateway_server::{
    ALWAYS, Fault, FaultPlan, GatewayServer, SEED_ORDER, SEED_PAYMENT, SEED_REFUND_ID,
    SEED_REFUND_ORIGINAL_ID, ServerOptions, TEST_SECRET,
};
use recibo::model::{Currency, Money, TxStatus, TxType};
use recibo::source::gateway::{
    FetchSummary, GatewayConfig, GatewayError, OrderOutcome, SecretKey, fetch_orders, fetch_refund,
};

fn run(config: &GatewayConfig, ids: &[&str]) -> (Vec<OrderOutcome>, FetchSummary) {
    let mut outcomes = Vec::new();
    let summary = fetch_orders(config, ids.iter().map(|s| s.to_string()).collect(), |o| {
        outcomes.push(o)
    });
    (outcomes, summary)
}

fn vnd(amount: i64) -> Money {
    Money::new(amount, Currency::parse("VND").unwrap())
}

fn secs(t: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t, 0).unwrap()
}

#[test]
fn seed_order_maps_exactly() {
    let server = GatewayServer::start();
    let (outcomes, summary) = run(&server.config(), &[SEED_ORDER]);
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].order_id, SEED_ORDER);
    let txs = outcomes[0].result.as_ref().expect("seed order");
    assert_eq!(txs.len(), 2);

    let p = &txs[0];
    assert_eq!(p.transaction_type, TxType::Payment);
    assert_eq!(p.status, TxStatus::Success);
    assert_eq!(p.transaction_id, SEED_PAYMENT);
    assert_eq!(p.original_transaction_id, "");
    assert_eq!(p.order_id, SEED_ORDER);
    assert_eq!(p.reference_transaction_id, SEED_ORDER);
    assert_eq!(p.order_description, "test thanh toan");
    assert_eq!(p.customer_id, "TEST");
    assert_eq!(p.amount, vnd(10000));
    assert_eq!(p.amount.to_major_string(), "10000");
    assert_eq!(p.payment_method_type, "ATM");
    assert_eq!(p.bank_code, "SHB");
    assert_eq!(p.refund_type, "total");
    assert_eq!(p.acquirer, "AppotaPay");
    assert_eq!(p.payment_time, secs(1638175132));
    assert_eq!(p.payment_time.to_rfc3339(), "2021-11-29T08:38:52+00:00");

    let r = &txs[1];
    assert_eq!(r.transaction_type, TxType::Refund);
    assert_eq!(r.status, TxStatus::Processing);
    assert_eq!(r.transaction_id, SEED_REFUND_ID);
    assert_eq!(r.original_transaction_id, SEED_PAYMENT);
    assert_eq!(r.transaction_request_id, SEED_REFUND_ORIGINAL_ID);
    assert_eq!(r.order_id, SEED_ORDER);
    assert_eq!(r.reference_transaction_id, SEED_ORDER);
    assert_eq!(r.amount, vnd(-10000));
    assert_eq!(r.amount.to_major_string(), "-10000");
    assert_eq!(r.reason, "Test refund");
    assert_eq!(r.reject_reason, "");
    assert_eq!(r.refund_type, "total");
    assert_eq!(r.acquirer, "AppotaPay");
    assert_eq!(r.payment_time, secs(1638180805));
    assert_eq!(r.group_id(), SEED_PAYMENT);

    assert_eq!(
        summary,
        FetchSummary {
            orders_asked: 1,
            orders_found: 1,
            orders_failed: 0,
            refunds_pulled: 1,
            requests: 1,
            retries: 0,
        }
    );
    assert_eq!(
        server.unauthorized(),
        0,
        "{:?}",
        server.unauthorized_reasons()
    );
    assert_eq!(server.bad_headers(), 0);
    assert_eq!(server.last_language(), None);
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["refunds_pulled"], 1);
}

#[test]
fn generated_orders_map_statuses_and_amounts_of_both_spellings() {
    let server = GatewayServer::start();
    let (outcomes, summary) = run(&server.config(), &["ORD-0003", "ORD-0002"]);
    let txs = outcomes[0].result.as_ref().unwrap();
    // ORD-0003: 3 refunds of 25 750 with statuses (3+k)%4 → error, success, processing;
    // amounts alternate string / number.
    assert_eq!(txs.len(), 4);
    assert_eq!(txs[0].amount, vnd(103_000));
    assert_eq!(txs[0].order_description, "Đơn hàng số 3");
    assert_eq!(txs[0].refund_type, "partial");
    let statuses: Vec<_> = txs[1..].iter().map(|t| t.status.clone()).collect();
    assert_eq!(
        statuses,
        [TxStatus::Fail, TxStatus::Success, TxStatus::Processing]
    );
    assert!(txs[1..].iter().all(|t| t.amount == vnd(-25_750)));
    assert_eq!(txs[1].reject_reason, "Số dư không đủ");
    assert_eq!(txs[1].transaction_request_id, "req-3-0");
    assert_eq!(txs[1].payment_time, secs(1_700_000_000 + 3 * 3_600 + 600));
    assert!(txs[2].is_successful_refund());
    let ord2 = outcomes[1].result.as_ref().unwrap();
    assert_eq!(ord2[1].status, TxStatus::Pending);
    assert_eq!(summary.refunds_pulled, 5);
}

#[test]
fn fetch_refund_by_gateway_or_partner_id() {
    let server = GatewayServer::start();
    let config = server.config();
    let txs = fetch_refund(&config, SEED_REFUND_ORIGINAL_ID).unwrap();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0].transaction_type, TxType::Payment);
    assert_eq!(txs[1].transaction_request_id, SEED_REFUND_ORIGINAL_ID);
    assert_eq!(txs[1].amount, vnd(-10000));

    let id = gateway_server::generated_refund_id(7, 2);
    let txs = fetch_refund(&config, &id).unwrap();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[1].transaction_id, id);
    assert_eq!(
        txs[1].original_transaction_id,
        gateway_server::generated_payment_id(7)
    );
    assert_eq!(server.refund_requests(&id), 1);

    let err = fetch_refund(&config, "RF-unknown").unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(err.to_string().contains("refund \"RF-unknown\""), "{err}");
}

#[test]
fn a_wrong_secret_is_refused_and_reported_after_one_renewal() {
    let server = GatewayServer::start();
    let mut config = server.config();
    config.secret_key = SecretKey::new("not-the-secret");
    let (outcomes, summary) = run(&config, &[SEED_ORDER, "ORD-0001"]);
    assert_eq!(outcomes.len(), 2);
    for outcome in &outcomes {
        let err = outcome.result.as_ref().unwrap_err();
        assert!(
            matches!(err, GatewayError::Unauthorized { retries: 1, .. }),
            "{err:?}"
        );
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("not-the-secret") && !text.contains("Bearer"),
            "{text}"
        );
        // The server saw the first token and one renewal, nothing more.
        assert_eq!(server.order_requests(&outcome.order_id), 2);
    }
    assert_eq!(summary.orders_failed, 2);
    assert_eq!(server.unauthorized(), 4);
    assert!(server.unauthorized_reasons()[0].contains("token"));
}

#[test]
fn a_token_for_another_partner_or_key_is_refused() {
    let server = GatewayServer::start();
    for tweak in [
        |c: &mut GatewayConfig| c.partner_code = "OTHER".into(),
        |c: &mut GatewayConfig| c.api_key = "other-key".into(),
    ] {
        let mut config = server.config();
        tweak(&mut config);
        let (outcomes, _) = run(&config, &["ORD-0001"]);
        assert!(matches!(
            outcomes[0].result,
            Err(GatewayError::Unauthorized { .. })
        ));
    }
    let reasons = server.unauthorized_reasons().join("\n");
    assert!(
        reasons.contains("token") && reasons.contains("api_key"),
        "{reasons}"
    );
}

#[test]
fn headers_language_and_request_ids() {
    let server = GatewayServer::start();
    let mut config = server.config();
    config.language = Some("en".into());
    let (outcomes, _) = run(&config, &["ORD-0001", "ORD-0002", "ORD-0003"]);
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    assert_eq!(server.last_language().as_deref(), Some("en"));
    // Content-Type and a distinct UUID v4 per request.
    assert_eq!(server.bad_headers(), 0);
}

#[test]
fn each_fault_is_retried_or_reported() {
    let server = GatewayServer::start();
    server.inject("ORD-0010", Fault::http(500), 2);
    server.inject("ORD-0011", Fault::http(500), ALWAYS);
    server.inject("ORD-0012", Fault::busy(), 2);
    server.inject("ORD-0013", Fault::Malformed, ALWAYS);
    server.inject("ORD-0014", Fault::not_found(), ALWAYS);
    server.inject("ORD-0015", Fault::Unauthorized, 1);
    server.inject("ORD-0016", Fault::ErrorCode(1), ALWAYS);
    server.inject("ORD-0017", Fault::http(400), ALWAYS);
    server.inject("ORD-0018", Fault::http(503), 1);
    server.inject("ORD-0018", Fault::ErrorCode(94), 1);
    server.inject("ORD-0018", Fault::ErrorCode(500), 1);
    server.inject("ORD-0019", Fault::Unauthorized, ALWAYS);
    let ids = [
        "ORD-0010",
        "ORD-0011",
        "ORD-0012",
        "ORD-0013",
        "ORD-0014",
        "ORD-0015",
        "ORD-0016",
        "ORD-0017",
        "ORD-0018",
        "ORD-0019",
        "NO-SUCH-ORDER",
    ];
    let (outcomes, summary) = run(&server.config(), &ids);
    let got: Vec<&str> = outcomes.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(got, ids);
    let result = |i: usize| &outcomes[i].result;

    assert!(result(0).is_ok());
    assert_eq!(server.order_requests("ORD-0010"), 3);

    match result(1) {
        Err(GatewayError::Http {
            status: 500,
            retries: 4,
            target,
            ..
        }) => {
            assert_eq!(target.id(), "ORD-0011")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.order_requests("ORD-0011"), 5);
    let text = result(1).as_ref().unwrap_err().to_string();
    assert!(
        text.contains("ORD-0011") && text.contains("HTTP 500"),
        "{text}"
    );
    assert!(text.contains("after 4 retries"), "{text}");

    assert!(result(2).is_ok());
    assert_eq!(server.order_requests("ORD-0012"), 3);

    assert!(matches!(
        result(3),
        Err(GatewayError::Malformed { retries: 0, .. })
    ));
    assert_eq!(server.order_requests("ORD-0013"), 1);

    let err = result(4).as_ref().unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(server.order_requests("ORD-0014"), 1);

    assert!(result(5).is_ok());
    assert_eq!(server.order_requests("ORD-0015"), 2);

    assert!(matches!(
        result(6),
        Err(GatewayError::Api {
            code: 1,
            retries: 0,
            ..
        })
    ));
    assert_eq!(server.order_requests("ORD-0016"), 1);

    assert!(matches!(
        result(7),
        Err(GatewayError::Http { status: 400, .. })
    ));
    assert_eq!(server.order_requests("ORD-0017"), 1);

    assert!(result(8).is_ok());
    assert_eq!(server.order_requests("ORD-0018"), 4);

    assert!(matches!(
        result(9),
        Err(GatewayError::Unauthorized { retries: 1, .. })
    ));
    assert_eq!(server.order_requests("ORD-0019"), 2);

    assert!(result(10).as_ref().unwrap_err().is_not_found());

    assert_eq!(summary.orders_asked, 11);
    assert_eq!(summary.orders_found, 4);
    assert_eq!(summary.orders_failed, 7);
    assert_eq!(summary.requests, server.total_requests());
    assert_eq!(summary.retries, summary.requests - 11);
}

#[test]
fn slow_answers_time_out_and_are_retried() {
    let server = GatewayServer::start();
    server.inject("ORD-0020", Fault::Slow(Duration::from_secs(3)), 1);
    server.inject("ORD-0021", Fault::Slow(Duration::from_secs(3)), ALWAYS);
    let mut config = server.config();
    config.request_timeout = Duration::from_millis(300);
    config.max_retries = 1;
    let (outcomes, _) = run(&config, &["ORD-0020", "ORD-0021"]);
    assert!(outcomes[0].result.is_ok(), "{:?}", outcomes[0].result);
    assert_eq!(server.order_requests("ORD-0020"), 2);
    match &outcomes[1].result {
        Err(e @ GatewayError::Timeout { retries: 1, .. }) => {
            assert!(e.is_transient());
            assert!(e.to_string().contains("ORD-0021"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.order_requests("ORD-0021"), 2);
}

#[test]
fn retry_after_is_honoured() {
    let server = GatewayServer::start();
    server.inject("ORD-0030", Fault::rate_limited(1), 1);
    let started = Instant::now();
    let (outcomes, summary) = run(&server.config(), &["ORD-0030"]);
    assert!(outcomes[0].result.is_ok());
    assert_eq!(server.order_requests("ORD-0030"), 2);
    assert_eq!(summary.retries, 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn fifty_orders_with_random_faults_come_back_once_each_in_input_order() {
    let server = GatewayServer::start();
    let mut rng = fastrand::Rng::with_seed(0x5eed_0003);
    let mut plan = FaultPlan::new();
    let mut ids: Vec<String> = (1..=50).map(|n| format!("ORD-{n:04}")).collect();
    rng.shuffle(&mut ids);
    let mut expect_ok = std::collections::HashMap::new();
    for id in &ids {
        let ok = match rng.u32(0..10) {
            0 => {
                plan.add(id, Fault::http(500), rng.u32(1..=3));
                true
            }
            1 => {
                plan.add(id, Fault::busy(), 1).add(id, Fault::http(502), 1);
                true
            }
            2 => {
                plan.add(id, Fault::rate_limited(0), 1);
                true
            }
            3 => {
                plan.add(id, Fault::Unauthorized, 1);
                true
            }
            4 => {
                plan.add(id, Fault::not_found(), ALWAYS);
                false
            }
            5 => {
                plan.add(id, Fault::Malformed, ALWAYS);
                false
            }
            _ => true,
        };
        expect_ok.insert(id.clone(), ok);
    }
    server.set_faults(plan);
    // Duplicates are fetched and reported once, at their first place.
    let mut input = ids.clone();
    input.insert(10, ids[3].clone());
    input.push(ids[0].clone());

    let mut config = server.config();
    config.concurrency = 8;
    let mut outcomes = Vec::new();
    let summary = fetch_orders(&config, input, |o| outcomes.push(o));

    let got: Vec<&str> = outcomes.iter().map(|o| o.order_id.as_str()).collect();
    let want: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(got, want);
    let mut refunds = 0;
    for outcome in &outcomes {
        let n: u64 = outcome.order_id[4..].parse().unwrap();
        match (&outcome.result, expect_ok[&outcome.order_id]) {
            (Ok(txs), true) => {
                assert_eq!(txs[0].order_id, outcome.order_id);
                assert_eq!(txs.len() as u64, 1 + n % 4);
                refunds += n % 4;
            }
            (Err(e), false) => assert_eq!(e.target().id(), outcome.order_id),
            (result, _) => panic!("{}: {result:?}", outcome.order_id),
        }
        assert!(server.order_requests(&outcome.order_id) > 0);
    }
    let failed = expect_ok.values().filter(|ok| !**ok).count() as u64;
    assert_eq!(summary.orders_asked, 50);
    assert_eq!(summary.orders_failed, failed);
    assert_eq!(summary.orders_found, 50 - failed);
    assert_eq!(summary.refunds_pulled, refunds);
    assert_eq!(summary.requests, server.total_requests());
    assert_eq!(summary.retries, summary.requests - 50);
    assert!(summary.retries > 0);
    assert!(server.max_in_flight() <= 8, "{}", server.max_in_flight());
    assert_eq!(server.bad_headers(), 0);
}

#[test]
fn outcomes_stream_before_the_slowest_order_is_done() {
    let server = GatewayServer::start();
    server.inject("ORD-0005", Fault::Slow(Duration::from_secs(3)), 1);
    let mut delivered = Vec::new();
    let ids = ["ORD-0001", "ORD-0002", "ORD-0005"];
    let summary = fetch_orders(
        &server.config(),
        ids.iter().map(|s| s.to_string()).collect(),
        |o| {
            if delivered.is_empty() {
                // Only once the slow request has reached the server does "still in
                // flight" say anything.
                let deadline = Instant::now() + Duration::from_secs(10);
                while server.order_requests("ORD-0005") == 0 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            delivered.push((o.order_id, server.in_flight(), Instant::now()));
        },
    );
    let finished = Instant::now();
    assert_eq!(summary.orders_found, 3);
    // The first order was handed over while the slow one was still being answered, well
    // before the run ended.
    assert_eq!(delivered[0].0, "ORD-0001");
    assert_eq!(delivered[0].1, 1);
    assert_eq!(delivered[2].0, "ORD-0005");
    assert_eq!(delivered[2].1, 0);
    assert!(finished - delivered[0].2 >= Duration::from_secs(1));
}

#[test]
fn ids_are_escaped_in_the_path() {
    let server = GatewayServer::start();
    let odd = "a/b c?d#e%20&x=1";
    let mut data = gateway_server::order_data("ORD-0002").unwrap();
    data["orderId"] = serde_json::json!(odd);
    data["refundTransactions"][0]["refundId"] = serde_json::json!("RF /?#1");
    server.add_order(data);
    let (outcomes, _) = run(&server.config(), &[odd]);
    let txs = outcomes[0].result.as_ref().expect("odd order");
    assert_eq!(txs[0].order_id, odd);
    assert_eq!(server.order_requests(odd), 1);

    let txs = fetch_refund(&server.config(), "RF /?#1").unwrap();
    assert_eq!(txs[1].transaction_id, "RF /?#1");
    assert_eq!(server.refund_requests("RF /?#1"), 1);

    // `..` would be normalised into another endpoint: refused before sending.
    let (outcomes, summary) = run(&server.config(), &["..", ""]);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o.result, Err(GatewayError::Setup { .. })))
    );
    assert_eq!(summary.requests, 0);
}

#[test]
fn tokens_are_renewed_before_they_expire() {
    let server = GatewayServer::start();
    server.inject("ORD-0001", Fault::Slow(Duration::from_millis(1500)), 1);
    let mut config = server.config();
    config.token_ttl = Duration::from_secs(2);
    config.concurrency = 1;
    let (outcomes, _) = run(&config, &["ORD-0001", "ORD-0002"]);
    assert!(outcomes.iter().all(|o| o.result.is_ok()));
    assert_eq!(server.unauthorized(), 0);
    assert_eq!(server.distinct_tokens(), 2);
}

#[test]
fn unreachable_gateway_is_a_connection_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = GatewayConfig::new(
        format!("http://127.0.0.1:{port}"),
        "P",
        "K",
        SecretKey::new(TEST_SECRET),
    );
    config.max_retries = 1;
    config.retry_base = Duration::from_millis(1);
    let (outcomes, summary) = run(&config, &["ORD-0001"]);
    match &outcomes[0].result {
        Err(e @ GatewayError::Connection { retries: 1, .. }) => {
            assert!(!e.to_string().contains(TEST_SECRET));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(summary.requests, 2);
}

#[test]
fn an_unusable_configuration_is_reported_for_every_order() {
    let mut config = GatewayConfig::new("not a url", "P", "K", SecretKey::new(TEST_SECRET));
    config.concurrency = 2;
    let (outcomes, summary) = run(&config, &["A", "B"]);
    assert_eq!(outcomes.len(), 2);
    for o in &outcomes {
        let err = o.result.as_ref().unwrap_err();
        assert!(matches!(err, GatewayError::Setup { .. }));
        assert!(err.to_string().contains("not a URL"), "{err}");
    }
    assert_eq!(summary.orders_failed, 2);
}

#[test]
fn debug_of_the_config_hides_the_secret() {
    let server = GatewayServer::start_with(ServerOptions::default());
    let config = server.config();
    let debug = format!("{config:?} {config:#?}");
    assert!(!debug.contains(TEST_SECRET), "{debug}");
    assert!(debug.contains("secret_key: ***"), "{debug}");
    assert_eq!(config.secret_key.to_string(), "***");
}

#[test]
fn a_caller_that_breaks_stops_the_fetch() {
    let server = GatewayServer::start();
    let mut config = server.config();
    config.concurrency = 2;
    let ids: Vec<String> = (1..=40).map(|n| format!("ORD-{n:04}")).collect();
    // Every order but the first answers slowly: when the first is delivered and the caller
    // stops, only the requests already in flight have been sent.
    for n in 2..=40 {
        server.inject(
            &format!("ORD-{n:04}"),
            Fault::Slow(Duration::from_millis(500)),
            1,
        );
    }
    let mut delivered = Vec::new();
    let summary = recibo::source::gateway::fetch_orders_while(&config, ids, |outcome| {
        delivered.push(outcome.order_id);
        std::ops::ControlFlow::Break(())
    });
    assert_eq!(delivered, ["ORD-0001"]);
    assert_eq!(summary.orders_found, 1);
    assert!(
        server.total_requests() <= 2 * config.concurrency as u64,
        "{} requests were sent for 40 orders after the caller stopped at the first",
        server.total_requests()
    );
}

#[test]
fn a_redirect_to_another_host_is_an_error_and_gets_no_token() {
    let gateway = GatewayServer::start();
    let elsewhere = GatewayServer::start();
    gateway.inject(
        "ORD-0001",
        Fault::Redirect(format!(
            "{}/api/v1/transaction/ORD-0001/refund",
            elsewhere.base_url().trim_end_matches('/')
        )),
        ALWAYS,
    );
    let (outcomes, _) = run(&gateway.config(), &["ORD-0001", "ORD-0002"]);
    let error = outcomes[0].result.as_ref().unwrap_err().to_string();
    assert!(error.contains("302"), "{error}");
    assert!(outcomes[1].result.is_ok());
    // The other host never saw a request, so it never saw the token either.
    assert_eq!(elsewhere.total_requests(), 0);
}

/// Fetches `ORD-0003` (three refunds of 25,750 VND out of 103,000) after `edit`, together
/// with an untouched order, and returns what became of the edited one.
fn fetch_edited(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Vec<String>, String> {
    let server = GatewayServer::start();
    let mut data = gateway_server::order_data("ORD-0003").unwrap();
    edit(&mut data);
    server.add_order(data);
    let (outcomes, summary) = run(&server.config(), &["ORD-0003", "ORD-0002"]);
    // One bad order does not stop the others.
    assert!(outcomes[1].result.is_ok(), "{:?}", outcomes[1].result);
    match &outcomes[0].result {
        Ok(txs) => Ok(txs.iter().map(|t| t.transaction_id.clone()).collect()),
        Err(e) => {
            assert!(matches!(e, GatewayError::InvalidData { .. }), "{e:?}");
            assert_eq!(summary.orders_failed, 1);
            Err(e.to_string())
        }
    }
}

#[test]
fn a_record_without_a_time_is_refused_not_dated_1970() {
    let payment = gateway_server::generated_payment_id(3);
    let err = fetch_edited(|d| {
        d.as_object_mut().unwrap().remove("transactionTs");
    })
    .unwrap_err();
    assert_eq!(
        err,
        format!("order \"ORD-0003\": unusable data: payment {payment}: transactionTs is missing")
    );

    let refund = gateway_server::generated_refund_id(3, 1);
    let err =
        fetch_edited(|d| d["refundTransactions"][1]["transactionTs"] = serde_json::Value::Null)
            .unwrap_err();
    assert_eq!(
        err,
        format!("order \"ORD-0003\": unusable data: refund {refund}: transactionTs is missing")
    );
}

#[test]
fn refunds_beyond_the_payment_or_repeated_are_refused() {
    let payment = gateway_server::generated_payment_id(3);
    let data = gateway_server::order_data("ORD-0003").unwrap();
    let paid: i64 = data["amount"].as_i64().unwrap();
    let ids: Vec<String> = (0..3)
        .map(|k| gateway_server::generated_refund_id(3, k))
        .collect();
    // As generated the order is fine: the test below changes one thing at a time.
    assert_eq!(fetch_edited(|_| {}).unwrap().len(), 4);

    let err =
        fetch_edited(|d| d["refundTransactions"][2]["amount"] = (paid + 1).into()).unwrap_err();
    assert!(
        err.ends_with(&format!(
            "refund {} of {} VND is more than payment {payment} of {paid} VND",
            ids[2],
            paid + 1
        )),
        "{err}"
    );

    let err = fetch_edited(|d| d["refundTransactions"][2]["refundId"] = ids[0].clone().into())
        .unwrap_err();
    let part = paid / 4;
    assert!(
        err.ends_with(&format!(
            "refund {} of payment {payment} is listed twice ({part} VND and {part} VND)",
            ids[0]
        )),
        "{err}"
    );

    // Three parts, each below the payment but together above it. The generator makes one
    // of them failed, which moves no money: make them all succeed.
    let part = paid / 2;
    assert!(part < paid && 3 * part > paid);
    let err = fetch_edited(|d| {
        for r in d["refundTransactions"].as_array_mut().unwrap() {
            r["amount"] = part.into();
            r["status"] = "success".into();
        }
    })
    .unwrap_err();
    let listed: Vec<String> = ids.iter().map(|id| format!("{id} ({part} VND)")).collect();
    assert!(
        err.ends_with(&format!(
            "refunds {} of payment {payment} total {} VND, more than its {paid} VND",
            listed.join(", "),
            3 * part
        )),
        "{err}"
    );

    let err = fetch_edited(|d| d["refundTransactions"][0]["currency"] = "USD".into()).unwrap_err();
    assert!(
        err.ends_with(&format!(
            "refund {}: currency \"USD\" is not VND, the currency of payment {payment}",
            ids[0]
        )),
        "{err}"
    );
}
