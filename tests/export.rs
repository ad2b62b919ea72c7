//! `recibo export` end to end, CSV and JSONL (XLSX is in tests/xlsx.rs): the binary is run
//! on fixture files written here, and its outputs are read back with readers that are not
//! recibo's (the `csv` crate, Python's `csv` module). Every expected value is computed
//! from the fixture text by the helpers in `support`, never copied from recibo's output.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::{
    CsvStyle, FORMULA_TRIGGERS, amount_major, amount_minor, csv_bytes, instant, iso_in_zone,
    list_dir, midnight, parse_csv, read_csv, read_csv_with_python, recibo, recibo_with_stdin,
    shipped_set, unguard, write_csv,
};

// ---------------------------------------------------------------------------------------
// Fixture rows in the reference layout
// ---------------------------------------------------------------------------------------

/// One transaction of a fixture, by reference column key; absent keys are empty.
#[derive(Clone, Debug)]
struct Row(BTreeMap<&'static str, String>);

impl Row {
    fn new(id: &str, kind: &str, time: &str, amount: &str, currency: &str) -> Row {
        let mut map = BTreeMap::new();
        map.insert("transactionId", id.to_string());
        map.insert("transactionType", kind.to_string());
        map.insert("paymentTime", time.to_string());
        map.insert("transactionAmountValue", amount.to_string());
        map.insert("transactionCurrency", currency.to_string());
        Row(map)
    }

    fn with(mut self, key: &'static str, value: &str) -> Row {
        self.0.insert(key, value.to_string());
        self
    }

    fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }

    /// The fields in `keys` order, for writing a fixture.
    fn fields(&self, keys: &[String]) -> Vec<String> {
        keys.iter().map(|k| self.get(k).to_string()).collect()
    }
}

/// Columns holding amounts, with the column of their currency.
const AMOUNTS: [(&str, &str); 3] = [
    ("transactionAmountValue", "transactionCurrency"),
    ("settlementAmountValue", "settlementCurrency"),
    ("feeAmountValue", "feeCurrency"),
];

/// True for the columns an export writes as text (and so may guard with `'`).
fn is_text_column(key: &str) -> bool {
    !matches!(
        key,
        "transactionAmountValue"
            | "settlementAmountValue"
            | "feeAmountValue"
            | "transactionCurrency"
            | "settlementCurrency"
            | "feeCurrency"
            | "paymentTime"
            | "paymentTimeUtc"
            | "refundedAmount"
            | "transactionAmountMinor"
            | "currencyExponent"
    )
}

/// What a report shown in `zone` should hold in column `key` for `row`: amounts with the
/// currency's digits, codes and enum values upper case, times in `zone`, IDs and names
/// trimmed, the free-text description exactly as given. Text is unguarded (no `'`).
fn expected_cell(row: &Row, key: &str, zone: &str, decimal_mark: char) -> String {
    if let Some((_, currency)) = AMOUNTS.iter().find(|(k, _)| *k == key) {
        let value = row.get(key);
        return if value.trim().is_empty() {
            String::new()
        } else {
            amount_major(value, row.get(currency), decimal_mark)
        };
    }
    match key {
        "transactionCurrency" | "transactionType" | "status" => {
            row.get(key).trim().to_ascii_uppercase()
        }
        // A settlement or fee currency is shown only with its amount.
        "settlementCurrency" | "feeCurrency" => {
            let amount = if key == "settlementCurrency" {
                "settlementAmountValue"
            } else {
                "feeAmountValue"
            };
            if row.get(amount).trim().is_empty() {
                String::new()
            } else {
                row.get(key).trim().to_ascii_uppercase()
            }
        }
        "paymentTime" => iso_in_zone(row.get(key), zone),
        "paymentTimeUtc" => iso_in_zone(row.get("paymentTime"), "UTC"),
        "orderDescription" => row.get(key).to_string(),
        "transactionAmountMinor" => amount_minor(
            row.get("transactionAmountValue"),
            row.get("transactionCurrency"),
        )
        .to_string(),
        "currencyExponent" => support::exponent(row.get("transactionCurrency")).to_string(),
        "refundedAmount" => {
            if row
                .get("transactionType")
                .trim()
                .eq_ignore_ascii_case("REFUND")
            {
                amount_major(
                    row.get("transactionAmountValue")
                        .trim()
                        .trim_start_matches('-'),
                    row.get("transactionCurrency"),
                    decimal_mark,
                )
            } else {
                String::new()
            }
        }
        _ => row.get(key).trim().to_string(),
    }
}

/// Expected data rows for `keys`.
fn expected_rows(
    rows: &[Row],
    keys: &[String],
    zone: &str,
    decimal_mark: char,
) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            keys.iter()
                .map(|k| expected_cell(r, k, zone, decimal_mark))
                .collect()
        })
        .collect()
}

/// The reference column keys: the 23 columns of the gateway's reference report.
fn reference_keys() -> Vec<String> {
    let keys = shipped_set("reference");
    assert_eq!(keys.len(), 23, "the reference layout has 23 columns");
    keys
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A header for `keys` in a shuffled order and in mixed case (`TRANSACTIONID`,
/// `paymenttime`, `TrAnSaCtIoNtYpE`), as hand-edited or foreign reports have. Returns the
/// header cells and the keys in the same order.
fn shuffled_mixed_case(keys: &[String]) -> (Vec<String>, Vec<String>) {
    let n = keys.len();
    // i -> (7i + 3) mod n is a permutation whenever 7 does not divide n.
    assert!(!n.is_multiple_of(7));
    let order: Vec<String> = (0..n).map(|i| keys[(7 * i + 3) % n].clone()).collect();
    let header = order
        .iter()
        .enumerate()
        .map(|(i, k)| match i % 4 {
            0 => k.clone(),
            1 => k.to_ascii_uppercase(),
            2 => k.to_ascii_lowercase(),
            _ => k
                .chars()
                .enumerate()
                .map(|(j, c)| {
                    if j % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect(),
        })
        .collect();
    (header, order)
}

/// Rows in the reference layout covering what real reports hold: every exponent, refunds
/// negative, settlement in another currency, several offsets, and descriptions with
/// commas, quotes, line breaks, Chinese, Portuguese and Vietnamese accents, leading
/// formula characters and significant spaces.
fn reference_rows() -> Vec<Row> {
    let base = |id: &str, kind: &str, time: &str, amount: &str, currency: &str| {
        Row::new(id, kind, time, amount, currency)
            .with("customerId", "2188120000000001")
            .with("acquirer", "Antom")
            .with("acquirerReferenceNo", &format!("ARN{id}"))
            .with("referenceMerchantId", "SUB-01")
            .with("referenceStoreId", "LOJA-SP-7")
            .with("transactionRequestId", &format!("REQ-{id}"))
            .with("referenceTransactionId", &format!("ORDER-{id}"))
            .with("paymentMethodType", "CARD")
            .with("pspName", "VISA")
            .with("productCode", "CASHIER_PAYMENT")
            .with("status", "SUCCESS")
    };
    vec![
        base(
            "202610010001",
            "PAYMENT",
            "2026-10-01T00:00:00+08:00",
            "1234.5",
            "BRL",
        )
        .with(
            "orderDescription",
            "Camiseta, tamanho M — coleção \"Verão\", ação São João",
        )
        .with("settlementAmountValue", "230.1")
        .with("settlementCurrency", "USD")
        .with("feeAmountValue", "3.7")
        .with("feeCurrency", "USD"),
        base(
            "202610020002",
            "REFUND",
            "2026-10-02T12:30:00-03:00",
            "-90",
            "BRL",
        )
        .with("originalTransactionId", "202610010001")
        .with(
            "orderDescription",
            "=HYPERLINK(\"http://evil.example\",\"clique aqui\")",
        )
        .with("settlementAmountValue", "-16.77")
        .with("settlementCurrency", "USD")
        .with("reason", "cliente desistiu, \"arrependimento\""),
        base(
            "201812250003",
            "PAYMENT",
            "2018-12-25T10:00:00+08:30",
            "88.8",
            "CNY",
        )
        .with("paymentMethodType", "ALIPAY_CN")
        .with("pspName", "支付宝")
        .with("orderDescription", "咖啡，两杯\n第二行：拿铁")
        .with("feeAmountValue", "0.53")
        .with("feeCurrency", "CNY"),
        base(
            "202611010004",
            "PAYMENT",
            "2026-11-01T08:00:00.250+09:00",
            "1234",
            "JPY",
        )
        .with("orderDescription", "+81 予約 (席)")
        .with("settlementAmountValue", "8.23")
        .with("settlementCurrency", "USD"),
        base(
            "202611020005",
            "CAPTURE",
            "2026-11-02T03:04:05+03:00",
            "1.5",
            "BHD",
        )
        .with("originalTransactionId", "202611010004")
        .with("orderDescription", "-discount; 10% off"),
        base(
            "202611030006",
            "PAYMENT",
            "2026-11-03T23:59:59Z",
            "0.5",
            "USD",
        )
        .with("status", "FAIL")
        .with("reason", "card declined")
        .with("orderDescription", "@SUM(A1:A9)"),
        base(
            "202611040007",
            "DISPUTE",
            "2026-11-04T00:00:00+05:30",
            "-0.001",
            "KWD",
        )
        .with("originalTransactionId", "202611030006")
        .with("status", "PROCESSING")
        .with("orderDescription", "\tindented with a tab"),
        base(
            "202611050008",
            "PAYMENT",
            "2026-11-05T10:00:00-08:00",
            "12.3456",
            "CLF",
        )
        .with("orderDescription", "\rstarts with a carriage return"),
        base(
            "202611060009",
            "PAYMENT",
            "2026-11-06T07:00:00+07:00",
            "10000",
            "VND",
        )
        .with("paymentMethodType", "ATM")
        .with("acquirer", "AppotaPay")
        .with("orderDescription", "Cà phê sữa đá, \"ngon\"\r\ndòng hai"),
        // Values a hand-edited file has: lower-case enum values and codes, a `+` sign,
        // trailing zeros, no settlement or fee, an empty description.
        base(
            "202611070010",
            "Refund",
            "2026-11-07T12:00:00-03:00",
            "-1234.500",
            "brl",
        )
        .with("originalTransactionId", "202610010001")
        .with("status", "Success"),
        base(
            "202611080011",
            "PAYMENT",
            "2026-11-08T12:00:00-03:00",
            "+15",
            "usd",
        )
        .with("orderDescription", "  spaced on both sides  ")
        .with("paymentMethodType", "PIX"),
        base(
            "202611090012",
            "PAYMENT",
            "2026-11-09T00:00:00+09:00",
            "-50000",
            "KRW",
        )
        .with("orderDescription", "환불 없음 / Ação: ✓"),
    ]
}

/// Writes the reference fixture as the gateway would: shuffled mixed-case header, CRLF
/// line ends and the trailing `<END>` line.
fn write_reference_fixture(dir: &Path, name: &str, rows: &[Row]) {
    let (header, order) = shuffled_mixed_case(&reference_keys());
    let data: Vec<Vec<String>> = rows.iter().map(|r| r.fields(&order)).collect();
    write_csv(
        dir,
        name,
        &header,
        &data,
        CsvStyle {
            crlf: true,
            end_marker: true,
            ..CsvStyle::default()
        },
    );
}

/// Compares a report read back (header first) with the expectation: amounts, codes and
/// times exactly, text after removing the formula guard.
#[track_caller]
fn assert_report(records: &[Vec<String>], keys: &[String], expected: &[Vec<String>], what: &str) {
    assert_eq!(
        records.first().map(Vec::as_slice),
        Some(keys),
        "{what}: header row"
    );
    let data = &records[1..];
    assert_eq!(data.len(), expected.len(), "{what}: number of data rows");
    for (i, (got, want)) in data.iter().zip(expected).enumerate() {
        assert_eq!(got.len(), keys.len(), "{what}: row {} width", i + 1);
        for ((key, g), w) in keys.iter().zip(got).zip(want) {
            let g = if is_text_column(key) {
                unguard(g)
            } else {
                g.as_str()
            };
            assert_eq!(g, w, "{what}: row {}, column {key}", i + 1);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------

#[test]
fn reference_csv_round_trips_byte_for_byte_with_normalized_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = reference_rows();
    write_reference_fixture(d, "gateway.csv", &rows);
    let zone = "America/Sao_Paulo";

    recibo(
        d,
        &[
            "export",
            "-i",
            "gateway.csv",
            "--columns",
            "reference",
            "--tz",
            zone,
            "-o",
            "a.csv",
        ],
    )
    .assert_code(0);
    recibo(
        d,
        &[
            "export",
            "-i",
            "a.csv",
            "--columns",
            "reference",
            "--tz",
            zone,
            "-o",
            "b.csv",
        ],
    )
    .assert_code(0);

    let a = std::fs::read(d.join("a.csv")).unwrap();
    let b = std::fs::read(d.join("b.csv")).unwrap();
    assert!(
        a == b,
        "re-exporting a reference export changed it:\n--- a.csv ---\n{}\n--- b.csv ---\n{}",
        String::from_utf8_lossy(&a),
        String::from_utf8_lossy(&b)
    );

    let keys = reference_keys();
    let expected = expected_rows(&rows, &keys, zone, '.');
    let by_crate = read_csv(&d.join("a.csv"), b',');
    assert_report(&by_crate, &keys, &expected, "a.csv read by the csv crate");
    let by_python = read_csv_with_python(&d.join("a.csv"), ',');
    assert_eq!(
        by_python, by_crate,
        "Python and the csv crate read a.csv differently"
    );
}

#[test]
fn reference_csv_round_trips_through_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = reference_rows();
    write_reference_fixture(d, "gateway.csv", &rows);
    let zone = "Asia/Shanghai";

    recibo(
        d,
        &[
            "export",
            "-i",
            "gateway.csv",
            "--columns",
            "reference",
            "--tz",
            zone,
            "-o",
            "a.csv",
        ],
    )
    .assert_code(0);
    // The output format follows the extension.
    recibo(d, &["export", "-i", "gateway.csv", "-o", "t.jsonl"]).assert_code(0);
    recibo(
        d,
        &[
            "export",
            "-i",
            "t.jsonl",
            "--columns",
            "reference",
            "--tz",
            zone,
            "-o",
            "c.csv",
        ],
    )
    .assert_code(0);
    assert_eq!(
        String::from_utf8(std::fs::read(d.join("c.csv")).unwrap()).unwrap(),
        String::from_utf8(std::fs::read(d.join("a.csv")).unwrap()).unwrap(),
        "csv -> jsonl -> csv differs from csv -> csv"
    );

    // The JSONL holds exact minor units and the text as given, unguarded.
    let jsonl = std::fs::read_to_string(d.join("t.jsonl")).unwrap();
    let lines: Vec<&str> = jsonl.lines().collect();
    assert_eq!(lines.len(), rows.len());
    for (line, row) in lines.iter().zip(&rows) {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        assert_eq!(v["transactionId"], row.get("transactionId"));
        assert_eq!(v["orderDescription"], row.get("orderDescription"));
        assert_eq!(
            v["amount"]["minor"].as_i64().map(i128::from),
            Some(amount_minor(
                row.get("transactionAmountValue"),
                row.get("transactionCurrency")
            )),
            "{}",
            row.get("transactionId")
        );
        assert_eq!(
            v["amount"]["currency"],
            row.get("transactionCurrency").to_ascii_uppercase()
        );
        assert_eq!(
            v["paymentTime"].as_str().map(instant),
            Some(instant(row.get("paymentTime"))),
            "{}",
            row.get("transactionId")
        );
    }
}

#[test]
fn end_marker_is_written_on_request_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = reference_rows();
    write_reference_fixture(d, "gateway.csv", &rows);
    recibo(
        d,
        &[
            "export",
            "-i",
            "gateway.csv",
            "--columns",
            "reference",
            "--end-marker",
            "-o",
            "e.csv",
        ],
    )
    .assert_code(0);
    let text = std::fs::read_to_string(d.join("e.csv")).unwrap();
    assert_eq!(
        text.lines().last(),
        Some("<END>"),
        "the last line is the gateway's marker"
    );
    recibo(
        d,
        &[
            "export",
            "-i",
            "gateway.csv",
            "--columns",
            "reference",
            "-o",
            "plain.csv",
        ],
    )
    .assert_code(0);
    recibo(
        d,
        &[
            "export",
            "-i",
            "e.csv",
            "--columns",
            "reference",
            "-o",
            "again.csv",
        ],
    )
    .assert_code(0);
    assert_eq!(
        std::fs::read_to_string(d.join("again.csv")).unwrap(),
        std::fs::read_to_string(d.join("plain.csv")).unwrap()
    );
}

// ---------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------

const MONEY_COLUMNS: &str = "transactionId,transactionAmountValue,transactionCurrency,transactionAmountMinor,currencyExponent";

fn money_fixture(dir: &Path, name: &str, amounts: &[(&str, &str)]) -> Vec<Row> {
    let rows: Vec<Row> = amounts
        .iter()
        .enumerate()
        .map(|(i, (amount, currency))| {
            Row::new(
                &format!("M{}", i + 1),
                "PAYMENT",
                "2026-10-01T12:00:00+08:00",
                amount,
                currency,
            )
            .with("status", "SUCCESS")
        })
        .collect();
    let keys = strings(&[
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "status",
    ]);
    let data: Vec<Vec<String>> = rows.iter().map(|r| r.fields(&keys)).collect();
    write_csv(dir, name, &keys, &data, CsvStyle::default());
    rows
}

#[test]
fn amounts_are_exact_for_every_exponent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // (fixture amount, currency, what the report must say, minor units, exponent): the
    // spelled-out values are ISO 4217's minor-unit digits, not recibo's output.
    let cases: &[(&str, &str, &str, i64, u32)] = &[
        ("-1234.5", "BRL", "-1234.50", -123450, 2),
        ("1234", "JPY", "1234", 1234, 0),
        ("1234.00", "JPY", "1234", 1234, 0),
        ("-500", "JPY", "-500", -500, 0),
        ("10000", "VND", "10000", 10000, 0),
        ("-50000", "KRW", "-50000", -50000, 0),
        ("0.05", "USD", "0.05", 5, 2),
        ("+.5", "USD", "0.50", 50, 2),
        ("1.5", "BHD", "1.500", 1500, 3),
        ("-0.001", "KWD", "-0.001", -1, 3),
        ("12.3456", "CLF", "12.3456", 123456, 4),
        ("7", "CLF", "7.0000", 70000, 4),
        ("-1234.5", "brl", "-1234.50", -123450, 2),
    ];
    let rows = money_fixture(
        d,
        "money.csv",
        &cases.iter().map(|c| (c.0, c.1)).collect::<Vec<_>>(),
    );
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "money.csv",
            "--columns",
            MONEY_COLUMNS,
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    let records = parse_csv(&run.stdout, b',');
    let keys = strings(&MONEY_COLUMNS.split(',').collect::<Vec<_>>());
    assert_eq!(records[0], keys);
    assert_eq!(records.len(), cases.len() + 1);
    for ((got, (amount, currency, major, minor, exp)), row) in
        records[1..].iter().zip(cases).zip(&rows)
    {
        // The test's own arithmetic agrees with the domain table...
        assert_eq!(amount_major(amount, currency, '.'), *major);
        assert_eq!(amount_minor(amount, currency), i128::from(*minor));
        // ...and so does recibo.
        assert_eq!(got[1], *major, "{amount} {currency}");
        assert_eq!(got[2], currency.to_ascii_uppercase(), "{amount} {currency}");
        assert_eq!(
            got[3],
            minor.to_string(),
            "{amount} {currency} in minor units"
        );
        assert_eq!(got[4], exp.to_string(), "{currency} exponent");
        assert_eq!(got[0], row.get("transactionId"));
    }
}

#[test]
fn amount_finer_than_the_currency_is_refused_naming_file_row_and_field() {
    for (amount, currency) in [
        ("1234.5", "JPY"),
        ("0.123", "USD"),
        ("1.0001", "BHD"),
        ("0.00001", "CLF"),
        ("1.5", "VND"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // The bad amount is the third data row.
        money_fixture(
            d,
            "money.csv",
            &[("1", "USD"), ("2", "JPY"), (amount, currency), ("4", "BRL")],
        );
        let run = recibo(d, &["export", "-i", "money.csv", "-o", "out.csv"]);
        run.assert_code(2)
            .assert_stderr_has(&["money.csv", "transactionAmountValue", amount])
            .assert_stderr_names_row(3);
        assert!(
            !d.join("out.csv").exists(),
            "{amount} {currency}: no output after a bad row"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------

/// A row of the filter fixture.
struct F {
    id: &'static str,
    original: &'static str,
    request: &'static str,
    order: &'static str,
    arn: &'static str,
    kind: &'static str,
    status: &'static str,
    method: &'static str,
    acquirer: &'static str,
    currency: &'static str,
    amount: &'static str,
    time: &'static str,
}

const FILTER_KEYS: [&str; 12] = [
    "transactionId",
    "originalTransactionId",
    "transactionRequestId",
    "referenceTransactionId",
    "acquirerReferenceNo",
    "transactionType",
    "status",
    "paymentMethodType",
    "acquirer",
    "transactionCurrency",
    "transactionAmountValue",
    "paymentTime",
];

#[rustfmt::skip]
const FILTER_ROWS: &[F] = &[
    // One second before midnight of 2026-10-01 in Shanghai.
    F { id: "P1", original: "", request: "REQ-P1", order: "ORD-1", arn: "ARN-01", kind: "PAYMENT", status: "SUCCESS", method: "CARD", acquirer: "Antom", currency: "BRL", amount: "100.00", time: "2026-09-30T23:59:59+08:00" },
    // Exactly midnight of 2026-10-01 in Shanghai.
    F { id: "R1", original: "P1", request: "REQ-R1", order: "ORD-1", arn: "ARN-02", kind: "REFUND", status: "SUCCESS", method: "CARD", acquirer: "Antom", currency: "BRL", amount: "-40", time: "2026-10-01T00:00:00+08:00" },
    F { id: "R2", original: "P1", request: "REQ-R2", order: "ORD-1", arn: "", kind: "REFUND", status: "PROCESSING", method: "CARD", acquirer: "Antom", currency: "BRL", amount: "-10", time: "2026-10-05T10:00:00Z" },
    F { id: "A2", original: "", request: "REQ-A2", order: "ORD-2", arn: "ARN-04", kind: "AUTHORIZATION", status: "SUCCESS", method: "card", acquirer: "Adyen", currency: "USD", amount: "50", time: "2026-10-10T08:00:00-03:00" },
    F { id: "C2", original: "A2", request: "REQ-C2", order: "ORD-2", arn: "ARN-05", kind: "CAPTURE", status: "SUCCESS", method: "CARD", acquirer: "Adyen", currency: "USD", amount: "50", time: "2026-10-10T09:00:00-03:00" },
    F { id: "P3", original: "", request: "REQ-P3", order: "ORD-3", arn: "ARN-06", kind: "PAYMENT", status: "FAIL", method: "PIX", acquirer: "Adyen", currency: "BRL", amount: "25.5", time: "2026-10-15T12:00:00-03:00" },
    // One second before midnight of 2026-11-01 in Shanghai; acquirer in lower case.
    F { id: "P4", original: "", request: "REQ-P4", order: "ORD-4", arn: "ARN-77", kind: "PAYMENT", status: "SUCCESS", method: "ALIPAY_CN", acquirer: "antom", currency: "CNY", amount: "88.8", time: "2026-10-31T23:59:59+08:00" },
    // Exactly midnight of 2026-11-01 in Shanghai.
    F { id: "P5", original: "", request: "REQ-P5", order: "ORD-5", arn: "ARN-08", kind: "PAYMENT", status: "PENDING", method: "KLARNA", acquirer: "Klarna", currency: "EUR", amount: "19.99", time: "2026-11-01T00:00:00+08:00" },
    // Its merchant order ID happens to be P1: found by --id P1, not related to P1.
    F { id: "P6", original: "", request: "REQ-P6", order: "P1", arn: "ARN-09", kind: "PAYMENT", status: "SUCCESS", method: "pix", acquirer: "Stripe", currency: "JPY", amount: "1200", time: "2026-10-20T15:00:00+09:00" },
    F { id: "R6", original: "P6", request: "REQ-R6", order: "ORD-6", arn: "ARN-10", kind: "REFUND", status: "FAIL", method: "pix", acquirer: "Stripe", currency: "JPY", amount: "-1200", time: "2026-10-21T15:00:00+09:00" },
    F { id: "V4", original: "P4", request: "REQ-V4", order: "ORD-4", arn: "ARN-11", kind: "VOID", status: "SUCCESS", method: "ALIPAY_CN", acquirer: "antom", currency: "CNY", amount: "-88.8", time: "2026-11-01T00:00:01+08:00" },
    F { id: "D1", original: "P1", request: "REQ-D1", order: "ORD-1", arn: "ARN-12", kind: "DISPUTE", status: "PROCESSING", method: "CARD", acquirer: "Antom", currency: "BRL", amount: "-100", time: "2026-11-15T00:00:00Z" },
];

impl F {
    fn fields(&self) -> Vec<String> {
        strings(&[
            self.id,
            self.original,
            self.request,
            self.order,
            self.arn,
            self.kind,
            self.status,
            self.method,
            self.acquirer,
            self.currency,
            self.amount,
            self.time,
        ])
    }

    fn ids(&self) -> [&str; 5] {
        [self.id, self.original, self.request, self.order, self.arn]
    }
}

/// The transaction IDs `recibo export ARGS` keeps from the filter fixture, in order.
fn kept_ids(d: &Path, args: &[&str]) -> Vec<String> {
    let mut full = vec![
        "export",
        "-i",
        "filter.csv",
        "--columns",
        "transactionId",
        "-o",
        "-",
    ];
    full.extend_from_slice(args);
    let run = recibo(d, &full);
    run.assert_code(0);
    let records = parse_csv(&run.stdout, b',');
    assert_eq!(records[0], ["transactionId"]);
    records[1..].iter().map(|r| r[0].clone()).collect()
}

fn filter_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<Vec<String>> = FILTER_ROWS.iter().map(F::fields).collect();
    write_csv(
        dir.path(),
        "filter.csv",
        &FILTER_KEYS,
        &data,
        CsvStyle::default(),
    );
    dir
}

/// Runs each `(args, predicate)` case and compares what recibo kept with what the
/// predicate keeps from the fixture. A case whose predicate keeps nothing or everything
/// would prove little, so that is refused.
/// Arguments to `recibo export` and which fixture rows they should keep.
type FilterCase<'a> = (&'a [&'a str], &'a dyn Fn(&F) -> bool);

fn check_filter_cases(cases: &[FilterCase]) {
    let dir = filter_fixture();
    for (args, keep) in cases {
        let expected: Vec<String> = FILTER_ROWS
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.id.to_string())
            .collect();
        assert!(
            !expected.is_empty() && expected.len() < FILTER_ROWS.len(),
            "case {args:?} must keep some rows and drop others"
        );
        assert_eq!(
            kept_ids(dir.path(), args),
            expected,
            "recibo export {}",
            args.join(" ")
        );
    }
}

#[test]
fn time_filters_use_bare_dates_in_tz_from_inclusive_to_exclusive() {
    let sh = "Asia/Shanghai";
    let oct1 = midnight("2026-10-01", sh);
    let nov1 = midnight("2026-11-01", sh);
    let oct1_utc = midnight("2026-10-01", "UTC");
    let c2 = instant("2026-10-10T09:00:00-03:00");
    let t = |r: &F| instant(r.time);
    check_filter_cases(&[
        (&["--from", "2026-10-01", "--tz", sh], &|r| t(r) >= oct1),
        (&["--to", "2026-10-01", "--tz", sh], &|r| t(r) < oct1),
        (
            &["--from", "2026-10-01", "--to", "2026-11-01", "--tz", sh],
            &|r| t(r) >= oct1 && t(r) < nov1,
        ),
        // The same date in another zone is another instant.
        (&["--from", "2026-10-01", "--tz", "UTC"], &|r| {
            t(r) >= oct1_utc
        }),
        (&["--from", "2026-10-01"], &|r| t(r) >= oct1_utc),
        // Full ISO 8601 times are instants whatever --tz says.
        (&["--from", "2026-10-10T09:00:00-03:00", "--tz", sh], &|r| {
            t(r) >= c2
        }),
        (&["--to", "2026-10-10T09:00:00-03:00"], &|r| t(r) < c2),
        // A time without an offset is wall-clock time in --tz.
        (
            &["--to", "2026-10-10T09:00:00", "--tz", "America/Sao_Paulo"],
            &|r| t(r) < c2,
        ),
    ]);
    // The edges the issue names, spelled out: a row exactly at the --from instant is in,
    // a row exactly at the --to instant is out.
    let dir = filter_fixture();
    assert!(
        kept_ids(dir.path(), &["--from", "2026-10-01", "--tz", sh]).contains(&"R1".to_string())
    );
    assert!(
        !kept_ids(dir.path(), &["--from", "2026-10-01", "--tz", sh]).contains(&"P1".to_string())
    );
    assert!(!kept_ids(dir.path(), &["--to", "2026-10-01", "--tz", sh]).contains(&"R1".to_string()));
    assert!(!kept_ids(dir.path(), &["--to", "2026-11-01", "--tz", sh]).contains(&"P5".to_string()));
    assert!(kept_ids(dir.path(), &["--to", "2026-11-01", "--tz", sh]).contains(&"P4".to_string()));
}

#[test]
fn bare_date_on_a_dst_gap_starts_at_the_first_valid_instant() {
    // Brazil's 2018 daylight saving time began at midnight on 4 November: clocks went from
    // 2018-11-03T23:59:59-03:00 to 2018-11-04T01:00:00-02:00, so that day has no midnight
    // and starts at 01:00 (03:00 UTC).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let times = [
        ("BEFORE", "2018-11-03T23:59:59-03:00"),
        ("START", "2018-11-04T01:00:00-02:00"),
        ("AFTER", "2018-11-04T12:00:00-02:00"),
    ];
    let rows: Vec<Row> = times
        .iter()
        .map(|(id, t)| Row::new(id, "PAYMENT", t, "1", "BRL").with("status", "SUCCESS"))
        .collect();
    let keys = strings(&[
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "status",
    ]);
    write_csv(
        d,
        "dst.csv",
        &keys,
        &rows.iter().map(|r| r.fields(&keys)).collect::<Vec<_>>(),
        CsvStyle::default(),
    );
    let ids = |args: &[&str]| -> Vec<String> {
        let mut full = vec![
            "export",
            "-i",
            "dst.csv",
            "--columns",
            "transactionId",
            "--tz",
            "America/Sao_Paulo",
            "-o",
            "-",
        ];
        full.extend_from_slice(args);
        let run = recibo(d, &full);
        run.assert_code(0);
        parse_csv(&run.stdout, b',')[1..]
            .iter()
            .map(|r| r[0].clone())
            .collect()
    };
    assert_eq!(ids(&["--from", "2018-11-04"]), ["START", "AFTER"]);
    assert_eq!(ids(&["--to", "2018-11-04"]), ["BEFORE"]);
    // And times are shown with the offset in force at each instant.
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "dst.csv",
            "--columns",
            "paymentTime",
            "--tz",
            "America/Sao_Paulo",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    let shown: Vec<String> = parse_csv(&run.stdout, b',')[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    let expected: Vec<String> = times
        .iter()
        .map(|(_, t)| iso_in_zone(t, "America/Sao_Paulo"))
        .collect();
    assert_eq!(shown, expected);
    assert!(shown[0].ends_with("-03:00") && shown[1].ends_with("-02:00"));
}

#[test]
fn a_filter_that_keeps_nothing_writes_the_header_only() {
    let dir = filter_fixture();
    assert_eq!(
        kept_ids(dir.path(), &["--currency", "KWD"]),
        Vec::<String>::new()
    );
    // A file with a header and no rows is not an error either.
    let d = dir.path();
    std::fs::write(
        d.join("header-only.csv"),
        format!("{}\n", FILTER_KEYS.join(",")),
    )
    .unwrap();
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "header-only.csv",
            "--columns",
            "transactionId,status",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    assert_eq!(parse_csv(&run.stdout, b','), [["transactionId", "status"]]);
}

#[test]
fn value_filters_are_case_insensitive_comma_lists() {
    let is = |v: &str, list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(v));
    check_filter_cases(&[
        (&["--currency", "brl,cny"], &|r| {
            is(r.currency, &["BRL", "CNY"])
        }),
        (&["--currency", "JPY"], &|r| r.currency == "JPY"),
        (&["--type", "refund"], &|r| r.kind == "REFUND"),
        (&["--type", "Payment,capture"], &|r| {
            is(r.kind, &["PAYMENT", "CAPTURE"])
        }),
        (&["--method", "pix,Card"], &|r| {
            is(r.method, &["PIX", "CARD"])
        }),
        (&["--acquirer", "ANTOM"], &|r| is(r.acquirer, &["Antom"])),
        (&["--acquirer", "adyen,Stripe"], &|r| {
            is(r.acquirer, &["Adyen", "Stripe"])
        }),
        (&["--status", "success,Processing"], &|r| {
            is(r.status, &["SUCCESS", "PROCESSING"])
        }),
        (&["--status", "fail"], &|r| r.status == "FAIL"),
    ]);
}

#[test]
fn id_filter_matches_every_kind_of_id() {
    let any = |r: &F, wanted: &[&str]| {
        r.ids()
            .iter()
            .any(|id| !id.is_empty() && wanted.contains(id))
    };
    check_filter_cases(&[
        // transactionId
        (&["--id", "C2"], &|r| any(r, &["C2"])),
        // transactionId of P1, originalTransactionId of its refunds and dispute, and the
        // merchant order ID of P6.
        (&["--id", "P1"], &|r| any(r, &["P1"])),
        // transactionRequestId
        (&["--id", "REQ-R2"], &|r| any(r, &["REQ-R2"])),
        // referenceTransactionId (merchant order ID)
        (&["--id", "ORD-2"], &|r| any(r, &["ORD-2"])),
        // acquirerReferenceNo
        (&["--id", "ARN-77"], &|r| any(r, &["ARN-77"])),
        (&["--id", "ARN-77,REQ-R2"], &|r| {
            any(r, &["ARN-77", "REQ-R2"])
        }),
    ]);
    // Each kind on its own, so one field matching cannot hide another that never does.
    let dir = filter_fixture();
    assert_eq!(
        kept_ids(dir.path(), &["--id", "A2"]),
        ["A2", "C2"],
        "transactionId + originalTransactionId"
    );
    assert_eq!(
        kept_ids(dir.path(), &["--id", "REQ-R2"]),
        ["R2"],
        "transactionRequestId"
    );
    assert_eq!(
        kept_ids(dir.path(), &["--id", "ORD-3"]),
        ["P3"],
        "referenceTransactionId"
    );
    assert_eq!(
        kept_ids(dir.path(), &["--id", "ARN-77"]),
        ["P4"],
        "acquirerReferenceNo"
    );
}

#[test]
fn related_keeps_the_payment_and_what_refers_to_it() {
    check_filter_cases(&[
        (&["--related", "P1"], &|r| {
            r.id == "P1" || r.original == "P1"
        }),
        (&["--related", "A2"], &|r| {
            r.id == "A2" || r.original == "A2"
        }),
        (&["--related", "P6"], &|r| {
            r.id == "P6" || r.original == "P6"
        }),
    ]);
}

#[test]
fn filters_combine_as_and() {
    let sh = "Asia/Shanghai";
    let (oct1, nov1) = (midnight("2026-10-01", sh), midnight("2026-11-01", sh));
    let is = |v: &str, list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(v));
    check_filter_cases(&[
        (
            &[
                "--from",
                "2026-10-01",
                "--to",
                "2026-11-01",
                "--tz",
                sh,
                "--type",
                "refund,payment",
                "--status",
                "success",
                "--currency",
                "brl,cny",
            ],
            &|r| {
                let t = instant(r.time);
                t >= oct1
                    && t < nov1
                    && is(r.kind, &["REFUND", "PAYMENT"])
                    && r.status == "SUCCESS"
                    && is(r.currency, &["BRL", "CNY"])
            },
        ),
        // A payment's completed refunds: type REFUND and status SUCCESS.
        (
            &["--related", "P1", "--type", "REFUND", "--status", "SUCCESS"],
            &|r| {
                (r.id == "P1" || r.original == "P1") && r.kind == "REFUND" && r.status == "SUCCESS"
            },
        ),
        (
            &[
                "--method",
                "card",
                "--acquirer",
                "adyen",
                "--type",
                "capture",
            ],
            &|r| is(r.method, &["CARD"]) && is(r.acquirer, &["ADYEN"]) && r.kind == "CAPTURE",
        ),
        (&["--id", "ORD-1", "--status", "processing"], &|r| {
            r.order == "ORD-1" && r.status == "PROCESSING"
        }),
    ]);
}

#[test]
fn bad_filter_values_are_usage_errors() {
    let dir = filter_fixture();
    let d = dir.path();
    for args in [
        &["--from", "01/10/2026"][..],
        &["--tz", "Mars/Olympus"],
        &["--currency", "XYZ"],
        &["--from", "2026-11-01", "--to", "2026-10-01"],
    ] {
        let mut full = vec!["export", "-i", "filter.csv", "-o", "out.csv"];
        full.extend_from_slice(args);
        recibo(d, &full)
            .assert_code(2)
            .assert_stderr_has(&[args[1]]);
        assert!(!d.join("out.csv").exists());
    }
}

// ---------------------------------------------------------------------------------------
// CSV dialects read by other readers
// ---------------------------------------------------------------------------------------

fn dialect_rows() -> Vec<Row> {
    vec![
        Row::new(
            "D1",
            "PAYMENT",
            "2026-10-01T10:00:00+08:00",
            "1234.5",
            "BRL",
        )
        .with("orderDescription", "Pão de queijo; café, açúcar"),
        Row::new("D2", "REFUND", "2026-10-02T10:00:00+08:00", "-90", "BRL")
            .with("orderDescription", "estorno \"parcial\"\ncom nota"),
        Row::new("D3", "PAYMENT", "2026-10-03T10:00:00+08:00", "1234", "JPY")
            .with("orderDescription", "tab\tinside; 中文，逗号"),
        Row::new("D4", "PAYMENT", "2026-10-04T10:00:00+08:00", "1.5", "BHD")
            .with("orderDescription", ""),
    ]
}

const DIALECT_COLUMNS: &str =
    "transactionId,transactionAmountValue,transactionCurrency,orderDescription,paymentTime";

#[test]
fn csv_dialects_read_the_same_in_the_csv_crate_and_python() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = dialect_rows();
    let keys = strings(&[
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "orderDescription",
    ]);
    write_csv(
        d,
        "in.csv",
        &keys,
        &rows.iter().map(|r| r.fields(&keys)).collect::<Vec<_>>(),
        CsvStyle::default(),
    );
    let columns = strings(&DIALECT_COLUMNS.split(',').collect::<Vec<_>>());
    let zone = "America/Sao_Paulo";

    // (flags, delimiter, decimal mark, BOM expected)
    let dialects: &[(&[&str], u8, char, bool)] = &[
        (&["--bom"], b',', '.', true),
        (&["--decimal-comma"], b';', ',', false),
        (&["--bom", "--decimal-comma"], b';', ',', true),
        (&["--delimiter", "tab"], b'\t', '.', false),
        (&["--delimiter", "\\t"], b'\t', '.', false),
        (&["--delimiter", "|"], b'|', '.', false),
    ];
    for (flags, delimiter, mark, bom) in dialects {
        let what = format!("export {}", flags.join(" "));
        let mut args = vec![
            "export",
            "-i",
            "in.csv",
            "--columns",
            DIALECT_COLUMNS,
            "--tz",
            zone,
            "-o",
            "out.csv",
        ];
        args.extend_from_slice(flags);
        recibo(d, &args).assert_code(0);
        let bytes = std::fs::read(d.join("out.csv")).unwrap();
        assert_eq!(
            bytes.starts_with("\u{feff}".as_bytes()),
            *bom,
            "{what}: byte order mark"
        );
        assert_eq!(
            bytes
                .windows(3)
                .filter(|w| *w == "\u{feff}".as_bytes())
                .count(),
            usize::from(*bom),
            "{what}: one BOM at most"
        );

        let mut expected = vec![columns.clone()];
        expected.extend(expected_rows(&rows, &columns, zone, *mark));
        let by_crate = read_csv(&d.join("out.csv"), *delimiter);
        let by_python = read_csv_with_python(&d.join("out.csv"), char::from(*delimiter));
        assert_eq!(by_crate, expected, "{what}: read by the csv crate");
        assert_eq!(by_python, expected, "{what}: read by Python");
        if *mark == ',' {
            for record in &by_crate[1..] {
                assert!(
                    !record[1].contains('.'),
                    "{what}: amount {:?} has a decimal point",
                    record[1]
                );
            }
        }
    }
}

#[test]
fn bom_and_decimal_comma_exports_re_import_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = dialect_rows();
    let keys = strings(&[
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "orderDescription",
    ]);
    write_csv(
        d,
        "in.csv",
        &keys,
        &rows.iter().map(|r| r.fields(&keys)).collect::<Vec<_>>(),
        CsvStyle::default(),
    );
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "reference",
            "-o",
            "plain.csv",
        ],
    )
    .assert_code(0);
    let plain = std::fs::read_to_string(d.join("plain.csv")).unwrap();
    for flags in [
        &["--bom"][..],
        &["--decimal-comma"],
        &["--bom", "--decimal-comma"],
    ] {
        let mut args = vec![
            "export",
            "-i",
            "in.csv",
            "--columns",
            "reference",
            "-o",
            "dialect.csv",
        ];
        args.extend_from_slice(flags);
        recibo(d, &args).assert_code(0);
        recibo(
            d,
            &[
                "export",
                "-i",
                "dialect.csv",
                "--columns",
                "reference",
                "-o",
                "back.csv",
            ],
        )
        .assert_code(0);
        assert_eq!(
            std::fs::read_to_string(d.join("back.csv")).unwrap(),
            plain,
            "re-import of {flags:?}"
        );
    }
}

#[test]
fn decimal_comma_with_a_comma_delimiter_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    money_fixture(d, "in.csv", &[("1", "USD")]);
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--decimal-comma",
            "--delimiter",
            ",",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(2);
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--delimiter",
            "ab",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(2);
    assert!(!d.join("out.csv").exists());
}

// ---------------------------------------------------------------------------------------
// Formula injection
// ---------------------------------------------------------------------------------------

#[test]
fn formula_triggers_in_text_get_a_quote_and_numbers_never_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let descriptions = [
        "=1+1",
        "+55 11 99999-0000",
        "-5% off",
        "@SUM(A1:A2)",
        "\tcmd",
        "\rcmd",
        "plain =not at start",
        "'quoted already",
    ];
    let rows: Vec<Row> = descriptions
        .iter()
        .enumerate()
        .map(|(i, desc)| {
            Row::new(
                &format!("T{i}"),
                "REFUND",
                "2026-10-02T12:30:00-03:00",
                "-90",
                "BRL",
            )
            .with("orderDescription", desc)
            .with("originalTransactionId", "P1")
            .with("settlementAmountValue", "-16.5")
            .with("settlementCurrency", "USD")
            // Other text columns: these are trimmed on import, so only `= + - @`.
            .with(
                "reason",
                [
                    "=cmd|' /C calc'!A0",
                    "-2+3",
                    "@x",
                    "+x",
                    "ok",
                    "ok",
                    "ok",
                    "ok",
                ][i],
            )
            .with(
                "referenceTransactionId",
                [
                    "-ORD-9", "ORD-9", "=ORD", "@ORD", "+ORD", "ORD", "ORD", "ORD",
                ][i],
            )
            .with("customerId", "@merchant")
            .with("pspName", "+wallet")
        })
        .collect();
    let keys = reference_keys();
    write_csv(
        d,
        "in.csv",
        &keys,
        &rows.iter().map(|r| r.fields(&keys)).collect::<Vec<_>>(),
        CsvStyle::default(),
    );
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "reference",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(0);

    let records = read_csv(&d.join("out.csv"), b',');
    assert_eq!(records[0], keys);
    for (record, row) in records[1..].iter().zip(&rows) {
        for (key, cell) in keys.iter().zip(record) {
            let original = expected_cell(row, key, "UTC", '.');
            if is_text_column(key) && original.starts_with(FORMULA_TRIGGERS) {
                assert_eq!(
                    *cell,
                    format!("'{original}"),
                    "{key} of {} must be guarded",
                    row.get("transactionId")
                );
            } else {
                assert_eq!(
                    *cell,
                    original,
                    "{key} of {} must be written as is",
                    row.get("transactionId")
                );
            }
        }
        // Negative amounts are numbers, not formulas.
        assert_eq!(
            record[keys
                .iter()
                .position(|k| k == "transactionAmountValue")
                .unwrap()],
            "-90.00"
        );
        assert_eq!(
            record[keys
                .iter()
                .position(|k| k == "settlementAmountValue")
                .unwrap()],
            "-16.50"
        );
    }

    // Re-importing the export restores the original text (JSONL is never guarded).
    recibo(d, &["export", "-i", "out.csv", "-o", "back.jsonl"]).assert_code(0);
    let back = std::fs::read_to_string(d.join("back.jsonl")).unwrap();
    let back: Vec<serde_json::Value> = back
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back.len(), rows.len());
    for (v, row) in back.iter().zip(&rows) {
        for (json_key, key) in [
            ("orderDescription", "orderDescription"),
            ("reason", "reason"),
            ("referenceTransactionId", "referenceTransactionId"),
            ("customerId", "customerId"),
            ("pspName", "pspName"),
        ] {
            assert_eq!(
                v[json_key],
                row.get(key),
                "{key} of {} after re-import",
                row.get("transactionId")
            );
        }
        assert_eq!(v["amount"]["minor"], -9000);
    }
}

#[test]
fn text_starting_with_a_quote_and_a_trigger_survives_a_round_trip() {
    // A description whose text really begins with `'=` (after the reader has undone one
    // level of guard) must keep its apostrophe through an export and a re-import: the
    // writer marks it with one more quote, which the reader removes again.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let descriptions = ["'=1+1", "'+55 11", "'-5", "'@x", "''=double"];
    let rows: Vec<Row> = descriptions
        .iter()
        .enumerate()
        .map(|(i, desc)| {
            Row::new(
                &format!("Q{i}"),
                "PAYMENT",
                "2026-10-01T10:00:00Z",
                "1",
                "USD",
            )
            .with("orderDescription", desc)
        })
        .collect();
    let keys = strings(&[
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "orderDescription",
    ]);
    write_csv(
        d,
        "in.csv",
        &keys,
        &rows.iter().map(|r| r.fields(&keys)).collect::<Vec<_>>(),
        CsvStyle::default(),
    );
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "reference",
            "-o",
            "a.csv",
        ],
    )
    .assert_code(0);
    recibo(d, &["export", "-i", "in.csv", "-o", "first.jsonl"]).assert_code(0);
    recibo(d, &["export", "-i", "a.csv", "-o", "back.jsonl"]).assert_code(0);
    let read = |name: &str| -> Vec<String> {
        std::fs::read_to_string(d.join(name))
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["orderDescription"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let first = read("first.jsonl");
    // Reading a CSV undoes one guard quote, wherever the file came from.
    let expected: Vec<String> = descriptions.iter().map(|d| d[1..].to_string()).collect();
    assert_eq!(first, expected);
    assert_eq!(read("back.jsonl"), first);
}

#[test]
fn decimal_comma_amounts_are_not_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    money_fixture(
        d,
        "in.csv",
        &[("-90", "BRL"), ("-0.5", "USD"), ("-1.5", "BHD")],
    );
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "transactionAmountValue,transactionCurrency",
            "--decimal-comma",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    let records = parse_csv(&run.stdout, b';');
    let amounts: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        amounts,
        [
            amount_major("-90", "BRL", ','),
            amount_major("-0.5", "USD", ','),
            amount_major("-1.5", "BHD", ',')
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Headers and columns
// ---------------------------------------------------------------------------------------

/// `recibo columns --json`, parsed.
fn registry(d: &Path) -> serde_json::Value {
    let run = recibo(d, &["columns", "--json"]);
    run.assert_code(0);
    serde_json::from_slice(&run.stdout).expect("columns --json prints JSON")
}

/// The header of `key` in `lang` as `recibo columns --json` lists it.
fn registry_header(registry: &serde_json::Value, key: &str, lang: &str) -> String {
    let column = registry["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("{key} is not in `recibo columns --json`"));
    column["headers"][lang]
        .as_str()
        .unwrap_or_else(|| panic!("{key} has no {lang} header"))
        .to_string()
}

#[test]
fn header_languages_use_the_registry_headers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = money_fixture(d, "in.csv", &[("1.5", "BRL"), ("-2", "JPY")]);
    let registry = registry(d);
    let columns = shipped_set("default");
    let expected_data = expected_rows(&rows, &columns, "UTC", '.');
    for lang in ["en", "zh-CN", "pt-BR", "key"] {
        let run = recibo(
            d,
            &["export", "-i", "in.csv", "--header-lang", lang, "-o", "-"],
        );
        run.assert_code(0);
        let records = parse_csv(&run.stdout, b',');
        let expected_header: Vec<String> = columns
            .iter()
            .map(|k| {
                if lang == "key" {
                    k.clone()
                } else {
                    registry_header(&registry, k, lang)
                }
            })
            .collect();
        assert_eq!(records[0], expected_header, "--header-lang {lang}");
        if lang != "key" {
            assert_ne!(
                records[0], columns,
                "--header-lang {lang} must not be the keys"
            );
        }
        assert_eq!(
            records[1..],
            expected_data[..],
            "--header-lang {lang} changes only the header"
        );
    }
    // The languages differ from each other.
    let header = |lang: &str| registry_header(&registry, "transactionAmountValue", lang);
    assert!(header("en") != header("zh-CN") && header("zh-CN") != header("pt-BR"));
}

#[test]
fn unknown_header_language_is_a_usage_error_listing_the_offered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    money_fixture(d, "in.csv", &[("1", "USD")]);
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--header-lang",
            "fr",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(2)
    .assert_stderr_has(&["fr", "en", "zh-CN", "pt-BR"]);
    assert!(!d.join("out.csv").exists());
}

#[test]
fn named_set_gives_its_columns_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = money_fixture(d, "in.csv", &[("100", "BRL")]);
    // A refund too, for refundedAmount.
    let mut rows = rows;
    rows.push(
        Row::new("M2", "REFUND", "2026-10-02T12:00:00+08:00", "-40.5", "BRL")
            .with("originalTransactionId", "M1")
            .with("status", "PROCESSING"),
    );
    let keys = strings(&[
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "status",
        "originalTransactionId",
    ]);
    write_csv(
        d,
        "in.csv",
        &keys,
        &rows.iter().map(|r| r.fields(&keys)).collect::<Vec<_>>(),
        CsvStyle::default(),
    );
    for set in ["accounting", "default", "reference"] {
        let run = recibo(
            d,
            &[
                "export",
                "-i",
                "in.csv",
                "--columns",
                set,
                "--tz",
                "Asia/Shanghai",
                "-o",
                "-",
            ],
        );
        run.assert_code(0);
        let columns = shipped_set(set);
        assert_report(
            &parse_csv(&run.stdout, b','),
            &columns,
            &expected_rows(&rows, &columns, "Asia/Shanghai", '.'),
            set,
        );
    }
}

#[test]
fn ad_hoc_columns_and_all() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = money_fixture(d, "in.csv", &[("-1234.5", "BRL"), ("1234", "JPY")]);
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "transactionId,transactionAmountValue",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    let columns = strings(&["transactionId", "transactionAmountValue"]);
    assert_report(
        &parse_csv(&run.stdout, b','),
        &columns,
        &expected_rows(&rows, &columns, "UTC", '.'),
        "ad hoc",
    );

    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "transactionAmountMinor,currencyExponent",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    let records = parse_csv(&run.stdout, b',');
    assert_eq!(records[1], ["-123450", "2"]);
    assert_eq!(records[2], ["1234", "0"]);

    // `all` is every registry key, in registry order.
    let registry = registry(d);
    let every: Vec<String> = registry["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_string())
        .collect();
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "all",
            "--tz",
            "Asia/Shanghai",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    assert_report(
        &parse_csv(&run.stdout, b','),
        &every,
        &expected_rows(&rows, &every, "Asia/Shanghai", '.'),
        "all",
    );
}

#[test]
fn unknown_column_key_is_a_usage_error_with_a_close_match() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    money_fixture(d, "in.csv", &[("1", "USD")]);
    for (spec, typo, meant) in [
        (
            "transactionId,transactionAmout",
            "transactionAmout",
            "transactionAmountValue",
        ),
        ("transactionId,acquier", "acquier", "acquirer"),
        ("paymentTme", "paymentTme", "paymentTime"),
        ("acounting", "acounting", "accounting"),
    ] {
        recibo(
            d,
            &["export", "-i", "in.csv", "--columns", spec, "-o", "out.csv"],
        )
        .assert_code(2)
        .assert_stderr_has(&[typo, meant]);
        assert!(!d.join("out.csv").exists());
    }
}

#[test]
fn column_set_from_a_toml_path_and_from_a_templates_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = money_fixture(d, "in.csv", &[("10.5", "BRL"), ("-3", "KWD")]);
    let registry = registry(d);

    std::fs::create_dir_all(d.join("sets/nested")).unwrap();
    std::fs::write(
        d.join("sets/nested/mine.toml"),
        "description = \"mine\"\nheader = \"pt-BR\"\ncolumns = [\"transactionCurrency\", \"transactionId\", \"transactionAmountValue\"]\n",
    )
    .unwrap();
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "sets/nested/mine.toml",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    let records = parse_csv(&run.stdout, b',');
    let columns = strings(&[
        "transactionCurrency",
        "transactionId",
        "transactionAmountValue",
    ]);
    let header: Vec<String> = columns
        .iter()
        .map(|k| registry_header(&registry, k, "pt-BR"))
        .collect();
    assert_eq!(records[0], header, "the set's own header language");
    assert_eq!(records[1..], expected_rows(&rows, &columns, "UTC", '.')[..]);

    std::fs::create_dir_all(d.join("templates")).unwrap();
    std::fs::write(d.join("templates/ops.toml"), "description = \"ops view\"\ncolumns = [\"status\", \"transactionId\", \"currencyExponent\"]\n").unwrap();
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--templates",
            "templates",
            "--columns",
            "ops",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    let columns = strings(&["status", "transactionId", "currencyExponent"]);
    assert_report(
        &parse_csv(&run.stdout, b','),
        &columns,
        &expected_rows(&rows, &columns, "UTC", '.'),
        "--templates",
    );

    // `recibo columns` lists the folder's set too.
    let listed = recibo(d, &["columns", "--templates", "templates", "--json"]);
    listed.assert_code(0);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let ops = listed["sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "ops")
        .expect("ops is listed");
    assert_eq!(
        ops["columns"],
        serde_json::json!(["status", "transactionId", "currencyExponent"])
    );

    // Without the folder the name means nothing.
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "ops",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(2)
    .assert_stderr_has(&["ops"]);
    // A set naming an unknown key is refused.
    std::fs::write(
        d.join("templates/broken.toml"),
        "columns = [\"transactionId\", \"nope\"]\n",
    )
    .unwrap();
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--templates",
            "templates",
            "--columns",
            "broken",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(2)
    .assert_stderr_has(&["nope"]);
    assert!(!d.join("out.csv").exists());
}

// ---------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------

const BAD_KEYS: [&str; 6] = [
    "transactionId",
    "transactionType",
    "paymentTime",
    "transactionAmountValue",
    "transactionCurrency",
    "orderDescription",
];

/// Five good rows; the second has a two-line description so that data rows and physical
/// lines differ from row 3 on.
fn good_rows() -> Vec<Vec<String>> {
    (1..=5)
        .map(|i| {
            strings(&[
                &format!("G{i}"),
                "PAYMENT",
                &format!("2026-10-0{i}T10:00:00+08:00"),
                "12.34",
                "BRL",
                if i == 2 { "two\nlines" } else { "ok" },
            ])
        })
        .collect()
}

/// A change to one fixture row.
type RowEdit = dyn Fn(&mut Vec<String>);

/// Writes `bad.csv`: the good rows with row 3 (a data row number) changed by `edit`.
fn write_bad(d: &Path, edit: impl Fn(&mut Vec<String>)) {
    let mut rows = good_rows();
    edit(&mut rows[2]);
    std::fs::write(
        d.join("bad.csv"),
        csv_bytes(&BAD_KEYS, &rows, CsvStyle::default()),
    )
    .unwrap();
}

#[test]
fn bad_rows_are_reported_with_file_row_and_field_and_exit_2() {
    // (what, edit of row 3, field key named, text the message must quote)
    let cases: Vec<(&str, Box<RowEdit>, &str, &str)> = vec![
        (
            "bad amount",
            Box::new(|r| r[3] = "12.3.4".into()),
            "transactionAmountValue",
            "12.3.4",
        ),
        (
            "amount with grouping",
            Box::new(|r| r[3] = "1,234.00".into()),
            "transactionAmountValue",
            "1,234.00",
        ),
        (
            "unknown currency",
            Box::new(|r| r[4] = "XYZ".into()),
            "transactionCurrency",
            "XYZ",
        ),
        (
            "empty currency",
            Box::new(|r| r[4] = "".into()),
            "transactionCurrency",
            "",
        ),
        (
            "bad time",
            Box::new(|r| r[2] = "2026-02-30T10:00:00+08:00".into()),
            "paymentTime",
            "2026-02-30",
        ),
        (
            "time without offset",
            Box::new(|r| r[2] = "2026-10-03 10:00:00".into()),
            "paymentTime",
            "2026-10-03 10:00:00",
        ),
        (
            "empty transaction ID",
            Box::new(|r| r[0] = "".into()),
            "transactionId",
            "",
        ),
        (
            "empty amount",
            Box::new(|r| r[3] = " ".into()),
            "transactionAmountValue",
            "",
        ),
    ];
    for (what, edit, field, quoted) in cases {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_bad(d, edit);
        let run = recibo(d, &["export", "-i", "bad.csv", "-o", "out.csv"]);
        run.assert_code(2)
            .assert_stderr_has(&["bad.csv", field, quoted])
            .assert_stderr_names_row(3);
        assert!(!d.join("out.csv").exists(), "{what}: no output");
    }
}

#[test]
fn ragged_row_is_reported_with_its_row() {
    for (what, edit) in [
        (
            "short row",
            Box::new(|r: &mut Vec<String>| r.truncate(r.len() - 1)) as Box<RowEdit>,
        ),
        (
            "long row",
            Box::new(|r: &mut Vec<String>| r.push("extra".into())),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write_bad(d, edit);
        let run = recibo(d, &["export", "-i", "bad.csv", "-o", "out.csv"]);
        run.assert_code(2)
            .assert_stderr_has(&["bad.csv"])
            .assert_stderr_names_row(3);
        assert!(!d.join("out.csv").exists(), "{what}: no output");
    }
}

#[test]
fn an_unclosed_quote_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_bad(d, |r| r[1] = "MARKER".into());
    // A quote opened in row 3's second field and never closed, up to the quote that opens a
    // field of the next row: the row has too few fields, one spanning lines.
    let text = std::fs::read_to_string(d.join("bad.csv")).unwrap();
    let at = text.find("MARKER").unwrap();
    let field_start = text[..at].rfind(',').unwrap() + 1;
    let mut bad = text.clone();
    bad.insert(field_start, '"');
    std::fs::write(d.join("bad.csv"), bad).unwrap();
    let run = recibo(d, &["export", "-i", "bad.csv", "-o", "out.csv"]);
    run.assert_code(2)
        .assert_stderr_has(&["bad.csv", "ragged row", "field 2", "never closed"])
        .assert_stderr_names_row(3);
    assert!(!d.join("out.csv").exists());
}

#[test]
fn invalid_utf8_in_a_field_is_reported_with_row_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_bad(d, |r| r[5] = "MARKER".into());
    // Latin-1 "ação" where UTF-8 belongs: what a spreadsheet saved in the wrong encoding has.
    let bytes = std::fs::read(d.join("bad.csv")).unwrap();
    let at = bytes.windows(6).position(|w| w == b"MARKER").unwrap();
    let mut latin1 = bytes[..at].to_vec();
    latin1.extend_from_slice(b"a\xe7\xe3o");
    latin1.extend_from_slice(&bytes[at + 6..]);
    std::fs::write(d.join("bad.csv"), latin1).unwrap();
    let run = recibo(d, &["export", "-i", "bad.csv", "-o", "out.csv"]);
    run.assert_code(2)
        .assert_stderr_has(&["bad.csv", "orderDescription", "UTF-8"])
        .assert_stderr_names_row(3);
    assert!(!d.join("out.csv").exists());
}

#[test]
fn unreadable_sources_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A required column missing: named in the message.
    for missing in ["paymentTime", "transactionCurrency"] {
        let keep: Vec<usize> = (0..BAD_KEYS.len())
            .filter(|i| BAD_KEYS[*i] != missing)
            .collect();
        let header: Vec<&str> = keep.iter().map(|i| BAD_KEYS[*i]).collect();
        let rows: Vec<Vec<String>> = good_rows()
            .iter()
            .map(|r| keep.iter().map(|i| r[*i].clone()).collect())
            .collect();
        std::fs::write(
            d.join("nocol.csv"),
            csv_bytes(&header, &rows, CsvStyle::default()),
        )
        .unwrap();
        recibo(d, &["export", "-i", "nocol.csv", "-o", "out.csv"])
            .assert_code(3)
            .assert_stderr_has(&["nocol.csv", missing]);
    }
    // An empty file, and one holding only a line break.
    std::fs::write(d.join("empty.csv"), b"").unwrap();
    recibo(d, &["export", "-i", "empty.csv", "-o", "out.csv"])
        .assert_code(3)
        .assert_stderr_has(&["empty.csv"]);
    std::fs::write(d.join("blank.csv"), b"\n").unwrap();
    recibo(d, &["export", "-i", "blank.csv", "-o", "out.csv"])
        .assert_code(3)
        .assert_stderr_has(&["blank.csv"]);
    // A file that does not exist.
    recibo(d, &["export", "-i", "no-such-file.csv", "-o", "out.csv"])
        .assert_code(3)
        .assert_stderr_has(&["no-such-file.csv"]);
    // A missing file after a good one: nothing is written either.
    std::fs::write(
        d.join("good.csv"),
        csv_bytes(&BAD_KEYS, &good_rows(), CsvStyle::default()),
    )
    .unwrap();
    recibo(
        d,
        &[
            "export",
            "-i",
            "good.csv",
            "-i",
            "no-such-file.csv",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(3);
    assert!(!d.join("out.csv").exists());
}

/// A file with bad rows 2, 5 and 9 (of 10), each bad in another way.
fn write_skip_fixture(d: &Path) -> Vec<String> {
    let mut rows: Vec<Vec<String>> = (1..=10)
        .map(|i| {
            strings(&[
                &format!("S{i}"),
                "PAYMENT",
                "2026-10-01T10:00:00+08:00",
                "1.00",
                "USD",
                "ok",
            ])
        })
        .collect();
    rows[1][3] = "abc".into();
    rows[4][4] = "XYZ".into();
    rows[8][2] = "not a time".into();
    std::fs::write(
        d.join("mixed.csv"),
        csv_bytes(&BAD_KEYS, &rows, CsvStyle::default()),
    )
    .unwrap();
    [1, 3, 4, 6, 7, 8, 10]
        .iter()
        .map(|i| format!("S{i}"))
        .collect()
}

#[test]
fn skip_bad_writes_good_rows_reports_each_bad_row_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = write_skip_fixture(d);
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "mixed.csv",
            "--skip-bad",
            "--columns",
            "transactionId",
            "-o",
            "out.csv",
        ],
    );
    run.assert_code(1).assert_stderr_has(&[
        "transactionAmountValue",
        "transactionCurrency",
        "paymentTime",
    ]);
    for row in [2, 5, 9] {
        run.assert_stderr_names_row(row);
    }
    for row in [1, 3, 4, 6, 7, 8, 10] {
        assert!(
            !support::mentions_row(&run.stderr, row),
            "good row {row} reported:\n{}",
            run.stderr
        );
    }
    let records = read_csv(&d.join("out.csv"), b',');
    let ids: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, good);

    // Without --skip-bad the same file stops at the first bad row.
    recibo(d, &["export", "-i", "mixed.csv", "-o", "stop.csv"])
        .assert_code(2)
        .assert_stderr_names_row(2);
    assert!(!d.join("stop.csv").exists());
}

#[test]
fn skip_bad_keeps_row_numbers_right_after_an_undecodable_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rows: Vec<Vec<String>> = (1..=6)
        .map(|i| {
            strings(&[
                &format!("U{i}"),
                "PAYMENT",
                "2026-10-01T10:00:00+08:00",
                "1.00",
                "USD",
                "ok",
            ])
        })
        .collect();
    rows[1][5] = "MARKER".into();
    rows[3][3] = "bad".into();
    let bytes = csv_bytes(&BAD_KEYS, &rows, CsvStyle::default());
    let at = bytes.windows(6).position(|w| w == b"MARKER").unwrap();
    let mut latin1 = bytes[..at].to_vec();
    latin1.extend_from_slice(b"S\xe3o Paulo");
    latin1.extend_from_slice(&bytes[at + 6..]);
    std::fs::write(d.join("mixed.csv"), latin1).unwrap();
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "mixed.csv",
            "--skip-bad",
            "--columns",
            "transactionId",
            "-o",
            "-",
        ],
    );
    run.assert_code(1)
        .assert_stderr_has(&["orderDescription", "transactionAmountValue"]);
    run.assert_stderr_names_row(2).assert_stderr_names_row(4);
    for good in [1, 3, 5, 6] {
        assert!(
            !support::mentions_row(&run.stderr, good),
            "good row {good} reported:\n{}",
            run.stderr
        );
    }
    let ids: Vec<String> = parse_csv(&run.stdout, b',')[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ids, ["U1", "U3", "U5", "U6"]);
}

#[test]
fn bad_jsonl_line_is_reported_with_file_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    money_fixture(d, "in.csv", &[("1", "USD"), ("2", "USD"), ("3", "USD")]);
    recibo(d, &["export", "-i", "in.csv", "-o", "in.jsonl"]).assert_code(0);
    let text = std::fs::read_to_string(d.join("in.jsonl")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].replace("\"USD\"", "\"XYZ\"");
    std::fs::write(d.join("bad.jsonl"), lines.join("\n") + "\n").unwrap();
    recibo(d, &["export", "-i", "bad.jsonl", "-o", "out.csv"])
        .assert_code(2)
        .assert_stderr_has(&["bad.jsonl", "XYZ"])
        .assert_stderr_names_row(2);
    assert!(!d.join("out.csv").exists());
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "bad.jsonl",
            "--skip-bad",
            "--columns",
            "transactionId",
            "-o",
            "-",
        ],
    );
    run.assert_code(1);
    let ids: Vec<String> = parse_csv(&run.stdout, b',')[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ids, ["M1", "M3"]);
}

#[test]
fn skip_bad_reports_the_count_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_skip_fixture(d);
    let run = recibo(
        d,
        &["export", "-i", "mixed.csv", "--skip-bad", "-o", "out.csv"],
    );
    run.assert_code(1);
    // A line other than the per-row reports that gives the count, 3.
    let count_line = run.stderr.lines().find(|line| {
        !line.contains("row ")
            && line.to_ascii_lowercase().contains("skip")
            && line
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| word == "3")
    });
    assert!(
        count_line.is_some(),
        "no count of skipped rows on stderr (a cron log sees this):\n{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Output safety
// ---------------------------------------------------------------------------------------

/// A file of `rows` good rows with a bad amount at data row `bad_row`: big enough that the
/// writer has flushed to disk long before the bad row.
fn write_big_with_bad_row(d: &Path, rows: usize, bad_row: usize) {
    let mut data: Vec<Vec<String>> = (1..=rows)
        .map(|i| {
            strings(&[
                &format!("B{i:07}"),
                "PAYMENT",
                "2026-10-01T10:00:00+08:00",
                "1234.56",
                "BRL",
                "a description long enough to make the report grow fast, with ação and 中文",
            ])
        })
        .collect();
    data[bad_row - 1][3] = "12x".into();
    std::fs::write(
        d.join("big.csv"),
        csv_bytes(&BAD_KEYS, &data, CsvStyle::default()),
    )
    .unwrap();
}

#[test]
fn failed_run_leaves_no_output_and_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_big_with_bad_row(d, 20_000, 15_000);
    std::fs::create_dir(d.join("out")).unwrap();
    for output in ["out/report.csv", "out/report.jsonl"] {
        recibo(
            d,
            &[
                "export",
                "-i",
                "big.csv",
                "--columns",
                "reference",
                "-o",
                output,
            ],
        )
        .assert_code(2)
        .assert_stderr_names_row(15_000);
        assert_eq!(
            list_dir(&d.join("out")),
            Vec::<String>::new(),
            "{output}: the output folder stays empty"
        );
    }
    // Written beside the input, the same.
    recibo(d, &["export", "-i", "big.csv", "-o", "report.csv"]).assert_code(2);
    assert_eq!(list_dir(d), ["big.csv", "out"]);
}

#[test]
fn failed_run_does_not_clobber_an_existing_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_big_with_bad_row(d, 20_000, 15_000);
    std::fs::create_dir(d.join("out")).unwrap();
    for output in ["out/report.csv", "out/report.jsonl"] {
        std::fs::write(d.join(output), b"yesterday's report\n").unwrap();
        recibo(d, &["export", "-i", "big.csv", "-o", output]).assert_code(2);
        assert_eq!(
            std::fs::read(d.join(output)).unwrap(),
            b"yesterday's report\n",
            "{output} kept"
        );
    }
    assert_eq!(list_dir(&d.join("out")), ["report.csv", "report.jsonl"]);
    // A good run replaces it.
    std::fs::write(
        d.join("good.csv"),
        csv_bytes(&BAD_KEYS, &good_rows(), CsvStyle::default()),
    )
    .unwrap();
    recibo(
        d,
        &[
            "export",
            "-i",
            "good.csv",
            "--columns",
            "transactionId",
            "-o",
            "out/report.csv",
        ],
    )
    .assert_code(0);
    let ids: Vec<String> = read_csv(&d.join("out/report.csv"), b',')[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        ids,
        good_rows().iter().map(|r| r[0].clone()).collect::<Vec<_>>()
    );
    assert_eq!(list_dir(&d.join("out")), ["report.csv", "report.jsonl"]);
}

#[test]
fn dash_o_writes_csv_and_jsonl_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = money_fixture(d, "in.csv", &[("-1234.5", "BRL"), ("1.5", "BHD")]);
    // -o - is the default too.
    for args in [
        &["export", "-i", "in.csv", "-o", "-"][..],
        &["export", "-i", "in.csv"],
    ] {
        let run = recibo(d, args);
        run.assert_code(0);
        let columns = shipped_set("default");
        assert_report(
            &parse_csv(&run.stdout, b','),
            &columns,
            &expected_rows(&rows, &columns, "UTC", '.'),
            "stdout",
        );
    }
    let run = recibo(
        d,
        &["export", "-i", "in.csv", "--format", "jsonl", "-o", "-"],
    );
    run.assert_code(0);
    let ids: Vec<String> = run
        .stdout_text()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["transactionId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, ["M1", "M2"]);
    assert_eq!(list_dir(d), ["in.csv"], "nothing but stdout was written");
}

#[test]
fn unwritable_output_exits_4() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    money_fixture(d, "in.csv", &[("1", "USD")]);
    std::fs::write(d.join("plain-file"), b"not a folder").unwrap();
    for output in [
        "/proc/recibo-export-test.csv",
        "plain-file/out.csv",
        "plain-file/sub/out.jsonl",
    ] {
        recibo(d, &["export", "-i", "in.csv", "-o", output])
            .assert_code(4)
            .assert_stderr_has(&[output]);
    }
    assert_eq!(
        std::fs::read(d.join("plain-file")).unwrap(),
        b"not a folder"
    );
    // A folder where the file should go: the rename fails, and no temporary file is left.
    std::fs::create_dir(d.join("a-folder")).unwrap();
    recibo(d, &["export", "-i", "in.csv", "-o", "a-folder"])
        .assert_code(4)
        .assert_stderr_has(&["a-folder"]);
    assert_eq!(list_dir(&d.join("a-folder")), Vec::<String>::new());
    assert_eq!(list_dir(d), ["a-folder", "in.csv", "plain-file"]);
}

#[test]
fn closed_stdout_is_not_an_error() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // `recibo export -o - | head -1`: the reader goes away long before the end.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_big_with_bad_row(d, 50_000, 50_000);
    let mut child = Command::new(support::binary())
        .args([
            "export",
            "-i",
            "big.csv",
            "--columns",
            "reference",
            "-o",
            "-",
            "--skip-bad",
        ])
        .current_dir(d)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("customerId,"), "{first}");
    // The reader is dropped here, closing the pipe.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(!stderr.contains("error"), "stderr:\n{stderr}");
}

#[cfg(unix)]
#[test]
fn output_file_gets_the_usual_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    money_fixture(d, "in.csv", &[("1", "USD")]);
    recibo(d, &["export", "-i", "in.csv", "-o", "out.csv"]).assert_code(0);
    // What any program creating a file here gets under the current umask.
    std::fs::write(d.join("usual"), b"").unwrap();
    let mode = |name: &str| {
        std::fs::metadata(d.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        format!("{:o}", mode("out.csv")),
        format!("{:o}", mode("usual"))
    );
}

// ---------------------------------------------------------------------------------------
// Several inputs and standard input
// ---------------------------------------------------------------------------------------

#[test]
fn several_inputs_are_concatenated_in_order_and_dash_reads_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = strings(&[
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
    ]);
    let file = |prefix: &str, n: usize| -> Vec<Vec<String>> {
        (1..=n)
            .map(|i| {
                strings(&[
                    &format!("{prefix}{i}"),
                    "PAYMENT",
                    "2026-10-01T10:00:00+08:00",
                    "1",
                    "USD",
                ])
            })
            .collect()
    };
    write_csv(d, "a.csv", &keys, &file("A", 3), CsvStyle::default());
    // The second file has its own column order and the gateway's end line.
    let (header, order) = shuffled_mixed_case(&keys);
    let b_rows: Vec<Vec<String>> = file("B", 2)
        .iter()
        .map(|r| {
            order
                .iter()
                .map(|k| r[keys.iter().position(|x| x == k).unwrap()].clone())
                .collect()
        })
        .collect();
    write_csv(
        d,
        "b.csv",
        &header,
        &b_rows,
        CsvStyle {
            end_marker: true,
            ..CsvStyle::default()
        },
    );
    let c_bytes = csv_bytes(
        &keys,
        &file("C", 2),
        CsvStyle {
            crlf: true,
            ..CsvStyle::default()
        },
    );
    std::fs::write(d.join("c.csv"), &c_bytes).unwrap();
    recibo(d, &["export", "-i", "c.csv", "-o", "c.jsonl"]).assert_code(0);

    let ids = |run: &support::Run| -> Vec<String> {
        run.assert_code(0);
        parse_csv(&run.stdout, b',')[1..]
            .iter()
            .map(|r| r[0].clone())
            .collect()
    };
    fn with<'a>(inputs: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["export"];
        args.extend_from_slice(inputs);
        args.extend_from_slice(&["--columns", "transactionId", "-o", "-"]);
        args
    }
    assert_eq!(
        ids(&recibo(d, &with(&["-i", "a.csv", "-i", "b.csv"]))),
        ["A1", "A2", "A3", "B1", "B2"]
    );
    // A Brazilian spreadsheet's file (`;` and decimal commas) mixes with the others.
    let semi: Vec<Vec<String>> = (1..=2)
        .map(|i| {
            strings(&[
                &format!("S{i}"),
                "PAYMENT",
                "2026-10-01T10:00:00-03:00",
                "1234,5",
                "BRL",
            ])
        })
        .collect();
    write_csv(
        d,
        "semi.csv",
        &keys,
        &semi,
        CsvStyle {
            delimiter: b';',
            bom: true,
            ..CsvStyle::default()
        },
    );
    let run = recibo(
        d,
        &[
            "export",
            "-i",
            "a.csv",
            "-i",
            "semi.csv",
            "--columns",
            "transactionId,transactionAmountValue",
            "-o",
            "-",
        ],
    );
    run.assert_code(0);
    let records = parse_csv(&run.stdout, b',');
    assert_eq!(
        records[4],
        [String::from("S1"), amount_major("1234.5", "BRL", '.')]
    );
    assert_eq!(records.len(), 6);
    assert_eq!(
        ids(&recibo(
            d,
            &with(&["-i", "b.csv", "-i", "a.csv", "-i", "c.jsonl"])
        )),
        ["B1", "B2", "A1", "A2", "A3", "C1", "C2"]
    );
    assert_eq!(
        ids(&recibo_with_stdin(d, &with(&["-i", "-"]), &c_bytes)),
        ["C1", "C2"]
    );
    assert_eq!(
        ids(&recibo_with_stdin(
            d,
            &with(&["-i", "a.csv", "-i", "-"]),
            &c_bytes
        )),
        ["A1", "A2", "A3", "C1", "C2"]
    );
    assert_eq!(
        ids(&recibo_with_stdin(
            d,
            &with(&["-i", "-", "-i", "a.csv"]),
            &c_bytes
        )),
        ["C1", "C2", "A1", "A2", "A3"]
    );
    let jsonl = std::fs::read(d.join("c.jsonl")).unwrap();
    assert_eq!(
        ids(&recibo_with_stdin(
            d,
            &with(&["-i", "-", "--input-format", "jsonl"]),
            &jsonl
        )),
        ["C1", "C2"]
    );

    // Standard input can be read once; no input at all is a usage error.
    recibo_with_stdin(d, &with(&["-i", "-", "-i", "-"]), &c_bytes).assert_code(2);
    recibo(d, &["export", "-o", "-"]).assert_code(2);
    // Bad rows name the input they are in, standard input as `-`.
    let mut bad = c_bytes.clone();
    bad.extend_from_slice(b"C3,PAYMENT,2026-10-01T10:00:00+08:00,oops,USD\r\n");
    let run = recibo_with_stdin(d, &with(&["-i", "a.csv", "-i", "-"]), &bad);
    run.assert_code(2).assert_stderr_has(&["-: row 3"]);
}

// ---------------------------------------------------------------------------------------
// `recibo columns` and help
// ---------------------------------------------------------------------------------------

#[test]
fn columns_lists_every_key_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let every: Vec<&str> = recibo::columns::COLUMNS.iter().map(|c| c.key).collect();
    // Every column of the reference layout and of every shipped set is in the registry.
    for set in ["reference", "default", "accounting"] {
        for key in shipped_set(set) {
            assert!(
                every.contains(&key.as_str()),
                "{set}: {key} is not a column"
            );
        }
    }
    let text = recibo(d, &["columns"]);
    text.assert_code(0);
    let text = text.stdout_text();
    for key in &every {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(key)),
            "`recibo columns` does not list {key}"
        );
    }
    for set in ["default", "accounting", "reference"] {
        assert!(
            text.contains(set),
            "`recibo columns` does not list the {set} set"
        );
    }

    let json = registry(d);
    let keys: Vec<&str> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys, every,
        "`recibo columns --json` lists every key once, in registry order"
    );
    for column in json["columns"].as_array().unwrap() {
        for lang in ["en", "zh-CN", "pt-BR"] {
            assert!(
                column["headers"][lang]
                    .as_str()
                    .is_some_and(|h| !h.is_empty()),
                "{} has no {lang} header",
                column["key"]
            );
        }
    }
    for name in ["default", "accounting", "reference"] {
        let set = json["sets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name);
        let set =
            set.unwrap_or_else(|| panic!("`recibo columns --json` does not list the {name} set"));
        assert_eq!(
            set["columns"],
            serde_json::json!(shipped_set(name)),
            "{name}"
        );
    }
}

#[test]
fn unknown_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    recibo(dir.path(), &["export", "--no-such-flag"]).assert_code(2);
    recibo(dir.path(), &["no-such-command"]).assert_code(2);
}

#[test]
fn help_mentions_the_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["export", "--help"]] {
        let run = recibo(dir.path(), args);
        run.assert_code(0);
        let text = run.stdout_text();
        let at = text
            .to_ascii_lowercase()
            .find("exit codes")
            .unwrap_or_else(|| panic!("recibo {args:?} has no exit codes:\n{text}"));
        let codes = &text[at..];
        let words: Vec<&str> = codes
            .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
            .collect();
        for code in 0..=4 {
            assert!(
                words.contains(&code.to_string().as_str()),
                "recibo {args:?}: exit code {code} is not explained:\n{codes}"
            );
        }
    }
}

/// Writes `lines.csv` from the good rows, with `edit` applied to the file's text.
fn write_lines(d: &Path, crlf: bool, edit: impl Fn(String) -> String) {
    let style = CsvStyle {
        crlf,
        ..CsvStyle::default()
    };
    let text = String::from_utf8(csv_bytes(&BAD_KEYS, &good_rows(), style)).unwrap();
    std::fs::write(d.join("lines.csv"), edit(text)).unwrap();
}

#[test]
fn bad_rows_name_their_physical_line() {
    // The header is line 1, rows 1 and 2 lines 2 to 4 (row 2 has a two-line description):
    // row 3 starts on line 5, or 7 after two blank lines.
    for crlf in [false, true] {
        let nl = if crlf { "\r\n" } else { "\n" };
        for (blank, line) in [(0, 5), (2, 7)] {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            write_lines(d, crlf, |text| {
                let (head, tail) = text.split_at(text.find("G3,").unwrap());
                let blanks = nl.repeat(blank);
                format!("{head}{blanks}{}", tail.replacen("12.34,BRL,ok", "x", 1))
            });
            // Row 3 is now ragged (its amount, currency and description became one field).
            let run = recibo(d, &["export", "-i", "lines.csv", "-o", "out.csv"]);
            run.assert_code(2)
                .assert_stderr_names_row(3)
                .assert_stderr_has(&[&format!("(line {line})")]);
        }
    }
}

#[test]
fn quoted_fields_read_back_exactly() {
    // Quotes doubled inside quoted fields, delimiters and line breaks inside them, an empty
    // quoted field, and quotes at both ends of a field's text.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let descriptions = ["\"quoted\"", "a,b", "x\r\ny", "", "say \"\"hi\"\"", "\""];
    let rows: Vec<Vec<String>> = good_rows()
        .into_iter()
        .chain(good_rows().into_iter().take(1))
        .zip(descriptions)
        .map(|(mut row, text)| {
            row[5] = text.to_string();
            row
        })
        .collect();
    std::fs::write(
        d.join("q.csv"),
        csv_bytes(&BAD_KEYS, &rows, CsvStyle::default()),
    )
    .unwrap();
    recibo(
        d,
        &[
            "export",
            "-i",
            "q.csv",
            "--columns",
            "orderDescription",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(0);
    let mut reader = csv::Reader::from_path(d.join("out.csv")).unwrap();
    let back: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(back, descriptions);
}
