//! Exports read only the free-text fields their columns and filter look at. These tests
//! check that the fields each column and each filter criterion claims are enough: a column
//! shows, and a filter keeps, exactly what it does when every field is read.

use std::collections::BTreeSet;

use recibo::columns::{COLUMNS, Cell, Kind};
use recibo::filter::{Filter, Shard};
use recibo::model::Transaction;
use recibo::sink::{self, ExportOptions, Format};
use recibo::source::fields::{Field, FieldSet, PARSED_FIELDS};
use recibo::source::{Input, InputFormat, SourceOptions, read_all};

/// The shipped CSV sample with every empty text cell filled (the samples leave the gateway's
/// own fields, such as `orderId`, empty), so that every column has something to lose.
fn filled_sample(dir: &std::path::Path) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path("samples/transactions.csv")
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let path = dir.join("filled.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&headers).unwrap();
    for (row, record) in reader.records().enumerate() {
        let record = record.unwrap();
        if record.len() != headers.len() {
            continue; // the <END> line
        }
        let cells = record.iter().zip(&headers).map(|(cell, header)| {
            let parsed = Field::from_header(header).is_some_and(|f| PARSED_FIELDS.contains(f));
            if cell.is_empty() && !parsed {
                format!("{header}-{row}")
            } else {
                cell.to_string()
            }
        });
        writer.write_record(cells).unwrap();
    }
    writer.flush().unwrap();
    path.to_str().unwrap().to_string()
}

fn inputs(dir: &std::path::Path) -> [(String, InputFormat); 2] {
    [
        (filled_sample(dir), InputFormat::Csv),
        ("samples/transactions.xlsx".to_string(), InputFormat::Xlsx),
    ]
}

fn read(name: &str, format: InputFormat, text_fields: FieldSet) -> Vec<Transaction> {
    let options = SourceOptions {
        text_fields,
        ..SourceOptions::default()
    };
    let input = Input {
        name: name.to_string(),
        format,
    };
    let mut all = Vec::new();
    read_all(&[input], &options, recibo::source::BadRecords::Stop, |tx| {
        all.push(tx.clone());
        Ok(())
    })
    .unwrap();
    assert!(!all.is_empty(), "{name} has transactions");
    all
}

#[test]
fn each_column_reads_the_fields_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in inputs(dir.path()) {
        let name = name.as_str();
        let whole = read(name, format, FieldSet::ALL);
        for column in COLUMNS {
            let options = ExportOptions {
                columns: vec![column],
                ..ExportOptions::default()
            };
            let fields = sink::text_fields(Format::Csv, &options);
            assert_ne!(fields, FieldSet::ALL);
            let projected = read(name, format, fields);
            assert_eq!(whole.len(), projected.len());
            for (w, p) in whole.iter().zip(&projected) {
                assert_eq!(
                    (column.value)(w),
                    (column.value)(p),
                    "{name}: column {} of {}",
                    column.key,
                    w.transaction_id
                );
            }
            if format == InputFormat::Csv && column.kind == Kind::Text {
                // Otherwise the comparison above could not fail for this column.
                assert!(
                    whole.iter().any(|tx| (column.value)(tx) != Cell::Empty),
                    "{name}: column {} is filled somewhere",
                    column.key
                );
            }
        }
    }
}

#[test]
fn jsonl_reads_every_field() {
    assert_eq!(
        sink::text_fields(Format::Jsonl, &ExportOptions::default()),
        FieldSet::ALL
    );
}

/// Filters that use each criterion, with values taken from the data itself.
fn filters(whole: &[Transaction]) -> Vec<(String, Filter)> {
    let pick = |i: usize, get: fn(&Transaction) -> &str| {
        whole
            .iter()
            .map(get)
            .filter(|v| !v.is_empty())
            .nth(i)
            .expect("the samples fill the field")
            .to_string()
    };
    let mut out = Vec::new();
    out.push((
        "method".into(),
        Filter {
            methods: vec![pick(0, |t| &t.payment_method_type).to_lowercase()],
            ..Filter::default()
        },
    ));
    out.push((
        "acquirer".into(),
        Filter {
            acquirers: vec![pick(3, |t| &t.acquirer)],
            ..Filter::default()
        },
    ));
    let id_getters: [fn(&Transaction) -> &str; 6] = [
        |t| &t.transaction_id,
        |t| &t.original_transaction_id,
        |t| &t.transaction_request_id,
        |t| &t.reference_transaction_id,
        |t| &t.acquirer_reference_no,
        |t| &t.order_id,
    ];
    for (i, get) in id_getters.into_iter().enumerate() {
        if whole.iter().any(|t| !get(t).is_empty()) {
            out.push((
                format!("id #{i}"),
                Filter {
                    ids: [pick(0, get)].into(),
                    ..Filter::default()
                },
            ));
        }
    }
    out.push((
        "related".into(),
        Filter {
            related: Some(pick(0, |t| &t.original_transaction_id)),
            ..Filter::default()
        },
    ));
    out.push((
        "shard".into(),
        Filter {
            shard: Some("2/3".parse::<Shard>().unwrap()),
            ..Filter::default()
        },
    ));
    out
}

#[test]
fn each_filter_reads_the_fields_it_looks_at() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in inputs(dir.path()) {
        let name = name.as_str();
        let whole = read(name, format, FieldSet::ALL);
        for (criterion, filter) in filters(&whole) {
            let kept = |all: &[Transaction]| -> Vec<String> {
                all.iter()
                    .filter(|t| filter.matches(t))
                    .map(|t| t.transaction_id.clone())
                    .collect()
            };
            let expected = kept(&whole);
            assert!(!expected.is_empty(), "{name}: {criterion} keeps something");
            assert!(
                expected.len() < whole.len(),
                "{name}: {criterion} drops something"
            );
            let projected = read(name, format, filter.text_fields());
            assert_eq!(expected, kept(&projected), "{name}: filter on {criterion}");
        }
    }
}

/// `recibo export -i INPUT --columns COLUMNS -o OUTPUT`, which must succeed.
fn export(input: &str, columns: &str, output: &std::path::Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_recibo"))
        .args(["export", "-i", input, "--columns", columns, "-o"])
        .arg(output)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "export --columns {columns}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The column keys the README says a `reference` export keeps and loses when read back:
/// the back-quoted keys of the sentence after "keeps" and of the one after "loses", in its
/// paragraph on the `reference` set.
fn documented_reference_round_trip() -> (BTreeSet<String>, BTreeSet<String>) {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("- `reference` is")
        .expect("the README describes the reference set");
    let paragraph = &readme[start..];
    let paragraph = &paragraph[..paragraph.find("\n- ").unwrap_or(paragraph.len())];
    let keys_after = |word: &str| -> BTreeSet<String> {
        let after = &paragraph[paragraph
            .find(word)
            .unwrap_or_else(|| panic!("no {word:?}"))..];
        // The sentence ends at a full stop outside back quotes.
        let listed = after.split('`').collect::<Vec<_>>();
        let mut keys = BTreeSet::new();
        for (i, part) in listed.iter().enumerate() {
            if i % 2 == 1 {
                keys.insert(part.to_string());
            } else if part.contains('.') && i > 0 {
                break;
            }
        }
        keys
    };
    (keys_after("keeps"), keys_after("loses"))
}

#[test]
fn a_reference_export_read_back_keeps_what_the_readme_says_and_all_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let filled = filled_sample(dir.path());
    let whole = read(&filled, InputFormat::Csv, FieldSet::ALL);

    let reference = dir.path().join("reference.csv");
    export(&filled, "reference", &reference);
    let back = read(reference.to_str().unwrap(), InputFormat::Csv, FieldSet::ALL);
    assert_eq!(whole.len(), back.len());
    let mut lost = BTreeSet::new();
    for column in COLUMNS {
        // The filled sample has every text field set, so a lost field shows in every row.
        let kept = whole
            .iter()
            .zip(&back)
            .filter(|(w, b)| (column.value)(w) == (column.value)(b))
            .count();
        assert!(
            kept == whole.len() || kept == 0,
            "column {} is kept in {kept} of {} rows",
            column.key,
            whole.len()
        );
        if kept == 0 {
            lost.insert(column.key.to_string());
        }
    }
    assert!(lost.contains("merchantName"));
    let (kept, documented_lost) = documented_reference_round_trip();
    assert_eq!(lost, documented_lost);
    let reference: BTreeSet<String> = recibo::columns::sets::resolve("reference", None)
        .unwrap()
        .columns
        .iter()
        .map(|c| c.key.to_string())
        .collect();
    assert_eq!(kept, reference);
    assert!(kept.is_disjoint(&lost));

    for (name, format) in [
        ("all.csv", InputFormat::Csv),
        ("all.xlsx", InputFormat::Xlsx),
    ] {
        let path = dir.path().join(name);
        export(&filled, "all", &path);
        assert_eq!(
            read(path.to_str().unwrap(), format, FieldSet::ALL),
            whole,
            "{name} read back"
        );
    }
}
