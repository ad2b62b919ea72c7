//! `recibo receipt` and `recibo receipts` driven through the real binary, with the PDFs,
//! archives and manifests they write checked by tools that are not recibo's own: poppler
//! (pdftotext, pdffonts, pdfinfo), qpdf and unzip.
//!
//! Expected text comes from the fixture below and from the locale files (through
//! `recibo::locale::Locales`, which is what the FTL and CLDR say, not what the renderer
//! chose to print), so a label reworded in `locales/*/receipt.ftl` does not break the tests
//! while a receipt that drops it does.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use recibo::locale::{Lang, Locales};
use recibo::model::{Currency, Money};
use support::{CsvStyle, Run, instant, midnight, recibo};

/// The receipt size budget: a receipt embeds subsets of its fonts, never whole CJK faces.
const MAX_RECEIPT_BYTES: u64 = 40 * 1024;

/// The generation time every reproducible run uses.
const GENERATED_AT: &str = "2026-11-20T12:00:00Z";

// ---------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------

/// One fixture transaction: just the columns receipts read.
#[derive(Clone, Debug)]
struct Tx {
    customer: &'static str,
    acquirer: &'static str,
    id: String,
    original: &'static str,
    request: &'static str,
    order_ref: &'static str,
    description: &'static str,
    method: &'static str,
    psp: &'static str,
    kind: &'static str,
    time: &'static str,
    amount: &'static str,
    currency: &'static str,
    status: &'static str,
    reason: &'static str,
    refund_type: &'static str,
    merchant: &'static str,
}

impl Tx {
    fn is_refund(&self) -> bool {
        self.kind == "REFUND"
    }

    fn is_successful_refund(&self) -> bool {
        self.is_refund() && self.status == "SUCCESS"
    }

    /// The amount as money, for formatting expectations with the locale functions.
    fn money(&self) -> Money {
        let currency = Currency::parse(self.currency).expect("fixture currency");
        Money::parse_major(self.amount, currency).expect("fixture amount")
    }
}

const PT_DESCRIPTION: &str = "Renovação de assinatura — pão de queijo & café coado";
const PT_REASON: &str = "Pedido não entregue; cliente solicitou o estorno à operadora";
const ZH_DESCRIPTION: &str = "礼盒“中秋特别版”，含 4 枚月饼";
const ZH_REASON: &str = "商品在运输中破损，顾客申请全额退款";
const MIXED_DESCRIPTION: &str = "Café com leite — 拿铁咖啡 ×2 (para viagem)";
const EN_REASON: &str = "Customer changed their mind before shipping";

/// A refund ID long enough that a file name made from it as is would exceed what
/// filesystems accept (255 bytes).
fn long_id() -> String {
    format!("LONG-{}", "0123456789".repeat(30))
}

/// Refund IDs that try to leave the output folder or make awkward file names.
fn hostile_ids() -> Vec<String> {
    vec![
        "../../evil".to_string(),
        "a/b".to_string(),
        "..".to_string(),
        "x\ty".to_string(),
        ".hidden".to_string(),
        long_id(),
    ]
}

#[allow(clippy::too_many_arguments)]
fn tx(
    kind: &'static str,
    id: &str,
    original: &'static str,
    acquirer: &'static str,
    time: &'static str,
    amount: &'static str,
    currency: &'static str,
    status: &'static str,
) -> Tx {
    Tx {
        customer: "2188120000001234",
        acquirer,
        id: id.to_string(),
        original,
        request: "",
        order_ref: "",
        description: "",
        method: "",
        psp: "",
        kind,
        time,
        amount,
        currency,
        status,
        reason: "",
        refund_type: "",
        merchant: "Loja Fixture Ltda.",
    }
}

/// Payments and refunds with known amounts, times, acquirers and free text in three
/// languages. Times are chosen around the filter bounds used below (midnight in São Paulo
/// is 03:00 UTC).
fn fixture() -> Vec<Tx> {
    let mut rows = vec![
        Tx {
            description: PT_DESCRIPTION,
            method: "PIX",
            merchant: "Padaria São João Ltda.",
            order_ref: "ORD-PSJ-0001",
            ..tx(
                "PAYMENT",
                "P-BRL-001",
                "",
                "Antom",
                "2026-10-03T12:00:00Z",
                "250.00",
                "BRL",
                "SUCCESS",
            )
        },
        Tx {
            description: PT_DESCRIPTION,
            reason: PT_REASON,
            refund_type: "partial",
            request: "rfd_brl_0001",
            merchant: "Padaria São João Ltda.",
            order_ref: "ORD-PSJ-0001",
            ..tx(
                "REFUND",
                "R-BRL-001",
                "P-BRL-001",
                "Antom",
                "2026-10-05T14:30:00Z",
                "-120.50",
                "BRL",
                "SUCCESS",
            )
        },
        Tx {
            description: ZH_DESCRIPTION,
            method: "ALIPAY_CN",
            merchant: "上海月饼坊有限公司",
            customer: "2188120000005678",
            ..tx(
                "PAYMENT",
                "P-CNY-001",
                "",
                "Antom",
                "2026-10-10T02:00:00Z",
                "888.80",
                "CNY",
                "SUCCESS",
            )
        },
        Tx {
            description: ZH_DESCRIPTION,
            reason: ZH_REASON,
            refund_type: "total",
            merchant: "上海月饼坊有限公司",
            customer: "2188120000005678",
            ..tx(
                "REFUND",
                "R-CNY-001",
                "P-CNY-001",
                "Antom",
                "2026-10-12T03:15:00Z",
                "-888.80",
                "CNY",
                "SUCCESS",
            )
        },
        Tx {
            description: "Matcha gift box",
            method: "CARD",
            psp: "VISA",
            ..tx(
                "PAYMENT",
                "P-JPY-001",
                "",
                "Adyen",
                "2026-10-15T09:00:00Z",
                "12345",
                "JPY",
                "SUCCESS",
            )
        },
        Tx {
            reason: "One box returned unopened",
            refund_type: "partial",
            ..tx(
                "REFUND",
                "R-JPY-001",
                "P-JPY-001",
                "Adyen",
                "2026-10-16T10:00:00Z",
                "-2345",
                "JPY",
                "SUCCESS",
            )
        },
        Tx {
            description: "Desk lamp",
            method: "CARD",
            ..tx(
                "PAYMENT",
                "P-BHD-001",
                "",
                "Stripe",
                "2026-10-20T08:00:00Z",
                "12.345",
                "BHD",
                "SUCCESS",
            )
        },
        Tx {
            reason: "Price adjustment",
            ..tx(
                "REFUND",
                "R-BHD-001",
                "P-BHD-001",
                "Stripe",
                "2026-10-21T08:00:00Z",
                "-1.5",
                "BHD",
                "SUCCESS",
            )
        },
        Tx {
            description: MIXED_DESCRIPTION,
            method: "APPLEPAY",
            ..tx(
                "PAYMENT",
                "P-USD-001",
                "",
                "Stripe",
                "2026-10-25T18:00:00Z",
                "1234.56",
                "USD",
                "SUCCESS",
            )
        },
        Tx {
            description: MIXED_DESCRIPTION,
            reason: EN_REASON,
            refund_type: "total",
            ..tx(
                "REFUND",
                "R-USD-001",
                "P-USD-001",
                "Stripe",
                "2026-10-26T23:30:00Z",
                "-1234.56",
                "USD",
                "SUCCESS",
            )
        },
        Tx {
            description: "카페 라떼 세트",
            method: "CARD",
            ..tx(
                "PAYMENT",
                "P-KRW-001",
                "",
                "Antom",
                "2026-11-02T01:00:00Z",
                "1500000",
                "KRW",
                "SUCCESS",
            )
        },
        tx(
            "REFUND",
            "R-KRW-001",
            "P-KRW-001",
            "Antom",
            "2026-11-03T01:00:00Z",
            "-1234567",
            "KRW",
            "SUCCESS",
        ),
        // Not successful: no receipt, a manifest line instead.
        Tx {
            reason: "Aguardando confirmação do banco",
            ..tx(
                "REFUND",
                "R-BRL-PROC",
                "P-BRL-001",
                "Antom",
                "2026-10-06T10:00:00Z",
                "-10.00",
                "BRL",
                "PROCESSING",
            )
        },
        tx(
            "REFUND",
            "R-CNY-FAIL",
            "P-CNY-001",
            "Antom",
            "2026-10-13T04:00:00Z",
            "-1.00",
            "CNY",
            "FAIL",
        ),
        // A payment nobody refunded.
        tx(
            "PAYMENT",
            "P-LONELY-001",
            "",
            "Adyen",
            "2026-10-18T12:00:00Z",
            "9.99",
            "USD",
            "SUCCESS",
        ),
    ];
    // A plain ID that "a/b" becomes once made safe: the two must not share a file.
    rows.push(tx(
        "REFUND",
        "a_b",
        "P-BRL-001",
        "Antom",
        "2026-10-07T12:00:00Z",
        "-2.00",
        "BRL",
        "SUCCESS",
    ));
    // Successful refunds with hostile IDs, at times on both sides of the filter bounds.
    let times = [
        "2026-10-05T03:00:00Z", // exactly midnight of --from in São Paulo: included
        "2026-10-05T02:59:59Z", // one second before: excluded
        "2026-10-21T02:59:59Z", // last second before --to: included
        "2026-10-21T03:00:00Z", // exactly --to: excluded
        "2026-10-08T12:00:00Z",
        "2026-10-09T12:00:00Z",
    ];
    for (id, time) in hostile_ids().iter().zip(times) {
        rows.push(Tx {
            reason: "Cobrança em duplicidade",
            ..tx(
                "REFUND",
                id,
                "P-BRL-001",
                "Antom",
                time,
                "-1.00",
                "BRL",
                "SUCCESS",
            )
        });
    }
    rows
}

const HEADER: [&str; 28] = [
    "customerId",
    "acquirer",
    "acquirerReferenceNo",
    "referenceMerchantId",
    "referenceStoreId",
    "transactionId",
    "originalTransactionId",
    "transactionRequestId",
    "referenceTransactionId",
    "orderDescription",
    "paymentMethodType",
    "pspName",
    "transactionType",
    "paymentTime",
    "productCode",
    "transactionAmountValue",
    "transactionCurrency",
    "settlementAmountValue",
    "settlementCurrency",
    "feeAmountValue",
    "feeCurrency",
    "status",
    "reason",
    "orderId",
    "bankCode",
    "refundType",
    "rejectReason",
    "merchantName",
];

/// Writes the fixture and `extra` rows as `dir/fixture.csv` in the gateway's report layout.
fn write_fixture(dir: &Path, extra: &[Tx]) -> PathBuf {
    let rows: Vec<Vec<String>> = fixture()
        .iter()
        .chain(extra)
        .map(|t| {
            [
                t.customer,
                t.acquirer,
                "",
                "",
                "",
                &t.id,
                t.original,
                t.request,
                t.order_ref,
                t.description,
                t.method,
                t.psp,
                t.kind,
                t.time,
                "CASHIER_PAYMENT",
                t.amount,
                t.currency,
                "",
                "",
                "",
                "",
                t.status,
                t.reason,
                "",
                "",
                t.refund_type,
                "",
                t.merchant,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        })
        .collect();
    support::write_csv(dir, "fixture.csv", &HEADER, &rows, CsvStyle::default())
}

fn find(id: &str) -> Tx {
    fixture()
        .into_iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no {id} in the fixture"))
}

fn successful_refund_ids() -> Vec<String> {
    fixture()
        .into_iter()
        .filter(Tx::is_successful_refund)
        .map(|t| t.id)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Independent tools
// ---------------------------------------------------------------------------------------

/// The Debian/Ubuntu package that provides `tool`.
fn package_of(tool: &str) -> &'static str {
    match tool {
        "pdftotext" | "pdffonts" | "pdfinfo" => "poppler-utils",
        "qpdf" => "qpdf",
        "unzip" => "unzip",
        _ => "(unknown package)",
    }
}

/// Runs an external checker. A missing tool fails the test naming the package to install:
/// a check that cannot run must never count as a pass.
fn run_tool(name: &str, args: &[&str]) -> Output {
    Command::new(name)
        .args(args)
        // pdfinfo prints dates in the local zone; pin it so the output is comparable.
        .env("TZ", "UTC")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{name}` ({e}): install the `{}` package (tests/run.sh does)",
                package_of(name)
            )
        })
}

/// Runs a checker that must succeed and returns its standard output and error.
#[track_caller]
fn tool_ok(name: &str, args: &[&str]) -> String {
    let out = run_tool(name, args);
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "`{name} {}` failed ({}):\n{text}",
        args.join(" "),
        out.status
    );
    text
}

fn p(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

fn pdftotext(path: &Path) -> String {
    let out = run_tool("pdftotext", &["-enc", "UTF-8", p(path), "-"]);
    assert!(
        out.status.success(),
        "pdftotext {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("pdftotext -enc UTF-8 prints UTF-8")
}

/// `pdfinfo` as key → value.
fn pdfinfo(path: &Path) -> BTreeMap<String, String> {
    tool_ok("pdfinfo", &[p(path)])
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn page_count(path: &Path) -> usize {
    let info = pdfinfo(path);
    info.get("Pages")
        .unwrap_or_else(|| panic!("pdfinfo {} prints no Pages line", path.display()))
        .parse()
        .expect("a page count")
}

#[track_caller]
fn assert_qpdf_check(path: &Path) {
    let out = tool_ok("qpdf", &["--check", p(path)]);
    assert!(
        out.contains("No syntax or stream encoding errors"),
        "qpdf --check {}:\n{out}",
        path.display()
    );
}

/// Every font embedded (a reader never substitutes a system font, which is how Chinese
/// turns into boxes) and subset (`ABCDEF+Name`: only the glyphs used, never a whole 10 MB
/// CJK face).
#[track_caller]
fn assert_fonts_embedded_and_subset(path: &Path) {
    let out = tool_ok("pdffonts", &[p(path)]);
    let lines: Vec<&str> = out
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        !lines.is_empty(),
        "{}: no fonts at all\n{out}",
        path.display()
    );
    for line in lines {
        // name type... encoding emb sub uni object generation: read from the right, as the
        // type column may contain spaces.
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols.len() >= 7, "unexpected pdffonts line {line:?}");
        let (name, emb, sub) = (cols[0], cols[cols.len() - 5], cols[cols.len() - 4]);
        assert_eq!(
            emb,
            "yes",
            "{}: font {name} is not embedded",
            path.display()
        );
        assert_eq!(sub, "yes", "{}: font {name} is not subset", path.display());
        let (tag, _) = name
            .split_once('+')
            .unwrap_or_else(|| panic!("{}: font {name} has no subset tag", path.display()));
        assert!(
            tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
            "{}: font {name}: subset tag is not six capital letters",
            path.display()
        );
    }
}

/// Text without any whitespace: wrapping inserts line breaks wherever it likes, and CLDR
/// puts no-break spaces into amounts and times.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[track_caller]
fn assert_text_has(path: &Path, text: &str, wanted: &[String]) {
    let squeezed = squeeze(text);
    for want in wanted {
        assert!(
            squeezed.contains(&squeeze(want)),
            "{}: pdftotext output lacks {want:?}\n--- text ---\n{text}",
            path.display()
        );
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `root` (recursively), as paths.
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------
// Running recibo
// ---------------------------------------------------------------------------------------

/// A temporary folder holding the fixture.
struct Sandbox {
    dir: tempfile::TempDir,
    fixture: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox::with_extra(&[])
    }

    /// The fixture plus `extra` rows.
    fn with_extra(extra: &[Tx]) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let fixture = write_fixture(dir.path(), extra);
        Sandbox { dir, fixture }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn input(&self) -> &str {
        p(&self.fixture)
    }

    /// `recibo receipt ID -i fixture.csv EXTRA...`, run in the sandbox.
    fn receipt(&self, id: &str, extra: &[&str]) -> Run {
        let mut args = vec!["receipt", id, "-i", self.input()];
        args.extend_from_slice(extra);
        recibo(self.path(), &args)
    }

    /// `recibo receipts -i fixture.csv EXTRA...`, run in the sandbox.
    fn receipts(&self, extra: &[&str]) -> Run {
        let mut args = vec!["receipts", "-i", self.input()];
        args.extend_from_slice(extra);
        recibo(self.path(), &args)
    }
}

/// One line of `manifest.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ManifestRow {
    refund_id: String,
    language: String,
    file: String,
    bytes: u64,
    sha256: String,
    status: String,
    reason: String,
}

fn read_manifest(path: &Path) -> Vec<ManifestRow> {
    let records = support::read_csv(path, b',');
    assert_eq!(
        records.first().map(Vec::as_slice),
        Some(
            &[
                "refund_id",
                "language",
                "file",
                "bytes",
                "sha256",
                "status",
                "reason"
            ]
            .map(String::from)[..]
        ),
        "{}: manifest header",
        path.display()
    );
    records[1..]
        .iter()
        .map(|r| ManifestRow {
            refund_id: r[0].clone(),
            language: r[1].clone(),
            file: r[2].clone(),
            bytes: r[3].parse().expect("bytes is a number"),
            sha256: r[4].clone(),
            status: r[5].clone(),
            reason: r[6].clone(),
        })
        .collect()
}

fn zone(name: &str) -> Tz {
    name.parse().expect("IANA zone")
}

fn generated_at() -> DateTime<Utc> {
    instant(GENERATED_AT)
}

// ---------------------------------------------------------------------------------------
// recibo receipt: one receipt per language
// ---------------------------------------------------------------------------------------

/// Renders `id` in `tag` and zone `tz` and checks the receipt end to end: the text layer
/// (title, labels, amounts, times, zone, free text), fonts, structure, size, page count,
/// metadata date and reproducibility.
fn check_single_receipt(tag: &str, lang: Lang, tz: &str, id: &str, free_text: &[&str]) {
    let sandbox = Sandbox::new();
    let out = sandbox.path().join("r.pdf");
    let args = [
        "--lang",
        tag,
        "--tz",
        tz,
        "--generated-at",
        GENERATED_AT,
        "-o",
        p(&out),
    ];
    sandbox.receipt(id, &args).assert_code(0);

    let locales = Locales::new().expect("locales");
    let refund = find(id);
    let original = find(refund.original);
    let zone = zone(tz);
    let mut expected: Vec<String> = [
        "receipt-title",
        "section-refund",
        "section-original",
        "section-merchant",
        "label-refund-id",
        "label-refunded-amount",
        "label-currency",
        "label-reason",
        "label-status",
        "label-refund-time",
        "label-time-zone",
        "label-original-payment-id",
        "label-original-amount",
        "label-payment-time",
        "label-order-description",
        "label-merchant-name",
        "label-merchant-id",
        "label-acquirer",
        "status-success",
        "footer-validity",
    ]
    .iter()
    .map(|id| locales.message(lang, id))
    .collect();
    expected.extend([
        refund.id.clone(),
        original.id.clone(),
        refund.currency.to_string(),
        refund.customer.to_string(),
        refund.acquirer.to_string(),
        refund.merchant.to_string(),
        // Refunds are negative in reports; a receipt states the amount given back.
        locales.money_with_code(lang, refund.money().abs()),
        locales.money_with_code(lang, original.money().abs()),
        locales.datetime_with_zone(lang, instant(refund.time), zone),
        locales.datetime_with_zone(lang, instant(original.time), zone),
        // The generation time is the one asked for, shown in the receipt's zone.
        locales.datetime_with_zone(lang, generated_at(), zone),
        locales.zone_with_offset(lang, instant(refund.time), zone),
        zone.name().to_string(),
    ]);
    expected.extend(free_text.iter().map(|s| s.to_string()));
    let text = pdftotext(&out);
    assert_text_has(&out, &text, &expected);

    assert_fonts_embedded_and_subset(&out);
    assert_qpdf_check(&out);
    let size = std::fs::metadata(&out).expect("receipt written").len();
    assert!(
        size <= MAX_RECEIPT_BYTES,
        "{tag} receipt is {size} bytes, over {MAX_RECEIPT_BYTES}"
    );
    let info = pdfinfo(&out);
    assert_eq!(info.get("Pages").map(String::as_str), Some("1"), "{info:?}");
    assert_eq!(
        info.get("Tagged").map(String::as_str),
        Some("yes"),
        "{info:?}"
    );
    assert!(
        info.get("CreationDate")
            .is_some_and(|d| d.contains("Nov 20 12:00:00 2026")),
        "the metadata creation date is not --generated-at: {info:?}"
    );

    // Same refund, language, zone and generation time: the same bytes.
    let again = sandbox.path().join("again.pdf");
    let mut args2 = args;
    args2[7] = p(&again);
    sandbox.receipt(id, &args2).assert_code(0);
    assert!(
        read(&out) == read(&again),
        "two {tag} renderings of {id} with the same --generated-at differ"
    );
    // ...and the generation time really is part of the receipt.
    let later = sandbox.path().join("later.pdf");
    let mut args3 = args;
    args3[5] = "2026-11-21T08:30:00Z";
    args3[7] = p(&later);
    sandbox.receipt(id, &args3).assert_code(0);
    assert!(
        read(&out) != read(&later),
        "a different --generated-at gave the same bytes"
    );
}

#[test]
fn english_receipt_shows_title_labels_amounts_times_zone_and_mixed_free_text() {
    check_single_receipt(
        "en",
        Lang::En,
        "America/New_York",
        "R-USD-001",
        &[MIXED_DESCRIPTION, EN_REASON],
    );
}

#[test]
fn chinese_receipt_shows_title_labels_amounts_times_zone_and_chinese_free_text() {
    check_single_receipt(
        "zh-CN",
        Lang::ZhCn,
        "Asia/Shanghai",
        "R-CNY-001",
        &[ZH_DESCRIPTION, ZH_REASON],
    );
}

#[test]
fn portuguese_receipt_shows_title_labels_amounts_times_zone_and_portuguese_free_text() {
    check_single_receipt(
        "pt-BR",
        Lang::PtBr,
        "America/Sao_Paulo",
        "R-BRL-001",
        &[PT_DESCRIPTION, PT_REASON],
    );
}

/// zero- and three-decimal currencies keep their exact minor digits on a single receipt.
#[test]
fn receipt_prints_jpy_krw_and_bhd_amounts_with_their_minor_digits() {
    let sandbox = Sandbox::new();
    let locales = Locales::new().expect("locales");
    for (id, lang, tag) in [
        ("R-JPY-001", Lang::En, "en"),
        ("R-KRW-001", Lang::ZhCn, "zh-CN"),
        ("R-BHD-001", Lang::PtBr, "pt-BR"),
    ] {
        let out = sandbox.path().join(format!("{tag}.pdf"));
        sandbox
            .receipt(
                id,
                &["--lang", tag, "--generated-at", GENERATED_AT, "-o", p(&out)],
            )
            .assert_code(0);
        let refund = find(id);
        let amount = locales.money_with_code(lang, refund.money().abs());
        let digits =
            support::amount_major(refund.amount.trim_start_matches('-'), refund.currency, '.');
        // The formatter's output must carry the fixture's digits (grouping aside), so the
        // expectation itself is not just recibo agreeing with recibo.
        let bare: String = amount.chars().filter(|c| c.is_ascii_digit()).collect();
        assert_eq!(bare, digits.replace('.', ""), "{id} {tag}: {amount}");
        assert_text_has(
            &out,
            &pdftotext(&out),
            &[amount, refund.currency.to_string()],
        );
    }
}

// ---------------------------------------------------------------------------------------
// recibo receipt: refusals
// ---------------------------------------------------------------------------------------

/// Checks that `id` is refused with exit code 1, names `words` on stderr and writes nothing.
fn assert_refused(id: &str, words: &[&str]) {
    let sandbox = Sandbox::new();
    let out = sandbox.path().join("r.pdf");
    let run = sandbox.receipt(id, &["--lang", "en", "-o", p(&out)]);
    run.assert_code(1).assert_stderr_has(words);
    assert!(
        !out.exists(),
        "a refused receipt still wrote {}",
        out.display()
    );
    // No temporary file left behind either: only the fixture is in the folder.
    assert_eq!(support::list_dir(sandbox.path()), vec!["fixture.csv"]);
}

#[test]
fn receipt_for_a_processing_refund_exits_1_naming_its_type_and_status() {
    assert_refused("R-BRL-PROC", &["R-BRL-PROC", "REFUND", "PROCESSING"]);
}

#[test]
fn receipt_for_a_failed_refund_exits_1_naming_its_type_and_status() {
    assert_refused("R-CNY-FAIL", &["R-CNY-FAIL", "REFUND", "FAIL"]);
}

#[test]
fn receipt_for_a_payment_id_exits_1_naming_its_type_and_status() {
    assert_refused("P-LONELY-001", &["P-LONELY-001", "PAYMENT", "SUCCESS"]);
}

#[test]
fn receipt_for_an_unknown_id_exits_2_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let out = sandbox.path().join("r.pdf");
    sandbox
        .receipt("NO-SUCH-ID", &["-o", p(&out)])
        .assert_code(2)
        .assert_stderr_has(&["NO-SUCH-ID"]);
    assert!(!out.exists());
}

#[test]
fn receipt_to_stdout_writes_the_same_pdf_as_to_a_file() {
    let sandbox = Sandbox::new();
    let common = ["--lang", "pt-BR", "--generated-at", GENERATED_AT];
    let run = sandbox.receipt("R-BRL-001", &[&common[..], &["-o", "-"]].concat());
    run.assert_code(0);
    assert!(
        run.stdout.starts_with(b"%PDF-"),
        "stdout does not start with %PDF-: {:?}",
        String::from_utf8_lossy(&run.stdout[..run.stdout.len().min(16)])
    );
    let file = sandbox.path().join("r.pdf");
    sandbox
        .receipt("R-BRL-001", &[&common[..], &["-o", p(&file)]].concat())
        .assert_code(0);
    assert!(run.stdout == read(&file), "-o - and -o FILE differ");
    // Nothing but the PDF on stdout: the file a shell redirect makes must be valid.
    assert_qpdf_check(&file);
}

/// Without -o the file is named after the refund, made safe: a hostile ID must not write
/// outside the current folder.
#[test]
fn receipt_default_file_name_of_a_hostile_id_stays_in_the_current_folder() {
    let sandbox = Sandbox::new();
    let cwd = sandbox.path().join("a").join("b");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    for id in hostile_ids() {
        let run = recibo(
            &cwd,
            &[
                "receipt",
                &id,
                "-i",
                sandbox.input(),
                "--lang",
                "zh-CN",
                "--generated-at",
                GENERATED_AT,
            ],
        );
        run.assert_code(0);
    }
    let files = walk(sandbox.path());
    let pdfs: Vec<&PathBuf> = files.iter().filter(|f| **f != sandbox.fixture).collect();
    assert_eq!(pdfs.len(), hostile_ids().len(), "{files:?}");
    for f in pdfs {
        assert_eq!(f.parent(), Some(cwd.as_path()), "{} escaped", f.display());
        assert_safe_name(f, "zh-CN");
    }
}

// ---------------------------------------------------------------------------------------
// Languages
// ---------------------------------------------------------------------------------------

#[test]
fn unsupported_language_exits_2_listing_the_offered_ones() {
    let sandbox = Sandbox::new();
    let out = sandbox.path().join("r.pdf");
    sandbox
        .receipt("R-BRL-001", &["--lang", "fr", "-o", p(&out)])
        .assert_code(2)
        .assert_stderr_has(&["fr", "en", "zh-CN", "pt-BR"]);
    assert!(!out.exists());
    let dir = sandbox.path().join("out");
    sandbox
        .receipts(&["--lang", "en,fr", "--out", p(&dir)])
        .assert_code(2)
        .assert_stderr_has(&["fr", "en", "zh-CN", "pt-BR"]);
    assert!(!dir.join("R-BRL-001_en.pdf").exists());
}

#[test]
fn short_language_tags_zh_and_pt_are_accepted_as_zh_cn_and_pt_br() {
    let sandbox = Sandbox::new();
    let locales = Locales::new().expect("locales");
    for (short, lang) in [("zh", Lang::ZhCn), ("pt", Lang::PtBr)] {
        let out = sandbox.path().join(format!("{short}.pdf"));
        sandbox
            .receipt(
                "R-BRL-001",
                &[
                    "--lang",
                    short,
                    "--generated-at",
                    GENERATED_AT,
                    "-o",
                    p(&out),
                ],
            )
            .assert_code(0);
        assert_text_has(
            &out,
            &pdftotext(&out),
            &[locales.message(lang, "receipt-title")],
        );
        assert_document_language(&out, lang.tag());
    }
}

// ---------------------------------------------------------------------------------------
// Tagged PDF and PDF/A
// ---------------------------------------------------------------------------------------

/// The catalog's /Lang names `tag` (as a literal string; krilla writes it uncompressed).
#[track_caller]
fn assert_document_language(path: &Path, tag: &str) {
    let raw = read(path);
    assert!(
        contains_bytes(&raw, format!("/Lang({tag})").as_bytes())
            || contains_bytes(&raw, format!("/Lang ({tag})").as_bytes()),
        "{}: no /Lang ({tag}) in the PDF",
        path.display()
    );
}

#[test]
fn receipts_are_tagged_pdfs_with_the_document_language_set() {
    let sandbox = Sandbox::new();
    for tag in ["en", "zh-CN", "pt-BR"] {
        let out = sandbox.path().join(format!("{tag}.pdf"));
        sandbox
            .receipt(
                "R-CNY-001",
                &["--lang", tag, "--generated-at", GENERATED_AT, "-o", p(&out)],
            )
            .assert_code(0);
        let raw = read(&out);
        assert!(
            contains_bytes(&raw, b"/StructTreeRoot"),
            "{tag}: no /StructTreeRoot"
        );
        assert!(contains_bytes(&raw, b"/MarkInfo"), "{tag}: no /MarkInfo");
        assert_document_language(&out, tag);
        let info = pdfinfo(&out);
        assert_eq!(
            info.get("Tagged").map(String::as_str),
            Some("yes"),
            "{tag}: {info:?}"
        );
    }
}

#[test]
fn pdfa_receipt_passes_qpdf_and_declares_pdfa_2b_in_xmp() {
    let sandbox = Sandbox::new();
    for tag in ["en", "zh-CN", "pt-BR"] {
        let out = sandbox.path().join(format!("{tag}.pdf"));
        sandbox
            .receipt(
                "R-CNY-001",
                &[
                    "--lang",
                    tag,
                    "--pdfa",
                    "--generated-at",
                    GENERATED_AT,
                    "-o",
                    p(&out),
                ],
            )
            .assert_code(0);
        assert_qpdf_check(&out);
        assert_fonts_embedded_and_subset(&out);
        let raw = read(&out);
        assert!(
            contains_bytes(&raw, b"pdfaid:part"),
            "{tag}: no pdfaid:part in XMP"
        );
        // PDF/A-2b: part 2, conformance B, in either XMP serialization.
        assert!(
            contains_bytes(&raw, b"pdfaid:part>2<") || contains_bytes(&raw, b"pdfaid:part=\"2\""),
            "{tag}: pdfaid:part is not 2"
        );
        assert!(
            contains_bytes(&raw, b"pdfaid:conformance>B<")
                || contains_bytes(&raw, b"pdfaid:conformance=\"B\""),
            "{tag}: pdfaid:conformance is not B"
        );
        assert_document_language(&out, tag);
    }
    // A bulk run takes --pdfa too.
    let dir = sandbox.path().join("out");
    sandbox
        .receipts(&[
            "--pdfa",
            "--currency",
            "CNY",
            "--generated-at",
            GENERATED_AT,
            "--out",
            p(&dir),
        ])
        .assert_code(0);
    let file = dir.join("R-CNY-001_en.pdf");
    assert_qpdf_check(&file);
    assert!(contains_bytes(&read(&file), b"pdfaid:part"));
}

// ---------------------------------------------------------------------------------------
// recibo receipts --out
// ---------------------------------------------------------------------------------------

/// A receipt's file name: only the folder's own entry, no separators, no `..`, no control
/// characters, not hidden, ending in `_<lang>.pdf` and short enough for any filesystem.
#[track_caller]
fn assert_safe_name(path: &Path, lang: &str) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_else(|| panic!("{} has no UTF-8 file name", path.display()));
    assert!(
        !name.contains('/')
            && !name.contains('\\')
            && !name.contains("..")
            && !name.chars().any(char::is_control)
            && !name.starts_with('.')
            && name.len() <= 255,
        "unsafe receipt file name {name:?}"
    );
    assert!(
        name.ends_with(&format!("_{lang}.pdf")),
        "{name:?} does not end in _{lang}.pdf"
    );
}

const ALL_LANGS: [&str; 3] = ["en", "zh-CN", "pt-BR"];

/// `recibo receipts --lang en,zh-CN,pt-BR --out OUT` from a folder two levels below the
/// sandbox root, so a `../../` in a name would still land inside the sandbox where the walk
/// finds it.
fn bulk_out(sandbox: &Sandbox, extra: &[&str]) -> (PathBuf, Run) {
    let cwd = sandbox.path().join("w1").join("w2");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let out = cwd.join("out");
    let mut args = vec![
        "receipts",
        "-i",
        sandbox.input(),
        "--lang",
        "en,zh-CN,pt-BR",
        "--tz",
        "America/Sao_Paulo",
        "--generated-at",
        GENERATED_AT,
        "--out",
        "out",
    ];
    args.extend_from_slice(extra);
    let run = recibo(&cwd, &args);
    (out, run)
}

/// Every `written`/`unchanged` row names a file of the folder with that size and digest,
/// and the folder holds exactly those files and the manifest (no temporary leftovers).
#[track_caller]
fn assert_manifest_matches_folder(out: &Path, manifest: &[ManifestRow]) {
    let mut expected_names = BTreeSet::from(["manifest.csv".to_string()]);
    for row in manifest
        .iter()
        .filter(|r| r.status == "written" || r.status == "unchanged")
    {
        let path = out.join(&row.file);
        let bytes = read(&path);
        assert_eq!(bytes.len() as u64, row.bytes, "{row:?}: size");
        assert_eq!(sha256_hex(&bytes), row.sha256, "{row:?}: sha256");
        assert!(bytes.starts_with(b"%PDF-"), "{row:?}: not a PDF");
        expected_names.insert(row.file.clone());
    }
    let actual: BTreeSet<String> = support::list_dir(out).into_iter().collect();
    assert_eq!(actual, expected_names, "files in {}", out.display());
}

#[test]
fn bulk_out_writes_one_safe_file_per_successful_refund_and_language_and_a_matching_manifest() {
    let sandbox = Sandbox::new();
    let (out, run) = bulk_out(&sandbox, &[]);
    // Refunds that are not successful are listed, not failures of the run.
    run.assert_code(0);

    // Nothing outside the out folder but the fixture: no name escaped.
    for file in walk(sandbox.path()) {
        assert!(
            file == sandbox.fixture || file.parent() == Some(out.as_path()),
            "{} was written outside {}",
            file.display(),
            out.display()
        );
    }

    let manifest = read_manifest(&out.join("manifest.csv"));
    assert_manifest_matches_folder(&out, &manifest);

    // One `written` row per successful refund per language, every file name distinct.
    let successful = successful_refund_ids();
    let written: Vec<&ManifestRow> = manifest.iter().filter(|r| r.status == "written").collect();
    assert_eq!(
        written.len(),
        successful.len() * ALL_LANGS.len(),
        "{manifest:#?}"
    );
    let names: BTreeSet<&str> = written.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(names.len(), written.len(), "two receipts share a file name");
    for id in &successful {
        for lang in ALL_LANGS {
            let row = written
                .iter()
                .find(|r| &r.refund_id == id && r.language == lang)
                .unwrap_or_else(|| panic!("no written row for {id:?} {lang}"));
            assert_safe_name(&out.join(&row.file), lang);
            assert!(
                row.bytes <= MAX_RECEIPT_BYTES,
                "{id:?} {lang}: {} bytes",
                row.bytes
            );
            if !hostile_ids().contains(id) {
                assert_eq!(row.file, format!("{id}_{lang}.pdf"));
            }
        }
    }
    // The receipts really are per language: a file's text has that language's title.
    let locales = Locales::new().expect("locales");
    for lang in Lang::ALL {
        let file = out.join(format!("R-BRL-001_{}.pdf", lang.tag()));
        assert_text_has(
            &file,
            &pdftotext(&file),
            &[locales.message(lang, "receipt-title")],
        );
        assert_document_language(&file, lang.tag());
    }

    // Refunds without a receipt: one `skipped` row per language with the reason.
    for t in fixture()
        .iter()
        .filter(|t| t.is_refund() && !t.is_successful_refund())
    {
        for lang in ALL_LANGS {
            let row = manifest
                .iter()
                .find(|r| r.refund_id == t.id && r.language == lang)
                .unwrap_or_else(|| panic!("{} {lang} missing from the manifest", t.id));
            assert_eq!(row.status, "skipped", "{row:?}");
            assert!(row.file.is_empty(), "{row:?}");
            assert!(
                row.reason.contains(t.status),
                "the reason does not say the status: {row:?}"
            );
        }
    }
    // Payments have no lines; nothing else is listed.
    let listed: BTreeSet<&str> = manifest.iter().map(|r| r.refund_id.as_str()).collect();
    let refunds: BTreeSet<String> = fixture()
        .into_iter()
        .filter(Tx::is_refund)
        .map(|t| t.id)
        .collect();
    assert_eq!(
        listed,
        refunds.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
}

#[test]
fn bulk_rerun_reports_unchanged_and_keeps_files_and_force_rewrites_them() {
    let sandbox = Sandbox::new();
    let (out, run) = bulk_out(&sandbox, &[]);
    run.assert_code(0);
    let first = read_manifest(&out.join("manifest.csv"));
    let stamp = |file: &str| {
        let m = std::fs::metadata(out.join(file)).expect("receipt exists");
        (m.ino(), m.mtime(), m.mtime_nsec(), read(&out.join(file)))
    };
    let before: BTreeMap<String, _> = first
        .iter()
        .filter(|r| r.status == "written")
        .map(|r| (r.file.clone(), stamp(&r.file)))
        .collect();
    assert!(!before.is_empty());
    // Let the clock move, so a rewrite could not keep the same mtime by chance.
    std::thread::sleep(std::time::Duration::from_millis(50));

    let (_, rerun) = bulk_out(&sandbox, &[]);
    rerun.assert_code(0);
    let second = read_manifest(&out.join("manifest.csv"));
    assert_manifest_matches_folder(&out, &second);
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        if a.status == "written" {
            assert_eq!(b.status, "unchanged", "{b:?}");
            assert_eq!((&a.file, a.bytes, &a.sha256), (&b.file, b.bytes, &b.sha256));
        } else {
            assert_eq!(a, b);
        }
    }
    for (file, stamp_before) in &before {
        assert!(
            stamp(file) == *stamp_before,
            "{file} was touched by a rerun that had nothing to do"
        );
    }

    let (_, forced) = bulk_out(&sandbox, &["--force"]);
    forced.assert_code(0);
    let third = read_manifest(&out.join("manifest.csv"));
    assert_manifest_matches_folder(&out, &third);
    for (a, c) in first.iter().zip(&third) {
        assert_eq!(a, c, "--force gives the manifest of a fresh run");
    }
    for (file, (ino, _, _, bytes)) in &before {
        let (ino_after, _, _, bytes_after) = stamp(file);
        assert_ne!(ino_after, *ino, "--force did not rewrite {file}");
        assert!(
            bytes_after == *bytes,
            "{file}: same inputs, different bytes"
        );
    }
}

/// A receipt cut short (a crash, a full disk) is not "complete and identical": a rerun
/// must render it again rather than keep the broken file.
#[test]
fn bulk_rerun_rewrites_a_truncated_receipt() {
    let sandbox = Sandbox::new();
    let (out, run) = bulk_out(&sandbox, &[]);
    run.assert_code(0);
    let victim = out.join("R-CNY-001_zh-CN.pdf");
    let whole = read(&victim);
    std::fs::write(&victim, &whole[..whole.len() / 2]).expect("truncate");

    let (_, rerun) = bulk_out(&sandbox, &[]);
    rerun.assert_code(0);
    let manifest = read_manifest(&out.join("manifest.csv"));
    assert_manifest_matches_folder(&out, &manifest);
    let row = manifest
        .iter()
        .find(|r| r.file == "R-CNY-001_zh-CN.pdf")
        .expect("row");
    assert_eq!(row.status, "written");
    assert!(read(&victim) == whole);
    assert_eq!(
        manifest.iter().filter(|r| r.status == "written").count(),
        1,
        "only the damaged receipt is rewritten"
    );
}

/// `recibo receipt` and `recibo receipts` print the same receipt for the same refund,
/// language, zone and generation time.
#[test]
fn single_and_bulk_receipts_of_the_same_refund_are_byte_identical() {
    let sandbox = Sandbox::new();
    let (out, run) = bulk_out(&sandbox, &[]);
    run.assert_code(0);
    for (id, tag) in [
        ("R-BRL-001", "pt-BR"),
        ("R-CNY-001", "zh-CN"),
        ("R-USD-001", "en"),
    ] {
        let single = sandbox.path().join(format!("single_{tag}.pdf"));
        sandbox
            .receipt(
                id,
                &[
                    "--lang",
                    tag,
                    "--tz",
                    "America/Sao_Paulo",
                    "--generated-at",
                    GENERATED_AT,
                    "-o",
                    p(&single),
                ],
            )
            .assert_code(0);
        assert!(
            read(&single) == read(&out.join(format!("{id}_{tag}.pdf"))),
            "{id} {tag}: receipt and receipts disagree"
        );
    }
}

// ---------------------------------------------------------------------------------------
// recibo receipts --zip and --merge
// ---------------------------------------------------------------------------------------

#[test]
fn bulk_zip_passes_unzip_and_holds_the_same_pdfs_as_the_folder_and_the_manifest() {
    let sandbox = Sandbox::new();
    let (out, run) = bulk_out(&sandbox, &[]);
    run.assert_code(0);
    let archive = sandbox.path().join("october.zip");
    sandbox
        .receipts(&[
            "--lang",
            "en,zh-CN,pt-BR",
            "--tz",
            "America/Sao_Paulo",
            "--generated-at",
            GENERATED_AT,
            "--zip",
            p(&archive),
        ])
        .assert_code(0);

    let test = tool_ok("unzip", &["-t", p(&archive)]);
    assert!(test.contains("No errors detected"), "{test}");

    let folder_manifest = read_manifest(&out.join("manifest.csv"));
    let mut expected: BTreeSet<String> = folder_manifest
        .iter()
        .filter(|r| r.status == "written")
        .map(|r| r.file.clone())
        .collect();
    expected.insert("manifest.csv".to_string());
    let listed: BTreeSet<String> = tool_ok("unzip", &["-Z1", p(&archive)])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(listed, expected);
    for name in &listed {
        assert!(
            !name.contains('/') && !name.contains("..") && !name.chars().any(char::is_control),
            "unsafe archive entry {name:?}"
        );
    }

    let unpacked = sandbox.path().join("unpacked");
    tool_ok("unzip", &["-q", p(&archive), "-d", p(&unpacked)]);
    for name in expected.iter().filter(|n| n.ends_with(".pdf")) {
        assert!(
            read(&unpacked.join(name)) == read(&out.join(name)),
            "{name}: the archived receipt differs from the folder's"
        );
    }
    // The manifest inside describes the same receipts.
    assert_eq!(
        read_manifest(&unpacked.join("manifest.csv")),
        folder_manifest
    );
    // Nothing else was unpacked (a hostile entry name cannot have gone elsewhere).
    let unpacked_files: BTreeSet<String> = walk(&unpacked)
        .iter()
        .map(|f| {
            f.strip_prefix(&unpacked)
                .expect("inside")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(unpacked_files, expected);
}

#[test]
fn a_merged_document_past_its_page_limit_is_refused_before_rendering() {
    let sandbox = Sandbox::new();
    let merged = sandbox.path().join("october.pdf");
    let pages = successful_refund_ids().len() * 2;
    let limit = (pages - 1).to_string();
    sandbox
        .receipts(&[
            "--lang",
            "en,pt-BR",
            "--merge",
            p(&merged),
            "--max-merged-pages",
            &limit,
        ])
        .assert_code(2)
        .assert_stderr_has(&[&format!("{pages} pages"), "--max-merged-pages", "--zip"]);
    assert!(!merged.exists());
    let left: Vec<PathBuf> = walk(sandbox.path())
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("october"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // At the limit it is written.
    let limit = pages.to_string();
    sandbox
        .receipts(&[
            "--lang",
            "en,pt-BR",
            "--merge",
            p(&merged),
            "--max-merged-pages",
            &limit,
        ])
        .assert_code(0);
    assert_eq!(page_count(&merged), pages);
}

#[test]
fn bulk_merge_has_a_page_per_successful_refund_and_language_with_every_id_and_amount() {
    let sandbox = Sandbox::new();
    let merged = sandbox.path().join("october.pdf");
    sandbox
        .receipts(&[
            "--lang",
            "en,zh-CN,pt-BR",
            "--tz",
            "Asia/Shanghai",
            "--generated-at",
            GENERATED_AT,
            "--merge",
            p(&merged),
        ])
        .assert_code(0);
    let successful = successful_refund_ids();
    assert_eq!(page_count(&merged), successful.len() * ALL_LANGS.len());
    assert_qpdf_check(&merged);
    assert_fonts_embedded_and_subset(&merged);

    let locales = Locales::new().expect("locales");
    let mut wanted: Vec<String> = successful.clone();
    for t in fixture().iter().filter(|t| t.is_successful_refund()) {
        for lang in Lang::ALL {
            wanted.push(locales.money_with_code(lang, t.money().abs()));
        }
    }
    let text = pdftotext(&merged);
    assert_text_has(&merged, &text, &wanted);
    // Every bulk run leaves a manifest; with --merge alone it sits beside the merged PDF.
    let manifests: Vec<PathBuf> = walk(sandbox.path())
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with("manifest.csv"))
        .collect();
    assert_eq!(manifests.len(), 1, "{manifests:?}");
    let manifest = read_manifest(&manifests[0]);
    let written: BTreeSet<&str> = manifest
        .iter()
        .filter(|r| r.status == "written")
        .map(|r| r.refund_id.as_str())
        .collect();
    assert_eq!(
        written,
        successful
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
    );
    // A merged document mixes languages: each receipt's structure says its own.
    for lang in Lang::ALL {
        assert_document_language(&merged, lang.tag());
    }
    // Non-successful refunds have no page.
    for id in ["R-BRL-PROC", "R-CNY-FAIL"] {
        assert!(!text.contains(id), "{id} has a page in the merged PDF");
    }
}

// ---------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------

#[test]
fn bulk_filters_from_to_acquirer_and_currency_select_exactly_the_expected_refunds() {
    let (from, to, tz) = ("2026-10-05", "2026-10-21", "America/Sao_Paulo");
    let acquirers = ["antom", "STRIPE"];
    let currencies = ["BRL", "BHD", "CNY"];
    let (lo, hi) = (midnight(from, tz), midnight(to, tz));
    let expected: BTreeSet<String> = fixture()
        .into_iter()
        .filter(|t| {
            let at = instant(t.time);
            t.is_refund()
                && at >= lo
                && at < hi
                && acquirers.iter().any(|a| a.eq_ignore_ascii_case(t.acquirer))
                && currencies.contains(&t.currency)
        })
        .map(|t| t.id)
        .collect();
    // The fixture exercises every criterion: something is kept and something dropped by
    // each bound, the acquirer list and the currency list.
    for id in [
        "R-BRL-001",
        "R-CNY-001",
        "R-BRL-PROC",
        "R-CNY-FAIL",
        "../../evil",
        "..",
        ".hidden",
    ] {
        assert!(expected.contains(id), "fixture: {id} should be selected");
    }
    for id in [
        "a/b",
        "x\ty",
        "R-BHD-001",
        "R-JPY-001",
        "R-USD-001",
        "R-KRW-001",
    ] {
        assert!(!expected.contains(id), "fixture: {id} should be dropped");
    }

    let sandbox = Sandbox::new();
    let out = sandbox.path().join("out");
    sandbox
        .receipts(&[
            "--from",
            from,
            "--to",
            to,
            "--tz",
            tz,
            "--acquirer",
            &acquirers.join(","),
            "--currency",
            &currencies.join(","),
            "--lang",
            "en",
            "--generated-at",
            GENERATED_AT,
            "--out",
            p(&out),
        ])
        .assert_code(0);
    let manifest = read_manifest(&out.join("manifest.csv"));
    assert_manifest_matches_folder(&out, &manifest);
    let listed: BTreeSet<String> = manifest.iter().map(|r| r.refund_id.clone()).collect();
    assert_eq!(listed, expected);
    let written: BTreeSet<String> = manifest
        .iter()
        .filter(|r| r.status == "written")
        .map(|r| r.refund_id.clone())
        .collect();
    let successful: BTreeSet<String> = successful_refund_ids().into_iter().collect();
    assert_eq!(
        written,
        expected
            .intersection(&successful)
            .cloned()
            .collect::<BTreeSet<_>>()
    );
}

// ---------------------------------------------------------------------------------------
// Usage errors and receipts that cannot be rendered
// ---------------------------------------------------------------------------------------

#[test]
fn bad_zone_bad_generated_at_or_no_destination_are_usage_errors() {
    let sandbox = Sandbox::new();
    let out = sandbox.path().join("r.pdf");
    sandbox
        .receipt("R-BRL-001", &["--tz", "Mars/Olympus_Mons", "-o", p(&out)])
        .assert_code(2)
        .assert_stderr_has(&["--tz"]);
    sandbox
        .receipt(
            "R-BRL-001",
            &["--generated-at", "yesterday-ish", "-o", p(&out)],
        )
        .assert_code(2)
        .assert_stderr_has(&["--generated-at"]);
    assert!(!out.exists());
    // A bulk run must be told where receipts go.
    sandbox
        .receipts(&["--lang", "en"])
        .assert_code(2)
        .assert_stderr_has(&["--out", "--zip", "--merge"]);
    assert_eq!(support::list_dir(sandbox.path()), vec!["fixture.csv"]);
}

/// A successful refund whose receipt cannot be laid out on a page: a reason of some 28,000
/// characters.
fn unrenderable_refund() -> Tx {
    Tx {
        reason: "Motivo muito longo, repetido até não caber. "
            .repeat(650)
            .leak(),
        ..tx(
            "REFUND",
            "R-HUGE",
            "P-BRL-001",
            "Antom",
            "2026-10-09T18:00:00Z",
            "-3.00",
            "BRL",
            "SUCCESS",
        )
    }
}

/// One receipt that cannot be laid out is an output that could not be produced (exit 4),
/// not a usage error, and nothing is written.
#[test]
fn one_receipt_that_cannot_be_rendered_exits_4_and_writes_nothing() {
    let sandbox = Sandbox::with_extra(&[unrenderable_refund()]);
    let out = sandbox.path().join("huge.pdf");
    sandbox
        .receipt("R-HUGE", &["--lang", "pt-BR", "-o", p(&out)])
        .assert_code(4)
        .assert_stderr_has(&["R-HUGE", "does not fit", "huge.pdf"]);
    assert!(!out.exists());
}

#[test]
fn bulk_out_lists_a_receipt_that_cannot_be_rendered_as_failed_and_writes_the_rest() {
    let sandbox = Sandbox::with_extra(&[unrenderable_refund()]);
    let out = sandbox.path().join("out");
    let run = sandbox.receipts(&[
        "--currency",
        "BRL",
        "--generated-at",
        GENERATED_AT,
        "--out",
        p(&out),
    ]);
    // Done, but a receipt failed: exit code 1, and stderr names the refund.
    run.assert_code(1).assert_stderr_has(&["R-HUGE"]);
    let manifest = read_manifest(&out.join("manifest.csv"));
    assert_manifest_matches_folder(&out, &manifest);
    let huge: Vec<&ManifestRow> = manifest
        .iter()
        .filter(|r| r.refund_id == "R-HUGE")
        .collect();
    assert_eq!(huge.len(), 1, "{manifest:#?}");
    assert_eq!(huge[0].status, "failed");
    assert!(
        huge[0].file.is_empty() && !huge[0].reason.is_empty(),
        "{:?}",
        huge[0]
    );
    let expected: BTreeSet<String> = fixture()
        .into_iter()
        .filter(|t| t.is_successful_refund() && t.currency == "BRL")
        .map(|t| t.id)
        .collect();
    let written: BTreeSet<String> = manifest
        .iter()
        .filter(|r| r.status == "written")
        .map(|r| r.refund_id.clone())
        .collect();
    assert_eq!(written, expected);

    // On demand, the same refund is an error and leaves no file.
    let single = sandbox.path().join("huge.pdf");
    let run = sandbox.receipt("R-HUGE", &["-o", p(&single)]);
    assert_ne!(run.code, 0, "an unrenderable receipt exited 0");
    assert!(!single.exists());
}

#[test]
fn bulk_merge_alone_leaves_out_a_receipt_that_cannot_be_rendered_and_merges_the_rest() {
    let sandbox = Sandbox::with_extra(&[unrenderable_refund()]);
    let merged = sandbox.path().join("october.pdf");
    let run = sandbox.receipts(&[
        "--currency",
        "BRL",
        "--generated-at",
        GENERATED_AT,
        "--merge",
        p(&merged),
    ]);
    // As with --out: the failure is reported and listed, the other receipts are delivered.
    run.assert_code(1).assert_stderr_has(&["R-HUGE"]);
    let renderable = fixture()
        .iter()
        .filter(|t| t.is_successful_refund() && t.currency == "BRL")
        .count();
    assert_eq!(page_count(&merged), renderable);
    let manifest = read_manifest(&sandbox.path().join("october.manifest.csv"));
    let huge = manifest
        .iter()
        .find(|r| r.refund_id == "R-HUGE")
        .expect("R-HUGE listed");
    assert_eq!(huge.status, "failed");
}

#[test]
fn bulk_merge_manifest_rows_give_the_merged_files_size_and_sha256() {
    let sandbox = Sandbox::new();
    let merged = sandbox.path().join("october.pdf");
    sandbox
        .receipts(&[
            "--lang",
            "en,pt-BR",
            "--generated-at",
            GENERATED_AT,
            "--merge",
            p(&merged),
        ])
        .assert_code(0);
    let manifest = read_manifest(&sandbox.path().join("october.manifest.csv"));
    let bytes = read(&merged);
    let written: Vec<&ManifestRow> = manifest.iter().filter(|r| r.status == "written").collect();
    assert_eq!(written.len(), successful_refund_ids().len() * 2);
    // Whatever a `written` row names must be checkable against it, as in --out.
    for row in written {
        assert_eq!(row.file, "october.pdf", "{row:?}");
        assert_eq!(row.bytes, bytes.len() as u64, "{row:?}: size");
        assert_eq!(row.sha256, sha256_hex(&bytes), "{row:?}: sha256");
    }
}

/// The first line of a receipt's text: the name at the head of the page.
fn heading(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

#[test]
fn a_receipt_without_the_merchant_name_is_headed_by_the_merchant_id_never_the_acquirer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let sample = support::crate_dir().join("samples/transactions.csv");
    let sample = p(&sample);
    // A successful refund of the shipped sample, read with the csv crate.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(sample)
        .expect("the sample");
    let headers = reader.headers().expect("a header").clone();
    let refund: BTreeMap<String, String> = reader
        .records()
        .map(|r| r.expect("a record"))
        .map(|r| {
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect::<BTreeMap<_, _>>()
        })
        .find(|r| {
            r.get("transactionType").map(String::as_str) == Some("REFUND")
                && r.get("status").map(String::as_str) == Some("SUCCESS")
        })
        .expect("the sample has a successful refund");
    let (id, merchant_id, acquirer, name) = (
        &refund["transactionId"],
        &refund["customerId"],
        &refund["acquirer"],
        &refund["merchantName"],
    );
    assert!(!merchant_id.is_empty() && !acquirer.is_empty() && !name.is_empty());

    // The reference layout has no merchant name: read back, the refund has none.
    recibo(
        d,
        &[
            "export",
            "-i",
            sample,
            "--columns",
            "reference",
            "-o",
            "ref.csv",
        ],
    )
    .assert_code(0);
    let written = support::read_csv(&d.join("ref.csv"), b',');
    assert!(!written[0].iter().any(|h| h == "merchantName"));

    for (input, expected) in [(sample, name), ("ref.csv", merchant_id)] {
        recibo(
            d,
            &[
                "receipt",
                id,
                "-i",
                input,
                "--generated-at",
                GENERATED_AT,
                "-o",
                "r.pdf",
            ],
        )
        .assert_code(0);
        let text = pdftotext(&d.join("r.pdf"));
        assert_eq!(heading(&text), expected.as_str(), "from {input}:\n{text}");
        assert_ne!(heading(&text), acquirer.as_str());
    }
}

/// A bad row skipped with `--skip-bad` is reported once, however many times the command
/// reads its input (receipts read it twice: the refunds, then their payments; a job once
/// more for its export), and counted once.
#[test]
fn a_skipped_row_is_reported_once_however_often_the_input_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample =
        std::fs::read_to_string(support::crate_dir().join("samples/transactions.csv")).unwrap();
    let mut lines: Vec<&str> = sample.lines().collect();
    // Row 2 (line 3) gets an amount no currency allows.
    let header: Vec<&str> = lines[0].split(',').collect();
    let amount = header
        .iter()
        .position(|h| *h == "transactionAmountValue")
        .unwrap();
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    assert_eq!(cells.len(), header.len(), "line 3 has no quoted commas");
    cells[amount] = "12.3.4".into();
    let bad = cells.join(",");
    lines[2] = &bad;
    std::fs::write(d.join("bad.csv"), lines.join("\n") + "\n").unwrap();
    let once = |run: &support::Run| {
        let reports = run.stderr.matches("skipped bad.csv: row 2").count();
        assert_eq!(reports, 1, "`{}`:\n{}", run.command, run.stderr);
    };
    let receipts = recibo(
        d,
        &[
            "receipts",
            "-i",
            "bad.csv",
            "--skip-bad",
            "--lang",
            "en",
            "--generated-at",
            "2026-11-01",
            "--out",
            "r",
        ],
    );
    receipts.assert_code(1);
    once(&receipts);
    std::fs::write(
        d.join("job.toml"),
        "window = { from = \"2026-01-01\", to = \"2027-01-01\" }\n[source]\ninputs = [\"bad.csv\"]\nskip_bad = true\n\
         [[export]]\npath = \"out.csv\"\n[[receipts]]\nlangs = [\"en\"]\nzip = \"r.zip\"\n",
    )
    .unwrap();
    let job = recibo(d, &["run", "job.toml", "--summary", "s.json"]);
    job.assert_code(1);
    once(&job);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("s.json")).unwrap()).unwrap();
    assert_eq!(summary["read"]["skipped"], 1, "{summary}");
}
