//! `receipt::read::page_texts` on receipts the crate renders: what it reads is what the
//! receipt was given to show, what poppler reads from the same file, and what it reads from
//! qpdf's rewrites of the file, signed or not; and mutated files never make it panic.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use recibo::locale::{Lang, Locales};
use recibo::model::{Currency, Money, Transaction, TxStatus, TxType};
use recibo::receipt::content::{ReceiptInput, build_page};
use recibo::receipt::page::ReceiptPage;
use recibo::receipt::pdf::{RenderOptions, Renderer};
use recibo::receipt::read::{TextRun, page_texts};
use recibo::receipt::sign::{SignFiles, Signer};
use recibo::receipt::template::Branding;

fn locales() -> &'static Locales {
    static LOCALES: OnceLock<Locales> = OnceLock::new();
    LOCALES.get_or_init(|| Locales::new().expect("embedded messages and CLDR data load"))
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn refund(currency: &str, minor: i64) -> Transaction {
    let currency = Currency::parse(currency).unwrap();
    let mut r = Transaction::blank(currency);
    r.customer_id = "2188120000000001".into();
    r.acquirer = "Antom".into();
    r.transaction_id = "REF-20240305-0042".into();
    r.original_transaction_id = "PAY-20240301-0001".into();
    r.transaction_type = TxType::Refund;
    r.status = TxStatus::Success;
    r.payment_time = at("2024-03-05T10:20:30Z");
    r.amount = Money::new(-minor, currency);
    r.reason = "Item returned".into();
    r.merchant_name = "Loja Azul".into();
    r
}

fn page(lang: Lang, refund: &Transaction) -> ReceiptPage {
    build_page(
        locales(),
        &ReceiptInput {
            refund,
            original: None,
            lang,
            zone: "America/Sao_Paulo".parse().unwrap(),
            generated_at: at("2024-03-06T12:00:00Z"),
            branding: &Branding::default(),
        },
    )
}

fn render(page: &ReceiptPage, options: &RenderOptions) -> Vec<u8> {
    Renderer::new()
        .render(std::slice::from_ref(page), options)
        .expect("render")
        .bytes
}

/// The receipts checked: English, Chinese and Portuguese, each with its page.
fn receipts() -> Vec<(ReceiptPage, Vec<u8>)> {
    [
        (Lang::En, refund("USD", 123456)),
        (Lang::ZhCn, refund("CNY", 98765)),
        (Lang::PtBr, refund("BRL", 4200)),
    ]
    .iter()
    .map(|(lang, refund)| {
        let page = page(*lang, refund);
        let pdf = render(&page, &RenderOptions::default());
        (page, pdf)
    })
    .collect()
}

/// The value the page shows beside the label `label_id`.
fn value(page: &ReceiptPage, label_id: &str) -> String {
    let label = locales().message(Lang::negotiate(page.lang).unwrap(), label_id);
    page.sections
        .iter()
        .flat_map(|s| &s.rows)
        .find(|r| r.label == label)
        .map(|r| r.value.clone())
        .unwrap_or_else(|| panic!("the page has no {label_id} row"))
}

fn read(pdf: &[u8]) -> Vec<TextRun> {
    let mut pages = page_texts(pdf).expect("the receipt reads");
    assert_eq!(pages.len(), 1, "a receipt is one page");
    pages.remove(0)
}

/// Runs on one baseline, joined in drawing order: a line drawn in two faces is two runs.
fn lines(runs: &[TextRun]) -> Vec<(f32, String)> {
    let mut lines: Vec<(f32, String)> = Vec::new();
    for run in runs {
        match lines.iter_mut().find(|(y, _)| (y - run.y).abs() < 0.01) {
            Some((_, text)) => text.push_str(&run.text),
            None => lines.push((run.y, run.text.clone())),
        }
    }
    lines
}

/// The baseline of the line that shows `text`.
fn line_with(runs: &[TextRun], text: &str) -> f32 {
    lines(runs)
        .into_iter()
        .find(|(_, line)| line.contains(text))
        .map(|(y, _)| y)
        .unwrap_or_else(|| panic!("no line shows {text:?}; lines: {:#?}", lines(runs)))
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Runs a PDF tool, which the suite installs (tests/run.sh); a missing one fails the test
/// saying so.
#[track_caller]
fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{name}` ({e}): install poppler-utils and qpdf (tests/run.sh does)")
    });
    assert!(
        output.status.success(),
        "`{name} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// The file rewritten by qpdf with `args` (`--qdf`, `--object-streams=generate`, ...).
fn qpdf(pdf: &[u8], args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.pdf", pdf);
    let output = dir.path().join("out.pdf").display().to_string();
    let mut all = args.to_vec();
    all.extend([input.as_str(), output.as_str()]);
    tool("qpdf", &all);
    std::fs::read(&output).unwrap()
}

/// Same texts in the same order, positions and sizes within 0.01 pt.
#[track_caller]
fn assert_same_runs(got: &[TextRun], want: &[TextRun], what: &str) {
    let texts = |runs: &[TextRun]| runs.iter().map(|r| r.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(got), texts(want), "{what}: texts differ");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.x - w.x).abs() <= 0.01
                && (g.y - w.y).abs() <= 0.01
                && (g.size - w.size).abs() <= 0.01,
            "{what}: {g:?} is not where {w:?} is"
        );
    }
}

#[test]
fn a_receipt_reads_back_its_title_amount_and_refund_id_in_place() {
    let dir = tempfile::tempdir().unwrap();
    for (page, pdf) in receipts() {
        let runs = read(&pdf);
        assert!(!runs.is_empty(), "{}: no text read", page.lang);
        assert!(
            runs.iter().all(|r| !r.text.contains('\u{fffd}')),
            "{}: a code with no Unicode: {runs:#?}",
            page.lang
        );
        let amount = value(&page, "label-refunded-amount");
        let title_y = line_with(&runs, &page.title);
        let amount_y = line_with(&runs, &amount);
        line_with(&runs, &page.refund_id);
        assert!(
            title_y > amount_y,
            "{}: the title (y {title_y}) is not above the amount (y {amount_y})",
            page.lang
        );

        // The page box by poppler, not by the renderer.
        let path = write(dir.path(), "receipt.pdf", &pdf);
        let info = String::from_utf8(tool("pdfinfo", &[&path])).unwrap();
        let size = info
            .lines()
            .find_map(|l| l.strip_prefix("Page size:"))
            .unwrap_or_else(|| panic!("no page size in:\n{info}"));
        let numbers: Vec<f32> = size
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        let [width, height] = numbers[..] else {
            panic!("page size {size:?}")
        };
        for run in &runs {
            assert!(
                (0.0..=width).contains(&run.x) && (0.0..=height).contains(&run.y),
                "{}: {run:?} is outside the {width} x {height} page",
                page.lang
            );
            assert!((4.0..=72.0).contains(&run.size), "{}: {run:?}", page.lang);
        }
    }
}

#[test]
fn the_chinese_title_reads_as_written() {
    let (page, pdf) = receipts().remove(1);
    assert_eq!(page.lang, "zh-CN");
    assert_eq!(page.title, "退款凭证", "the agreed Chinese title");
    line_with(&read(&pdf), "退款凭证");
}

#[test]
fn every_run_is_text_poppler_reads_too() {
    let dir = tempfile::tempdir().unwrap();
    for (page, pdf) in receipts() {
        let path = write(dir.path(), "receipt.pdf", &pdf);
        let poppler = String::from_utf8(tool("pdftotext", &["-raw", "-enc", "UTF-8", &path, "-"]))
            .expect("UTF-8 from pdftotext");
        let poppler = squeeze(&poppler);
        for run in read(&pdf) {
            assert!(
                poppler.contains(&squeeze(&run.text)),
                "{}: pdftotext does not read {:?}\n--- pdftotext -raw:\n{poppler}",
                page.lang,
                run.text
            );
        }
    }
}

#[test]
fn qpdf_rewrites_read_the_same() {
    for (page, pdf) in receipts() {
        let want = read(&pdf);
        let qdf = qpdf(&pdf, &["--qdf", "--object-streams=disable"]);
        assert!(
            memchr::memmem::find(&qdf, b"/FlateDecode").is_none(),
            "qdf form left a stream compressed"
        );
        assert_same_runs(&read(&qdf), &want, &format!("{} qdf", page.lang));

        let packed = qpdf(&pdf, &["--object-streams=generate"]);
        assert!(
            memchr::memmem::find(&packed, b"/ObjStm").is_some(),
            "qpdf made no object stream"
        );
        assert_same_runs(
            &read(&packed),
            &want,
            &format!("{} object streams", page.lang),
        );
    }
}

/// An edit saved as an incremental update: the page's content stream defined again after
/// the end of the file, without its last text object.
#[test]
fn an_incremental_update_is_read_over_the_original() {
    let (_, pdf) = receipts().remove(0);
    let qdf = qpdf(&pdf, &["--qdf", "--object-streams=disable"]);
    let want = read(&qdf);

    let find = |needle: &[u8], from: usize| {
        memchr::memmem::find(&qdf[from..], needle)
            .map(|i| from + i)
            .unwrap_or_else(|| panic!("{} not in the qdf file", String::from_utf8_lossy(needle)))
    };
    let marker = find(b"%% Contents for page 1", 0);
    let header = find(b" 0 obj", marker);
    let line_start = qdf[..header].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let number = std::str::from_utf8(&qdf[line_start..header]).unwrap();
    let data = find(b"stream\n", header) + 7;
    let end = find(b"endstream", data);
    let content = &qdf[data..end];
    let last_text = memchr::memmem::rfind(content, b"BT").expect("a text object");
    let edited = &content[..last_text];

    let mut file = qdf.clone();
    file.extend_from_slice(
        format!("\n{number} 0 obj\n<< /Length {} >>\nstream\n", edited.len()).as_bytes(),
    );
    file.extend_from_slice(edited);
    file.extend_from_slice(b"\nendstream\nendobj\n");
    // The old trailer says where the old objects are; an updating tool writes its own
    // table, which this reader does not need.
    file.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    let got = read(&file);
    assert!(got.len() < want.len(), "the edit removed no run");
    assert_same_runs(&got, &want[..got.len()], "the updated file");
}

#[test]
fn a_signed_receipt_reads_as_the_unsigned_one() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let output = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=recibo pdf_text test"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `openssl` ({e}): install openssl (tests/run.sh does)")
        });
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signer = Signer::load(&SignFiles {
        key,
        cert: Some(cert),
        chain: None,
    })
    .expect("the test key signs");

    let (page, unsigned) = receipts().remove(0);
    let options = RenderOptions {
        creation_date: Some(Utc::now()),
        signer: Some(Arc::new(signer)),
        ..RenderOptions::default()
    };
    let signed = render(&page, &options);
    assert!(
        memchr::memmem::find(&signed, b"/ByteRange").is_some()
            && signed.starts_with(&unsigned[..9]),
        "the receipt was not signed"
    );
    assert_eq!(read(&signed), read(&unsigned));
}

/// Byte flips, truncations and splices of a receipt and of its qdf form, each read to an
/// answer: text or an error, never a panic or a hang.
#[test]
fn mutated_receipts_never_panic() {
    let (_, pdf) = receipts().remove(1);
    let qdf = qpdf(&pdf, &["--qdf", "--object-streams=disable"]);
    let mut rng = fastrand::Rng::with_seed(0x7265_6369_626f);
    let mut read_ok = 0;
    for base in [&pdf, &qdf] {
        for _ in 0..1500 {
            let mut file = base.clone();
            for _ in 0..rng.usize(1..4) {
                mutate(&mut rng, &mut file, base);
            }
            if page_texts(&file).is_ok() {
                read_ok += 1;
            }
        }
    }
    // Most mutations miss the text: the reader is not refusing everything.
    assert!(read_ok > 1000, "only {read_ok} of 3000 mutated files read");
}

fn mutate(rng: &mut fastrand::Rng, file: &mut Vec<u8>, source: &[u8]) {
    if file.is_empty() {
        file.extend_from_slice(&source[..rng.usize(..source.len())]);
        return;
    }
    let at = rng.usize(..file.len());
    match rng.u8(..5) {
        0 => file[at] ^= 1 << rng.u8(..8),
        1 => file[at] = rng.u8(..),
        2 => file.truncate(at),
        // A piece of the file copied elsewhere: repeated objects, streams, headers.
        3 => {
            let start = rng.usize(..source.len());
            let end = (start + rng.usize(1..4096)).min(source.len());
            file.splice(at..at, source[start..end].iter().copied());
        }
        _ => {
            let end = (at + rng.usize(1..256)).min(file.len());
            file.drain(at..end);
        }
    }
}
