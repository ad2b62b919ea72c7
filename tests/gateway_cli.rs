//! The `recibo` binary end to end against the fake gateway on 127.0.0.1: `fetch`, `export`,
//! `receipts` and `receipt` with `--gateway`, exit codes, credentials from the environment
//! and from `--gateway-config`, and the secret and tokens kept out of every output.
//!
//! Credentials reach the binary only through `Command::env`: the test process's own
//! environment is never changed (tests run in parallel threads of one process) and every
//! `RECIBO_*` variable it may have is removed from the child's. Expected records are computed
//! from the fake server's order data, not from recibo.

#[path = "support/gateway_server.rs"]
mod gateway_server;
mod support;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use gateway_server::{
    ALWAYS, Fault, GatewayServer, SEED_ORDER, SEED_PAYMENT, SEED_REFUND_ID, ServerOptions,
    TEST_API_KEY, TEST_PARTNER, generated_payment_id, generated_refund_id,
};
use serde_json::Value;
use sha2::Digest;
use support::Run;

/// The partner secret every fake server in this file signs with. Distinctive, so that any
/// output that contains it is caught.
const SECRET: &str = "s3cr3t-VALUE";

/// Every JWT starts with the base64url of `{"`: a token printed anywhere shows this.
const TOKEN_PREFIX: &str = "eyJ";

const ENV_URL: &str = "RECIBO_GATEWAY_URL";
const ENV_PARTNER: &str = "RECIBO_PARTNER_CODE";
const ENV_API_KEY: &str = "RECIBO_API_KEY";
const ENV_SECRET: &str = "RECIBO_SECRET_KEY";
const ENV_CONFIG: &str = "RECIBO_GATEWAY_CONFIG";

fn start_server() -> GatewayServer {
    GatewayServer::start_with(ServerOptions {
        secret: SECRET.into(),
        ..ServerOptions::default()
    })
}

/// The four credential variables for `server`.
fn credentials(server: &GatewayServer) -> Vec<(&'static str, String)> {
    vec![
        (ENV_URL, server.base_url().to_string()),
        (ENV_PARTNER, TEST_PARTNER.to_string()),
        (ENV_API_KEY, TEST_API_KEY.to_string()),
        (ENV_SECRET, SECRET.to_string()),
    ]
}

/// Runs `recibo ARGS` in `dir` with exactly the `RECIBO_*` variables of `env`, and checks
/// that neither the secret nor a token shows on its standard output or error, whatever
/// the run was.
fn recibo(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Run {
    recibo_with_stdin(dir, args, env, b"")
}

fn recibo_with_stdin(dir: &Path, args: &[&str], env: &[(&str, String)], stdin: &[u8]) -> Run {
    let run = support::recibo_with(dir, args, stdin, |command| {
        for name in [ENV_URL, ENV_PARTNER, ENV_API_KEY, ENV_SECRET, ENV_CONFIG] {
            command.env_remove(name);
        }
        for (name, value) in env {
            command.env(name, value);
        }
    });
    assert_no_credentials(&run.command, "stderr", run.stderr.as_bytes());
    assert_no_credentials(&run.command, "stdout", &run.stdout);
    run
}

#[track_caller]
fn assert_no_credentials(what: &str, stream: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text.contains(SECRET),
        "`{what}`: {stream} shows the secret\n{text}"
    );
    assert!(
        !text.contains(TOKEN_PREFIX),
        "`{what}`: {stream} shows what looks like a token\n{text}"
    );
}

/// A port where nothing listens: bound, then released. On 127.0.0.2, a loopback address
/// no test server binds: a server another test starts on 127.0.0.1 may take the same port
/// number meanwhile, and must not answer for it.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.2:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.2:{port}")
}

/// One transaction as the tests check it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    transaction_id: String,
    transaction_type: &'static str,
    /// Signed VND minor units (VND has exponent 0: minor = major).
    minor: i64,
    status: String,
    original_transaction_id: String,
    order_id: String,
}

/// The gateway's refund states as the report's statuses.
fn report_status(gateway_status: &str) -> String {
    match gateway_status {
        "success" => "SUCCESS",
        "processing" => "PROCESSING",
        "pending" => "PENDING",
        "error" => "FAIL",
        other => panic!("unexpected gateway status {other}"),
    }
    .to_string()
}

/// An amount the fake sends as a JSON number or a string: whole VND.
fn wire_amount(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().expect("whole amount"),
        Value::String(s) => s.parse().expect("whole amount"),
        other => panic!("amount {other}"),
    }
}

/// The payment then its refunds, from the data the fake server serves for `order_id`.
fn expected_order(order_id: &str) -> Vec<Expected> {
    let data = gateway_server::order_data(order_id).expect("an order the fake knows");
    let payment_id = data["appotapayTransId"].as_str().unwrap().to_string();
    let mut out = vec![Expected {
        transaction_id: payment_id.clone(),
        transaction_type: "PAYMENT",
        minor: wire_amount(&data["amount"]),
        status: "SUCCESS".into(),
        original_transaction_id: String::new(),
        order_id: order_id.to_string(),
    }];
    for refund in data["refundTransactions"].as_array().unwrap() {
        out.push(Expected {
            transaction_id: refund["refundId"].as_str().unwrap().to_string(),
            transaction_type: "REFUND",
            minor: -wire_amount(&refund["amount"]),
            status: report_status(refund["status"].as_str().unwrap()),
            original_transaction_id: payment_id.clone(),
            order_id: order_id.to_string(),
        });
    }
    out
}

fn expected_orders(order_ids: &[&str]) -> Vec<Expected> {
    order_ids.iter().flat_map(|id| expected_order(id)).collect()
}

fn refund_count(order_ids: &[&str]) -> usize {
    expected_orders(order_ids)
        .iter()
        .filter(|e| e.transaction_type == "REFUND")
        .count()
}

/// Reads a JSONL output back into what the tests compare.
fn read_jsonl(path: &Path) -> Vec<Expected> {
    let text = std::fs::read_to_string(path).expect("the JSONL output exists");
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("each line is JSON");
            assert_eq!(v["amount"]["currency"], "VND", "{line}");
            let transaction_type = match v["transactionType"].as_str().unwrap() {
                "PAYMENT" => "PAYMENT",
                "REFUND" => "REFUND",
                other => panic!("unexpected type {other} in {line}"),
            };
            Expected {
                transaction_id: v["transactionId"].as_str().unwrap().to_string(),
                transaction_type,
                minor: v["amount"]["minor"].as_i64().expect("integer minor units"),
                status: v["status"].as_str().unwrap().to_string(),
                original_transaction_id: v["originalTransactionId"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                order_id: v["referenceTransactionId"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

#[track_caller]
fn assert_each_transaction_once(records: &[Expected]) {
    let mut seen = HashSet::new();
    for r in records {
        assert!(
            seen.insert((r.transaction_type, r.transaction_id.clone())),
            "{} {} appears twice",
            r.transaction_type,
            r.transaction_id
        );
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write fixture");
}

/// The seed order and generated orders covering 0 to 3 refunds and every refund status.
const ORDERS: [&str; 9] = [
    SEED_ORDER, "ORD-0001", "ORD-0002", "ORD-0003", "ORD-0004", "ORD-0005", "ORD-0006", "ORD-0007",
    "ORD-0008",
];

#[test]
fn fetch_writes_every_payment_and_refund_once_in_order_file_order() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    // Not sorted, with a comment, a blank line, surrounding spaces and a repeated order:
    // the output follows the file, and a repeated order is fetched and written once.
    let order_file = [
        "# orders to pull",
        "ORD-0007",
        SEED_ORDER,
        "",
        "  ORD-0002  ",
        "ORD-0003",
        "ORD-0004",
        "ORD-0002",
        "ORD-0001",
        "ORD-0006",
    ]
    .join("\n");
    write(dir.path(), "orders.txt", &order_file);
    let asked = [
        "ORD-0007", SEED_ORDER, "ORD-0002", "ORD-0003", "ORD-0004", "ORD-0001", "ORD-0006",
    ];

    let run = recibo(
        dir.path(),
        &[
            "fetch",
            "--orders",
            "orders.txt",
            "-o",
            "refunds.jsonl",
            "--summary",
            "s.json",
        ],
        &credentials(&server),
    );
    run.assert_code(0);

    let expected = expected_orders(&asked);
    let got = read_jsonl(&dir.path().join("refunds.jsonl"));
    assert_each_transaction_once(&got);
    assert_eq!(got, expected);
    // A spot check of the sign and unit, independent of the generator arithmetic above:
    // the seed is a 10,000 VND payment refunded in full.
    let seed: Vec<_> = got.iter().filter(|e| e.order_id == SEED_ORDER).collect();
    assert_eq!(seed[0].transaction_id, SEED_PAYMENT);
    assert_eq!(seed[0].minor, 10_000);
    assert_eq!(seed[1].transaction_id, SEED_REFUND_ID);
    assert_eq!(seed[1].minor, -10_000);
    for id in asked {
        assert_eq!(server.order_requests(id), 1, "requests for {id}");
    }

    let refunds = refund_count(&asked);
    run.assert_stderr_has(&[
        &format!("orders asked {}", asked.len()),
        &format!("found {}", asked.len()),
        "failed 0",
        &format!("{refunds} refunds pulled"),
    ]);

    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(summary["orders_asked"], asked.len() as u64);
    assert_eq!(summary["orders_found"], asked.len() as u64);
    assert_eq!(summary["orders_failed"], 0);
    assert_eq!(summary["refunds_pulled"], refunds as u64);
    assert_eq!(summary["transactions_written"], expected.len() as u64);
    assert_eq!(summary["requests"], asked.len() as u64);
    assert_eq!(summary["retries"], 0);
    let saved = std::fs::read(dir.path().join("refunds.jsonl")).unwrap();
    assert_no_credentials("fetch", "refunds.jsonl", &saved);
}

/// `--summary -` prints the summary on standard output, as `run --summary -` does; with
/// `-o -` as well the two would interleave, so that is refused before any request.
#[test]
fn fetch_summary_goes_to_standard_output_when_asked() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", SEED_ORDER);
    let run = recibo(
        dir.path(),
        &[
            "fetch",
            "--orders",
            "orders.txt",
            "-o",
            "o.jsonl",
            "--summary",
            "-",
        ],
        &credentials(&server),
    );
    run.assert_code(0);
    let summary: Value = serde_json::from_slice(&run.stdout).expect("stdout is the JSON summary");
    assert_eq!(summary["orders_asked"], 1);
    assert_eq!(summary["orders_found"], 1);
    assert_eq!(summary["output"], "o.jsonl");
    assert!(!dir.path().join("-").exists(), "no file named '-'");

    let both = recibo(
        dir.path(),
        &[
            "fetch",
            "--orders",
            "orders.txt",
            "-o",
            "-",
            "--summary",
            "-",
        ],
        &credentials(&server),
    );
    both.assert_code(2)
        .assert_stderr_has(&["--summary -", "standard output"]);
    assert!(both.stdout.is_empty());
    assert_eq!(
        server.order_requests(SEED_ORDER),
        1,
        "the refused run asked nothing"
    );
}

#[test]
fn fetch_keeps_order_file_order_when_an_early_order_answers_last() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", &ORDERS.join("\n"));
    // The first order answers after all the others have.
    server.inject(SEED_ORDER, Fault::Slow(Duration::from_millis(600)), 1);
    let run = recibo(
        dir.path(),
        &[
            "fetch",
            "--orders",
            "orders.txt",
            "--concurrency",
            "16",
            "-o",
            "refunds.jsonl",
        ],
        &credentials(&server),
    );
    run.assert_code(0);
    // How many requests overlap depends on the scheduler of a busy machine, so the test
    // asserts the order of the output, which must hold however the answers interleave.
    assert_eq!(
        read_jsonl(&dir.path().join("refunds.jsonl")),
        expected_orders(&ORDERS)
    );
}

#[test]
fn fetch_reads_the_order_list_from_standard_input() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let run = recibo_with_stdin(
        dir.path(),
        &["fetch", "--orders", "-", "-o", "refunds.jsonl"],
        &credentials(&server),
        b"ORD-0003\r\nORD-0001\r\n",
    );
    run.assert_code(0);
    assert_eq!(
        read_jsonl(&dir.path().join("refunds.jsonl")),
        expected_orders(&["ORD-0003", "ORD-0001"])
    );
}

#[test]
fn fetch_accepts_an_order_file_saved_with_a_byte_order_mark() {
    // Windows editors and Excel's "CSV UTF-8" save a BOM first; the first order must
    // still be asked for by its plain ID.
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", "\u{feff}ORD-0003\nORD-0001\n");
    let run = recibo(
        dir.path(),
        &["fetch", "--orders", "orders.txt", "-o", "refunds.jsonl"],
        &credentials(&server),
    );
    run.assert_code(0);
    assert_eq!(server.order_requests("ORD-0003"), 1);
    assert_eq!(
        read_jsonl(&dir.path().join("refunds.jsonl")),
        expected_orders(&["ORD-0003", "ORD-0001"])
    );
}

#[test]
fn fetch_reports_failed_orders_by_id_and_keeps_every_other_order_once() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", &ORDERS.join("\n"));
    server.inject("ORD-0002", Fault::not_found(), ALWAYS);
    server.inject("ORD-0006", Fault::http(500), ALWAYS);
    let run = recibo(
        dir.path(),
        &[
            "fetch",
            "--orders",
            "orders.txt",
            "-o",
            "refunds.jsonl",
            "--summary",
            "s.json",
        ],
        &credentials(&server),
    );
    run.assert_code(1);
    run.assert_stderr_has(&["ORD-0002", "ORD-0006", "not found", "500"]);

    let good: Vec<&str> = ORDERS
        .iter()
        .copied()
        .filter(|id| *id != "ORD-0002" && *id != "ORD-0006")
        .collect();
    let got = read_jsonl(&dir.path().join("refunds.jsonl"));
    assert_each_transaction_once(&got);
    assert_eq!(got, expected_orders(&good));
    // "Not found" is an answer, not a failure to retry; a 500 is retried, then given up.
    assert_eq!(server.order_requests("ORD-0002"), 1);
    assert!(server.order_requests("ORD-0006") > 1);
    for id in &good {
        assert_eq!(server.order_requests(id), 1, "requests for {id}");
    }

    run.assert_stderr_has(&[
        &format!("orders asked {}", ORDERS.len()),
        &format!("found {}", good.len()),
        "failed 2",
        &format!("{} refunds pulled", refund_count(&good)),
    ]);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("s.json")).unwrap()).unwrap();
    assert_eq!(summary["orders_asked"], ORDERS.len() as u64);
    assert_eq!(summary["orders_found"], good.len() as u64);
    assert_eq!(summary["orders_failed"], 2);
    assert_eq!(summary["refunds_pulled"], refund_count(&good) as u64);
    // What recibo counted is what the gateway saw: one request per order, plus the
    // retries of the order that kept failing.
    assert_eq!(summary["requests"], server.total_requests());
    assert_eq!(
        summary["retries"],
        u64::from(server.order_requests("ORD-0006") - 1)
    );
}

#[test]
fn export_and_receipts_exit_1_naming_an_order_that_failed() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", "ORD-0003\nORD-0009\nORD-0007\n");
    server.inject("ORD-0009", Fault::not_found(), ALWAYS);
    let env = credentials(&server);

    let run = recibo(
        dir.path(),
        &[
            "export",
            "--gateway",
            "--orders",
            "orders.txt",
            "--format",
            "jsonl",
            "-o",
            "all.jsonl",
        ],
        &env,
    );
    run.assert_code(1);
    run.assert_stderr_has(&["ORD-0009"]);
    assert_eq!(
        read_jsonl(&dir.path().join("all.jsonl")),
        expected_orders(&["ORD-0003", "ORD-0007"])
    );

    let run = recibo(
        dir.path(),
        &[
            "receipts",
            "--gateway",
            "--orders",
            "orders.txt",
            "--out",
            "receipts",
        ],
        &env,
    );
    run.assert_code(1);
    run.assert_stderr_has(&["ORD-0009"]);
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("receipts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "RF000000031_en.pdf".to_string(),
            "RF000000071_en.pdf".to_string(),
            "manifest.csv".to_string()
        ]
    );
}

#[test]
fn fetch_exits_3_when_the_gateway_cannot_be_reached() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", "ORD-0001\nORD-0002\n");
    let url = closed_port_url();
    let port = url.rsplit(':').next().unwrap().to_string();
    let env = vec![
        (ENV_URL, url),
        (ENV_PARTNER, TEST_PARTNER.to_string()),
        (ENV_API_KEY, TEST_API_KEY.to_string()),
        (ENV_SECRET, SECRET.to_string()),
    ];
    let run = recibo(
        dir.path(),
        &["fetch", "--orders", "orders.txt", "-o", "refunds.jsonl"],
        &env,
    );
    run.assert_code(3);
    run.assert_stderr_has(&[&port]);
    // Outputs appear whole or not at all.
    assert!(!dir.path().join("refunds.jsonl").exists());
}

#[test]
fn missing_credentials_exit_2_naming_each_missing_variable() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", "ORD-0001\n");

    // The URL and the secret are there; the partner code and API key are not.
    let env = vec![
        (ENV_URL, server.base_url().to_string()),
        (ENV_SECRET, SECRET.to_string()),
    ];
    let run = recibo(
        dir.path(),
        &["fetch", "--orders", "orders.txt", "-o", "refunds.jsonl"],
        &env,
    );
    run.assert_code(2);
    run.assert_stderr_has(&[ENV_PARTNER, ENV_API_KEY]);
    assert!(
        !run.stderr.contains(ENV_SECRET) && !run.stderr.contains(ENV_URL),
        "only the missing variables are named:\n{}",
        run.stderr
    );

    // None at all: all four are named, on every subcommand that reads the gateway.
    for args in [
        &["fetch", "--orders", "orders.txt", "-o", "x.jsonl"][..],
        &[
            "export",
            "--gateway",
            "--orders",
            "orders.txt",
            "-o",
            "x.csv",
        ],
        &[
            "receipts",
            "--gateway",
            "--orders",
            "orders.txt",
            "--zip",
            "x.zip",
        ],
        &["receipt", "--gateway", "--refund-id", "RF000000031"],
    ] {
        let run = recibo(dir.path(), args, &[]);
        run.assert_code(2);
        run.assert_stderr_has(&[ENV_URL, ENV_PARTNER, ENV_API_KEY, ENV_SECRET]);
    }
    assert_eq!(server.total_requests(), 0);
}

#[test]
fn no_run_prints_the_secret_or_a_token() {
    // `recibo()` checks stdout and stderr of every run in this file; these are the runs
    // most likely to show configuration: help, verbose logs and refusals.
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", "ORD-0003\nORD-0006\n");
    let env = credentials(&server);

    for args in [
        &["--help"][..],
        &["fetch", "--help"],
        &["export", "--help"],
        &["receipts", "--help"],
        &["receipt", "--help"],
    ] {
        let run = recibo(dir.path(), args, &env);
        run.assert_code(0);
    }
    // A usage error after the credentials were read.
    recibo(
        dir.path(),
        &[
            "fetch",
            "--orders",
            "orders.txt",
            "--format",
            "pdf",
            "-o",
            "x",
        ],
        &env,
    )
    .assert_code(2);

    // Every log line the binary can print, including retries and a failed order.
    server.inject("ORD-0006", Fault::http(503), 1);
    let mut verbose = env.clone();
    verbose.push(("RUST_LOG", "trace".to_string()));
    let run = recibo(
        dir.path(),
        &["fetch", "--orders", "orders.txt", "-o", "-"],
        &verbose,
    );
    run.assert_code(0);

    // Credentials the gateway refuses: the token is rejected and named as the problem,
    // never shown.
    let mut wrong = env.clone();
    wrong.retain(|(name, _)| *name != ENV_SECRET);
    wrong.push((ENV_SECRET, format!("{SECRET}-but-wrong")));
    let run = recibo(
        dir.path(),
        &["fetch", "--orders", "orders.txt", "-o", "x.jsonl"],
        &wrong,
    );
    assert_ne!(run.code, 0, "{}", run.stderr);
    run.assert_stderr_has(&["401"]);
    assert!(server.unauthorized() > 0);

    // The same refusal on the single-refund endpoint.
    let run = recibo(
        dir.path(),
        &[
            "receipt",
            "--gateway",
            "--refund-id",
            "RF000000031",
            "-o",
            "x.pdf",
        ],
        &wrong,
    );
    assert_ne!(run.code, 0, "{}", run.stderr);
}

/// Runs an openpyxl script on `path`; its standard output parsed as JSON.
fn openpyxl_rows(path: &Path) -> Vec<Vec<Value>> {
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
rows = []
for ws in wb.worksheets:
    for row in ws.iter_rows(values_only=True):
        rows.append([v if isinstance(v, (int, float)) or v is None else str(v) for v in row])
print(json.dumps(rows))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 with openpyxl (tests/run.sh installs it)");
    assert!(
        out.status.success(),
        "openpyxl could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

#[test]
fn export_from_the_gateway_for_a_reports_orders_to_xlsx() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    // A gateway-style report: the refund rows name their orders; ORD-0003 has two rows; the
    // payment-only row of ORD-0005 is left out by --type REFUND, so its order is not asked.
    let report = "\
transactionId,originalTransactionId,referenceTransactionId,transactionType,paymentTime,transactionAmountValue,transactionCurrency,status
RF000000030,AP900000000003,ORD-0003,REFUND,2023-11-15T01:20:00+07:00,-25750,VND,FAIL
RF000000020,AP900000000002,ORD-0002,REFUND,2023-11-15T00:10:00+07:00,-25500,VND,PENDING
RF000000031,AP900000000003,ORD-0003,REFUND,2023-11-15T01:30:00+07:00,-25750,VND,SUCCESS
AP900000000005,,ORD-0005,PAYMENT,2023-11-15T03:00:00+07:00,105000,VND,SUCCESS
<END>
";
    write(dir.path(), "report.csv", report);
    let env = credentials(&server);
    let run = recibo(
        dir.path(),
        &[
            "export",
            "--gateway",
            "--orders-from",
            "report.csv",
            "--type",
            "REFUND",
            "--columns",
            "transactionId,transactionType,status,transactionAmountValue,transactionCurrency,referenceTransactionId,paymentTime",
            "--header-lang",
            "key",
            "--format",
            "xlsx",
            "-o",
            "r.xlsx",
        ],
        &env,
    );
    run.assert_code(0);
    assert_eq!(server.order_requests("ORD-0003"), 1);
    assert_eq!(server.order_requests("ORD-0002"), 1);
    assert_eq!(server.order_requests("ORD-0005"), 0);

    let expected: Vec<Expected> = expected_orders(&["ORD-0003", "ORD-0002"])
        .into_iter()
        .filter(|e| e.transaction_type == "REFUND")
        .collect();

    // Read by an independent reader: typed cells, amounts in major units (VND: whole).
    let rows = openpyxl_rows(&dir.path().join("r.xlsx"));
    assert_eq!(
        rows[0],
        [
            "transactionId",
            "transactionType",
            "status",
            "transactionAmountValue",
            "transactionCurrency",
            "referenceTransactionId",
            "paymentTime"
        ]
    );
    let got: Vec<(String, String, String, i64, String, String)> = rows[1..]
        .iter()
        .map(|r| {
            let amount = r[3].as_f64().expect("amount is a number cell");
            assert_eq!(amount.fract(), 0.0, "VND amounts are whole: {r:?}");
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
                r[2].as_str().unwrap().to_string(),
                amount as i64,
                r[4].as_str().unwrap().to_string(),
                r[5].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<_> = expected
        .iter()
        .map(|e| {
            (
                e.transaction_id.clone(),
                "REFUND".to_string(),
                e.status.clone(),
                e.minor,
                "VND".to_string(),
                e.order_id.clone(),
            )
        })
        .collect();
    assert_eq!(got, want);

    // And read back by recibo itself, as a later run would.
    let back = recibo(
        dir.path(),
        &[
            "export",
            "-i",
            "r.xlsx",
            "--columns",
            "transactionId,transactionAmountValue",
            "--header-lang",
            "key",
            "-o",
            "-",
        ],
        &[],
    );
    back.assert_code(0);
    let mut lines = back
        .stdout_text()
        .lines()
        .map(str::to_string)
        .collect::<Vec<_>>();
    assert_eq!(lines.remove(0), "transactionId,transactionAmountValue");
    let want: Vec<String> = expected
        .iter()
        .map(|e| format!("{},{}", e.transaction_id, e.minor))
        .collect();
    assert_eq!(lines, want);
}

/// `unzip` with `args`; its standard output.
fn unzip(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("unzip")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("unzip is installed (tests/run.sh installs it)");
    assert!(
        out.status.success(),
        "unzip {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn pdftotext(path: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext is installed (tests/run.sh installs poppler-utils)");
    assert!(
        out.status.success(),
        "pdftotext {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

#[test]
fn receipts_from_the_gateway_to_a_zip_with_a_manifest_of_every_refund() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", &ORDERS.join("\n"));
    let run = recibo(
        dir.path(),
        &[
            "receipts",
            "--gateway",
            "--orders",
            "orders.txt",
            "--lang",
            "pt-BR",
            "--zip",
            "refunds.zip",
        ],
        &credentials(&server),
    );
    // Refunds without a receipt are listed with a reason; they are not failures.
    run.assert_code(0);

    let refunds: Vec<Expected> = expected_orders(&ORDERS)
        .into_iter()
        .filter(|e| e.transaction_type == "REFUND")
        .collect();
    let successful: Vec<&Expected> = refunds.iter().filter(|r| r.status == "SUCCESS").collect();
    // Generated orders n ≡ 3 (mod 4) have a successful second refund.
    assert_eq!(
        successful
            .iter()
            .map(|r| r.transaction_id.as_str())
            .collect::<Vec<_>>(),
        [generated_refund_id(3, 1), generated_refund_id(7, 1)]
    );

    let test = String::from_utf8_lossy(&unzip(dir.path(), &["-t", "refunds.zip"])).into_owned();
    assert!(test.contains("No errors detected"), "{test}");
    let names: HashSet<String> = String::from_utf8(unzip(dir.path(), &["-Z1", "refunds.zip"]))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut want: HashSet<String> = successful
        .iter()
        .map(|r| format!("{}_pt-BR.pdf", r.transaction_id))
        .collect();
    want.insert("manifest.csv".into());
    assert_eq!(names, want);

    let manifest = unzip(dir.path(), &["-p", "refunds.zip", "manifest.csv"]);
    let mut reader = csv::Reader::from_reader(manifest.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("manifest has no {name} column: {header:?}"))
    };
    let (id_col, lang_col, file_col, status_col, reason_col) = (
        col("refund_id"),
        col("language"),
        col("file"),
        col("status"),
        col("reason"),
    );
    let entries: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // One line per refund (one language asked), whatever the order of the lines.
    let mut listed: Vec<String> = entries.iter().map(|e| e[id_col].to_string()).collect();
    listed.sort();
    let mut all: Vec<String> = refunds.iter().map(|r| r.transaction_id.clone()).collect();
    all.sort();
    assert_eq!(listed, all);
    let (bytes_col, sha_col) = (col("bytes"), col("sha256"));
    for refund in &refunds {
        let entry = entries
            .iter()
            .find(|e| e[id_col] == refund.transaction_id)
            .unwrap();
        assert_eq!(&entry[lang_col], "pt-BR", "{entry:?}");
        if refund.status == "SUCCESS" {
            assert_eq!(&entry[status_col], "written", "{entry:?}");
            let name = format!("{}_pt-BR.pdf", refund.transaction_id);
            assert_eq!(&entry[file_col], name);
            // The manifest describes the very file in the archive.
            let pdf = unzip(dir.path(), &["-p", "refunds.zip", &name]);
            assert!(pdf.starts_with(b"%PDF-"), "{name} is a PDF");
            assert_eq!(entry[bytes_col], pdf.len().to_string(), "{entry:?}");
            let digest: String = sha2::Sha256::digest(&pdf)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(entry[sha_col].to_ascii_lowercase(), digest, "{entry:?}");
        } else {
            assert_eq!(&entry[status_col], "skipped", "{entry:?}");
            assert!(entry[file_col].is_empty(), "{entry:?}");
            assert!(
                entry[reason_col].contains(&refund.status),
                "the reason names the status {}: {entry:?}",
                refund.status
            );
        }
    }

    // One of the receipts, read by an independent reader.
    let first = &successful[0].transaction_id;
    unzip(
        dir.path(),
        &["-q", "refunds.zip", &format!("{first}_pt-BR.pdf")],
    );
    let text = pdftotext(&dir.path().join(format!("{first}_pt-BR.pdf")));
    assert!(text.contains(first.as_str()), "{text}");
    assert!(text.contains("Comprovante de estorno"), "{text}");
}

#[test]
fn receipt_from_the_gateway_for_a_successful_refund() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let refund_id = generated_refund_id(3, 1);
    let run = recibo(
        dir.path(),
        &[
            "receipt",
            "--gateway",
            "--refund-id",
            &refund_id,
            "--lang",
            "en",
            "-o",
            "one.pdf",
        ],
        &credentials(&server),
    );
    run.assert_code(0);
    assert_eq!(server.refund_requests(&refund_id), 1);
    let text = pdftotext(&dir.path().join("one.pdf"));
    assert!(text.contains(&refund_id), "{text}");
    assert!(text.contains("Refund receipt"), "{text}");
    // The original payment comes with the refund, so the receipt can name it.
    assert!(text.contains(&generated_payment_id(3)), "{text}");
    // The gateway names no merchant: its partner code (the merchant ID) heads the
    // receipt, not the acquirer.
    let heading = text.lines().map(str::trim).find(|l| !l.is_empty());
    assert_eq!(heading, Some(TEST_PARTNER), "{text}");
}

#[test]
fn fetch_refuses_an_order_without_times_or_with_refunds_beyond_its_payment() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    // ORD-0003: a refund without its time. ORD-0005: one refund larger than the payment.
    let mut untimed = gateway_server::order_data("ORD-0003").unwrap();
    untimed["refundTransactions"][1]
        .as_object_mut()
        .unwrap()
        .remove("transactionTs");
    server.add_order(untimed);
    let mut oversized = gateway_server::order_data("ORD-0005").unwrap();
    let paid = wire_amount(&oversized["amount"]);
    oversized["refundTransactions"][0]["amount"] = (paid * 2).into();
    server.add_order(oversized);
    write(
        dir.path(),
        "orders.txt",
        "ORD-0003\nORD-0001\nORD-0005\nORD-0007\n",
    );

    let run = recibo(
        dir.path(),
        &["fetch", "--orders", "orders.txt", "-o", "out.jsonl"],
        &credentials(&server),
    );
    run.assert_code(1);
    run.assert_stderr_has(&[
        &format!(
            "order \"ORD-0003\": unusable data: refund {}: transactionTs is missing",
            generated_refund_id(3, 1)
        ),
        &format!(
            "order \"ORD-0005\": unusable data: refund {} of {} VND is more than payment {} of {paid} VND",
            generated_refund_id(5, 0),
            paid * 2,
            generated_payment_id(5)
        ),
    ]);
    // Nothing of the refused orders is written; the others are, whole.
    assert_eq!(
        read_jsonl(&dir.path().join("out.jsonl")),
        expected_orders(&["ORD-0001", "ORD-0007"])
    );
}

#[test]
fn receipt_from_the_gateway_by_the_partners_refund_request_id() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    // `req-3-1` is the partner's refundOriginalId of RF000000031.
    let run = recibo(
        dir.path(),
        &["receipt", "--gateway", "req-3-1", "-o", "one.pdf"],
        &credentials(&server),
    );
    run.assert_code(0);
    let text = pdftotext(&dir.path().join("one.pdf"));
    assert!(text.contains(&generated_refund_id(3, 1)), "{text}");
    assert!(text.contains("req-3-1"), "{text}");
}

#[test]
fn ids_with_spaces_slashes_and_vietnamese_go_through_end_to_end() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let order_id = "ĐH 2024/11 #7";
    let refund_id = "HT/2024 số 1";
    let mut data = gateway_server::order_data("ORD-0003").unwrap();
    data["orderId"] = serde_json::json!(order_id);
    data["refundTransactions"][1]["refundId"] = serde_json::json!(refund_id);
    server.add_order(data);
    write(dir.path(), "orders.txt", &format!("{order_id}\nORD-0001\n"));
    let env = credentials(&server);

    let run = recibo(
        dir.path(),
        &["fetch", "--orders", "orders.txt", "-o", "out.jsonl"],
        &env,
    );
    run.assert_code(0);
    assert_eq!(server.order_requests(order_id), 1);
    let got = read_jsonl(&dir.path().join("out.jsonl"));
    assert_eq!(got[0].order_id, order_id);
    assert_eq!(got[2].transaction_id, refund_id);
    assert_eq!(got[2].status, "SUCCESS");

    // Without -o the receipt is named after the refund; the slash must not make a folder.
    let run = recibo(
        dir.path(),
        &["receipt", "--gateway", "--refund-id", refund_id],
        &env,
    );
    run.assert_code(0);
    assert_eq!(server.refund_requests(refund_id), 1);
    let pdfs: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    assert_eq!(pdfs.len(), 1, "{pdfs:?}");
    let text = pdftotext(&pdfs[0]);
    assert!(text.contains(refund_id), "{text}");
}

#[test]
fn receipt_from_the_gateway_for_an_unsuccessful_refund_exits_1_with_its_type_and_status() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    // RF000000030 failed at the gateway ("error"); the seed's refund is still processing.
    for (refund_id, status) in [
        (generated_refund_id(3, 0), "FAIL"),
        (SEED_REFUND_ID.to_string(), "PROCESSING"),
    ] {
        let run = recibo(
            dir.path(),
            &[
                "receipt",
                "--gateway",
                "--refund-id",
                &refund_id,
                "-o",
                "one.pdf",
            ],
            &credentials(&server),
        );
        run.assert_code(1);
        run.assert_stderr_has(&[&refund_id, "REFUND", status]);
        assert!(!dir.path().join("one.pdf").exists());
    }
}

#[test]
fn receipt_from_the_gateway_by_the_merchant_order_id() {
    // With report files, `recibo receipt ORDER` finds the order's one refund; the same
    // command with --gateway should too, not answer "no refund". ORD-0001 has exactly one
    // refund, still processing: the answer is a refusal naming its type and status.
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let run = recibo(
        dir.path(),
        &["receipt", "--gateway", "ORD-0001", "-o", "one.pdf"],
        &credentials(&server),
    );
    run.assert_code(1);
    run.assert_stderr_has(&[&generated_refund_id(1, 0), "REFUND", "PROCESSING"]);
}

#[test]
fn receipt_from_the_gateway_for_an_unknown_refund_exits_2() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let run = recibo(
        dir.path(),
        &[
            "receipt",
            "--gateway",
            "--refund-id",
            "RF-NO-SUCH-REFUND",
            "-o",
            "one.pdf",
        ],
        &credentials(&server),
    );
    run.assert_code(2);
    run.assert_stderr_has(&["RF-NO-SUCH-REFUND"]);
    assert_eq!(server.refund_requests("RF-NO-SUCH-REFUND"), 1);
    assert!(!dir.path().join("one.pdf").exists());
}

#[test]
fn receipt_exits_3_when_the_gateway_cannot_be_reached() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        (ENV_URL, closed_port_url()),
        (ENV_PARTNER, TEST_PARTNER.to_string()),
        (ENV_API_KEY, TEST_API_KEY.to_string()),
        (ENV_SECRET, SECRET.to_string()),
    ];
    let run = recibo(
        dir.path(),
        &["receipt", "--gateway", "--refund-id", "RF000000031"],
        &env,
    );
    run.assert_code(3);
}

fn config_toml(url: &str, api_key: &str, secret: &str) -> String {
    format!(
        "url = \"{url}\"\npartner_code = \"{TEST_PARTNER}\"\napi_key = \"{api_key}\"\n\
         secret_key = \"{secret}\"\nlanguage = \"en\"\n"
    )
}

#[test]
fn gateway_config_file_gives_every_setting() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", "ORD-0003\nORD-0002\n");
    write(
        dir.path(),
        "gateway.toml",
        &config_toml(server.base_url(), TEST_API_KEY, SECRET),
    );
    let run = recibo(
        dir.path(),
        &[
            "fetch",
            "--gateway-config",
            "gateway.toml",
            "--orders",
            "orders.txt",
            "-o",
            "a.jsonl",
        ],
        &[],
    );
    run.assert_code(0);
    assert_eq!(
        read_jsonl(&dir.path().join("a.jsonl")),
        expected_orders(&["ORD-0003", "ORD-0002"])
    );
    assert_eq!(server.last_language().as_deref(), Some("en"));

    // The same file named by RECIBO_GATEWAY_CONFIG.
    let run = recibo(
        dir.path(),
        &["fetch", "--orders", "orders.txt", "-o", "b.jsonl"],
        &[(ENV_CONFIG, "gateway.toml".to_string())],
    );
    run.assert_code(0);
    assert_eq!(
        std::fs::read(dir.path().join("a.jsonl")).unwrap(),
        std::fs::read(dir.path().join("b.jsonl")).unwrap()
    );
}

#[test]
fn environment_overrides_the_gateway_config_file() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", "ORD-0003\n");

    // The file points nowhere and holds a wrong secret; the environment corrects both.
    write(
        dir.path(),
        "stale.toml",
        &config_toml(&closed_port_url(), TEST_API_KEY, "not-the-secret"),
    );
    let run = recibo(
        dir.path(),
        &[
            "fetch",
            "--gateway-config",
            "stale.toml",
            "--orders",
            "orders.txt",
            "-o",
            "a.jsonl",
        ],
        &[
            (ENV_URL, server.base_url().to_string()),
            (ENV_SECRET, SECRET.to_string()),
        ],
    );
    run.assert_code(0);
    assert_eq!(
        read_jsonl(&dir.path().join("a.jsonl")),
        expected_orders(&["ORD-0003"])
    );
    assert_eq!(server.unauthorized(), 0);

    // A good file and a wrong API key in the environment: the environment wins, and the
    // gateway refuses it.
    write(
        dir.path(),
        "good.toml",
        &config_toml(server.base_url(), TEST_API_KEY, SECRET),
    );
    let run = recibo(
        dir.path(),
        &[
            "fetch",
            "--gateway-config",
            "good.toml",
            "--orders",
            "orders.txt",
            "-o",
            "b.jsonl",
        ],
        &[(ENV_API_KEY, "some-other-key".to_string())],
    );
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(server.unauthorized() > 0);
    assert!(
        server
            .unauthorized_reasons()
            .iter()
            .any(|r| r.contains("api_key")),
        "{:?}",
        server.unauthorized_reasons()
    );
}

#[test]
fn gateway_flags_are_checked_before_any_request() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.txt", "ORD-0001\n");
    write(dir.path(), "in.csv", "transactionId\n");
    let env = credentials(&server);
    // Files and the gateway at once; orders without --gateway; --gateway without orders.
    for args in [
        &[
            "export",
            "--gateway",
            "--orders",
            "orders.txt",
            "-i",
            "in.csv",
        ][..],
        &["export", "--orders", "orders.txt", "-o", "x.csv"],
        &["export", "--gateway", "-o", "x.csv"],
        &["fetch", "--orders", "orders.txt", "--orders-from", "in.csv"],
    ] {
        recibo(dir.path(), args, &env).assert_code(2);
    }
    assert_eq!(server.total_requests(), 0);
}

/// `fetch --db` upserts what the gateway answers into a store: the store then exports what
/// `fetch -o` writes, a rerun changes nothing, and a refund fetched again after its status
/// changed is updated in place. Neither the secret nor a token reaches the store.
#[test]
fn fetch_into_a_store_accumulates_and_updates() {
    let server = start_server();
    let dir = tempfile::tempdir().unwrap();
    let asked = [SEED_ORDER, "ORD-0001", "ORD-0002", "ORD-0003", "ORD-0005"];
    write(dir.path(), "orders.txt", &asked.join("\n"));
    let env = credentials(&server);
    let fetch = |summary: &str| {
        let run = recibo(
            dir.path(),
            &[
                "fetch",
                "--orders",
                "orders.txt",
                "--db",
                "sqlite:store.db",
                "--summary",
                summary,
            ],
            &env,
        );
        run.assert_code(0);
        let text = std::fs::read(dir.path().join(summary)).unwrap();
        serde_json::from_slice::<Value>(&text).unwrap()
    };
    let stored = || {
        recibo(
            dir.path(),
            &["export", "--db", "sqlite:store.db", "-o", "stored.jsonl"],
            &[],
        )
        .assert_code(0);
        let mut got = read_jsonl(&dir.path().join("stored.jsonl"));
        got.sort();
        got
    };

    let mut expected = expected_orders(&asked);
    expected.sort();
    for e in &expected {
        eprintln!("{} {} {}", e.transaction_id, e.transaction_type, e.order_id);
    }
    let first = fetch("first.json");
    assert_eq!(first["added"], expected.len() as u64, "{first}");
    assert_eq!(first["updated"], 0, "{first}");
    assert_eq!(first["transactions"], expected.len() as u64, "{first}");
    assert_eq!(first["orders_found"], asked.len() as u64, "{first}");
    assert_eq!(stored(), expected);

    let again = fetch("again.json");
    assert_eq!(
        (again["added"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(again["transactions"], expected.len() as u64, "{again}");

    // The seed refund (whose ID is its payment's, so the store keys rows by ID and type)
    // was still processing; now the gateway says it succeeded.
    let mut seed = server.order_data(SEED_ORDER).unwrap();
    seed["refundTransactions"][0]["status"] = "success".into();
    server.add_order(seed);
    let later = fetch("later.json");
    assert_eq!(
        (later["added"].as_u64(), later["updated"].as_u64()),
        (Some(0), Some(1)),
        "{later}"
    );
    let now = stored();
    assert_eq!(now.len(), expected.len());
    let refund = now
        .iter()
        .find(|e| e.transaction_id == SEED_REFUND_ID && e.transaction_type == "REFUND")
        .unwrap();
    assert_eq!(refund.status, "SUCCESS");
    assert_eq!(
        expected
            .iter()
            .find(|e| e.transaction_id == SEED_REFUND_ID && e.transaction_type == "REFUND")
            .unwrap()
            .status,
        "PROCESSING"
    );

    let bytes = std::fs::read(dir.path().join("store.db")).unwrap();
    assert_no_credentials("fetch --db", "store.db", &bytes);

    // One destination at a time; the store is named before the gateway is asked.
    let before = server.total_requests();
    let both = recibo(
        dir.path(),
        &[
            "fetch",
            "--orders",
            "orders.txt",
            "--db",
            "sqlite:store.db",
            "-o",
            "x.jsonl",
        ],
        &env,
    );
    both.assert_code(2);
    both.assert_stderr_has(&["not both"]);
    assert!(!dir.path().join("x.jsonl").exists());
    assert_eq!(server.total_requests(), before);
}
