//! The web pages of `recibo serve` (sign-in, transactions, search, a transaction's page,
//! exports and receipt archives), checked two ways:
//!
//! - in a real browser: `tests/web/browser.py` drives Debian's headless Chromium through
//!   chromedriver against a server it starts on the fixture written here, and reads what the
//!   pages download with Python's `csv`, `zipfile`, openpyxl and `pdftotext`;
//! - over plain HTTP here, for what a browser hides: status codes, the session cookie's
//!   attributes, the Content-Security-Policy header, method rules, rate limits, page weight
//!   and what reaches the server's log.
//!
//! Expected values come from the fixture text below, the shipped message files and
//! `recibo columns`' labels, never from the pages themselves.

mod support;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TOKEN: &str = "web-test-token-3b9d41c7e2a8";
/// A wrong token that looks like a real one, so a log that printed presented tokens would show it.
const WRONG_TOKEN: &str = "web-wrong-token-8c1f0e6a5d27";

/// The gateway report's columns the fixture fills (`recibo columns` lists them all).
const HEADER: [&str; 16] = [
    "customerId",
    "acquirer",
    "acquirerReferenceNo",
    "transactionId",
    "originalTransactionId",
    "transactionRequestId",
    "referenceTransactionId",
    "orderId",
    "transactionType",
    "paymentTime",
    "transactionAmountValue",
    "transactionCurrency",
    "status",
    "reason",
    "orderDescription",
    "paymentMethodType",
];

/// The payment with two refunds, one successful and one failed.
const PAYMENT: &str = "2026100500001";
const REFUND_OK: &str = "2026102000042";
const REFUND_FAILED: &str = "2026102100043";
/// A BRL payment and its refund.
const PAYMENT_BRL: &str = "2026101000002";
const REFUND_BRL: &str = "2026102500044";
/// A USD payment with two successful refunds whose descriptions are hostile.
const PAYMENT_USD: &str = "2026103000003";
const REFUND_SCRIPT: &str = "2026110100045";
const REFUND_FORMULA: &str = "2026110500046";
/// A payment still processing, with no refund.
const PROCESSING: &str = "2026101500004";
/// Merchant order ID the first payment and both its refunds carry.
const SHARED_ORDER: &str = "ORDER-1";

/// Markup a page must show as text and never run.
const SCRIPT_TEXT: &str = r#"<script>window.__pwned=1</script> Mug "Deluxe""#;
const FORMULA_TEXT: &str =
    r#"=HYPERLINK("http://evil.invalid/","<img src=x onerror="window.__pwned=1">")"#;

/// Payments generated so that the table needs three pages of 50.
const GENERATED: usize = 120;

/// The hand-written rows, the cases the pages must get right: fields in `HEADER`'s order,
/// separated by `|` (which no field holds) so that quotes and commas stay as they are.
fn hand_rows() -> Vec<Vec<String>> {
    let rows = [
        format!(
            "M100|Antom|ACQ-0001|{PAYMENT}||PREQ-1|{SHARED_ORDER}|GWO-0001|PAYMENT|2026-10-05T10:00:00+08:00|120.00|CNY|SUCCESS||Espresso machine|ALIPAY_CN"
        ),
        format!(
            "M100|Antom|ACQ-0042|{REFUND_OK}|{PAYMENT}|RREQ-42|{SHARED_ORDER}|GWO-0042|REFUND|2026-10-20T09:30:00+08:00|-90.00|CNY|SUCCESS|Returned within 30 days|Espresso machine|ALIPAY_CN"
        ),
        format!(
            "M100|Antom|ACQ-0043|{REFUND_FAILED}|{PAYMENT}|RREQ-43|{SHARED_ORDER}|GWO-0043|REFUND|2026-10-21T09:30:00+08:00|-10.00|CNY|FAIL|Duplicate request|Espresso machine|ALIPAY_CN"
        ),
        format!(
            "M200|Adyen|ACQ-0002|{PAYMENT_BRL}||PREQ-2|ORDER-2|GWO-0002|PAYMENT|2026-10-10T12:00:00-03:00|250.00|BRL|SUCCESS||Cesta de café|PIX"
        ),
        format!(
            "M200|Adyen|ACQ-0044|{REFUND_BRL}|{PAYMENT_BRL}|RREQ-44|ORDER-2|GWO-0044|REFUND|2026-10-25T15:00:00-03:00|-50.00|BRL|SUCCESS|Produto avariado|Cesta de café|PIX"
        ),
        format!(
            "M300|Stripe|ACQ-0003|{PAYMENT_USD}||PREQ-3|ORDER-3|GWO-0003|PAYMENT|2026-10-30T08:00:00+00:00|30.00|USD|SUCCESS||Mug|CARD"
        ),
        // 01:00 UTC on 1 November is still 31 October in São Paulo: a filter's time zone
        // decides whether this refund is in October.
        format!(
            "M300|Stripe|ACQ-0045|{REFUND_SCRIPT}|{PAYMENT_USD}|RREQ-45|ORDER-3|GWO-0045|REFUND|2026-11-01T01:00:00+00:00|-10.00|USD|SUCCESS|Changed mind|{SCRIPT_TEXT}|CARD"
        ),
        format!(
            "M300|Stripe|ACQ-0046|{REFUND_FORMULA}|{PAYMENT_USD}|RREQ-46|ORDER-3|GWO-0046|REFUND|2026-11-05T08:00:00+00:00|-5.00|USD|SUCCESS|Arrived broken|{FORMULA_TEXT}|CARD"
        ),
        format!(
            "M400|Antom|ACQ-0004|{PROCESSING}||PREQ-4|ORDER-4|GWO-0004|PAYMENT|2026-10-15T08:00:00+00:00|75.00|USD|PROCESSING||Teapot|CARD"
        ),
    ];
    rows.iter()
        .map(|line| {
            let fields: Vec<String> = line.split('|').map(str::to_string).collect();
            assert_eq!(fields.len(), HEADER.len(), "{line}");
            fields
        })
        .collect()
}

/// September payments, with currencies, methods, acquirers and statuses in cycles of
/// different lengths so that filters on them keep different subsets.
fn generated_rows() -> Vec<Vec<String>> {
    const CURRENCIES: [&str; 3] = ["CNY", "BRL", "USD"];
    const METHODS: [&str; 4] = ["CARD", "PIX", "ALIPAY_CN", "BOLETO"];
    const ACQUIRERS: [&str; 5] = ["Antom", "Adyen", "Stripe", "Cielo", "Rede"];
    (0..GENERATED)
        .map(|i| {
            let n = i + 1;
            let id = format!("20260901{n:05}");
            let time = format!(
                "2026-09-{:02}T{:02}:{:02}:00+00:00",
                1 + i % 28,
                i % 24,
                (i * 7) % 60
            );
            let amount = format!("{}.{:02}", 10 + i, (i * 13) % 100);
            vec![
                format!("M{}", 500 + i % 3),
                ACQUIRERS[i % 5].to_string(),
                format!("ACQ-G{n:04}"),
                id,
                String::new(),
                format!("PREQ-G{n:04}"),
                format!("ORDER-G{n:04}"),
                format!("GWO-G{n:04}"),
                "PAYMENT".to_string(),
                time,
                amount,
                CURRENCIES[i % 3].to_string(),
                if i % 7 == 0 { "FAIL" } else { "SUCCESS" }.to_string(),
                String::new(),
                format!("Generated order {n}"),
                METHODS[i % 4].to_string(),
            ]
        })
        .collect()
}

fn all_rows() -> Vec<Vec<String>> {
    let mut rows = hand_rows();
    rows.extend(generated_rows());
    rows
}

/// Writes `data.csv` and `roles.json` (which fixture row plays which part, for the browser
/// script) into `dir`.
fn write_fixture(dir: &Path) {
    support::write_csv(
        dir,
        "data.csv",
        &HEADER,
        &all_rows(),
        support::CsvStyle::default(),
    );
    let roles = json!({
        "payment": PAYMENT,
        "refund_ok": REFUND_OK,
        "refund_failed": REFUND_FAILED,
        "payment_brl": PAYMENT_BRL,
        "refund_brl": REFUND_BRL,
        "payment_usd": PAYMENT_USD,
        "refund_script": REFUND_SCRIPT,
        "refund_formula": REFUND_FORMULA,
        "processing": PROCESSING,
        "shared_order": SHARED_ORDER,
        "hostile": [REFUND_SCRIPT, REFUND_FORMULA],
    });
    std::fs::write(dir.join("roles.json"), roles.to_string()).unwrap();
}

/// A running `recibo serve` on the fixture (see [`support::served::Served`]) and the
/// requests a browser would send it.
struct Server(support::served::Served);

impl std::ops::Deref for Server {
    type Target = support::served::Served;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Server {
    fn start() -> Server {
        Server::start_with(write_fixture, &["-i", "data.csv"])
    }

    /// A server on what `fixture` writes into its folder, started with `args`.
    fn start_with(fixture: impl FnOnce(&Path), args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path());
        Server(support::served::Served::start(
            dir,
            args,
            // Every request is logged at debug; the log is searched for tokens.
            &[("RECIBO_SERVE_TOKEN", TOKEN), ("RUST_LOG", "debug")],
        ))
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut headers = Vec::new();
        if let Some(c) = cookie {
            headers.push(("cookie".to_string(), c.to_string()));
        }
        send("GET", &self.url(path), headers, None)
    }

    /// A form POST as a browser sends it: urlencoded, with the page's origin.
    fn post(&self, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers = vec![
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("origin".to_string(), self.base.clone()),
            ("referer".to_string(), self.url("/signin")),
        ];
        if let Some(c) = cookie {
            headers.push(("cookie".to_string(), c.to_string()));
        }
        send("POST", &self.url(path), headers, Some(body))
    }

    /// Signs in with the token; returns the reply and the `name=value` of the session cookie.
    fn sign_in(&self) -> (Reply, String) {
        let reply = self.post("/signin", &[("token", TOKEN)], None);
        assert_eq!(
            reply.status,
            303,
            "POST /signin with the right token: {}",
            reply.text()
        );
        let cookie = session_cookie(&reply)
            .unwrap_or_else(|| panic!("no recibo_session cookie set: {:?}", reply.headers));
        let pair = cookie.split(';').next().unwrap().trim().to_string();
        (reply, pair)
    }

    /// The path a redirect points to (`Location` may be absolute or a path).
    fn location<'a>(&self, reply: &'a Reply) -> &'a str {
        let location = reply.header("location");
        location.strip_prefix(&self.base).unwrap_or(location)
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
});

/// A client that shows redirects rather than following them, and keeps no cookies: each
/// request carries exactly the cookie the test gives it.
static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
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

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

fn send(method: &str, url: &str, headers: Vec<(String, String)>, body: Option<String>) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let url = url.to_string();
    RUNTIME.block_on(async move {
        let mut request = CLIENT.request(method.clone(), &url);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        if let Some(b) = body {
            request = request.body(b);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{method} {url} body: {e}"))
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    })
}

/// The whole `Set-Cookie` value that sets `recibo_session`, if any.
fn session_cookie(reply: &Reply) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().starts_with("recibo_session="))
        .map(str::to_string)
}

/// The attributes of a `Set-Cookie` value, lowercased, without the `name=value` pair.
fn cookie_attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty())
        .collect()
}

/// The sources a policy allows for scripts: `script-src`, else `default-src`; `None` when
/// neither is there (scripts are then unrestricted).
fn script_sources(policy: &str) -> Option<Vec<String>> {
    let directives: Vec<(String, Vec<String>)> = policy
        .split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            Some((name, words.map(|w| w.to_ascii_lowercase()).collect()))
        })
        .collect();
    ["script-src", "default-src"].iter().find_map(|wanted| {
        directives
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, sources)| sources.clone())
    })
}

/// The links of a page's table rows (the first cell's), unescaped, in order.
fn row_links(html: &str) -> Vec<String> {
    html.match_indices("<td><a href=\"")
        .filter_map(|(at, m)| {
            let start = at + m.len();
            let len = html[start..].find('"')?;
            Some(unescape(&html[start..start + len]))
        })
        .collect()
}

/// The `data-id`s of the `<tr>`s of a page, in order.
fn row_ids(html: &str) -> Vec<String> {
    html.match_indices("<tr")
        .filter_map(|(at, _)| {
            let tag_end = html[at..].find('>')? + at;
            let tag = &html[at..tag_end];
            let start = tag.find("data-id=\"")? + "data-id=\"".len();
            let len = tag[start..].find('"')?;
            Some(tag[start..start + len].to_string())
        })
        .collect()
}

fn pdftotext(dir: &Path, pdf: &[u8]) -> String {
    let path = dir.join("receipt-check.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext is needed (poppler-utils; tests/run.sh installs it)");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pdftotext may break lines anywhere; compare without whitespace.
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect()
}

#[test]
fn signing_in_sets_a_strict_http_only_session_cookie() {
    let server = Server::start();
    let signed_out = server.get("/", None);
    assert_eq!(
        signed_out.status,
        303,
        "GET / signed out: {}",
        signed_out.text()
    );
    assert_eq!(server.location(&signed_out), "/signin");

    let form = server.get("/signin", None);
    assert_eq!(form.status, 200, "GET /signin: {}", form.text());
    assert!(
        form.header("content-type").starts_with("text/html"),
        "{:?}",
        form.headers
    );
    assert!(form.text().contains("id=\"token\""), "{}", form.text());
    // Before any choice, the language is the one the browser asks for.
    for lang in ["zh-CN", "pt-BR", "en"] {
        let asked = send(
            "GET",
            &server.url("/signin"),
            vec![("accept-language".to_string(), format!("{lang},fr;q=0.5"))],
            None,
        );
        assert!(
            asked.text().contains(&format!("<html lang=\"{lang}\"")),
            "Accept-Language {lang}: {}",
            asked.text()
        );
    }

    let (reply, pair) = server.sign_in();
    assert_eq!(server.location(&reply), "/");
    let attributes = cookie_attributes(&session_cookie(&reply).unwrap());
    for wanted in ["httponly", "samesite=strict", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "the session cookie lacks {wanted}: {attributes:?}"
        );
    }
    // Over plain HTTP a Secure cookie would never be sent back, so sign-in could not work.
    assert!(
        !attributes.iter().any(|a| a == "secure"),
        "a Secure cookie on plain HTTP: {attributes:?}"
    );
    // The cookie is a session of its own, not the token in another header.
    assert!(
        !pair.contains(TOKEN),
        "the cookie carries the token: {pair}"
    );

    let page = server.get("/", Some(&pair));
    assert_eq!(page.status, 200, "GET / signed in: {}", page.text());
    assert!(
        page.text().contains("id=\"transactions\""),
        "{}",
        page.text()
    );
    // A made-up session opens nothing.
    let forged = server.get("/", Some("recibo_session=0000000000000000"));
    assert_eq!(forged.status, 303, "a forged session: {}", forged.text());
}

#[test]
fn pages_have_a_content_security_policy_that_forbids_inline_scripts() {
    let server = Server::start();
    let (_, cookie) = server.sign_in();
    let wrong = server.post("/signin", &[("token", WRONG_TOKEN)], None);
    let pages = [
        ("/signin".to_string(), server.get("/signin", None)),
        ("POST /signin (wrong token)".to_string(), wrong),
        ("/".to_string(), server.get("/", Some(&cookie))),
        (
            "/?type=REFUND".to_string(),
            server.get("/?type=REFUND", Some(&cookie)),
        ),
        (
            format!("/t/{REFUND_SCRIPT}"),
            server.get(&format!("/t/{REFUND_SCRIPT}"), Some(&cookie)),
        ),
        (
            format!("/search?q={SHARED_ORDER}"),
            server.get(&format!("/search?q={SHARED_ORDER}"), Some(&cookie)),
        ),
        (
            "/search?q=NO-SUCH-ID".to_string(),
            server.get("/search?q=NO-SUCH-ID", Some(&cookie)),
        ),
    ];
    for (what, reply) in &pages {
        assert!(
            reply.header("content-type").starts_with("text/html"),
            "{what}: {} {:?}",
            reply.status,
            reply.headers
        );
        let policy = reply.header("content-security-policy");
        assert!(!policy.is_empty(), "{what}: no Content-Security-Policy");
        let sources = script_sources(policy)
            .unwrap_or_else(|| panic!("{what}: {policy:?} does not restrict scripts"));
        assert!(
            !sources.iter().any(|s| s == "'unsafe-inline'" || s == "*"),
            "{what}: {policy:?} lets inline or any scripts run"
        );
    }
}

#[test]
fn hostile_descriptions_reach_the_page_escaped() {
    let server = Server::start();
    let (_, cookie) = server.sign_in();
    for (path, text) in [
        (format!("/t/{REFUND_SCRIPT}"), SCRIPT_TEXT),
        (format!("/t/{REFUND_FORMULA}"), FORMULA_TEXT),
        ("/?type=REFUND".to_string(), SCRIPT_TEXT),
        ("/?type=REFUND".to_string(), FORMULA_TEXT),
    ] {
        let page = server.get(&path, Some(&cookie));
        assert_eq!(page.status, 200, "{path}: {}", page.text());
        let html = page.text();
        assert!(
            !html.contains("<script>window.__pwned") && !html.contains("<img src=x"),
            "{path}: the description's markup is in the page as markup"
        );
        // The text is there as text: with the page's character references read, the
        // description appears as written.
        assert!(
            unescape(&html).contains(text),
            "{path}: the description {text:?} is not on the page"
        );
    }
}

/// HTML text with its character references read (the named ones HTML escapers write, and
/// numeric ones).
fn unescape(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[..rest.len().min(12)].find(';');
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn signing_out_takes_a_post_and_ends_the_session_for_pages_and_the_api() {
    let server = Server::start();
    let (_, cookie) = server.sign_in();
    // A link or an image on another site can make a browser GET /signout; that must change
    // nothing.
    let get = server.get("/signout", Some(&cookie));
    assert_ne!(get.status / 100, 5, "GET /signout: {}", get.text());
    let still = server.get("/", Some(&cookie));
    assert_eq!(
        still.status,
        200,
        "GET /signout ended the session: {}",
        still.text()
    );
    let api = server.get("/v1/transactions", Some(&cookie));
    assert_eq!(api.status, 200, "the API with the session: {}", api.text());
    // Nor can another site's form sign the user out (the README: POSTs from other sites
    // are refused).
    let foreign = send(
        "POST",
        &server.url("/signout"),
        vec![
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("origin".to_string(), "http://evil.invalid".to_string()),
            ("cookie".to_string(), cookie.clone()),
        ],
        Some(String::new()),
    );
    assert_ne!(foreign.status / 100, 5, "a cross-site POST /signout");
    let still = server.get("/", Some(&cookie));
    assert_eq!(
        still.status,
        200,
        "a cross-site POST /signout ended the session ({}): {}",
        foreign.status,
        still.text()
    );

    let out = server.post("/signout", &[], Some(&cookie));
    assert_eq!(out.status, 303, "POST /signout: {}", out.text());
    assert_eq!(server.location(&out), "/signin");
    let page = server.get("/", Some(&cookie));
    assert_eq!(page.status, 303, "/ with the old cookie: {}", page.text());
    assert_eq!(server.location(&page), "/signin");
    let api = server.get("/v1/transactions", Some(&cookie));
    assert_eq!(
        api.status,
        401,
        "the API with the old cookie: {}",
        api.text()
    );
    let receipt = server.get(
        &format!("/v1/refunds/{REFUND_OK}/receipt.pdf?lang=en"),
        Some(&cookie),
    );
    assert_eq!(receipt.status, 401, "a receipt with the old cookie");
}

#[test]
fn wrong_tokens_get_401_and_a_burst_of_them_429() {
    let server = Server::start();
    let first = server.post("/signin", &[("token", WRONG_TOKEN)], None);
    assert_eq!(first.status, 401, "a wrong token: {}", first.text());
    let body = first.text();
    assert!(body.contains("id=\"signin-error\""), "{body}");
    assert!(
        body.contains("id=\"signin\""),
        "no form to try again: {body}"
    );
    assert!(
        session_cookie(&first).is_none(),
        "a wrong token got a session"
    );

    let mut statuses = vec![first.status];
    while statuses.len() < 200 && *statuses.last().unwrap() != 429 {
        let reply = server.post("/signin", &[("token", WRONG_TOKEN)], None);
        assert!(
            session_cookie(&reply).is_none(),
            "a wrong token got a session"
        );
        statuses.push(reply.status);
    }
    assert_eq!(
        statuses.last(),
        Some(&429),
        "200 wrong tokens from one address and never a 429"
    );
    assert!(
        statuses[..statuses.len() - 1].iter().all(|s| *s == 401),
        "before the 429: {statuses:?}"
    );
}

#[test]
fn the_session_cookie_opens_the_api_and_receipts() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let ids: BTreeSet<String> = all_rows().iter().map(|r| r[3].clone()).collect();
    // Without a session or a token, nothing (so the checks below can fail).
    assert_eq!(server.get("/v1/transactions", None).status, 401);
    let (_, cookie) = server.sign_in();

    let mut seen = Vec::new();
    let mut path = "/v1/transactions?limit=100".to_string();
    loop {
        let reply = server.get(&path, Some(&cookie));
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        let page = reply.json();
        for item in page["items"].as_array().expect("items") {
            seen.push(item["transactionId"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(c) => path = format!("/v1/transactions?limit=100&cursor={}", urlencode(c)),
            None => break,
        }
    }
    let seen_set: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), seen_set.len(), "a transaction listed twice");
    assert_eq!(seen_set, ids);

    let reply = server.get(
        &format!("/v1/refunds/{REFUND_OK}/receipt.pdf?lang=en"),
        Some(&cookie),
    );
    assert_eq!(reply.status, 200, "receipt: {}", reply.text());
    assert_eq!(reply.header("content-type"), "application/pdf");
    assert!(pdftotext(dir.path(), &reply.body).contains(REFUND_OK));
}

#[test]
fn a_page_of_fifty_rows_stays_under_100_kb() {
    let server = Server::start();
    let (_, cookie) = server.sign_in();
    let page = server.get("/", Some(&cookie));
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    let ids = row_ids(&html);
    let known: BTreeSet<String> = all_rows().iter().map(|r| r[3].clone()).collect();
    let listed: Vec<&String> = ids.iter().filter(|id| known.contains(*id)).collect();
    assert_eq!(listed.len(), 50, "rows on the first page: {ids:?}");
    assert!(html.contains("id=\"next-page\""), "no next page link");
    assert!(
        page.body.len() < 100 * 1024,
        "a page of 50 rows weighs {} bytes",
        page.body.len()
    );
}

#[test]
fn no_token_reaches_a_page_or_the_log() {
    let server = Server::start();
    let wrong = server.post("/signin", &[("token", WRONG_TOKEN)], None);
    let (signed_in, cookie) = server.sign_in();
    let mut replies = vec![
        ("GET /signin", server.get("/signin", None)),
        ("POST /signin wrong", wrong),
        ("POST /signin", signed_in),
        ("GET /", server.get("/", Some(&cookie))),
    ];
    for path in [
        "/?type=REFUND&status=SUCCESS".to_string(),
        format!("/t/{REFUND_OK}"),
        format!("/t/{PROCESSING}"),
        format!("/search?q={SHARED_ORDER}"),
        "/export?set=default&format=csv&header_lang=en".to_string(),
    ] {
        let reply = server.get(&path, Some(&cookie));
        replies.push(("GET", reply));
    }
    replies.push(("POST /signout", server.post("/signout", &[], Some(&cookie))));
    for (what, reply) in &replies {
        let body = reply.text();
        for secret in [TOKEN, WRONG_TOKEN] {
            assert!(
                !body.contains(secret) && !format!("{:?}", reply.headers).contains(secret),
                "{what} {}: a token in the answer",
                reply.status
            );
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let log = loop {
        // Request lines are written after the answer; wait for the last one.
        let log = server.log();
        if log.contains("/signout") || Instant::now() > deadline {
            break log;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(log.contains("/signout"), "requests are not logged: {log}");
    for secret in [TOKEN, WRONG_TOKEN] {
        assert!(!log.contains(secret), "a token in the server's log:\n{log}");
    }
}

/// Where `program` is on PATH, if it is.
fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}

/// The browser needs chromium, chromedriver and selenium; without them this fails (a
/// skipped browser test would pass unseen) and says how to get them.
fn browser_prerequisites() {
    let mut missing = Vec::new();
    for program in ["chromium", "chromedriver", "python3", "pdftotext"] {
        if on_path(program).is_none() {
            missing.push(program.to_string());
        }
    }
    let python = Command::new("python3")
        .args(["-c", "import selenium, openpyxl"])
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        missing.push("python3 modules selenium and openpyxl".to_string());
    }
    assert!(
        missing.is_empty(),
        "the browser tests need {}: run tests/run.sh, which installs them",
        missing.join(", ")
    );
}

#[test]
fn the_pages_work_in_a_real_browser() {
    browser_prerequisites();
    let dir = tempfile::tempdir().unwrap();
    write_fixture(dir.path());
    let script = support::repo().join("tests/web/browser.py");
    let mut command = Command::new("python3");
    command
        .arg(&script)
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_recibo"))
        .arg("--fixture")
        .arg(dir.path())
        .env("SE_OFFLINE", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own group, so a hung run can be stopped with the browser and server it started.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().expect("python3 runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let report = format!("--- browser.py stdout ---\n{out}\n--- browser.py stderr ---\n{err}");
    let Some(status) = status else {
        panic!("browser.py took more than 300 s and was stopped\n{report}");
    };
    assert!(status.success(), "browser.py failed ({status})\n{report}");
    // The script prints one PASS line per scenario; a run that checked nothing is a failure.
    assert!(
        out.lines().filter(|l| l.starts_with("PASS ")).count() >= 10,
        "browser.py ran too few scenarios\n{report}"
    );
    eprintln!("{out}");
}

/// Rows that make a transaction hard to reach: a refund that carries its payment's ID, a
/// payment whose ID many rows carry before it and with more refunds than its page lists,
/// and refunds whose IDs are `.` and `..`, which a browser resolves away in a path.
const SHARED_ID: &str = "SHARED-1";
const CROWDED: &str = "CROWDED-PAY";
const CROWDED_REFUNDS: usize = 205;
const CARRIERS: usize = 70;
const DOT_PAYMENT: &str = "DOT-PAY";

fn hard_rows() -> Vec<Vec<String>> {
    let row = |id: &str, original: &str, order: &str, kind: &str, time: &str, amount: &str| {
        let fields = [
            "M900", "Antom", "", id, original, "", order, "", kind, time, amount, "CNY", "SUCCESS",
            "", "Kettle", "CARD",
        ];
        fields.iter().map(|f| f.to_string()).collect::<Vec<_>>()
    };
    let mut rows = vec![
        row(
            SHARED_ID,
            "",
            "O-S",
            "PAYMENT",
            "2026-10-01T10:00:00Z",
            "50.00",
        ),
        row(
            SHARED_ID,
            SHARED_ID,
            "O-S",
            "REFUND",
            "2026-10-02T10:00:00Z",
            "-20.00",
        ),
    ];
    // Payments whose merchant order ID is the crowded payment's ID, then its refunds, all
    // before it in the file and in time.
    for i in 0..CARRIERS {
        let id = format!("CARRIER-{i:03}");
        rows.push(row(
            &id,
            "",
            CROWDED,
            "PAYMENT",
            "2026-09-01T10:00:00Z",
            "1.00",
        ));
    }
    for i in 0..CROWDED_REFUNDS {
        let id = format!("CROWDED-R{i:03}");
        rows.push(row(
            &id,
            CROWDED,
            "O-C",
            "REFUND",
            "2026-09-02T10:00:00Z",
            "-0.01",
        ));
    }
    rows.push(row(
        CROWDED,
        "",
        "O-C",
        "PAYMENT",
        "2026-09-03T10:00:00Z",
        "900.00",
    ));
    rows.push(row(
        DOT_PAYMENT,
        "",
        "O-D",
        "PAYMENT",
        "2026-10-05T10:00:00Z",
        "30.00",
    ));
    rows.push(row(
        ".",
        DOT_PAYMENT,
        "O-D",
        "REFUND",
        "2026-10-06T10:00:00Z",
        "-1.00",
    ));
    rows.push(row(
        "..",
        DOT_PAYMENT,
        "O-D",
        "REFUND",
        "2026-10-07T10:00:00Z",
        "-2.00",
    ));
    rows
}

fn write_hard_rows(dir: &Path) {
    support::write_csv(
        dir,
        "data.csv",
        &HEADER,
        &hard_rows(),
        support::CsvStyle::default(),
    );
}

/// The query pairs of a link.
fn link_query(link: &str) -> Vec<(String, String)> {
    let query = link.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn is_link_to(link: &str, id: &str, kind: &str) -> bool {
    link.starts_with("/t?")
        && link_query(link)
            == [
                ("id".to_string(), id.to_string()),
                ("type".to_string(), kind.to_string()),
            ]
}

#[test]
fn every_transaction_is_reachable_whatever_its_id_from_files_and_from_a_store() {
    // And from PostgreSQL, whose statements are written in its own dialect.
    let postgres_db = fresh_postgres_database("web_hard_rows");
    // The same rows read from the files and from a SQLite store imported from them.
    let from_store = |dir: &Path| {
        write_hard_rows(dir);
        let import = Command::new(env!("CARGO_BIN_EXE_recibo"))
            .current_dir(dir)
            .args(["import", "-i", "data.csv", "--db", "sqlite:store.db"])
            .output()
            .unwrap();
        assert!(
            import.status.success(),
            "{}",
            String::from_utf8_lossy(&import.stderr)
        );
    };
    let servers = [
        (
            "files",
            Server::start_with(write_hard_rows, &["-i", "data.csv"]),
        ),
        (
            "store",
            Server::start_with(from_store, &["--db", "sqlite:store.db"]),
        ),
        (
            "postgres store",
            Server::start_with(
                |dir: &Path| {
                    write_hard_rows(dir);
                    let import = Command::new(env!("CARGO_BIN_EXE_recibo"))
                        .current_dir(dir)
                        .args(["import", "-i", "data.csv", "--db", &postgres_db])
                        .output()
                        .unwrap();
                    assert!(
                        import.status.success(),
                        "{}",
                        String::from_utf8_lossy(&import.stderr)
                    );
                },
                &["--db", &postgres_db],
            ),
        ),
    ];
    for (what, server) in &servers {
        let (_, cookie) = server.sign_in();
        let get = |path: &str| server.get(path, Some(&cookie));

        // The ID alone names two transactions: a list of both, each linked by its type.
        let both = get(&format!("/t/{SHARED_ID}"));
        assert_eq!(both.status, 200, "{what}");
        let links = row_links(&both.text());
        assert_eq!(links.len(), 2, "{what}: {links:?}");
        assert!(
            links.iter().any(|l| is_link_to(l, SHARED_ID, "PAYMENT")),
            "{what}: {links:?}"
        );
        assert!(
            links.iter().any(|l| is_link_to(l, SHARED_ID, "REFUND")),
            "{what}: {links:?}"
        );
        let searched = get(&format!("/search?q={SHARED_ID}"));
        assert_eq!(row_links(&searched.text()), links, "{what}: searching it");

        let refund = get(&format!("/t?id={SHARED_ID}&type=REFUND"));
        assert_eq!(refund.status, 200, "{what}");
        let html = refund.text();
        assert!(
            html.contains("class=\"receipt\""),
            "{what}: the refund's receipts"
        );
        let receipt = get(&format!("/v1/refunds/{SHARED_ID}/receipt.pdf?lang=en"));
        assert_eq!(receipt.status, 200, "{what}: {}", receipt.text());
        assert!(receipt.body.starts_with(b"%PDF-"), "{what}");
        let related = row_links(&html);
        assert_eq!(related.len(), 1, "{what}: {related:?}");
        assert!(
            is_link_to(&related[0], SHARED_ID, "PAYMENT"),
            "{what}: {related:?}"
        );
        let payment = get(&format!("/t?id={SHARED_ID}&type=payment"));
        assert_eq!(payment.status, 200, "{what}");
        let html = payment.text();
        assert!(
            html.contains("id=\"no-receipt\""),
            "{what}: a payment has no receipt"
        );
        let related = row_links(&html);
        assert!(
            related.len() == 1 && is_link_to(&related[0], SHARED_ID, "REFUND"),
            "{what}: {related:?}"
        );
        assert_eq!(
            get(&format!("/t?id={SHARED_ID}&type=CAPTURE")).status,
            404,
            "{what}"
        );

        // More rows carry the crowded payment's ID than a search lists, and more refunds
        // refer to it than its page lists: it is still found, and its page says how many
        // refunds it leaves out.
        let found = get(&format!("/search?q={CROWDED}"));
        assert_eq!(found.status, 303, "{what}: {}", found.text());
        assert!(
            is_link_to(server.location(&found), CROWDED, "PAYMENT"),
            "{what}"
        );
        let page = get(&format!("/t?id={CROWDED}&type=PAYMENT")).text();
        let related = row_links(&page);
        assert_eq!(related.len(), 200, "{what}: refunds listed");
        assert!(
            related.iter().all(|l| link_query(l)[1].1 == "REFUND"),
            "{what}"
        );
        let more = CROWDED_REFUNDS - 200;
        assert!(
            page.contains(&format!("{more} more related transactions are not listed")),
            "{what}: no word of the {more} refunds left out"
        );
        // A refund beyond the first 200 is not among the ones its page leaves out.
        let last = format!("CROWDED-R{:03}", CROWDED_REFUNDS - 1);
        let page = get(&format!("/t?id={last}&type=REFUND")).text();
        assert!(
            page.contains(&format!("{} more related transactions", more - 1)),
            "{what}: {last}'s page counts itself among those left out"
        );
        let carrier = get("/search?q=CARRIER-007");
        assert_eq!(carrier.status, 303, "{what}");
        assert!(
            is_link_to(server.location(&carrier), "CARRIER-007", "PAYMENT"),
            "{what}"
        );

        // `.` and `..`: linked in the query, where a browser keeps them.
        let family = get(&format!("/t?id={DOT_PAYMENT}&type=PAYMENT")).text();
        let related = row_links(&family);
        for dots in [".", ".."] {
            assert!(
                related.iter().any(|l| is_link_to(l, dots, "REFUND")),
                "{what}: {dots:?} among {related:?}"
            );
            let searched = get(&format!("/search?q={dots}"));
            assert_eq!(searched.status, 303, "{what}: searching {dots:?}");
            assert!(
                is_link_to(server.location(&searched), dots, "REFUND"),
                "{what}"
            );
            let html = get(&format!("/t?id={dots}&type=REFUND")).text();
            assert!(html.contains("id=\"no-receipt\""), "{what}: {dots:?}");
            assert!(
                html.contains("cannot be part of a link"),
                "{what}: {dots:?} says why its receipt has no link"
            );
        }
    }
}

/// The value of a sign-in form's hidden `next` field, unescaped.
/// A new, empty database `name` on the test PostgreSQL server (`RECIBO_TEST_PG_URL`,
/// started by tests/run.sh), and its URL.
fn fresh_postgres_database(name: &str) -> String {
    let server = std::env::var("RECIBO_TEST_PG_URL").unwrap_or_else(|_| {
        panic!("RECIBO_TEST_PG_URL is not set: run the suite with tests/run.sh, which starts PostgreSQL")
    });
    let name = format!("{name}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
    // One statement at a time: neither may run in a transaction block.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, query) = server.split_once('?').unwrap_or((&server, ""));
    let slash = base.rfind('/').unwrap();
    format!("{}/{name}?{query}", &base[..slash])
}

fn next_field(html: &str) -> Option<String> {
    let marker = "<input type=\"hidden\" name=\"next\" value=\"";
    let start = html.find(marker)? + marker.len();
    let len = html[start..].find('"')?;
    Some(unescape(&html[start..start + len]))
}

#[test]
fn a_link_followed_before_signing_in_is_where_signing_in_goes() {
    let server = Server::start_with(write_hard_rows, &["-i", "data.csv"]);
    let wanted = format!("/t?id={SHARED_ID}&type=REFUND");
    let away = server.get(&wanted, None);
    assert_eq!(away.status, 303);
    let signin = server.location(&away).to_string();
    assert!(signin.starts_with("/signin?"), "{signin}");
    assert_eq!(link_query(&signin), [("next".to_string(), wanted.clone())]);
    let form = server.get(&signin, None).text();
    assert_eq!(
        next_field(&form).as_deref(),
        Some(wanted.as_str()),
        "{form}"
    );

    let signed_in = server.post("/signin", &[("token", TOKEN), ("next", &wanted)], None);
    assert_eq!(signed_in.status, 303);
    assert_eq!(server.location(&signed_in), wanted);
    // A wrong token keeps the page to go on to.
    let wrong = server.post(
        "/signin",
        &[("token", WRONG_TOKEN), ("next", &wanted)],
        None,
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(next_field(&wrong.text()).as_deref(), Some(wanted.as_str()));
    for elsewhere in [
        "//evil.example/t",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let reply = server.post("/signin", &[("token", TOKEN), ("next", elsewhere)], None);
        assert_eq!(reply.status, 303);
        assert_eq!(server.location(&reply), "/", "next={elsewhere:?}");
    }
}

#[test]
fn with_a_public_origin_forms_are_taken_from_that_origin_only() {
    const ORIGIN: &str = "https://receipts.example.com";
    let server = Server::start_with(
        write_hard_rows,
        &[
            "-i",
            "data.csv",
            "--public-origin",
            "https://Receipts.example.com/",
        ],
    );
    let post = |origin: &str| {
        send(
            "POST",
            &server.url("/signin"),
            vec![
                (
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded".to_string(),
                ),
                ("origin".to_string(), origin.to_string()),
            ],
            Some(format!("token={TOKEN}")),
        )
    };
    // A proxy in front passes its own Host: the page's origin is what decides.
    let signed_in = post(ORIGIN);
    assert_eq!(signed_in.status, 303);
    let cookie = session_cookie(&signed_in).expect("a session cookie");
    assert!(
        cookie_attributes(&cookie).contains(&"secure".to_string()),
        "an https origin's cookie is Secure: {cookie}"
    );
    assert_eq!(
        post(&server.base).status,
        403,
        "the server's own address is not the page's origin"
    );
    assert_eq!(post("https://evil.example").status, 403);

    let refused = Command::new(env!("CARGO_BIN_EXE_recibo"))
        .args([
            "serve",
            "--public-origin",
            "receipts.example.com/path",
            "-i",
            "x.csv",
        ])
        .env("RECIBO_SERVE_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--public-origin"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn the_frameworks_own_refusals_carry_the_security_headers() {
    let server = Server::start();
    let url = server.url("/signin");
    let origin = ("origin".to_string(), server.base.clone());
    // The oversized body last: the server closes that connection without reading it.
    let refusals = [
        (
            "a path no route has",
            server.get("/no/such/page", None),
            404,
        ),
        (
            "a form of the wrong type",
            send(
                "POST",
                &url,
                vec![("content-type".into(), "text/plain".into()), origin.clone()],
                Some("token=x".into()),
            ),
            415,
        ),
        (
            "a body too large",
            send(
                "POST",
                &url,
                vec![
                    (
                        "content-type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ),
                    origin.clone(),
                ],
                Some(format!("token={}", "a".repeat(64 * 1024))),
            ),
            413,
        ),
    ];
    for (what, reply, status) in refusals {
        assert_eq!(reply.status, status, "{what}: {}", reply.text());
        assert_eq!(reply.header("x-content-type-options"), "nosniff", "{what}");
        let policy = reply.header("content-security-policy");
        assert_eq!(
            script_sources(policy),
            Some(vec!["'none'".to_string()]),
            "{what}: {policy:?}"
        );
    }
}
