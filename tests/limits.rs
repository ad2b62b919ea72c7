//! Limits on what a reader holds at once: a record (CSV), a line (JSONL), a shared string
//! and the shared-string table (XLSX). Hostile input ends in an error naming the file and
//! the limit, leaving no output; `--max-record-size` (and a job file's
//! `source.max_record_size`) raises the limit for input that truly needs it.

mod support;

use std::io::{Read, Write};
use std::path::Path;

use support::recibo;

const HEADER: &str = "customerId,transactionId,transactionType,paymentTime,transactionAmountValue,transactionCurrency,status,orderDescription";

fn row(i: usize, description: &str) -> String {
    format!("M1,T{i},PAYMENT,2026-10-01T10:00:00Z,1.00,USD,SUCCESS,{description}")
}

/// A CSV of `rows` ordinary rows after one whose description is `long` bytes of text, quoted.
fn csv_with_long_field(path: &Path, long: usize, rows: usize) {
    let mut text = format!(
        "{HEADER}\n{}\n",
        row(0, &format!("\"{}\"", "x".repeat(long)))
    );
    for i in 1..=rows {
        text.push_str(&row(i, "ok"));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_csv_record_past_the_limit_stops_the_read_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A quote opened in row 1 and never closed: the whole rest of the file is one field.
    let mut text = format!("{HEADER}\n{}\n", row(0, "\"never closed"));
    for i in 1..=60_000 {
        text.push_str(&row(i, "ok"));
        text.push('\n');
    }
    assert!(text.len() > 3 << 20);
    std::fs::write(d.join("open.csv"), &text).unwrap();
    recibo(d, &["export", "-i", "open.csv", "-o", "out.csv"])
        .assert_code(3)
        .assert_stderr_has(&[
            "open.csv",
            "line 2",
            "longer than 1048576 bytes",
            "--max-record-size",
        ]);
    assert!(!d.join("out.csv").exists());
    // A legitimately long field reads once the limit is raised, and only then.
    csv_with_long_field(&d.join("long.csv"), 2 << 20, 3);
    recibo(d, &["export", "-i", "long.csv", "-o", "out.csv"])
        .assert_code(3)
        .assert_stderr_has(&["long.csv", "--max-record-size"]);
    recibo(
        d,
        &[
            "export",
            "-i",
            "long.csv",
            "-o",
            "out.csv",
            "--max-record-size",
            "4M",
        ],
    )
    .assert_code(0);
    let out = std::fs::read_to_string(d.join("out.csv")).unwrap();
    assert!(out.contains(&"x".repeat(2 << 20)) && out.contains("T3"));
    // A bad size is a usage error naming the flag.
    recibo(
        d,
        &[
            "export",
            "-i",
            "long.csv",
            "-o",
            "out.csv",
            "--max-record-size",
            "4Q",
        ],
    )
    .assert_code(2)
    .assert_stderr_has(&["--max-record-size", "4Q"]);
}

#[test]
fn a_job_file_raises_the_limit_with_its_source_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    csv_with_long_field(&d.join("long.csv"), 2 << 20, 2);
    let job = |limit: &str| {
        format!(
            "name = \"limits\"\nzone = \"UTC\"\nwindow = {{ from = \"2026-01-01\", to = \"2027-01-01\" }}\n\
             [source]\ninputs = [\"long.csv\"]\n{limit}\n[[export]]\npath = \"out.csv\"\n"
        )
    };
    std::fs::write(d.join("default.toml"), job("")).unwrap();
    recibo(d, &["run", "default.toml"])
        .assert_code(3)
        .assert_stderr_has(&["--max-record-size"]);
    std::fs::write(d.join("raised.toml"), job("max_record_size = \"3M\"")).unwrap();
    recibo(d, &["run", "raised.toml"]).assert_code(0);
    std::fs::write(d.join("bad.toml"), job("max_record_size = -1")).unwrap();
    recibo(d, &["run", "bad.toml"])
        .assert_code(2)
        .assert_stderr_has(&["bad.toml", "source.max_record_size"]);
}

#[test]
fn a_jsonl_line_past_the_limit_is_refused_and_the_limit_can_be_raised() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let line = format!(
        "{{\"customerId\":\"M1\",\"transactionId\":\"T1\",\"transactionType\":\"PAYMENT\",\"paymentTime\":\"2026-10-01T10:00:00Z\",\"amount\":{{\"minor\":100,\"currency\":\"USD\"}},\"status\":\"SUCCESS\",\"orderDescription\":\"{}\"}}\n",
        "y".repeat(600 << 10)
    );
    std::fs::write(d.join("in.jsonl"), &line).unwrap();
    recibo(d, &["export", "-i", "in.jsonl", "-o", "out.csv"]).assert_code(0);
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.jsonl",
            "-o",
            "out2.csv",
            "--max-record-size",
            "512K",
        ],
    )
    .assert_code(2)
    .assert_stderr_has(&["in.jsonl", "line 1", "longer than 524288 bytes"]);
    assert!(!d.join("out2.csv").exists());
}

/// An XLSX in the reference layout whose one data row's description, kept in the shared
/// strings, is `long` bytes: written with a placeholder, then the placeholder swapped in
/// the archive (spreadsheet writers refuse strings past 32,767 characters).
fn xlsx_with_long_shared_string(path: &Path, long: usize) {
    xlsx_with_shared_strings(path, &"z".repeat(long));
}

/// The same workbook with `replacement` in place of the placeholder's text in the
/// shared-string table (raw XML: it may close the item and open more).
fn xlsx_with_shared_strings(path: &Path, replacement: &str) {
    xlsx_with_replaced(path, "xl/sharedStrings.xml", replacement);
}

/// The workbook with `replacement` in place of the placeholder in archive part `part`:
/// the shared strings, or with `xl/worksheets/sheet1.xml` an inline string, as recibo's
/// own exports write text (constant-memory worksheets).
fn xlsx_with_replaced(path: &Path, part_name: &str, replacement: &str) {
    let staged = path.with_extension("staged.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet: &mut rust_xlsxwriter::Worksheet = if part_name.contains("worksheets") {
        book.add_worksheet_with_constant_memory().unwrap()
    } else {
        book.add_worksheet()
    };
    let values = [
        "M1",
        "T1",
        "PAYMENT",
        "2026-10-01T10:00:00Z",
        "1.00",
        "USD",
        "SUCCESS",
        "PLACEHOLDER",
    ];
    // Row by row: a constant-memory worksheet takes its rows in order.
    for (c, key) in HEADER.split(',').enumerate() {
        sheet.write_string(0, c as u16, key).unwrap();
    }
    for (c, value) in values.iter().enumerate() {
        sheet.write_string(1, c as u16, *value).unwrap();
    }
    book.save(&staged).unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&staged).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        if name == part_name {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains("PLACEHOLDER"), "{text}");
            bytes = text.replace("PLACEHOLDER", replacement).into_bytes();
        }
        out.start_file(name, options).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
    std::fs::remove_file(staged).unwrap();
}

#[test]
fn an_xlsx_shared_string_past_the_limit_is_refused_before_it_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = d.join("big.xlsx");
    xlsx_with_long_shared_string(&path, 3 << 20);
    // Deflate packs the repeated bytes: the file is small, the string is not.
    assert!(std::fs::metadata(&path).unwrap().len() < 100_000);
    refused_until_the_limit_is_raised(d, "big.xlsx", &["shared string"], &"z".repeat(3 << 20));
    // The table as a whole has its limit too, 1024 strings' worth, however short each is.
    xlsx_with_shared_strings(&d.join("many.xlsx"), &"a</t></si><si><t>a".repeat(200_000));
    recibo(
        d,
        &[
            "export",
            "-i",
            "many.xlsx",
            "-o",
            "out.csv",
            "--max-record-size",
            "2K",
        ],
    )
    .assert_code(3)
    .assert_stderr_has(&["many.xlsx", "more than 2097152 bytes"]);
}

/// A file cut short inside a quoted field (a download that stopped, a quote never closed
/// in the last row) is refused, naming the file and the line the record starts on, and
/// leaves no output; with `--skip-bad` too, since what is missing cannot be told. A quote
/// closed at the very end, doubled quotes, and quotes inside an unquoted field are text.
#[test]
fn a_csv_that_ends_inside_a_quoted_field_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut good = format!("{HEADER}\n");
    for i in 1..=3000 {
        good.push_str(&row(i, "\"a \"\"quoted\"\" word, and a comma\""));
        good.push('\n');
    }
    // Every way a last row may end well: a closed quote with and without a line end, a
    // quote inside an unquoted field, an empty quoted field, CRLF.
    for (name, last) in [
        ("closed.csv", format!("{}\n", row(3001, "\"multi\nline\""))),
        ("closed-no-newline.csv", row(3001, "\"closed at the end\"")),
        ("inner-quote.csv", row(3001, "5\" screen")),
        ("empty-quoted.csv", format!("{}\r\n", row(3001, "\"\""))),
    ] {
        std::fs::write(d.join(name), format!("{good}{last}")).unwrap();
        recibo(d, &["export", "-i", name, "-o", "out.csv"]).assert_code(0);
        let out = std::fs::read_to_string(d.join("out.csv")).unwrap();
        assert!(out.contains("T3001"), "{name}");
    }
    for (name, last) in [
        ("cut.csv", row(3001, "\"the download stopped here")),
        ("cut-multiline.csv", row(3001, "\"line one\nline two\n")),
        ("cut-after-doubled.csv", row(3001, "\"say \"\"hi\"\"")),
    ] {
        std::fs::remove_file(d.join("out.csv")).ok();
        std::fs::write(d.join(name), format!("{good}{last}")).unwrap();
        for extra in [&[][..], &["--skip-bad"][..]] {
            let mut args = vec!["export", "-i", name, "-o", "out.csv"];
            args.extend_from_slice(extra);
            recibo(d, &args).assert_code(3).assert_stderr_has(&[
                name,
                "line 3002",
                "ends inside a quoted field",
            ]);
            assert!(!d.join("out.csv").exists(), "{name} {extra:?}");
        }
    }
}

#[test]
fn an_xlsx_inline_string_past_the_limit_is_refused_before_it_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = d.join("inline.xlsx");
    xlsx_with_replaced(&path, "xl/worksheets/sheet1.xml", &"q".repeat(3 << 20));
    assert!(std::fs::metadata(&path).unwrap().len() < 100_000);
    refused_until_the_limit_is_raised(
        d,
        "inline.xlsx",
        &["cell", "sheet1.xml"],
        &"q".repeat(3 << 20),
    );
}

/// Exporting `input` in `d` fails on its 3 MiB text (exit 3, naming the file, `why` and
/// the flag) and writes nothing; with `--max-record-size 4M` it succeeds and the CSV holds
/// `text` whole.
fn refused_until_the_limit_is_raised(d: &Path, input: &str, why: &[&str], text: &str) {
    let mut expected = vec![input, "--max-record-size"];
    expected.extend_from_slice(why);
    recibo(d, &["export", "-i", input, "-o", "out.csv"])
        .assert_code(3)
        .assert_stderr_has(&expected);
    assert!(!d.join("out.csv").exists());
    recibo(
        d,
        &[
            "export",
            "-i",
            input,
            "-o",
            "out.csv",
            "--max-record-size",
            "4M",
        ],
    )
    .assert_code(0);
    let out = std::fs::read_to_string(d.join("out.csv")).unwrap();
    assert!(out.contains(text));
}
