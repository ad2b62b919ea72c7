//! XLSX exports and imports through the library: cell types and formats as a spreadsheet
//! sees them (checked with Python's openpyxl, an independent reader), exact round trips,
//! files made by another writer, record and source errors, sheet choice, the sheet row
//! limit, and atomic output.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use recibo::Error;
use recibo::columns::sets;
use recibo::model::{Currency, Money, Transaction, TxStatus, TxType};
use recibo::output::Target;
use recibo::sink::xlsx::{MAX_SHEET_ROWS, XlsxSink};
use recibo::sink::{self, ExportOptions, Format, Sink};
use recibo::source::xlsx::XlsxReader;
use recibo::source::{InputFormat, RecordReader, SourceOptions};
use serde_json::Value;

fn money(minor: i64, code: &str) -> Money {
    Money::new(minor, Currency::parse(code).unwrap())
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn zone(name: &str) -> Tz {
    name.parse().unwrap()
}

fn tx(id: &str, kind: TxType, time: &str, amount: Money) -> Transaction {
    let mut t = Transaction::blank(amount.currency);
    t.transaction_id = id.into();
    t.transaction_type = kind;
    t.status = TxStatus::Success;
    t.payment_time = at(time);
    t.amount = amount;
    t
}

/// Payments and refunds in currencies of every exponent the domain names.
fn sample() -> Vec<Transaction> {
    let mut rows = vec![
        tx(
            "pay-jpy",
            TxType::Payment,
            "2026-11-01T00:00:00Z",
            money(1234, "JPY"),
        ),
        tx(
            "ref-jpy",
            TxType::Refund,
            "2026-11-02T03:04:05Z",
            money(-1234, "JPY"),
        ),
        tx(
            "pay-brl",
            TxType::Payment,
            "2026-03-05T10:20:30Z",
            money(123_450, "BRL"),
        ),
        tx(
            "ref-brl",
            TxType::Refund,
            "2026-03-06T10:20:30.250Z",
            money(-9_000, "BRL"),
        ),
        tx(
            "pay-bhd",
            TxType::Payment,
            "2026-07-01T12:00:00Z",
            money(1_234, "BHD"),
        ),
        tx(
            "ref-bhd",
            TxType::Refund,
            "2026-07-02T12:00:00Z",
            money(-1, "BHD"),
        ),
        tx(
            "pay-vnd",
            TxType::Payment,
            "2026-01-15T23:59:59Z",
            money(10_000_000, "VND"),
        ),
        tx(
            "ref-vnd",
            TxType::Refund,
            "2026-01-16T00:00:00Z",
            money(-2_500_000, "VND"),
        ),
        tx(
            "pay-clf",
            TxType::Payment,
            "2026-05-05T05:05:05Z",
            money(12_345, "CLF"),
        ),
    ];
    rows[1].original_transaction_id = "pay-jpy".into();
    rows[1].reason = "cliente desistiu".into();
    rows[3].original_transaction_id = "pay-brl".into();
    rows[3].order_description = "=HYPERLINK(\"http://x\")".into();
    rows[5].original_transaction_id = "pay-bhd".into();
    rows[2].order_description = "Café, 退款 \"quoted\"".into();
    rows[2].customer_id = "2088".into();
    rows[2].acquirer = "Antom".into();
    rows[2].settlement = Some(money(2_345, "USD"));
    rows[2].fee = Some(money(-150, "USD"));
    rows[2].payment_method_type = "PIX".into();
    rows[4].reference_transaction_id = "-order-7".into();
    rows[6].status = TxStatus::Processing;
    rows[6].order_description = "line 1\nline 2\ttab \u{1}bell _x0041_ & <b>".into();
    rows
}

fn options(columns: &str, tz: &str) -> ExportOptions {
    ExportOptions {
        columns: sets::resolve(columns, None).unwrap().columns,
        zone: zone(tz),
        ..ExportOptions::default()
    }
}

fn write(path: &Path, rows: &[Transaction], options: &ExportOptions) -> u64 {
    let mut sink = sink::open(Format::Xlsx, &Target::File(path.to_path_buf()), options).unwrap();
    for row in rows {
        sink.write(row).unwrap();
    }
    sink.finish().unwrap()
}

fn source_options(sheet: Option<&str>, tz: &str) -> SourceOptions {
    SourceOptions::new(sheet.map(str::to_string), zone(tz))
}

/// Every record of the file, or the first error.
fn read(path: &Path, options: &SourceOptions) -> Result<Vec<Transaction>, Error> {
    let mut reader = XlsxReader::open(path.to_str().unwrap(), options)?;
    let mut out = Vec::new();
    let mut t = Transaction::blank(Currency::parse("USD").unwrap());
    while reader.read_into(&mut t)? {
        out.push(t.clone());
    }
    Ok(out)
}

/// Runs a Python script with openpyxl; its standard output, parsed as JSON when asked.
fn python(script: &str, args: &[&OsStr]) -> String {
    let check = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .output();
    match check {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "these tests read XLSX with Python's openpyxl, which is not installed: run `pip install openpyxl` ({})",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("these tests need python3 with openpyxl (`pip install openpyxl`): {e}"),
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn python_json(script: &str, args: &[&OsStr]) -> Value {
    serde_json::from_str(&python(script, args)).unwrap()
}

/// Dumps every sheet: title, freeze, filter, and each cell's value, type, format, boldness.
const DUMP: &str = r#"
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = []
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows():
        cells = []
        for c in row:
            v = c.value
            if isinstance(v, datetime.datetime):
                v = v.isoformat()
            cells.append({"v": v, "t": c.data_type, "fmt": c.number_format, "bold": bool(c.font.b),
                          "date": c.is_date})
        rows.append(cells)
    out.append({"title": ws.title, "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref,
                "widths": {k: d.width for k, d in ws.column_dimensions.items()}, "rows": rows})
print(json.dumps(out))
"#;

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn amounts_are_numbers_with_the_currency_digits_and_times_are_dates() {
    let dir = temp_dir();
    let path = dir.path().join("out.xlsx");
    let mut opts = options(
        "transactionId,paymentTime,paymentTimeUtc,transactionAmountValue,transactionCurrency,transactionAmountMinor,orderDescription",
        "Asia/Shanghai",
    );
    opts.header = recibo::columns::HeaderLang::ZhCn;
    let rows = sample();
    assert_eq!(write(&path, &rows, &opts), rows.len() as u64);

    let sheets = python_json(DUMP, &[path.as_os_str()]);
    let sheet = &sheets[0];
    assert_eq!(sheets.as_array().unwrap().len(), 1);
    assert_eq!(sheet["title"], "Transactions");
    assert_eq!(sheet["freeze"], "A2");
    assert_eq!(sheet["filter"], format!("A1:G{}", rows.len() + 1));
    let header = sheet["rows"][0].as_array().unwrap();
    assert_eq!(header[0]["v"], "交易号");
    assert!(
        header.iter().all(|c| c["bold"] == true && c["t"] == "s"),
        "{header:?}"
    );
    // Widths are set from the content kind, wider than the default 8.43.
    assert!(
        sheet["widths"]["B"].as_f64().unwrap() >= 20.0,
        "{}",
        sheet["widths"]
    );

    let cell = |row: usize, col: usize| &sheet["rows"][row][col];
    let expect = [
        // (row, amount, format, wall time in Shanghai)
        (1, 1234.0, "#,##0", "2026-11-01T08:00:00"),
        (2, -1234.0, "#,##0", "2026-11-02T11:04:05"),
        (3, 1234.5, "#,##0.00", "2026-03-05T18:20:30"),
        (4, -90.0, "#,##0.00", "2026-03-06T18:20:30.250000"),
        (5, 1.234, "#,##0.000", "2026-07-01T20:00:00"),
        (6, -0.001, "#,##0.000", "2026-07-02T20:00:00"),
        (7, 10_000_000.0, "#,##0", "2026-01-16T07:59:59"),
        (9, 1.2345, "#,##0.0000", "2026-05-05T13:05:05"),
    ];
    for (row, amount, format, wall) in expect {
        let amount_cell = cell(row, 3);
        assert_eq!(amount_cell["t"], "n", "row {row}: {amount_cell}");
        assert_eq!(amount_cell["v"].as_f64().unwrap(), amount, "row {row}");
        assert_eq!(amount_cell["fmt"], format, "row {row}");
        let time = cell(row, 1);
        assert_eq!(time["date"], true, "row {row}: {time}");
        assert_eq!(time["fmt"], "yyyy-mm-dd hh:mm:ss");
        assert_eq!(time["v"], wall, "row {row}");
    }
    // paymentTimeUtc is UTC whatever the export's zone.
    assert_eq!(cell(1, 2)["v"], "2026-11-01T00:00:00");
    assert_eq!(cell(1, 4)["v"], "JPY");
    assert_eq!(cell(1, 4)["t"], "s");
    assert_eq!(cell(3, 5)["v"].as_f64().unwrap(), 123_450.0);
    assert_eq!(cell(3, 5)["t"], "n");
    // Text that looks like a formula stays a string cell, unguarded.
    assert_eq!(cell(4, 6)["v"], "=HYPERLINK(\"http://x\")");
    assert_eq!(cell(4, 6)["t"], "s");
    assert_eq!(cell(3, 6)["v"], "Café, 退款 \"quoted\"");
    // Control characters are written as Excel's `_xHHHH_` escapes, and text that looks like
    // one is escaped itself; openpyxl shows them undecoded (Excel and calamine decode them,
    // see the round trip below).
    assert_eq!(
        cell(7, 6)["v"],
        "line 1\nline 2\ttab _x0001_bell _x005F_x0041_ & <b>"
    );
}

#[test]
fn round_trip_gives_back_the_same_transactions() {
    let dir = temp_dir();
    let path = dir.path().join("reference.xlsx");
    let rows = sample();
    for tz in ["UTC", "America/Sao_Paulo", "Asia/Kolkata"] {
        write(&path, &rows, &options("reference", tz));
        let back = read(&path, &source_options(None, tz)).unwrap();
        assert_eq!(back, rows, "zone {tz}");
    }
}

#[test]
fn read_with_another_zone_shifts_the_wall_time() {
    let dir = temp_dir();
    let path = dir.path().join("out.xlsx");
    write(&path, &sample()[..1], &options("reference", "Asia/Tokyo"));
    // 09:00 wall time read as if it were São Paulo's.
    let back = read(&path, &source_options(None, "America/Sao_Paulo")).unwrap();
    assert_eq!(back[0].payment_time, at("2026-11-01T12:00:00Z"));
}

/// A workbook written by openpyxl: floats as amounts, text formulas without a saved
/// result, real datetimes.
const FOREIGN: &str = r##"
import sys, datetime, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Report"
ws.append(["transactionId", "transactionType", "paymentTime", "transactionAmountValue", "transactionCurrency", "orderDescription", "comment"])
ws.append(["a1", "PAYMENT", datetime.datetime(2026, 11, 1, 8, 0, 0), 12.34, "BRL", "ok", "#N/A"])
ws.append(["a2", "REFUND", "2026-11-01T09:00:00+08:00", -90.5, "BRL", None, None])
ws.append(["a3", "PAYMENT", datetime.datetime(2026, 11, 1, 8, 0, 0, 500000), 1234, "JPY", "=\"=SUM\"", None])
ws.append(['="2026110100042"', "payment", 1793491200, 0.001, "BHD", 7, None])
ws.append([])
ws.append(["<END>"])
ws.append([])
wb.save(sys.argv[1])
"##;

#[test]
fn numbers_and_text_formulas_from_another_writer_are_read_exactly() {
    let dir = temp_dir();
    let path = dir.path().join("foreign.xlsx");
    python(FOREIGN, &[path.as_os_str()]);
    let rows = read(&path, &source_options(None, "Asia/Shanghai")).unwrap();
    let summary: Vec<(String, i64, &str)> = rows
        .iter()
        .map(|t| {
            (
                t.transaction_id.clone(),
                t.amount.minor,
                t.amount.currency.code(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("a1".to_string(), 1234, "BRL"),
            ("a2".to_string(), -9050, "BRL"),
            ("a3".to_string(), 1234, "JPY"),
            ("2026110100042".to_string(), 1, "BHD"),
        ]
    );
    // A datetime cell is a wall time in the reading zone.
    assert_eq!(rows[0].payment_time, at("2026-11-01T00:00:00Z"));
    assert_eq!(rows[1].payment_time, at("2026-11-01T01:00:00Z"));
    assert_eq!(rows[2].payment_time, at("2026-11-01T00:00:00.500Z"));
    // Whole numbers in a time column are unix seconds, as in CSV.
    assert_eq!(rows[3].payment_time, at("2026-11-01T00:00:00Z"));
    assert_eq!(rows[2].order_description, "=SUM");
    assert_eq!(rows[3].order_description, "7");
    assert_eq!(rows[3].transaction_type, TxType::Payment);
    // The `#N/A` sits in a column recibo does not read: no error.
    assert_eq!(rows[0].order_description, "ok");
}

/// Writes a workbook with openpyxl from a JSON list of rows (the first is the header).
const FROM_JSON: &str = r#"
import sys, json, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
sheets = json.loads(sys.argv[2])
first = True
for title, rows in sheets:
    if first:
        ws.title = title
        first = False
    else:
        ws = wb.create_sheet(title)
    for row in rows:
        ws.append(row)
wb.save(sys.argv[1])
"#;

fn workbook(path: &Path, sheets: Value) {
    python(
        FROM_JSON,
        &[path.as_os_str(), OsStr::new(&sheets.to_string())],
    );
}

const HEADER: [&str; 5] = [
    "transactionId",
    "transactionType",
    "paymentTime",
    "transactionAmountValue",
    "transactionCurrency",
];

fn row(id: &str, amount: Value, currency: &str) -> Value {
    serde_json::json!([id, "PAYMENT", "2026-11-01T08:00:00+08:00", amount, currency])
}

#[test]
fn a_fractional_yen_amount_is_a_record_error_naming_field_and_row() {
    let dir = temp_dir();
    let path = dir.path().join("yen.xlsx");
    let rows = serde_json::json!([
        HEADER,
        row("ok", 1234.into(), "JPY"),
        row("bad", 1234.5.into(), "JPY"),
        row("after", 1.into(), "JPY")
    ]);
    workbook(&path, serde_json::json!([["Sheet", rows]]));
    let mut reader = XlsxReader::open(path.to_str().unwrap(), &SourceOptions::default()).unwrap();
    let mut t = Transaction::blank(Currency::parse("USD").unwrap());
    assert!(reader.read_into(&mut t).unwrap());
    let err = reader.read_into(&mut t).unwrap_err();
    match &err {
        Error::Record {
            location,
            field,
            message,
        } => {
            assert_eq!(*field, Some("transactionAmountValue"));
            assert_eq!(location.row, 2);
            assert_eq!(location.line, Some(3));
            assert!(location.input.ends_with("yen.xlsx"));
            assert!(
                message.contains("1234.5") && message.contains("JPY"),
                "{message}"
            );
        }
        other => panic!("expected a record error, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("row 2") && text.contains("transactionAmountValue"),
        "{text}"
    );
    // The reader moves past a bad record.
    assert!(reader.read_into(&mut t).unwrap());
    assert_eq!(t.transaction_id, "after");
    assert!(!reader.read_into(&mut t).unwrap());
}

#[test]
fn bad_cells_in_read_columns_are_record_errors() {
    let dir = temp_dir();
    let path = dir.path().join("bad.xlsx");
    let rows = serde_json::json!([
        HEADER,
        row("na", "#N/A".into(), "USD"),
        row("formula", "=1+1".into(), "USD"),
        [
            "beyond",
            "PAYMENT",
            "2026-11-01T08:00:00+08:00",
            1,
            "USD",
            "",
            "stray"
        ],
        ["", "PAYMENT", "2026-11-01T08:00:00+08:00", 1, "USD"],
    ]);
    workbook(&path, serde_json::json!([["Sheet", rows]]));
    let mut reader = XlsxReader::open(path.to_str().unwrap(), &SourceOptions::default()).unwrap();
    let mut t = Transaction::blank(Currency::parse("USD").unwrap());
    let mut errors = Vec::new();
    loop {
        match reader.read_into(&mut t) {
            Ok(true) => panic!("no row here is good: {t:?}"),
            Ok(false) => break,
            Err(Error::Record {
                location,
                field,
                message,
            }) => errors.push((location.row, field, message)),
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!(errors[0].1, Some("transactionAmountValue"));
    assert!(errors[0].2.contains("#N/A"), "{}", errors[0].2);
    assert_eq!(errors[1].1, Some("transactionAmountValue"));
    assert!(errors[1].2.contains("formula"), "{}", errors[1].2);
    assert_eq!(errors[2].1, None);
    assert!(errors[2].2.contains("column G"), "{}", errors[2].2);
    assert_eq!((errors[3].0, errors[3].1), (4, Some("transactionId")));
}

#[test]
fn data_after_the_end_row_is_an_error() {
    let dir = temp_dir();
    let path = dir.path().join("end.xlsx");
    let rows = serde_json::json!([
        HEADER,
        row("a", 1.into(), "USD"),
        ["<END>"],
        row("b", 1.into(), "USD")
    ]);
    workbook(&path, serde_json::json!([["Sheet", rows]]));
    let err = read(&path, &SourceOptions::default()).unwrap_err();
    match err {
        Error::Record {
            location, message, ..
        } => {
            assert_eq!((location.row, location.line), (3, Some(4)));
            assert!(message.contains("<END>"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_missing_required_column_is_a_source_error_naming_it() {
    let dir = temp_dir();
    let path = dir.path().join("nocols.xlsx");
    let rows = serde_json::json!([
        [
            "transactionId",
            "transactionType",
            "transactionAmountValue",
            "transactionCurrency"
        ],
        ["a", "PAYMENT", 1, "USD"]
    ]);
    workbook(&path, serde_json::json!([["Sheet", rows]]));
    match XlsxReader::open(path.to_str().unwrap(), &SourceOptions::default()) {
        Err(Error::Source { input, message }) => {
            assert!(input.ends_with("nocols.xlsx"), "{input}");
            assert!(message.contains("paymentTime"), "{message}");
            assert!(!message.contains("transactionId"), "{message}");
        }
        Err(other) => panic!("expected a source error, got {other:?}"),
        Ok(_) => panic!("expected a source error"),
    }
}

#[test]
fn the_sheet_option_picks_a_named_sheet() {
    let dir = temp_dir();
    let path = dir.path().join("sheets.xlsx");
    let notes = serde_json::json!([["Notes"], ["exported by hand"]]);
    let data = serde_json::json!([[], HEADER, row("x", 12.5.into(), "EUR")]);
    workbook(&path, serde_json::json!([["Notes", notes], ["Data", data]]));

    let rows = read(&path, &source_options(Some("Data"), "UTC")).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].amount, money(1250, "EUR"));
    // Sheet names match case-insensitively when nothing matches exactly.
    assert_eq!(
        read(&path, &source_options(Some("data"), "UTC"))
            .unwrap()
            .len(),
        1
    );

    match read(&path, &source_options(Some("Missing"), "UTC")) {
        Err(Error::Source { message, .. }) => {
            assert!(
                message.contains("Missing") && message.contains("\"Notes\", \"Data\""),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    // Without the option the first sheet is read, and it is no report.
    match read(&path, &SourceOptions::default()) {
        Err(Error::Source { message, .. }) => {
            assert!(message.contains("missing required column"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

fn numbered(n: usize) -> Vec<Transaction> {
    (0..n)
        .map(|i| {
            let mut t = tx(
                &format!("t{i}"),
                TxType::Payment,
                "2026-01-01T00:00:00Z",
                money(i as i64, "USD"),
            );
            t.payment_time += chrono::Duration::seconds(i as i64);
            t
        })
        .collect()
}

#[test]
fn full_sheets_continue_on_new_sheets_with_the_same_header() {
    let dir = temp_dir();
    let path = dir.path().join("rollover.xlsx");
    let rows = numbered(7);
    let opts = options("default", "UTC");
    let mut sink = XlsxSink::open_with_row_limit(&Target::File(path.clone()), &opts, 4).unwrap();
    for t in &rows {
        sink.write(t).unwrap();
    }
    assert_eq!(Box::new(sink).finish().unwrap(), 7);

    let sheets = python_json(DUMP, &[path.as_os_str()]);
    let sheets = sheets.as_array().unwrap();
    let titles: Vec<&str> = sheets
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Transactions", "Transactions 2", "Transactions 3"]);
    let filters: Vec<&str> = sheets
        .iter()
        .map(|s| s["filter"].as_str().unwrap())
        .collect();
    assert_eq!(filters, ["A1:K4", "A1:K4", "A1:K2"]);
    for sheet in sheets {
        assert_eq!(sheet["freeze"], "A2");
        assert_eq!(sheet["rows"][0][0]["v"], "transactionId");
        assert_eq!(sheet["rows"][0][0]["bold"], true);
    }
    assert_eq!(sheets[1]["rows"][1][0]["v"], "t3");
    assert_eq!(sheets[2]["rows"].as_array().unwrap().len(), 2);

    // Read whole, the continuation sheets follow the first.
    let back = read(&path, &source_options(None, "UTC")).unwrap();
    let ids: Vec<&str> = back.iter().map(|t| t.transaction_id.as_str()).collect();
    assert_eq!(ids, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
    assert_eq!(
        back.iter().map(|t| t.amount).collect::<Vec<_>>(),
        rows.iter().map(|t| t.amount).collect::<Vec<_>>()
    );
    // A named sheet is read alone.
    let second = read(&path, &source_options(Some("Transactions 2"), "UTC")).unwrap();
    assert_eq!(
        second
            .iter()
            .map(|t| t.transaction_id.as_str())
            .collect::<Vec<_>>(),
        ["t3", "t4", "t5"]
    );
}

#[test]
fn errors_in_continuation_sheets_name_the_sheet() {
    let dir = temp_dir();
    let path = dir.path().join("cont.xlsx");
    let good = serde_json::json!([HEADER, row("a", 1.into(), "USD")]);
    let bad = serde_json::json!([
        HEADER,
        row("b", 1.into(), "USD"),
        row("c", 1.5.into(), "JPY")
    ]);
    workbook(
        &path,
        serde_json::json!([["Transactions", good], ["Transactions 2", bad]]),
    );
    match read(&path, &SourceOptions::default()) {
        Err(Error::Record {
            location, field, ..
        }) => {
            assert!(
                location.input.contains("Transactions 2"),
                "{}",
                location.input
            );
            assert_eq!(
                (location.row, location.line, field),
                (3, Some(3), Some("transactionAmountValue"))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_numbered_sheet_with_another_header_is_not_a_continuation() {
    let dir = temp_dir();
    let path = dir.path().join("other.xlsx");
    let data = serde_json::json!([HEADER, row("a", 1.into(), "USD")]);
    let other = serde_json::json!([["note", "value"], ["x", 1]]);
    workbook(
        &path,
        serde_json::json!([["Data", data], ["Data 2", other]]),
    );
    let rows = read(&path, &SourceOptions::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].transaction_id, "a");
}

/// Writes the sheet limit and one more row: ~1 M rows, a few seconds in release builds.
#[test]
#[ignore = "writes and reads a million rows"]
fn the_real_sheet_limit_rolls_over() {
    let dir = temp_dir();
    let path = dir.path().join("limit.xlsx");
    let data_rows = u64::from(MAX_SHEET_ROWS - 1) + 1;
    let mut sink = sink::open(
        Format::Xlsx,
        &Target::File(path.clone()),
        &options(
            "transactionId,transactionType,paymentTime,transactionAmountValue,transactionCurrency",
            "UTC",
        ),
    )
    .unwrap();
    let mut t = tx(
        "t",
        TxType::Payment,
        "2026-01-01T00:00:00Z",
        money(100, "USD"),
    );
    for i in 0..data_rows {
        t.transaction_id.clear();
        t.transaction_id.push_str(itoa::Buffer::new().format(i));
        sink.write(&t).unwrap();
    }
    assert_eq!(sink.finish().unwrap(), data_rows);

    let dims = python(
        "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1], read_only=True)\nprint([(ws.title, ws.max_row) for ws in wb.worksheets])",
        &[path.as_os_str()],
    );
    assert_eq!(
        dims.trim(),
        "[('Transactions', 1048576), ('Transactions 2', 2)]"
    );
    let mut reader = XlsxReader::open(path.to_str().unwrap(), &SourceOptions::default()).unwrap();
    let mut count = 0u64;
    while reader.read_into(&mut t).unwrap() {
        count += 1;
    }
    assert_eq!(count, data_rows);
    assert_eq!(t.transaction_id, (data_rows - 1).to_string());
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn an_unfinished_or_failed_export_leaves_no_file() {
    let dir = temp_dir();
    let target = Target::File(dir.path().join("out.xlsx"));
    let opts = options("default", "UTC");

    // Dropped without finish.
    let mut sink = sink::open(Format::Xlsx, &target, &opts).unwrap();
    for t in numbered(100) {
        sink.write(&t).unwrap();
    }
    drop(sink);
    assert_eq!(files_in(dir.path()), Vec::<PathBuf>::new());

    // A cell Excel cannot hold fails the write; the run stops and nothing is left.
    let mut sink = sink::open(Format::Xlsx, &target, &opts).unwrap();
    let mut long = numbered(1).remove(0);
    long.order_description = "x".repeat(40_000);
    sink.write(&numbered(1)[0]).unwrap();
    let err = sink.write(&long).unwrap_err();
    assert!(matches!(err, Error::Output { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("out.xlsx")
            && text.contains("\"Transactions\", row 3, column orderDescription"),
        "{text}"
    );
    // The half-written row ends the export: nothing more is taken, nothing is committed.
    assert!(sink.write(&numbered(1)[0]).is_err());
    assert!(sink.finish().is_err());
    assert_eq!(files_in(dir.path()), Vec::<PathBuf>::new());

    // A target that cannot be created (its parent is a file) fails at open.
    std::fs::write(dir.path().join("file"), "x").unwrap();
    let bad = Target::File(dir.path().join("file").join("out.xlsx"));
    assert!(matches!(
        sink::open(Format::Xlsx, &bad, &opts),
        Err(Error::Output { .. })
    ));
    assert_eq!(files_in(dir.path()), [dir.path().join("file")]);

    // A directory that cannot be written to (unless running as root, who can).
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    set_mode(&locked, 0o555);
    if std::fs::File::create(locked.join("probe")).is_err() {
        let target = Target::File(locked.join("out.xlsx"));
        assert!(matches!(
            sink::open(Format::Xlsx, &target, &opts),
            Err(Error::Output { .. })
        ));
        assert_eq!(files_in(&locked), Vec::<PathBuf>::new());
    }
    set_mode(&locked, 0o755);
    std::fs::remove_dir_all(&locked).unwrap();

    // Standard output is refused.
    assert!(matches!(
        sink::open(Format::Xlsx, &Target::Stdout, &opts),
        Err(Error::Usage(_))
    ));

    // A finished export replaces an existing file at once.
    std::fs::write(dir.path().join("out.xlsx"), "old").unwrap();
    let mut sink = sink::open(Format::Xlsx, &target, &opts).unwrap();
    sink.write(&numbered(1)[0]).unwrap();
    assert_eq!(std::fs::read(dir.path().join("out.xlsx")).unwrap(), b"old");
    sink.finish().unwrap();
    assert_eq!(
        read(&dir.path().join("out.xlsx"), &SourceOptions::default())
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn an_empty_export_is_a_header_only_workbook() {
    let dir = temp_dir();
    let path = dir.path().join("empty.xlsx");
    assert_eq!(write(&path, &[], &options("reference", "UTC")), 0);
    assert_eq!(
        read(&path, &SourceOptions::default()).unwrap(),
        Vec::<Transaction>::new()
    );
    let sheets = python_json(DUMP, &[path.as_os_str()]);
    assert_eq!(sheets[0]["filter"], "A1:W1");
}

#[test]
fn unreadable_files_are_source_errors() {
    let dir = temp_dir();
    let path = dir.path().join("not.xlsx");
    std::fs::write(&path, "transactionId\n1\n").unwrap();
    assert!(matches!(
        read(&path, &SourceOptions::default()),
        Err(Error::Source { .. })
    ));
    assert!(matches!(
        read(&dir.path().join("missing.xlsx"), &SourceOptions::default()),
        Err(Error::Source { .. })
    ));
}

/// Throughput of both directions on a million default-column rows; prints the rates.
/// `cargo test --release --test xlsx -- --ignored throughput --nocapture`
#[test]
#[ignore = "a benchmark: run in release with --nocapture"]
fn throughput() {
    let dir = temp_dir();
    let path = std::env::var_os("RECIBO_BENCH_OUT")
        .map_or_else(|| dir.path().join("bench.xlsx"), PathBuf::from);
    let n: u64 = std::env::var("RECIBO_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let opts = options("default", "Asia/Shanghai");
    let cells = n * opts.columns.len() as u64;
    let templates: Vec<Transaction> = (0..1000)
        .map(|i| {
            let (code, minor) = [
                ("BRL", 12_345),
                ("JPY", 1_234),
                ("BHD", 1_234_567),
                ("USD", -9_000),
            ][i % 4];
            let kind = if minor < 0 {
                TxType::Refund
            } else {
                TxType::Payment
            };
            let mut t = tx(
                &format!("2026110119{i:014}"),
                kind,
                "2026-11-01T08:00:00Z",
                money(minor * (i as i64 + 1), code),
            );
            t.payment_time += chrono::Duration::seconds(i as i64 * 37);
            t.payment_method_type = "ALIPAY_CN".into();
            t.acquirer = "Antom".into();
            t.reference_transaction_id = format!("ORDER-{i:08}");
            t.original_transaction_id = if minor < 0 {
                format!("2026110119{:014}", i + 1)
            } else {
                String::new()
            };
            t.order_description = format!("Order {i} for customer, 2 items");
            t
        })
        .collect();

    let start = std::time::Instant::now();
    let cpu_start = thread_cpu_secs();
    let mut sink = sink::open(Format::Xlsx, &Target::File(path.clone()), &opts).unwrap();
    for i in 0..n {
        sink.write(&templates[(i % 1000) as usize]).unwrap();
    }
    let rows_done = start.elapsed().as_secs_f64();
    sink.finish().unwrap();
    let cpu = thread_cpu_secs() - cpu_start;
    println!(
        "write: rows written in {rows_done:.2} s, then finish (compression) {:.2} s; {cpu:.2} s of CPU: {:.0} cells per CPU second",
        start.elapsed().as_secs_f64() - rows_done,
        cells as f64 / cpu
    );
    let secs = start.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "write: {n} rows x {} columns in {secs:.2} s: {:.0} cells/s, {:.0} rows/s, {:.1} MB",
        opts.columns.len(),
        cells as f64 / secs,
        n as f64 / secs,
        size as f64 / 1e6
    );

    // Reads `from` whole into a new `to` and prints the rate.
    let convert = |from: &Path, format: InputFormat, to: &Path, sink_format: Format| {
        let start = std::time::Instant::now();
        let mut out = sink::open(sink_format, &Target::File(to.to_path_buf()), &opts).unwrap();
        let input = recibo::source::Input {
            name: from.to_str().unwrap().into(),
            format,
        };
        let stats = recibo::source::read_all(
            &[input],
            &source_options(None, "Asia/Shanghai"),
            recibo::source::BadRecords::Stop,
            |t| out.write(t),
        )
        .unwrap();
        out.finish().unwrap();
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(stats.records, n);
        println!(
            "{} -> {}: {n} rows in {secs:.2} s: {:.0} cells/s, {:.0} rows/s",
            from.file_name().unwrap().to_string_lossy(),
            to.file_name().unwrap().to_string_lossy(),
            cells as f64 / secs,
            n as f64 / secs
        );
    };
    let csv = dir.path().join("bench.csv");
    convert(&path, InputFormat::Xlsx, &csv, Format::Csv);
    convert(
        &csv,
        InputFormat::Csv,
        &dir.path().join("again.xlsx"),
        Format::Xlsx,
    );
}

/// CPU time of the calling thread, which is the whole cost of a write on a busy machine.
fn thread_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // After the command name: state is field 3, utime 14 and stime 15, in clock ticks.
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(14) + ticks(15)) / 100.0
}

#[test]
fn a_cell_reference_past_xfd_is_a_clear_error_not_a_huge_allocation() {
    let dir = temp_dir();
    let good = dir.path().join("good.xlsx");
    let hostile = dir.path().join("hostile.xlsx");
    write(&good, &sample(), &options("reference", "UTC"));
    // The header's second cell claims to sit in column ZZZZ (475,254); `ZZZZZZZ` would
    // overflow calamine's own arithmetic in a debug build before recibo sees it.
    python(
        r#"
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "xl/worksheets/sheet1.xml":
            assert b'r="B1"' in data
            data = data.replace(b'r="B1"', b'r="ZZZZ1"', 1)
        zout.writestr(item, data)
"#,
        &[good.as_os_str(), hostile.as_os_str()],
    );
    let err = read(&hostile, &source_options(None, "UTC")).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("hostile.xlsx"), "{message}");
    assert!(message.contains("row 1"), "{message}");
    assert!(message.contains("past column XFD"), "{message}");
}
