//! One check per fuzz target, shared by the targets in `fuzz_targets/` and by the corpus
//! replay in `tests/fuzz_corpus.rs`, so that a saved input is judged by the same rules on
//! stable as under the fuzzer. A check panics when an invariant fails; bad input that is
//! refused with a proper error is not a failure.

#![allow(dead_code)]

use std::io::Cursor;
use std::path::Path;

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use recibo::Error;
use recibo::job::Job;
use recibo::model::time::{TimeError, in_range, parse_bound, parse_instant, write_iso8601};
use recibo::model::{Currency, Money, Transaction, TxType};
use recibo::receipt::read::page_texts;
use recibo::source::RecordReader;
use recibo::source::csv::CsvReader;
use recibo::source::jsonl::JsonlReader;
use recibo::source::xlsx::XlsxReader;
use recibo::source::{SourceOptions, gateway::ACQUIRER};

/// A target's check: panics when an invariant does not hold for the input.
pub type Check = fn(&[u8]);

/// The targets, by the name of their corpus folder.
pub const TARGETS: &[(&str, Check)] = &[
    ("csv", csv),
    ("xlsx", xlsx),
    ("jsonl", jsonl),
    ("amount", amount),
    ("time", time),
    ("job", job),
    ("query", query),
    ("gateway", gateway),
    ("pdf_text", pdf_text),
];

/// The CSV reader: every record read or refused, the reader ends, and what it reads
/// survives the JSONL form.
pub fn csv(data: &[u8]) {
    let name = "fuzz.csv";
    match CsvReader::new(name, Cursor::new(data.to_vec()), &SourceOptions::default()) {
        Ok(mut reader) => drain(&mut reader, name, data.len()),
        Err(e) => assert_names(&e, name),
    }
}

/// The XLSX reader, from a file (it reads only paths).
pub fn xlsx(data: &[u8]) {
    let Ok(mut file) = tempfile::Builder::new()
        .prefix("recibo-fuzz-")
        .suffix(".xlsx")
        .tempfile()
    else {
        return;
    };
    if std::io::Write::write_all(&mut file, data).is_err() {
        return;
    }
    let name = file.path().display().to_string();
    match XlsxReader::open(&name, &SourceOptions::default()) {
        Ok(mut reader) => drain(&mut reader, &name, data.len()),
        Err(e) => assert_names(&e, &name),
    }
}

/// The JSONL reader.
pub fn jsonl(data: &[u8]) {
    let name = "fuzz.jsonl";
    let mut reader = JsonlReader::new(name, Cursor::new(data));
    drain(&mut reader, name, data.len());
}

/// Reads to the end. Each call consumes at least one record, line or row, so a reader
/// that keeps answering past the input's length is stuck.
fn drain(reader: &mut dyn RecordReader, name: &str, len: usize) {
    let mut tx = Transaction::blank(Currency::parse("USD").expect("USD is known"));
    for _ in 0..len + 3 {
        match reader.read_into(&mut tx) {
            Ok(true) => json_round_trip(&tx),
            Ok(false) => {
                assert!(
                    matches!(reader.read_into(&mut tx), Ok(false)),
                    "the reader went on after its end"
                );
                return;
            }
            Err(e) => {
                assert_names(&e, name);
                if !e.is_record() {
                    return;
                }
            }
        }
    }
    panic!("the reader did not end within {} calls", len + 3);
}

/// An error names the input it is about.
fn assert_names(e: &Error, name: &str) {
    let text = e.to_string();
    assert!(text.contains(name), "error does not name {name:?}: {text}");
}

/// A transaction read from a report is written to JSONL and read back unchanged.
fn json_round_trip(tx: &Transaction) {
    let text = serde_json::to_string(tx).expect("a transaction serializes");
    let back: Transaction = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("its own JSONL form does not read back ({e}): {text}"));
    assert_eq!(&back, tx, "JSONL round trip changed the transaction");
}

/// The amount parser: first byte picks the currency, the rest is the text. An amount that
/// parses is written in the currency's digits and that text parses to the same amount.
pub fn amount(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let currencies: Vec<Currency> = Currency::all().collect();
    let currency = currencies[usize::from(pick) % currencies.len()];
    let Ok(money) = Money::parse_major(text, currency) else {
        return;
    };
    let written = money.to_major_string();
    let digits = written.split_once('.').map_or(0, |(_, f)| f.len());
    assert_eq!(
        digits,
        usize::from(currency.exponent()),
        "{text:?} {currency} written as {written:?}"
    );
    assert_eq!(
        Money::parse_major(&written, currency),
        Ok(money),
        "{text:?} {currency} written as {written:?} reads back differently"
    );
}

/// The time parser: an instant that parses is in recibo's range and reads back the same
/// from RFC 3339 and from what reports write; chrono's RFC 3339 reading, where it has one,
/// agrees but for what recibo reads its own way (a leap second is the instant after it;
/// out of range, or more than nine fraction digits that are not zeros, is refused); a
/// filter bound reads a full instant as the instant.
pub fn time(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_instant(text);
    if let Ok(reference) = DateTime::parse_from_rfc3339(text.trim_ascii()) {
        let mut reference = reference.with_timezone(&Utc);
        if reference.nanosecond() >= 1_000_000_000 {
            reference = reference.with_nanosecond(0).expect("a second") + TimeDelta::seconds(1);
        }
        match &parsed {
            Ok(t) => assert_eq!(*t, reference, "{text:?}: chrono reads it otherwise"),
            Err(TimeError::OutOfRange(_)) => {
                assert!(!in_range(reference), "{text:?} refused as out of range")
            }
            Err(TimeError::TooPrecise(_)) => {}
            Err(e) => panic!("{text:?}: chrono reads it, recibo refuses it: {e}"),
        }
    }
    let Ok(t) = parsed else {
        let _ = parse_bound(text, Tz::UTC);
        return;
    };
    assert!(in_range(t), "{text:?} read as {t}, out of range");
    let rfc = t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    assert_eq!(parse_instant(&rfc), Ok(t), "{text:?} as RFC 3339 {rfc:?}");
    for zone in [
        Tz::UTC,
        Tz::America__Sao_Paulo,
        Tz::Asia__Shanghai,
        Tz::Pacific__Kiritimati,
        Tz::Etc__GMTPlus12,
    ] {
        let mut written = String::new();
        write_iso8601(&mut written, t, zone);
        assert_eq!(
            parse_instant(&written),
            Ok(t),
            "{text:?} written in {zone} as {written:?}"
        );
        assert_eq!(
            parse_bound(text, zone),
            Ok(t),
            "{text:?} as a bound in {zone}"
        );
    }
}

/// Job files, parsed and validated (never run): a job that validates has an output, a
/// window that is not empty and paths resolved against its folder; a refusal names the file.
pub fn job(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let name = "fuzz.toml";
    let job = match Job::parse(text, name, Path::new("/jobs")) {
        Ok(job) => job,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains("job file fuzz.toml"),
                "error does not name the job file: {message}"
            );
            return;
        }
    };
    assert!(!job.exports.is_empty() || !job.receipts.is_empty());
    let day = NaiveDate::from_ymd_opt(2026, 11, 15).expect("a date");
    let window = job.window_for(day);
    assert!(window.from < window.to, "empty window {window:?}");
    assert!(window.first_day <= window.last_day, "window {window:?}");
    let resolved = |p: &str| p == "-" || Path::new(p).is_absolute();
    for export in &job.exports {
        assert!(resolved(&export.path), "export path {:?}", export.path);
    }
    for receipts in &job.receipts {
        for p in [&receipts.out, &receipts.zip, &receipts.merge]
            .into_iter()
            .flatten()
        {
            assert!(resolved(p), "receipts path {p:?}");
        }
    }
    for p in &job.input.inputs {
        assert!(resolved(p), "input path {p:?}");
    }
}

/// `recibo serve`'s query strings: the input is a request target (path and query), and
/// after a newline an `Accept-Language` value. The path picks the endpoint. A refusal is a
/// 4xx with a message; a query that is accepted means the same once its pairs are
/// percent-encoded afresh.
pub fn query(data: &[u8]) {
    let (target, accept) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    // Only a request target in origin form (`/path?query`) reaches the server's routes.
    if !target.starts_with(b"/") {
        return;
    }
    let Ok(uri) = axum::http::Uri::try_from(target) else {
        return;
    };
    let first = typed_request(&uri, accept);
    match &first {
        Err(refusal) => {
            assert!(
                (400..500).contains(&refusal.0),
                "{uri}: refused with {refusal:?}"
            );
            assert!(!refusal.1.is_empty(), "{uri}: refused without a message");
        }
        Ok(request) => {
            let Some(pairs) = decoded_pairs(&uri) else {
                panic!("{uri} was accepted but its query does not decode: {request}");
            };
            let again = format!("{}?{}", uri.path(), encode_pairs(&pairs));
            let again = axum::http::Uri::try_from(again.as_str())
                .unwrap_or_else(|e| panic!("{uri}: re-encoded as {again:?}: {e}"));
            assert_eq!(
                typed_request(&again, accept),
                first,
                "{uri} and {again} ask for different things"
            );
        }
    }
}

/// The typed request a target comes to, in its debug form, or the refusal's status and
/// message.
fn typed_request(uri: &axum::http::Uri, accept: Option<&[u8]>) -> Result<String, (u16, String)> {
    use recibo::fuzzing::{export_query, page_query, receipt_query};
    let path = uri.path();
    let refused = |r: recibo::fuzzing::Refusal| (r.status, r.message);
    if path.starts_with("/v1/refunds/") {
        receipt_query(uri, accept)
            .map(|r| format!("{r:?}"))
            .map_err(refused)
    } else if path.starts_with("/v1/transactions/export") {
        export_query(uri).map(|r| format!("{r:?}")).map_err(refused)
    } else {
        page_query(uri).map(|r| format!("{r:?}")).map_err(refused)
    }
}

fn decoded_pairs(uri: &axum::http::Uri) -> Option<Vec<(String, String)>> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .ok()
        .map(|q| q.0)
}

/// Percent-encodes every byte but unreserved ones, so no pair reads differently.
fn encode_pairs(pairs: &[(String, String)]) -> String {
    fn encode(out: &mut String, text: &str) {
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(&mut out, k);
        out.push('=');
        encode(&mut out, v);
    }
    out
}

/// The gateway's answer to an order lookup (HTTP 200): a payment in VND first, then
/// refunds of it stored negative, each surviving the JSONL form; or an error that says why.
pub fn gateway(data: &[u8]) {
    let transactions = match recibo::fuzzing::gateway_order("ORDER-1", data) {
        Ok(t) => t,
        Err(message) => {
            assert!(!message.is_empty(), "an empty error");
            return;
        }
    };
    let (payment, refunds) = transactions.split_first().expect("at least the payment");
    assert_eq!(payment.transaction_type, TxType::Payment);
    assert!(!payment.transaction_id.is_empty());
    assert!(!payment.order_id.is_empty());
    assert_eq!(payment.amount.currency.code(), "VND");
    assert_eq!(payment.acquirer, ACQUIRER);
    json_round_trip(payment);
    for refund in refunds {
        assert_eq!(refund.transaction_type, TxType::Refund);
        assert!(!refund.transaction_id.is_empty());
        assert_eq!(refund.original_transaction_id, payment.transaction_id);
        assert_eq!(refund.order_id, payment.order_id);
        assert_eq!(refund.amount.currency, payment.amount.currency);
        assert!(
            refund.amount.minor <= 0,
            "refund amount {:?}",
            refund.amount
        );
        json_round_trip(refund);
    }
}

/// The PDF text reader, on any bytes: text or a refusal, the same on a second read (verify
/// compares two reads), within the reader's limits, with no empty, NaN or infinite run.
pub fn pdf_text(data: &[u8]) {
    let first = page_texts(data);
    let second = page_texts(data);
    let (first, second) = match (first, second) {
        (Ok(first), Ok(second)) => (first, second),
        (Err(first), Err(second)) => {
            assert_eq!(first.0, second.0, "two reads refuse for different reasons");
            assert!(!first.0.is_empty(), "a refusal gives no reason");
            return;
        }
        (first, _) => panic!("one read of the bytes succeeds and one fails: {first:?}"),
    };
    assert_eq!(first, second, "two reads of the same bytes differ");
    assert!(first.len() <= 10_000, "{} pages", first.len());
    for runs in &first {
        assert!(runs.len() <= 100_000, "{} runs on a page", runs.len());
        for run in runs {
            assert!(!run.text.is_empty(), "an empty run: {run:?}");
            assert!(
                run.x.is_finite() && run.y.is_finite() && run.size.is_finite() && run.size >= 0.0,
                "{run:?}"
            );
        }
    }
}
