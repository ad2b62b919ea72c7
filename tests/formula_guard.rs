//! The formula guard: text a spreadsheet would run as a formula gets a leading `'` in CSV
//! exports, and reading an export back gives every text byte for byte, in CSV and XLSX.
//! Cells are checked with Python's `csv` module and openpyxl, not with recibo's readers.

mod support;

use std::path::Path;
use std::process::Command;

use recibo::source::fields::{needs_formula_guard, undo_formula_guard};
use serde_json::Value;
use support::{read_csv_with_python, recibo};

/// What a spreadsheet takes for the start of a formula, written out here rather than taken
/// from recibo: `= + - @`, their full-width forms, TAB and CR, after any spaces.
fn runs_as_formula(text: &str) -> bool {
    const STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];
    text.trim_start_matches(' ').starts_with(STARTS)
}

/// What recibo's CSV writer does with a text cell.
fn guarded(text: &str) -> String {
    if needs_formula_guard(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// Every string of up to `len` characters over `alphabet`.
fn strings(alphabet: &[char], len: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..len {
        last = last
            .iter()
            .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
            .collect();
        all.extend(last.iter().cloned());
    }
    all
}

#[test]
fn the_guard_covers_spaces_and_full_width_starts_and_its_undoing_is_exact() {
    // Quotes, spaces, every trigger and two characters that are none.
    let alphabet = [
        '\'', ' ', '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠', 'a', '＇',
    ];
    for text in strings(&alphabet, 4) {
        // A formula start, or quotes before one (which the reader's undoing would eat).
        let should = runs_as_formula(text.trim_start_matches('\''));
        assert_eq!(needs_formula_guard(&text), should, "{text:?}");
        assert_eq!(undo_formula_guard(&guarded(&text)), text, "{text:?}");
        if runs_as_formula(&text) {
            assert!(guarded(&text).starts_with('\''), "{text:?}");
        }
    }
}

/// Texts for the free-text description, which is read back with its spaces.
const DESCRIPTIONS: &[&str] = &[
    "  =1+1",
    " +55 11 99999-0000",
    "   @SUM(A1:A2)",
    "＝1+1",
    "＋55 11",
    "－5% off",
    "＠SUM(A1)",
    "  ＝HYPERLINK(\"x\")",
    "' =quoted already",
    "'＝quoted already",
    "a ＝ b",
    "  plain",
    "=1+1",
];

/// Texts for fields whose surrounding spaces every reader trims (IDs, names, reasons).
const CODES: &[&str] = &[
    "=cmd",
    "＠merchant",
    "－ORD-9",
    "＋wallet",
    "ok ＝",
    "''＝x",
];

/// A JSONL input: the first transaction of the shipped sample, once per description, with
/// the descriptions and codes in its text fields.
fn write_input(dir: &Path) {
    let sample = std::fs::read_to_string(support::crate_dir().join("samples/transactions.jsonl"))
        .expect("the sample");
    let first: Value = serde_json::from_str(sample.lines().next().unwrap()).unwrap();
    let mut lines = String::new();
    for (i, description) in DESCRIPTIONS.iter().enumerate() {
        let mut tx = first.clone();
        let code = CODES[i % CODES.len()];
        tx["transactionId"] = format!("F{i}").into();
        tx["orderDescription"] = (*description).into();
        for key in [
            "reason",
            "merchantName",
            "referenceTransactionId",
            "pspName",
        ] {
            tx[key] = code.into();
        }
        lines.push_str(&tx.to_string());
        lines.push('\n');
    }
    std::fs::write(dir.join("in.jsonl"), lines).unwrap();
}

/// `recibo export -i INPUT --columns all -o OUTPUT`, which must succeed.
fn export(dir: &Path, input: &str, output: &str) {
    recibo(
        dir,
        &["export", "-i", input, "--columns", "all", "-o", output],
    )
    .assert_code(0);
}

/// The texts written into the file, by column key, in row order.
fn expected_texts() -> Vec<(&'static str, Vec<&'static str>)> {
    let codes: Vec<&str> = (0..DESCRIPTIONS.len())
        .map(|i| CODES[i % CODES.len()])
        .collect();
    let mut out = vec![("orderDescription", DESCRIPTIONS.to_vec())];
    for key in [
        "reason",
        "merchantName",
        "referenceTransactionId",
        "pspName",
    ] {
        out.push((key, codes.clone()));
    }
    out
}

#[test]
fn csv_exports_guard_formula_starts_and_read_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_input(d);
    export(d, "in.jsonl", "direct.jsonl");
    export(d, "in.jsonl", "out.csv");

    let rows = read_csv_with_python(&d.join("out.csv"), ',');
    for (key, texts) in expected_texts() {
        let col = rows[0].iter().position(|h| h == key).expect(key);
        for (row, text) in rows[1..].iter().zip(texts) {
            // Quotes before a formula start get one more, which the reader takes off.
            let want = if runs_as_formula(text.trim_start_matches('\'')) {
                format!("'{text}")
            } else {
                text.to_string()
            };
            assert_eq!(row[col], want, "{key} {text:?}");
        }
    }

    export(d, "out.csv", "back.jsonl");
    assert_eq!(
        std::fs::read_to_string(d.join("back.jsonl")).unwrap(),
        std::fs::read_to_string(d.join("direct.jsonl")).unwrap()
    );
}

/// Every cell of the first sheet as openpyxl sees it: `[data_type, value]`.
fn openpyxl_cells(path: &Path) -> Vec<Vec<(String, Value)>> {
    let script = r#"
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
print(json.dumps([[[c.data_type, c.value if isinstance(c.value, (str, int, float)) or c.value is None else str(c.value)] for c in row] for row in ws.iter_rows()]))
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
fn xlsx_exports_keep_formula_starts_as_plain_strings_and_read_back_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_input(d);
    export(d, "in.jsonl", "direct.jsonl");
    export(d, "in.jsonl", "out.xlsx");

    let cells = openpyxl_cells(&d.join("out.xlsx"));
    for (key, texts) in expected_texts() {
        let col = cells[0].iter().position(|(_, v)| v == key).expect(key);
        for (row, text) in cells[1..].iter().zip(texts) {
            // A string cell (type "s"), never a formula ("f"), holding the text as it is.
            assert_eq!(row[col], ("s".to_string(), Value::from(text)), "{key}");
        }
    }

    export(d, "out.xlsx", "back.jsonl");
    assert_eq!(
        std::fs::read_to_string(d.join("back.jsonl")).unwrap(),
        std::fs::read_to_string(d.join("direct.jsonl")).unwrap()
    );
}
