//! `recibo serve` over real HTTP on 127.0.0.1: the binary is started on a free port and
//! asked the way a dashboard would. Served files are read back with readers that are not
//! recibo's own (pdftotext, the csv crate, Python's openpyxl), and expected values come
//! from the fixture text, the shipped message files and SHA-256, never from the server.

#[path = "support/gateway_server.rs"]
mod gateway_server;

use std::collections::BTreeSet;
mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

const TOKEN: &str = "serve-test-token-5f0c2a9e";
const OTHER_TOKEN: &str = "rotated-test-token-77d1b3c4";

const HEADER: &str = "customerId,acquirer,transactionId,originalTransactionId,transactionRequestId,\
referenceTransactionId,transactionType,paymentTime,transactionAmountValue,transactionCurrency,status,reason,\
orderDescription,paymentMethodType";

/// Two refunds of one payment (one failed), one of another payment, one outside October,
/// and a payment still processing with no refund.
const ROWS: &[&str] = &[
    "M100,Antom,2026100500001,,PREQ-1,ORDER-1,PAYMENT,2026-10-05T10:00:00+08:00,120.00,CNY,SUCCESS,,Espresso machine,ALIPAY_CN",
    "M100,Antom,2026102000042,2026100500001,RREQ-42,ORDER-1,REFUND,2026-10-20T09:30:00+08:00,-90.00,CNY,SUCCESS,Returned within 30 days,Espresso machine,ALIPAY_CN",
    "M100,Antom,2026102100043,2026100500001,RREQ-43,ORDER-1,REFUND,2026-10-21T09:30:00+08:00,-10.00,CNY,FAIL,Duplicate request,Espresso machine,ALIPAY_CN",
    "M200,Adyen,2026101000002,,PREQ-2,ORDER-2,PAYMENT,2026-10-10T12:00:00-03:00,250.00,BRL,SUCCESS,,Cesta de café,PIX",
    "M200,Adyen,2026102500044,2026101000002,RREQ-44,ORDER-2,REFUND,2026-10-25T15:00:00-03:00,-50.00,BRL,SUCCESS,Produto avariado,Cesta de café,PIX",
    "M300,Stripe,2026110300003,,PREQ-3,ORDER-3,PAYMENT,2026-11-03T08:00:00+00:00,30.00,USD,SUCCESS,,Mug,CARD",
    "M300,Stripe,2026110500045,2026110300003,RREQ-45,ORDER-3,REFUND,2026-11-05T08:00:00+00:00,-30.00,USD,SUCCESS,Changed mind,Mug,CARD",
    "M400,Antom,2026101500004,,PREQ-4,ORDER-4,PAYMENT,2026-10-15T08:00:00+00:00,75.00,USD,PROCESSING,,Teapot,CARD",
];

/// A refund added by the reload test.
const LATE_REFUND: &str = "M400,Antom,2026111000046,2026101500004,RREQ-46,ORDER-4,REFUND,2026-11-10T08:00:00+00:00,-75.00,USD,SUCCESS,Never shipped,Teapot,CARD";

fn fixture(rows: &[&str]) -> String {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text
}

/// A running `recibo serve` (see [`support::served::Served`]) and the requests these tests
/// send it.
struct Server(support::served::Served);

impl std::ops::Deref for Server {
    type Target = support::served::Served;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Server {
    /// Serves `fixture(ROWS)` from `data.csv` in a fresh folder.
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.csv"), fixture(ROWS)).unwrap();
        let mut args = vec!["-i", "data.csv"];
        args.extend_from_slice(extra);
        Server::start_in(dir, &args, &[("RECIBO_SERVE_TOKEN", TOKEN)])
    }

    /// Serves `rows` rows of `recibo sample --seed SEED` from `data.csv`, with `extra`.
    fn on_sample(rows: usize, seed: u64, extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (rows, seed) = (rows.to_string(), seed.to_string());
        let sample = Command::new(env!("CARGO_BIN_EXE_recibo"))
            .current_dir(dir.path())
            .args(["sample", "--rows", &rows, "--seed", &seed, "-o", "data.csv"])
            .output()
            .unwrap();
        assert!(
            sample.status.success(),
            "{}",
            String::from_utf8_lossy(&sample.stderr)
        );
        let mut args = vec!["-i", "data.csv"];
        args.extend_from_slice(extra);
        Server::start_in(dir, &args, &[("RECIBO_SERVE_TOKEN", TOKEN)])
    }

    fn start_in(dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Server {
        Server(support::served::Served::start(dir, args, env))
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -s {name}");
    }

    fn get(&self, path: &str) -> Reply {
        get(
            &self.url(path),
            &[("authorization", &format!("Bearer {TOKEN}"))],
        )
    }

    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let auth = format!("Bearer {TOKEN}");
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        get(&self.url(path), &all)
    }

    /// Polls `/healthz` until `check` holds (the server applies signals asynchronously).
    fn wait_for_health(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let health = get(&self.url("/healthz"), &[]).json();
            if check(&health) {
                return health;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; /healthz says {health}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
});

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
});

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    #[track_caller]
    fn assert_status(&self, status: u16) -> &Reply {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    /// An error answer: the status, a JSON body with `error` and `message`.
    #[track_caller]
    fn assert_error(&self, status: u16, code: &str) -> Value {
        self.assert_status(status);
        assert!(
            self.header("content-type").starts_with("application/json"),
            "{:?}",
            self.headers
        );
        let body = self.json();
        assert_eq!(body["error"], code, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        body
    }
}

async fn fetch(url: String, headers: Vec<(String, String)>) -> Reply {
    let mut request = CLIENT.get(&url);
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("GET {url} body: {e}"))
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn owned(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The code a command's JSON error log line carries (`--log-format json`), after exit 2.
fn cli_error_code(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_recibo"))
        .current_dir(dir)
        .args(args)
        .args(["--log-format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line: Value = stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|v: &Value| v["level"] == "ERROR")
        .unwrap_or_else(|| panic!("{args:?}: no JSON error line in {stderr}"));
    line["fields"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{args:?}: no code in {line}"))
        .to_string()
}

/// The same bad value gets the same code from the command line, a job file and HTTP, and
/// each names the setting in its own terms.
#[test]
fn a_bad_setting_has_one_code_in_every_front_end() {
    let server = Server::start(&[]);
    let dir = server.dir.path();
    // (setting: flag, query parameter, job file TOML that sets it, bad value, code)
    let cases: &[(&str, &str, &str, &str)] = &[
        ("--tz", "tz", "zone = \"Mars/Base\"", "Mars/Base"),
        (
            "--currency",
            "currency",
            "[filter]\ncurrency = [\"XYZ\"]",
            "XYZ",
        ),
        (
            "--columns",
            "columns",
            "[[export]]\npath = \"o.csv\"\ncolumns = \"nonsense\"",
            "nonsense",
        ),
        (
            "--header-lang",
            "header-lang",
            "[[export]]\npath = \"o.csv\"\nheader_lang = \"fr\"",
            "fr",
        ),
        (
            "--delimiter",
            "delimiter",
            "[[export]]\npath = \"o.csv\"\ndelimiter = \"ab\"",
            "ab",
        ),
        (
            "--format",
            "format",
            "[[export]]\npath = \"o.csv\"\nformat = \"pdf\"",
            "pdf",
        ),
    ];
    for (flag, parameter, job_toml, value) in cases {
        let cli = cli_error_code(
            dir,
            &["export", "-i", "data.csv", flag, value, "-o", "x.csv"],
        );
        let body = server
            .get(&format!("/v1/transactions/export?{parameter}={value}"))
            .assert_error(400, &cli);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{parameter}: ")),
            "{body}"
        );
        // A job file sets the same value under its own key; a job needs a window, a source
        // and an output, which the case may already give.
        let mut job = format!("window = \"yesterday\"\n{job_toml}\n");
        if !job_toml.starts_with("zone") {
            job = format!("zone = \"UTC\"\n{job}");
        }
        let head = job.find('[').unwrap_or(job.len());
        job.insert_str(head, "[source]\ninputs = [\"data.csv\"]\n");
        if !job.contains("[[export]]") {
            job.push_str("[[export]]\npath = \"o.csv\"\n");
        }
        std::fs::write(dir.join("job.toml"), &job).unwrap();
        let from_job = cli_error_code(dir, &["run", "job.toml"]);
        assert_eq!(from_job, cli, "{flag} and the job file: {job}");
    }
}

fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    RUNTIME.block_on(fetch(url.to_string(), owned(headers)))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `receipt-title` message of a language, from the shipped message files.
fn title(lang: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(lang)
        .join("receipt.ftl");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("receipt-title"))
        .and_then(|rest| rest.trim_start().strip_prefix('='))
        .map(|t| t.trim().to_string())
        .unwrap_or_else(|| panic!("{} has no receipt-title", path.display()))
}

fn pdftotext(dir: &Path, name: &str, pdf: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is needed (poppler-utils; tests/run.sh installs it)");
    assert!(
        out.status.success(),
        "pdftotext {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pdftotext may break lines anywhere; compare without whitespace.
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect()
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn receipts_in_each_language_by_any_of_the_refunds_ids() {
    let server = Server::start(&[]);
    for (lang, id, zone) in [
        ("en", "2026102000042", "UTC"),
        ("zh-CN", "RREQ-42", "Asia/Shanghai"),
        ("pt-BR", "2026102000042", "America/Sao_Paulo"),
    ] {
        let reply = server.get(&format!(
            "/v1/refunds/{id}/receipt.pdf?lang={lang}&tz={zone}"
        ));
        reply.assert_status(200);
        assert_eq!(reply.header("content-type"), "application/pdf");
        assert_eq!(reply.header("content-language"), lang);
        let disposition = reply.header("content-disposition");
        assert!(
            disposition.starts_with("attachment")
                && disposition.contains(&format!("2026102000042_{lang}.pdf")),
            "{disposition}"
        );
        assert_eq!(
            reply.header("etag"),
            format!("\"{}\"", sha256_hex(&reply.body))
        );
        assert!(reply.body.starts_with(b"%PDF-"));
        let text = pdftotext(server.dir.path(), &format!("{lang}.pdf"), &reply.body);
        assert!(
            text.contains(&squeeze(&title(lang))),
            "{lang}: no title {:?} in {text}",
            title(lang)
        );
        assert!(text.contains("2026102000042"), "{lang}: {text}");
        assert!(
            text.contains(zone),
            "{lang}: the receipt names its zone {zone}: {text}"
        );
    }

    // Without lang, Accept-Language decides; what it lists but is not offered is passed over.
    let reply = server.get_with(
        "/v1/refunds/ORDER-2/receipt.pdf",
        &[("accept-language", "fr-CH, pt-BR;q=0.8, en;q=0.5")],
    );
    reply.assert_status(200);
    assert_eq!(reply.header("content-language"), "pt-BR");
    assert!(reply.header("vary").contains("Accept-Language"));
    let text = pdftotext(server.dir.path(), "negotiated.pdf", &reply.body);
    assert!(text.contains(&squeeze(&title("pt-BR"))), "{text}");
    assert!(
        text.contains("2026102500044"),
        "ORDER-2 names its one refund: {text}"
    );

    // Nothing offered and no lang: English.
    let reply = server.get_with(
        "/v1/refunds/RREQ-44/receipt.pdf",
        &[("accept-language", "de, fr;q=0.9")],
    );
    reply.assert_status(200);
    assert_eq!(reply.header("content-language"), "en");
}

#[test]
fn etag_round_trip_and_the_same_bytes_while_the_data_is_unchanged() {
    let server = Server::start(&[]);
    let path = "/v1/refunds/RREQ-42/receipt.pdf?lang=zh-CN&tz=Asia/Shanghai";
    let first = server.get(path);
    first.assert_status(200);
    let etag = first.header("etag").to_string();
    assert_eq!(etag, format!("\"{}\"", sha256_hex(&first.body)));
    assert!(first.header("cache-control").contains("no-cache"));

    let again = server.get(path);
    assert_eq!(
        again.body, first.body,
        "a repeated request gets the same bytes"
    );
    // Another of the refund's IDs names the same receipt.
    let by_refund_id =
        server.get("/v1/refunds/2026102000042/receipt.pdf?lang=zh-CN&tz=Asia/Shanghai");
    assert_eq!(by_refund_id.body, first.body);

    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"nope\", {etag}"),
        "*".to_string(),
    ] {
        let cached = server.get_with(path, &[("if-none-match", &tag)]);
        cached.assert_status(304);
        assert!(cached.body.is_empty());
        assert_eq!(cached.header("etag"), etag, "If-None-Match: {tag}");
    }
    // A client holding the ETag, asking by another ID, also gets a 304 (after one render).
    server
        .get_with(
            "/v1/refunds/2026102000042/receipt.pdf?lang=zh-CN&tz=Asia/Shanghai",
            &[("if-none-match", &etag)],
        )
        .assert_status(304);

    let stale = server.get_with(path, &[("if-none-match", "\"0123\"")]);
    stale.assert_status(200);
    assert_eq!(stale.body, first.body);

    let other_zone = server.get("/v1/refunds/RREQ-42/receipt.pdf?lang=zh-CN&tz=UTC");
    other_zone.assert_status(200);
    assert_ne!(
        other_zone.header("etag"),
        etag,
        "another zone is another document"
    );
}

#[test]
fn error_statuses_have_json_bodies() {
    let server = Server::start(&[]);
    let body = server
        .get("/v1/refunds/NO-SUCH-ID/receipt.pdf")
        .assert_error(404, "not_found");
    assert!(body["message"].as_str().unwrap().contains("NO-SUCH-ID"));

    let body = server
        .get("/v1/refunds/2026102100043/receipt.pdf")
        .assert_error(409, "not_eligible");
    assert_eq!(body["type"], "REFUND");
    assert_eq!(body["status"], "FAIL");
    assert_eq!(body["transactionId"], "2026102100043");

    let body = server
        .get("/v1/refunds/ORDER-4/receipt.pdf")
        .assert_error(409, "not_a_refund");
    assert_eq!(body["type"], "PAYMENT");
    assert_eq!(body["status"], "PROCESSING");

    // ORDER-1 has two refunds: the server does not guess.
    let body = server
        .get("/v1/refunds/ORDER-1/receipt.pdf")
        .assert_error(409, "ambiguous_id");
    let listed: BTreeSet<&str> = body["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(listed, BTreeSet::from(["2026102000042", "2026102100043"]));

    let body = server
        .get("/v1/refunds/RREQ-42/receipt.pdf?lang=fr")
        .assert_error(400, "unsupported_language");
    assert!(
        body["supported"].as_array().is_some_and(|s| s.len() == 3),
        "{body}"
    );
    server
        .get("/v1/refunds/RREQ-42/receipt.pdf?lang=zh-TW")
        .assert_error(400, "unsupported_language");
    server
        .get("/v1/refunds/RREQ-42/receipt.pdf?tz=Mars/Olympus_Mons")
        .assert_error(400, "unsupported_time_zone");
    server
        .get("/v1/refunds/RREQ-42/receipt.pdf?lang=en&lang=pt")
        .assert_error(400, "bad_request");
    server
        .get("/v1/refunds/RREQ-42/receipt.pdf?format=png")
        .assert_error(400, "bad_request");

    // Settings refused with the code of their kind of mistake, as from the command line
    // and job files, and named as the query names them.
    let body = server
        .get("/v1/transactions/export?from=yesterday")
        .assert_error(400, "bad_time");
    assert!(
        body["message"].as_str().unwrap().starts_with("from: "),
        "{body}"
    );
    server
        .get("/v1/transactions/export?format=pdf")
        .assert_error(400, "unsupported_format");
    server
        .get("/v1/transactions/export?colums=default")
        .assert_error(400, "bad_request");
    // A column set may not be a path on the server.
    server
        .get("/v1/transactions/export?columns=/etc/passwd.toml")
        .assert_error(400, "bad_request");
    server
        .get("/v1/transactions?limit=0")
        .assert_error(400, "bad_request");
    server
        .get("/v1/nothing-here")
        .assert_error(404, "not_found");
    let long = format!("/v1/refunds/RREQ-42/receipt.pdf?tz={}", "x".repeat(9000));
    server.get(&long).assert_error(414, "uri_too_long");
}

#[test]
fn no_token_or_a_wrong_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), fixture(ROWS)).unwrap();
    std::fs::write(
        dir.path().join("tokens"),
        format!("# support dashboard\n{OTHER_TOKEN}\n"),
    )
    .unwrap();
    let server = Server::start_in(
        dir,
        &["-i", "data.csv", "--token-file", "tokens"],
        &[("RECIBO_SERVE_TOKEN", TOKEN)],
    );
    let path = "/v1/refunds/RREQ-42/receipt.pdf";
    for headers in [
        vec![],
        vec![("authorization", "Bearer wrong-token-000000000000")],
        vec![("authorization", &format!("Bearer {TOKEN}x") as &str)],
        vec![("authorization", &format!("Basic {TOKEN}") as &str)],
        vec![("authorization", TOKEN)],
    ] {
        let reply = get(&server.url(path), &headers);
        reply.assert_error(401, "unauthorized");
        assert!(
            reply.header("www-authenticate").starts_with("Bearer"),
            "{headers:?}"
        );
    }
    get(&server.url("/v1/transactions/export"), &[]).assert_error(401, "unauthorized");
    get(&server.url("/metrics"), &[]).assert_error(401, "unauthorized");
    get(&server.url("/healthz"), &[]).assert_status(200);
    // The environment's token and the file's both work.
    get(
        &server.url(path),
        &[("authorization", &format!("Bearer {TOKEN}"))],
    )
    .assert_status(200);
    get(
        &server.url(path),
        &[("authorization", &format!("bearer {OTHER_TOKEN}"))],
    )
    .assert_status(200);
    let log = server.log();
    assert!(log.contains("status=401"), "requests are logged: {log}");
    for secret in [TOKEN, OTHER_TOKEN, "wrong-token"] {
        assert!(!log.contains(secret), "a token reached the log");
    }
}

#[test]
fn renders_past_the_cap_get_503_with_retry_after() {
    let server = Server::start(&["--max-renders", "1", "--render-threads", "1"]);
    let auth = format!("Bearer {TOKEN}");
    let mut busy = None;
    for _ in 0..20 {
        let replies = RUNTIME.block_on(async {
            let tasks: Vec<_> = (0..16)
                .map(|i| {
                    let lang = ["en", "zh-CN", "pt-BR"][i % 3];
                    let url = server.url(&format!(
                        "/v1/refunds/RREQ-42/receipt.pdf?lang={lang}&tz=Etc/GMT-{}",
                        1 + i % 12
                    ));
                    tokio::spawn(fetch(url, owned(&[("authorization", &auth)])))
                })
                .collect();
            let mut replies = Vec::new();
            for t in tasks {
                replies.push(t.await.unwrap());
            }
            replies
        });
        for r in &replies {
            assert!(
                r.status == 200 || r.status == 503,
                "{}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
        busy = replies.into_iter().find(|r| r.status == 503);
        if busy.is_some() {
            break;
        }
    }
    let busy = busy.expect("16 receipts at once with room for one render: some must be refused");
    busy.assert_error(503, "busy");
    assert_eq!(busy.header("retry-after"), "1");
    let metrics = String::from_utf8(server.get("/metrics").body).unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("recibo_renders_rejected_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );
}

/// What `recibo export` writes for the same selection, to compare the HTTP export with.
fn cli_export(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_recibo"))
        .current_dir(dir)
        .args(["export", "-i", "data.csv", "-o", "-"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn csv_export_is_read_back_by_the_csv_crate_and_matches_the_cli() {
    let server = Server::start(&[]);
    let reply = server.get(
        "/v1/transactions/export?format=csv&columns=accounting&type=REFUND&from=2026-10-01&to=2026-11-01&tz=America/Sao_Paulo",
    );
    reply.assert_status(200);
    assert!(reply.header("content-type").starts_with("text/csv"));
    assert!(
        reply
            .header("content-disposition")
            .contains("transactions.csv")
    );

    let mut reader = csv::Reader::from_reader(reply.body.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} in {headers:?}"))
    };
    let (id, amount, currency) = (
        column("transactionId"),
        column("transactionAmountValue"),
        column("transactionCurrency"),
    );
    column("feeAmountValue");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (&r[id], &r[amount], &r[currency]))
        .collect();
    assert_eq!(
        got,
        [
            ("2026102000042", "-90.00", "CNY"),
            ("2026102100043", "-10.00", "CNY"),
            ("2026102500044", "-50.00", "BRL")
        ]
    );
    // One validation and one writer for both: the same bytes as the command line.
    let cli = cli_export(
        server.dir.path(),
        &[
            "--columns",
            "accounting",
            "--type",
            "REFUND",
            "--from",
            "2026-10-01",
            "--to",
            "2026-11-01",
            "--tz",
            "America/Sao_Paulo",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&reply.body),
        String::from_utf8_lossy(&cli)
    );

    // Lists by repetition or by commas; CSV options by name.
    let reply = server.get("/v1/transactions/export?currency=BRL&currency=USD&status=SUCCESS&columns=transactionId,transactionAmountValue&decimal-comma=true&bom=1");
    reply.assert_status(200);
    let text = String::from_utf8(reply.body.clone()).unwrap();
    assert!(text.starts_with('\u{feff}'), "bom");
    let cli = cli_export(
        server.dir.path(),
        &[
            "--currency",
            "BRL,USD",
            "--status",
            "SUCCESS",
            "--columns",
            "transactionId,transactionAmountValue",
            "--decimal-comma",
            "--bom",
        ],
    );
    assert_eq!(text, String::from_utf8(cli).unwrap());
    assert!(text.contains("2026102500044;-50,00"), "{text}");
}

#[test]
fn xlsx_export_is_read_back_by_openpyxl() {
    let server = Server::start(&[]);
    let reply = server.get("/v1/transactions/export?format=xlsx&columns=accounting&type=REFUND&from=2026-10-01&to=2026-11-01");
    reply.assert_status(200);
    assert_eq!(
        reply.header("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let path = server.dir.path().join("export.xlsx");
    std::fs::write(&path, &reply.body).unwrap();
    let script = "import json, sys\n\
try:\n    import openpyxl\n\
except ImportError:\n    sys.exit('openpyxl is needed: python3 -m pip install openpyxl (tests/run.sh installs it)')\n\
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)\n\
rows = [[c if isinstance(c, (int, float)) or c is None else str(c) for c in r] for r in wb.worksheets[0].iter_rows(values_only=True)]\n\
print(json.dumps(rows))\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 is needed");
    assert!(
        out.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).unwrap();
    let header: Vec<&str> = rows[0].iter().filter_map(Value::as_str).collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no {name} in {header:?}"))
    };
    let (id, amount) = (column("transactionId"), column("transactionAmountValue"));
    let got: Vec<(String, f64)> = rows[1..]
        .iter()
        .map(|r| {
            (
                r[id].as_str().unwrap().to_string(),
                r[amount].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2026102000042".to_string(), -90.0),
            ("2026102100043".to_string(), -10.0),
            ("2026102500044".to_string(), -50.0)
        ]
    );
}

#[test]
fn json_pages_walk_every_match_once() {
    let server = Server::start(&[]);
    let mut ids = Vec::new();
    let mut path = "/v1/transactions?type=REFUND&limit=2".to_string();
    let mut pages = 0;
    loop {
        let reply = server.get(&path);
        reply.assert_status(200);
        let page = reply.json();
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["transactionType"], "REFUND");
            ids.push(item["transactionId"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/v1/transactions?type=REFUND&limit=2&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 10, "the cursor does not advance");
    }
    assert_eq!(
        ids,
        [
            "2026102000042",
            "2026102100043",
            "2026102500044",
            "2026110500045"
        ]
    );
    assert_eq!(pages, 2);
    let one = server.get("/v1/transactions?id=RREQ-44").json();
    assert_eq!(one["items"][0]["amount"]["minor"], -5000);
    assert_eq!(one["items"][0]["amount"]["currency"], "BRL");
    server
        .get("/v1/transactions?cursor=banana")
        .assert_error(400, "bad_request");
}

#[test]
fn sighup_reloads_and_a_broken_file_keeps_the_old_data() {
    let server = Server::start(&[]);
    let data = server.dir.path().join("data.csv");
    let late = "/v1/refunds/RREQ-46/receipt.pdf";
    server.get(late).assert_error(404, "not_found");
    let before = server.get("/v1/refunds/RREQ-42/receipt.pdf");
    before.assert_status(200);
    let loaded_at =
        server.wait_for_health("the first load", |h| h["generation"] == 1)["loadedAt"].clone();

    // The same data again: nothing changes, not even the receipts' bytes.
    server.signal("HUP");
    let metrics_ok = |n: u32| {
        let text = String::from_utf8(server.get("/metrics").body).unwrap();
        text.contains(&format!("recibo_reloads_total{{result=\"ok\"}} {n}"))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !metrics_ok(1) {
        assert!(Instant::now() < deadline, "no reload: {}", server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        server.get("/v1/refunds/RREQ-42/receipt.pdf").body,
        before.body
    );
    assert_eq!(
        server.wait_for_health("generation 1 kept", |h| h["generation"] == 1)["loadedAt"],
        loaded_at
    );

    let mut rows = ROWS.to_vec();
    rows.push(LATE_REFUND);
    std::fs::write(&data, fixture(&rows)).unwrap();
    server.signal("HUP");
    let health = server.wait_for_health("generation 2", |h| h["generation"] == 2);
    assert_eq!(health["transactions"], ROWS.len() + 1);
    let added = server.get(late);
    added.assert_status(200);

    // A file the reader rejects: no transactionId column.
    std::fs::write(&data, "customerId,acquirer\nM1,Antom\n").unwrap();
    server.signal("HUP");
    server.wait_for_health("the failed reload", |h| h["lastReloadFailed"] == true);
    let health = server.wait_for_health("generation 2 kept", |h| h["generation"] == 2);
    assert_eq!(health["transactions"], ROWS.len() + 1);
    let kept = server.get(late);
    kept.assert_status(200);
    assert_eq!(
        kept.body, added.body,
        "the old data is still served, byte for byte"
    );
    let metrics = String::from_utf8(server.get("/metrics").body).unwrap();
    assert!(
        metrics.contains("recibo_reloads_total{result=\"error\"} 1"),
        "{metrics}"
    );
    assert!(server.log().contains("reload failed"), "{}", server.log());
}

#[test]
fn healthz_and_metrics() {
    let server = Server::start(&[]);
    let health = get(&server.url("/healthz"), &[]);
    health.assert_status(200);
    let health = health.json();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["transactions"], ROWS.len());

    server
        .get("/v1/refunds/RREQ-42/receipt.pdf?lang=pt-BR")
        .assert_status(200);
    server
        .get("/v1/refunds/NO-SUCH-ID/receipt.pdf")
        .assert_status(404);
    let reply = server.get("/metrics");
    reply.assert_status(200);
    assert!(reply.header("content-type").starts_with("text/plain"));
    let text = String::from_utf8(reply.body).unwrap();
    for line in [
        "recibo_http_requests_total{route=\"/v1/refunds/{id}/receipt.pdf\",status=\"200\"} 1",
        "recibo_http_requests_total{route=\"/v1/refunds/{id}/receipt.pdf\",status=\"404\"} 1",
        "recibo_http_requests_total{route=\"/healthz\",status=\"200\"} 1",
        "recibo_receipts_rendered_total{lang=\"pt-BR\"} 1",
        "recibo_render_duration_seconds_count 1",
        "recibo_render_duration_seconds_bucket{le=\"+Inf\"} 1",
        "# TYPE recibo_render_duration_seconds histogram",
        "recibo_transactions 8",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in\n{text}"
        );
    }
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let mut server = Server::on_sample(5_000, 5, &[]);
    let url = server.url("/v1/transactions/export?format=xlsx&columns=all");
    let export = RUNTIME.spawn(fetch(
        url,
        owned(&[("authorization", &format!("Bearer {TOKEN}"))]),
    ));
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    let reply = RUNTIME.block_on(export).unwrap();
    reply.assert_status(200);
    assert!(reply.body.starts_with(b"PK"), "a whole XLSX (a ZIP)");

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.0.exited() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running after SIGTERM: {}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit {status:?}: {}", server.log());
    // New connections are refused once it stopped.
    assert!(std::net::TcpStream::connect(server.base.trim_start_matches("http://")).is_err());
}

#[test]
fn receipts_from_the_gateway_with_a_cache() {
    let gateway = gateway_server::GatewayServer::start();
    let dir = tempfile::tempdir().unwrap();
    let base = gateway.base_url().to_string();
    let server = Server::start_in(
        dir,
        &["--gateway"],
        &[
            ("RECIBO_SERVE_TOKEN", TOKEN),
            ("RECIBO_GATEWAY_URL", &base),
            ("RECIBO_PARTNER_CODE", gateway_server::TEST_PARTNER),
            ("RECIBO_API_KEY", gateway_server::TEST_API_KEY),
            ("RECIBO_SECRET_KEY", gateway_server::TEST_SECRET),
        ],
    );
    // Generated order 3's second refund succeeded (see the fake's STATUSES).
    let refund = gateway_server::generated_refund_id(3, 1);
    let en = server.get(&format!("/v1/refunds/{refund}/receipt.pdf?lang=en"));
    en.assert_status(200);
    let text = pdftotext(server.dir.path(), "gateway.pdf", &en.body);
    assert!(
        text.contains(&squeeze(&title("en"))) && text.contains(&refund),
        "{text}"
    );
    let again = server.get(&format!("/v1/refunds/{refund}/receipt.pdf?lang=en"));
    assert_eq!(
        again.body, en.body,
        "the same bytes while the gateway's data is unchanged"
    );
    server
        .get(&format!("/v1/refunds/{refund}/receipt.pdf?lang=zh-CN"))
        .assert_status(200);
    assert_eq!(
        gateway.refund_requests(&refund),
        1,
        "later requests are answered from the cache"
    );

    // The documentation's example refund is still processing.
    let body = server
        .get(&format!(
            "/v1/refunds/{}/receipt.pdf",
            gateway_server::SEED_REFUND_ORIGINAL_ID
        ))
        .assert_error(409, "not_eligible");
    assert_eq!(body["type"], "REFUND");
    server
        .get("/v1/refunds/RF99999999/receipt.pdf")
        .assert_error(404, "not_found");
    // Without report files there is nothing to export.
    server
        .get("/v1/transactions/export")
        .assert_error(501, "no_report_files");
}

/// The same ID asked of `recibo receipt --gateway` and of `serve --gateway` finds the same
/// refund or the same refusal, with the same message: one lookup behind both.
#[test]
fn one_refund_lookup_for_the_command_line_and_the_server() {
    let gateway = gateway_server::GatewayServer::start();
    let base = gateway.base_url().to_string();
    let env = [
        ("RECIBO_SERVE_TOKEN", TOKEN),
        ("RECIBO_GATEWAY_URL", base.as_str()),
        ("RECIBO_PARTNER_CODE", gateway_server::TEST_PARTNER),
        ("RECIBO_API_KEY", gateway_server::TEST_API_KEY),
        ("RECIBO_SECRET_KEY", gateway_server::TEST_SECRET),
    ];
    let server = Server::start_in(tempfile::tempdir().unwrap(), &["--gateway"], &env);
    let succeeded = gateway_server::generated_refund_id(3, 1);
    // (ID, HTTP status, error code, exit code of `recibo receipt`)
    let cases = [
        // A refund ID, and the partner's request ID of the same refund.
        (succeeded.as_str(), 200, "", 0),
        ("req-3-1", 200, "", 0),
        // An order with one refund, still processing.
        ("ORD-0001", 409, "not_eligible", 1),
        // An order with three refunds: which one is meant?
        ("ORD-0003", 409, "ambiguous_id", 2),
        // An order without refunds: its payment.
        ("ORD-0004", 409, "not_a_refund", 1),
        ("RF-NO-SUCH", 404, "not_found", 2),
    ];
    for (id, status, code, exit) in cases {
        let reply = server.get(&format!("/v1/refunds/{id}/receipt.pdf"));
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_recibo"));
        command
            .current_dir(dir.path())
            .args(["receipt", "--gateway", id, "-o", "one.pdf"])
            .env_remove("RECIBO_GATEWAY_CONFIG")
            .stdin(Stdio::null());
        for (k, v) in &env {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(exit), "{id}: {stderr}");
        if status == 200 {
            reply.assert_status(200);
            let cli = std::fs::read(dir.path().join("one.pdf")).unwrap();
            let http = pdftotext(server.dir.path(), "http.pdf", &reply.body);
            let cli = pdftotext(server.dir.path(), "cli.pdf", &cli);
            assert!(
                http.contains(&succeeded) && cli.contains(&succeeded),
                "{id}"
            );
            continue;
        }
        let body = reply.assert_error(status, code);
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(id), "{id}: {message}");
        assert!(
            stderr.contains(message),
            "{id}: the command line says {stderr:?}, the server {message:?}"
        );
        assert!(!dir.path().join("one.pdf").exists(), "{id}");
    }
    assert_eq!(
        body_of(&server, "ORD-0003")["refunds"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let payment = body_of(&server, "ORD-0004");
    assert_eq!(payment["type"], "PAYMENT");
    assert_eq!(
        payment["transactionId"],
        gateway_server::generated_payment_id(4)
    );
}

fn body_of(server: &Server, id: &str) -> Value {
    server.get(&format!("/v1/refunds/{id}/receipt.pdf")).json()
}

#[test]
fn refuses_to_start_without_a_token_or_with_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), fixture(ROWS)).unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_recibo"));
        c.current_dir(dir.path())
            .arg("serve")
            .args(args)
            .env_remove("RECIBO_SERVE_TOKEN");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.stdin(Stdio::null()).output().unwrap();
        let mut err = String::new();
        out.stderr.as_slice().read_to_string(&mut err).unwrap();
        (out.status.code(), err)
    };
    let (code, err) = run(&["-i", "data.csv", "--listen", "127.0.0.1:0"], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("RECIBO_SERVE_TOKEN"), "{err}");
    let (code, err) = run(
        &["-i", "data.csv", "--listen", "127.0.0.1:0"],
        &[("RECIBO_SERVE_TOKEN", "short")],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("at least 16") && !err.contains("short\n"),
        "{err}"
    );
    let (code, err) = run(
        &["-i", "-", "--listen", "127.0.0.1:0"],
        &[("RECIBO_SERVE_TOKEN", TOKEN)],
    );
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = run(
        &["--listen", "127.0.0.1:0"],
        &[("RECIBO_SERVE_TOKEN", TOKEN)],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nothing to serve"), "{err}");
}

/// Reads an HTTP/1.1 response head from `stream`, returning the status line.
fn read_head(stream: &mut std::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "the head ended early");
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn a_client_that_stops_reading_loses_its_export_slot_and_one_client_cannot_take_them_all() {
    use std::io::Write;
    // Large enough that an export fills the socket buffers and the chunks in flight.
    let server = Server::on_sample(
        60_000,
        3,
        &[
            "--max-exports",
            "2",
            "--max-exports-per-client",
            "1",
            "--send-timeout",
            "1",
        ],
    );
    let auth = format!("Bearer {TOKEN}");
    let address = server.base.trim_start_matches("http://").to_string();
    // A client that asks for an export, takes the head, and stops reading.
    let mut stalled = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stalled,
        "GET /v1/transactions/export?columns=reference HTTP/1.1\r\nHost: {address}\r\nAuthorization: {auth}\r\n\r\n"
    )
    .unwrap();
    let status = read_head(&mut stalled);
    assert!(status.contains(" 200 "), "{status}");

    // While it holds its export, the same address gets no second one.
    let export = server.url("/v1/transactions/export?columns=reference");
    let refused = get(&export, &[("authorization", &auth)]);
    let body = refused.assert_error(503, "busy");
    assert!(body.to_string().contains("this client"), "{body}");

    // Past the send timeout the stalled export gives up and frees the client's slot, though
    // the connection stays open.
    let started = Instant::now();
    loop {
        let reply = get(&export, &[("authorization", &auth)]);
        if reply.status == 200 {
            assert!(reply.body.len() > 1_000_000, "a whole export");
            break;
        }
        reply.assert_error(503, "busy");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the stalled export still holds its slot"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Read on, the stalled body ends in an aborted transfer, never a complete-looking file.
    stalled
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    assert!(
        !rest.ends_with(b"0\r\n\r\n"),
        "an export cut short ended as a complete chunked body"
    );
    assert!(server.log().contains("took no data"), "{}", server.log());
}

#[test]
fn a_client_that_reads_slowly_but_steadily_gets_the_whole_export() {
    use std::io::Write;
    let server = Server::on_sample(40_000, 4, &["--send-timeout", "2"]);
    let auth = format!("Bearer {TOKEN}");
    let export = server.url("/v1/transactions/export?columns=reference");
    let whole = get(&export, &[("authorization", &auth)]);
    assert_eq!(whole.status, 200);

    assert!(whole.body.len() > 2_000_000, "{} bytes", whole.body.len());
    // About 200 KB/s for 4 s: far slower than the export is written, so the writer waits
    // on this client the whole time, but it never goes two seconds without taking data.
    let address = server.base.trim_start_matches("http://").to_string();
    let mut slow = std::net::TcpStream::connect(&address).unwrap();
    write!(
        slow,
        "GET /v1/transactions/export?columns=reference HTTP/1.1\r\nHost: {address}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        let n = slow.read(&mut buf).unwrap();
        assert!(n > 0, "the export ended early");
        received.extend_from_slice(&buf[..n]);
        std::thread::sleep(Duration::from_millis(80));
    }
    slow.read_to_end(&mut received).unwrap();
    assert!(
        received.ends_with(b"0\r\n\r\n"),
        "the slow client's export was cut off: {}",
        server.log()
    );
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(received[..head_end].starts_with(b"HTTP/1.1 200"));
    assert_eq!(
        dechunk(&received[head_end..]),
        whole.body,
        "the same bytes, slowly"
    );
    assert!(!server.log().contains("took no data"), "{}", server.log());
}

#[test]
fn a_zip_download_the_client_leaves_ends_quietly_in_the_log() {
    use std::io::Write;
    let server = Server::on_sample(5_000, 5, &["--log-format", "json"]);
    let address = server.base.trim_start_matches("http://").to_string();
    let mut leaving = std::net::TcpStream::connect(&address).unwrap();
    write!(
        leaving,
        "GET /v1/receipts.zip?lang=en,zh-CN,pt-BR HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    )
    .unwrap();
    let status = read_head(&mut leaving);
    assert!(status.contains(" 200 "), "{status}");
    drop(leaving);
    // The archive stops at its next write; wait for the server to say so.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.log().contains("/v1/receipts.zip") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    let log = server.log();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "a line of the JSON log is not JSON: {line}"
        );
    }
    assert!(!log.contains("ZipWriter"), "{log}");
    // A client leaving is no failure of the server's.
    assert!(!log.contains("\"WARN\""), "{log}");
}

/// The payload of a chunked HTTP/1.1 body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line]).unwrap().trim(), 16).unwrap();
        body = &body[line + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

/// A store loaded with `rows`: a file in `dir`, or a fresh database on the test
/// PostgreSQL server (`RECIBO_TEST_PG_URL`, started by tests/run.sh).
fn store_with(dir: &Path, postgres: bool, rows: &[&str]) -> String {
    let url = if postgres {
        let server = std::env::var("RECIBO_TEST_PG_URL").unwrap_or_else(|_| {
            panic!("RECIBO_TEST_PG_URL is not set: run the suite with tests/run.sh, which starts PostgreSQL")
        });
        let name = format!("serve_{}", std::process::id());
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, query) = server.split_once('?').unwrap_or((&server, ""));
        let slash = base.rfind('/').unwrap();
        format!("{}/{name}?{query}", &base[..slash])
    } else {
        format!("sqlite:{}", dir.join("store.db").display())
    };
    import_rows(dir, &url, rows);
    url
}

fn import_rows(dir: &Path, url: &str, rows: &[&str]) {
    std::fs::write(dir.join("import.csv"), fixture(rows)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_recibo"))
        .current_dir(dir)
        .args(["import", "-i", "import.csv", "--db", url])
        .env_remove("RECIBO_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sorted_lines(body: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(body)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn a_server_on_a_store_answers_as_one_on_its_files(postgres: bool) {
    let files = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let url = store_with(dir.path(), postgres, ROWS);
    let store = Server::start_in(dir, &["--db", &url], &[("RECIBO_SERVE_TOKEN", TOKEN)]);

    // Every kind of ID, and every answer: a receipt, a refusal, an unknown ID.
    for id in [
        "2026102000042", // refund ID
        "RREQ-44",       // refund request ID
        "ORDER-3",       // merchant order, one refund
        "2026100500001", // a payment with two refunds
        "ORDER-1",       // an order with a payment and two refunds
        "2026102100043", // a failed refund
        "2026101500004", // a payment without refunds
        "2026111000046", // not imported yet
    ] {
        let path = format!("/v1/refunds/{id}/receipt.pdf?lang=pt-BR&tz=America/Sao_Paulo");
        let (a, b) = (files.get(&path), store.get(&path));
        assert_eq!(
            a.status,
            b.status,
            "{id}: {}",
            String::from_utf8_lossy(&b.body)
        );
        if a.status == 200 {
            let text = |server: &Server, name: &str, pdf: &[u8]| {
                // The generation time differs (load time, the row's change time); the rest
                // of the receipt does not.
                let text = pdftotext(server.dir.path(), name, pdf);
                let start = text.find("Geradoem").expect("a generation time");
                let end = start + text[start..].find(')').expect("its zone") + 1;
                format!("{}{}", &text[..start], &text[end..])
            };
            assert_eq!(
                text(&files, "a.pdf", &a.body),
                text(&store, "b.pdf", &b.body),
                "{id}"
            );
            // Stable for its ETag until its rows change.
            let again = store.get(&path);
            assert_eq!(again.body, b.body, "{id}");
            let etag = b.header("etag").to_string();
            store
                .get_with(&path, &[("if-none-match", &etag)])
                .assert_status(304);
        } else {
            assert_eq!(a.json()["error"], b.json()["error"], "{id}");
        }
    }

    // An import is seen by the next request, with no reload.
    import_rows(store.dir.path(), &url, &[LATE_REFUND]);
    store
        .get("/v1/refunds/RREQ-46/receipt.pdf")
        .assert_status(200);

    // Exports and listings: the same rows (a store reads in payment time order).
    let mut all = ROWS.to_vec();
    all.push(LATE_REFUND);
    let files = {
        std::fs::write(files.dir.path().join("data.csv"), fixture(&all)).unwrap();
        files.signal("HUP");
        files.wait_for_health("the late refund", |h| h["transactions"] == all.len());
        files
    };
    for query in [
        "format=csv&columns=all",
        "format=jsonl&type=REFUND&status=SUCCESS",
        "format=csv&columns=transactionId,paymentTime&tz=Asia/Shanghai&from=2026-10-10&to=2026-11-04",
        "format=csv&id=ORDER-1",
    ] {
        let path = format!("/v1/transactions/export?{query}");
        let (a, b) = (files.get(&path), store.get(&path));
        a.assert_status(200);
        b.assert_status(200);
        assert_eq!(sorted_lines(&a.body), sorted_lines(&b.body), "{query}");
        assert!(sorted_lines(&b.body).len() > 1, "{query} selects something");
    }
    // Every receipt of a view as one ZIP, from either: the same files, each as its
    // manifest line says, and the failed refund listed as skipped.
    let path = "/v1/receipts.zip?type=REFUND&lang=en,pt-BR";
    let (a, b) = (files.get(path), store.get(path));
    a.assert_status(200);
    b.assert_status(200);
    assert_eq!(b.header("content-type"), "application/zip");
    let from_files = unzipped(files.dir.path(), &a.body);
    let from_store = unzipped(store.dir.path(), &b.body);
    let names =
        |entries: &[(String, Vec<u8>)]| entries.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&from_files), names(&from_store));
    let refunds: Vec<&str> = all
        .iter()
        .filter(|row| row.contains(",REFUND,") && row.contains(",SUCCESS,"))
        .map(|row| row.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(
        from_store.len(),
        refunds.len() * 2 + 1,
        "{:?}",
        names(&from_store)
    );
    let (last, manifest) = from_store.last().unwrap();
    assert_eq!(last, "manifest.csv");
    let mut lines = csv::Reader::from_reader(manifest.as_slice());
    let mut written = 0;
    for line in lines.records() {
        let line = line.unwrap();
        if &line[5] == "skipped" {
            assert_eq!(&line[0], "2026102100043");
            continue;
        }
        let (_, pdf) = from_store.iter().find(|(n, _)| n == &line[2]).unwrap();
        assert_eq!(sha256_hex(pdf), &line[4], "{}", &line[2]);
        assert!(refunds.contains(&&line[0]), "{}", &line[0]);
        written += 1;
    }
    assert_eq!(written, refunds.len() * 2);

    let mut seen = Vec::new();
    let mut cursor = String::new();
    for _ in 0..10 {
        let page = store
            .get(&format!("/v1/transactions?limit=3&cursor={cursor}"))
            .json();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["transactionId"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (seen.len(), unique.len()),
        (all.len(), all.len()),
        "{seen:?}"
    );
    store
        .get("/v1/transactions?cursor=s12.zz")
        .assert_error(400, "bad_request");
}

/// A ZIP's entries in order, read by `unzip`.
fn unzipped(dir: &Path, zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let path = dir.join("unzipped.zip");
    std::fs::write(&path, zip).unwrap();
    let list = Command::new("unzip")
        .arg("-Z1")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(|name| {
            let entry = Command::new("unzip")
                .arg("-p")
                .arg(&path)
                .arg(name)
                .output()
                .unwrap();
            assert!(entry.status.success(), "{name}");
            (name.to_string(), entry.stdout)
        })
        .collect()
}

#[test]
fn a_server_on_a_sqlite_store_answers_as_one_on_its_files() {
    a_server_on_a_store_answers_as_one_on_its_files(false);
}

#[test]
fn a_server_on_a_postgres_store_answers_as_one_on_its_files() {
    a_server_on_a_store_answers_as_one_on_its_files(true);
}

/// What zbarimg reads from a PDF's first page rendered at 150 dpi.
fn qr_of(dir: &Path, name: &str, pdf: &[u8]) -> Vec<String> {
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    let png = dir.join(name);
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&file)
        .arg(&png)
        .status()
        .expect("pdftoppm (poppler-utils) is installed by tests/run.sh");
    assert!(status.success());
    let out = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(png.with_extension("png"))
        .output()
        .expect("zbarimg (zbar-tools) is installed by tests/run.sh");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

const RECEIPT_KEY: &str = "serve-receipt-key-0123456789abcdef";

/// `brand.toml` in `dir`: a template whose receipts carry a QR code of their check's URL.
fn write_verifying_template(dir: &Path) {
    std::fs::write(
        dir.join("brand.toml"),
        "issuer = \"Acme Issuer Ltd.\"\nverify_url = \"https://receipts.example.com/v/{code}\"\n",
    )
    .unwrap();
}

/// The verification code in the QR code of `refund`'s English receipt, as a phone reads it.
fn scanned_code(server: &Server, refund: &str) -> String {
    let pdf = server.get(&format!("/v1/refunds/{refund}/receipt.pdf?lang=en"));
    assert_eq!(pdf.status, 200);
    let urls = qr_of(server.dir.path(), refund, &pdf.body);
    assert_eq!(urls.len(), 1, "{urls:?}");
    urls[0]
        .strip_prefix("https://receipts.example.com/v/")
        .expect("the template's URL")
        .to_string()
}

#[test]
fn a_scanned_receipt_code_opens_its_check_without_a_token_and_guessing_is_stopped() {
    let key = RECEIPT_KEY;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), fixture(ROWS)).unwrap();
    write_verifying_template(dir.path());
    let server = Server::start_in(
        dir,
        &["-i", "data.csv", "--template", "brand.toml"],
        &[("RECIBO_SERVE_TOKEN", TOKEN), ("RECIBO_RECEIPT_KEY", key)],
    );
    let code = scanned_code(&server, "2026102000042");

    // JSON, with no token: what the customer needs, and nothing more.
    let check = get(&server.url(&format!("/v1/receipts/{code}")), &[]);
    assert_eq!(
        check.status,
        200,
        "{}",
        String::from_utf8_lossy(&check.body)
    );
    let body = check.json();
    assert_eq!(body["refundId"], "2026102000042");
    assert_eq!(body["amount"], "90.00");
    assert_eq!(body["currency"], "CNY");
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["refundedAt"], "2026-10-20T01:30:00Z");
    assert_eq!(body.as_object().unwrap().len(), 6, "{body}");
    assert_eq!(check.header("cache-control"), "no-store");

    // The page, in the reader's language, with no script allowed.
    let page = get(
        &server.url(&format!("/v/{code}")),
        &[("accept-language", "pt-BR,pt;q=0.9")],
    );
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(
        html.contains("lang=\"pt-BR\"") && html.contains("2026102000042"),
        "{html}"
    );
    assert!(html.contains("autêntico"), "{html}");
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(!html.contains("<script"));

    // Unknown, malformed and another refund's altered code all get the same 404.
    let mut altered = code.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'a' { 'b' } else { 'a' });
    let answers: Vec<(u16, Vec<u8>)> = [
        altered.as_str(),
        "abc",
        "2026102000042",
        "AAAAAAAAAAAAAAAAAAAAAAAA",
    ]
    .iter()
    .map(|c| {
        let r = get(&server.url(&format!("/v1/receipts/{c}")), &[]);
        (r.status, r.body)
    })
    .collect();
    for answer in &answers {
        assert_eq!(answer, &answers[0]);
    }
    assert_eq!(answers[0].0, 404);
    // The code never reaches the log, not even in a path no route matches.
    assert_eq!(get(&server.url(&format!("/v/{code}/x")), &[]).status, 404);
    assert!(!server.log().contains(&code), "{}", server.log());

    // Guessing is stopped: the window's lookups are used up (6 so far; the unmatched path
    // was no lookup).
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let r = get(&server.url(&format!("/v1/receipts/{altered}")), &[]);
        statuses.push((r.status, r.header("retry-after").to_string()));
    }
    let limited: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(limited.len(), 6, "{statuses:?}");
    assert!(
        limited
            .iter()
            .all(|(_, wait)| wait.parse::<u64>().is_ok_and(|w| w >= 1))
    );
    assert_eq!(
        get(&server.url(&format!("/v/{code}")), &[]).status,
        429,
        "the page shares the window"
    );
}

fn a_store_backed_server_answers_the_codes_its_receipts_carry(postgres: bool) {
    let key = RECEIPT_KEY;
    let dir = tempfile::tempdir().unwrap();
    let url = store_with(dir.path(), postgres, ROWS);
    write_verifying_template(dir.path());
    let server = Server::start_in(
        dir,
        &["--db", &url, "--template", "brand.toml"],
        &[("RECIBO_SERVE_TOKEN", TOKEN), ("RECIBO_RECEIPT_KEY", key)],
    );
    assert!(
        !server.log().contains("every code gets 404"),
        "{}",
        server.log()
    );
    for (refund, amount) in [("2026102000042", "90.00"), ("2026102500044", "50.00")] {
        let code = scanned_code(&server, refund);
        let check = get(&server.url(&format!("/v1/receipts/{code}")), &[]);
        assert_eq!(
            check.status,
            200,
            "{}",
            String::from_utf8_lossy(&check.body)
        );
        let body = check.json();
        assert_eq!(body["refundId"], refund);
        assert_eq!(body["amount"], amount);
        assert_eq!(body["status"], "SUCCESS");
        let page = get(&server.url(&format!("/v/{code}")), &[]);
        assert_eq!(page.status, 200);
        assert!(String::from_utf8_lossy(&page.body).contains(refund));
    }
    // A code no refund has gets 404, and the log never shows it.
    let unknown = get(&server.url("/v1/receipts/aaaaaaaaaaaaaaaaaaaaaaaa"), &[]);
    assert_eq!(unknown.status, 404);
    assert!(!server.log().contains("aaaaaaaaaaaaaaaaaaaaaaaa"));
}

#[test]
fn a_sqlite_backed_server_answers_the_codes_its_receipts_carry() {
    a_store_backed_server_answers_the_codes_its_receipts_carry(false);
}

#[test]
fn a_postgres_backed_server_answers_the_codes_its_receipts_carry() {
    a_store_backed_server_answers_the_codes_its_receipts_carry(true);
}

#[test]
fn a_receipt_request_may_choose_among_the_served_templates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data.csv"), fixture(ROWS)).unwrap();
    std::fs::write(
        dir.path().join("first.toml"),
        "issuer = \"First Issuer Ltd.\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("second.toml"),
        "issuer = \"Second Issuer S.A.\"\n",
    )
    .unwrap();
    let server = Server::start_in(
        dir,
        &[
            "-i",
            "data.csv",
            "--template",
            "first.toml",
            "--template",
            "second.toml",
        ],
        &[("RECIBO_SERVE_TOKEN", TOKEN)],
    );
    let path = "/v1/refunds/2026102000042/receipt.pdf?lang=en";
    let first = server.get(path);
    let second = server.get(&format!("{path}&template=second"));
    let plain = server.get(&format!("{path}&template=default"));
    for reply in [&first, &second, &plain] {
        assert_eq!(reply.status, 200);
    }
    let text = |name: &str, r: &Reply| squeeze(&pdftotext(server.dir.path(), name, &r.body));
    assert!(text("first", &first).contains("FirstIssuerLtd."));
    let chosen = text("second", &second);
    assert!(chosen.contains("SecondIssuerS.A.") && !chosen.contains("FirstIssuer"));
    assert!(!text("plain", &plain).contains("Issuer"));
    // Each template's receipt has its own ETag: a client holding one never gets a 304 for
    // another.
    assert_ne!(first.header("etag"), second.header("etag"));
    let cached = server.get_with(
        &format!("{path}&template=second"),
        &[("if-none-match", first.header("etag"))],
    );
    assert_eq!(cached.status, 200);
    let unknown = server.get(&format!("{path}&template=third"));
    assert_eq!(unknown.status, 400);
    let body = unknown.json();
    assert_eq!(
        body["supported"],
        serde_json::json!(["default", "first", "second"]),
        "{body}"
    );
}

#[test]
fn a_served_receipt_is_signed_when_the_server_has_a_signer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("data.csv"), fixture(ROWS)).unwrap();
    // A self-signed signer, valid from now: served receipts are dated when they are asked for.
    let openssl = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=recibo serve test",
            "-keyout",
            "signer.key",
            "-out",
            "signer.pem",
        ])
        .current_dir(d)
        .output()
        .expect("openssl runs (tests/run.sh installs it)");
    assert!(openssl.status.success(), "{openssl:?}");
    let server = Server::start_in(
        dir,
        &[
            "-i",
            "data.csv",
            "--sign-key",
            "signer.key",
            "--sign-cert",
            "signer.pem",
        ],
        &[("RECIBO_SERVE_TOKEN", TOKEN)],
    );
    let reply = server.get("/v1/refunds/2026102000042/receipt.pdf?lang=pt-BR");
    assert_eq!(reply.status, 200);
    std::fs::write(server.dir.path().join("served.pdf"), &reply.body).unwrap();
    // pyHanko, trusting the self-signed certificate itself.
    let script = r#"
import sys
from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
root = x509.Certificate.load(pem.unarmor(open(sys.argv[1], 'rb').read())[2])
with open(sys.argv[2], 'rb') as f:
    signature = PdfFileReader(f).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
    print(status.intact, status.valid, status.trusted, status.coverage.name)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, "signer.pem", "served.pdf"])
        .current_dir(server.dir.path())
        .output()
        .expect("python3 runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "True True True ENTIRE_FILE",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
