//! `recibo run` job files end to end, and the commands around them (`export --shard`,
//! `merge`): windows computed in the job's zone across DST changes, exit codes, the JSON
//! summary against the files on disk, kill -9 at random moments, shards that partition the
//! work, reruns, a closed standard output, and the shipped example jobs.
//!
//! Expected values come from the fixture text, from time-zone rules written out here (and
//! cross-checked with chrono-tz), or from reading the inputs with the `csv` crate; they are
//! never copied from recibo's own output.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as TimeSpan, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{CsvStyle, iso_in_zone, list_dir, midnight, parse_ragged_csv, recibo, write_csv};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Columns of the hand-written fixtures: the five required ones plus what receipts and
/// shards look at.
const FIXTURE_HEADER: [&str; 12] = [
    "customerId",
    "acquirer",
    "transactionId",
    "originalTransactionId",
    "orderDescription",
    "paymentMethodType",
    "transactionType",
    "paymentTime",
    "transactionAmountValue",
    "transactionCurrency",
    "status",
    "merchantName",
];

/// One fixture row in [`FIXTURE_HEADER`] order.
fn fixture_row(
    id: &str,
    original: &str,
    kind: &str,
    time: &str,
    amount: &str,
    status: &str,
) -> Vec<String> {
    [
        "PadariaSaoJoaoBR",
        "Antom",
        id,
        original,
        "Bolo de fubá",
        "PIX",
        kind,
        time,
        amount,
        "BRL",
        status,
        "Padaria São João Ltda.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn write_fixture(dir: &Path, name: &str, rows: &[Vec<String>]) -> PathBuf {
    write_csv(dir, name, &FIXTURE_HEADER, rows, CsvStyle::default())
}

/// A job file's text: `head` (name, zone, window), a `[source]` table reading `input` (an
/// absolute path, so the job can live in any folder) plus `source_extra`, then `outputs`.
fn job_text(head: &str, input: &Path, source_extra: &str, outputs: &str) -> String {
    format!(
        "{head}\n[source]\ninputs = [{:?}]\n{source_extra}\n{outputs}\n",
        input.display().to_string()
    )
}

fn write_job(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}\n{text}", path.display()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `recibo sample` into `dir/name`: synthetic but deterministic data. Only the program's
/// outputs are checked against it, with expectations computed from the file itself.
fn sample_csv(dir: &Path, name: &str, rows: u64, seed: u64) -> PathBuf {
    recibo(
        dir,
        &[
            "sample",
            "--rows",
            &rows.to_string(),
            "--seed",
            &seed.to_string(),
            "-o",
            name,
        ],
    )
    .assert_code(0);
    dir.join(name)
}

/// A CSV file's header and data rows, without an `<END>` line (reported separately).
struct CsvFile {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    bom: bool,
    end_marker: bool,
}

fn read_csv_file(path: &Path) -> CsvFile {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let bom = bytes.starts_with("\u{feff}".as_bytes());
    let mut records = parse_ragged_csv(&bytes);
    assert!(!records.is_empty(), "{}: no header", path.display());
    let header = records.remove(0);
    let end_marker = records
        .last()
        .is_some_and(|r| r.len() == 1 && r[0] == "<END>");
    if end_marker {
        records.pop();
    }
    for r in &records {
        assert_eq!(
            r.len(),
            header.len(),
            "{}: a row with another width than the header: {r:?}",
            path.display()
        );
        assert!(
            !(r.len() == 1 && r[0] == "<END>"),
            "{}: <END> before the last line",
            path.display()
        );
    }
    CsvFile {
        header,
        rows: records,
        bom,
        end_marker,
    }
}

fn column(file: &CsvFile, key: &str) -> usize {
    file.header
        .iter()
        .position(|h| h == key)
        .unwrap_or_else(|| panic!("no column {key} in {:?}", file.header))
}

/// A transaction of an input file, read here with the `csv` crate for computing what the
/// outputs should hold.
#[derive(Clone, Debug)]
struct InputTx {
    id: String,
    original: String,
    kind: String,
    status: String,
    acquirer: String,
    currency: String,
    time: DateTime<Utc>,
}

impl InputTx {
    fn is_successful_refund(&self) -> bool {
        self.kind == "REFUND" && self.status == "SUCCESS"
    }

    /// The payment a transaction belongs with: its original, or itself.
    fn group(&self) -> &str {
        if self.original.is_empty() {
            &self.id
        } else {
            &self.original
        }
    }
}

fn read_inputs(path: &Path) -> Vec<InputTx> {
    let file = read_csv_file(path);
    let at = |k| column(&file, k);
    let (id, original, kind, status, acquirer, currency, time) = (
        at("transactionId"),
        at("originalTransactionId"),
        at("transactionType"),
        at("status"),
        at("acquirer"),
        at("transactionCurrency"),
        at("paymentTime"),
    );
    file.rows
        .iter()
        .map(|r| InputTx {
            id: r[id].trim().to_string(),
            original: r[original].trim().to_string(),
            kind: r[kind].trim().to_ascii_uppercase(),
            status: r[status].trim().to_ascii_uppercase(),
            acquirer: r[acquirer].trim().to_string(),
            currency: r[currency].trim().to_ascii_uppercase(),
            time: DateTime::parse_from_rfc3339(r[time].trim())
                .unwrap_or_else(|e| panic!("input time {:?}: {e}", r[time]))
                .with_timezone(&Utc),
        })
        .collect()
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Every file under `root`, by path relative to it (with `/`), with its bytes.
fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                // A temporary file may be renamed away between listing and reading
                // while a run is going: read what is there.
                if let Ok(bytes) = std::fs::read(&path) {
                    out.insert(rel, bytes);
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// How many files there are under `root`, without reading them.
fn count_files(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            if e.path().is_dir() {
                count_files(&e.path())
            } else {
                1
            }
        })
        .sum()
}

/// A temporary file of an atomic write: hidden, ending in `.tmp`.
fn is_temp_name(rel: &str) -> bool {
    let name = file_name(rel);
    name.starts_with('.') && name.ends_with(".tmp")
}

/// A receipts manifest with `unchanged` read as `written`: the status says what this run
/// did to a file whose bytes are the same either way.
fn manifest_as_written(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut records = parse_ragged_csv(bytes);
    let status = records[0]
        .iter()
        .position(|h| h == "status")
        .expect("manifest has a status column");
    for r in records.iter_mut().skip(1) {
        if r[status] == "unchanged" {
            r[status] = "written".into();
        }
    }
    records
}

/// The same output file, byte for byte (a manifest modulo written/unchanged).
fn same_output(rel: &str, a: &[u8], b: &[u8]) -> bool {
    if file_name(rel) == "manifest.csv" {
        manifest_as_written(a) == manifest_as_written(b)
    } else {
        a == b
    }
}

/// The names of the PDFs in a ZIP archive, with their bytes.
fn zip_pdfs(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = zip::ZipArchive::new(file).expect("a readable ZIP archive");
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().expect("a UTF-8 entry name").into_owned();
        if name.ends_with(".pdf") {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            assert!(
                bytes.starts_with(b"%PDF-"),
                "{name} in {} is not a PDF",
                path.display()
            );
            out.insert(name, bytes);
        }
    }
    out
}

fn pdfs_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .filter(|(rel, _)| rel.ends_with(".pdf") && !rel.contains('/'))
        .collect()
}

/// Every file the summary lists exists with that size and SHA-256. Paths are as the run
/// printed them, relative to the folder it ran in.
#[track_caller]
fn assert_summary_files_match(summary: &Value, cwd: &Path) -> Vec<PathBuf> {
    let files = summary["files"]
        .as_array()
        .expect("summary.files is a list");
    let mut paths = Vec::new();
    for f in files {
        let path = cwd.join(f["path"].as_str().expect("files[].path"));
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("summary lists {}: {e}", path.display()));
        assert_eq!(
            f["bytes"].as_u64(),
            Some(bytes.len() as u64),
            "size of {}",
            path.display()
        );
        assert_eq!(
            f["sha256"].as_str(),
            Some(sha256_hex(&bytes).as_str()),
            "SHA-256 of {}",
            path.display()
        );
        paths.push(std::fs::canonicalize(&path).unwrap());
    }
    paths
}

fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Panics unless `got` and `want` are the same records in the same order, naming the first
/// difference rather than printing thousands of rows.
#[track_caller]
fn assert_same_records(got: &[Vec<String>], want: &[Vec<String>], what: &str) {
    if let Some(i) = (0..got.len().max(want.len())).find(|i| got.get(*i) != want.get(*i)) {
        panic!(
            "{what}: {} records, expected {}; first difference at record {i}:\n  got:  {:?}\n  want: {:?}",
            got.len(),
            want.len(),
            got.get(i),
            want.get(i)
        );
    }
}

// ---------------------------------------------------------------------------------------
// Windows across DST changes
// ---------------------------------------------------------------------------------------

/// A window case: the zone, the window, the --date, and what the window must be, written
/// out from the zone's rules (checked against Python's zoneinfo when written).
struct WindowCase {
    zone: &'static str,
    window: &'static str,
    date: &'static str,
    first_day: &'static str,
    last_day: &'static str,
    from: &'static str,
    to: &'static str,
    hours: i64,
}

const WINDOW_CASES: &[WindowCase] = &[
    // Lisbon falls back on 2026-10-25: 00:00 is WEST (+01), the next midnight WET (+00).
    WindowCase {
        zone: "Europe/Lisbon",
        window: "yesterday",
        date: "2026-10-25",
        first_day: "2026-10-25",
        last_day: "2026-10-25",
        from: "2026-10-24T23:00:00Z",
        to: "2026-10-26T00:00:00Z",
        hours: 25,
    },
    // New York springs forward on 2026-03-08: EST (-05) at the start, EDT (-04) at the end.
    WindowCase {
        zone: "America/New_York",
        window: "yesterday",
        date: "2026-03-08",
        first_day: "2026-03-08",
        last_day: "2026-03-08",
        from: "2026-03-08T05:00:00Z",
        to: "2026-03-09T04:00:00Z",
        hours: 23,
    },
    WindowCase {
        zone: "Asia/Shanghai",
        window: "yesterday",
        date: "2026-10-01",
        first_day: "2026-10-01",
        last_day: "2026-10-01",
        from: "2026-09-30T16:00:00Z",
        to: "2026-10-01T16:00:00Z",
        hours: 24,
    },
    // Brazil's DST used to start on the first Sunday of November; it was abolished in 2019,
    // so this day is 24 hours long at -03.
    WindowCase {
        zone: "America/Sao_Paulo",
        window: "yesterday",
        date: "2026-11-01",
        first_day: "2026-11-01",
        last_day: "2026-11-01",
        from: "2026-11-01T03:00:00Z",
        to: "2026-11-02T03:00:00Z",
        hours: 24,
    },
    WindowCase {
        zone: "Europe/Lisbon",
        window: "yesterday",
        date: "2026-03-29",
        first_day: "2026-03-29",
        last_day: "2026-03-29",
        from: "2026-03-29T00:00:00Z",
        to: "2026-03-29T23:00:00Z",
        hours: 23,
    },
    WindowCase {
        zone: "America/New_York",
        window: "yesterday",
        date: "2026-11-01",
        first_day: "2026-11-01",
        last_day: "2026-11-01",
        from: "2026-11-01T04:00:00Z",
        to: "2026-11-02T05:00:00Z",
        hours: 25,
    },
    // Chile springs forward at midnight: 2026-09-06 00:00 does not exist, the day starts at
    // 01:00 -03 (04:00Z), the first instant of that local date.
    WindowCase {
        zone: "America/Santiago",
        window: "yesterday",
        date: "2026-09-06",
        first_day: "2026-09-06",
        last_day: "2026-09-06",
        from: "2026-09-06T04:00:00Z",
        to: "2026-09-07T03:00:00Z",
        hours: 23,
    },
    // October in Lisbon, with the autumn change inside: 31 days and one hour.
    WindowCase {
        zone: "Europe/Lisbon",
        window: "last-month",
        date: "2026-10-31",
        first_day: "2026-10-01",
        last_day: "2026-10-31",
        from: "2026-09-30T23:00:00Z",
        to: "2026-11-01T00:00:00Z",
        hours: 31 * 24 + 1,
    },
    WindowCase {
        zone: "America/New_York",
        window: "last-7-days",
        date: "2026-11-01",
        first_day: "2026-10-26",
        last_day: "2026-11-01",
        from: "2026-10-26T04:00:00Z",
        to: "2026-11-02T05:00:00Z",
        hours: 7 * 24 + 1,
    },
    // Explicit bounds given as dates are local midnights in the job's zone.
    WindowCase {
        zone: "Europe/Lisbon",
        window: "{ from = \"2026-10-25\", to = \"2026-10-26\" }",
        date: "2026-12-31",
        first_day: "2026-10-25",
        last_day: "2026-10-25",
        from: "2026-10-24T23:00:00Z",
        to: "2026-10-26T00:00:00Z",
        hours: 25,
    },
    // Explicit bounds with offsets are instants, whatever the zone.
    WindowCase {
        zone: "America/New_York",
        window: "{ from = \"2026-03-08T00:00:00-05:00\", to = \"2026-03-09T00:00:00-04:00\" }",
        date: "2026-12-31",
        first_day: "2026-03-08",
        last_day: "2026-03-08",
        from: "2026-03-08T05:00:00Z",
        to: "2026-03-09T04:00:00Z",
        hours: 23,
    },
];

/// Instants at and around both ends of a window, and inside it where a wrong day length
/// would cut: 22:30, 23:30 and 24:30 after the start are in or out depending on whether
/// the day has 23, 24 or 25 hours.
fn probe_instants(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let s = TimeSpan::seconds;
    let hm = |h: i64, m: i64| TimeSpan::hours(h) + TimeSpan::minutes(m);
    let mut instants = vec![
        from - s(1),
        from,
        from + s(1),
        from + hm(1, 30),
        from + hm(22, 30),
        from + hm(23, 30),
        from + hm(24, 30),
        to - s(1),
        to,
        to + s(1),
    ];
    instants.sort();
    instants.dedup();
    instants
}

#[test]
fn windows_are_local_days_across_dst_changes_and_export_exactly_the_rows_inside() {
    let dir = tempfile::tempdir().unwrap();
    for (n, case) in WINDOW_CASES.iter().enumerate() {
        let tz: Tz = case.zone.parse().unwrap();
        let (from, to) = (utc(case.from), utc(case.to));
        // The written-out bounds agree with chrono-tz wherever local midnight exists.
        assert_eq!(
            (to - from).num_hours(),
            case.hours,
            "case {n}: the fixture's own arithmetic"
        );
        assert_eq!((to - from).num_seconds() % 3600, 0);
        if case.zone != "America/Santiago" {
            assert_eq!(midnight(case.first_day, case.zone), from, "case {n}");
            let after = (day(case.last_day) + TimeSpan::days(1))
                .format("%Y-%m-%d")
                .to_string();
            assert_eq!(midnight(&after, case.zone), to, "case {n}");
        }

        // Fixture times are written in the zone's own offset, as a local report would be.
        let instants = probe_instants(from, to);
        let rows: Vec<Vec<String>> = instants
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let local = t.with_timezone(&tz).to_rfc3339();
                fixture_row(
                    &format!("T{n}-{i:02}"),
                    "",
                    "PAYMENT",
                    &local,
                    "10.00",
                    "SUCCESS",
                )
            })
            .collect();
        let expected: Vec<(String, String)> = instants
            .iter()
            .zip(&rows)
            .filter(|(t, _)| **t >= from && **t < to)
            .map(|(_, r)| (r[2].clone(), iso_in_zone(&r[7], case.zone)))
            .collect();
        // The probes straddle both ends: some in, some out, every time.
        assert!(
            expected.len() >= 4 && expected.len() < rows.len(),
            "case {n}"
        );

        let case_dir = dir.path().join(format!("case-{n}"));
        std::fs::create_dir_all(&case_dir).unwrap();
        let input = write_fixture(&case_dir, "in.csv", &rows);
        let job = job_text(
            &format!(
                "name = \"dst-{n}\"\nzone = \"{}\"\nwindow = {}",
                case.zone,
                // A table is written as it is, a name as a string.
                if case.window.starts_with('{') {
                    case.window.to_string()
                } else {
                    format!("{:?}", case.window)
                }
            ),
            &input,
            "",
            "[[export]]\npath = \"out/{job}/{date}/{from}_{to}.csv\"\ncolumns = \"transactionId,paymentTime\"\nheader_lang = \"key\"",
        );
        write_job(&case_dir, "job.toml", &job);
        recibo(
            &case_dir,
            &[
                "run",
                "job.toml",
                "--date",
                case.date,
                "--summary",
                "summary.json",
            ],
        )
        .assert_code(0);

        // {date} and {from} are the first local day, {to} the last.
        let out = case_dir
            .join("out")
            .join(format!("dst-{n}"))
            .join(case.first_day)
            .join(format!("{}_{}.csv", case.first_day, case.last_day));
        let file = read_csv_file(&out);
        assert_eq!(file.header, ["transactionId", "paymentTime"], "case {n}");
        let got: Vec<(String, String)> = file
            .rows
            .iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect();
        assert_eq!(
            got, expected,
            "case {n}: {} {} --date {}",
            case.zone, case.window, case.date
        );

        let summary = read_json(&case_dir.join("summary.json"));
        let window = &summary["window"];
        assert_eq!(
            utc(window["from"].as_str().unwrap()),
            from,
            "case {n}: summary window.from"
        );
        assert_eq!(
            utc(window["to"].as_str().unwrap()),
            to,
            "case {n}: summary window.to"
        );
        assert_eq!(window["first_day"], case.first_day, "case {n}");
        assert_eq!(window["last_day"], case.last_day, "case {n}");
        assert_eq!(window["zone"], case.zone, "case {n}");
        assert_eq!(
            summary["exports"][0]["rows_out"].as_u64(),
            Some(expected.len() as u64),
            "case {n}"
        );
        assert_eq!(
            summary["exports"][0]["rows_in"].as_u64(),
            Some(rows.len() as u64),
            "case {n}"
        );
    }
}

#[test]
fn without_date_the_window_is_yesterday_in_the_jobs_zone() {
    // Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: for most of any UTC
    // day their "yesterday" differs from UTC's and from each other's.
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"] {
        let tz: Tz = zone.parse().unwrap();
        let yesterday = || Utc::now().with_timezone(&tz).date_naive() - TimeSpan::days(1);
        let before = yesterday();
        let dir = tempfile::tempdir().unwrap();
        let input = write_fixture(dir.path(), "in.csv", &exit_fixture());
        write_job(
            dir.path(),
            "job.toml",
            &job_text(
                &format!("zone = \"{zone}\"\nwindow = \"yesterday\""),
                &input,
                "",
                SIMPLE_EXPORT,
            ),
        );
        recibo(
            dir.path(),
            &["run", "job.toml", "--summary", "summary.json"],
        )
        .assert_code(0);
        let after = yesterday();
        let summary = read_json(&dir.path().join("summary.json"));
        let first = day(summary["window"]["first_day"].as_str().unwrap());
        // Midnight in the zone may pass while the run runs: either side is right then.
        assert!(
            first == before || first == after,
            "{zone}: window of {first}, yesterday is {before}"
        );
        assert_eq!(
            summary["window"]["last_day"],
            summary["window"]["first_day"]
        );
        let from = utc(summary["window"]["from"].as_str().unwrap());
        assert_eq!(
            from,
            midnight(&first.format("%Y-%m-%d").to_string(), zone),
            "{zone}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------------------

/// A small day of BRL payments and refunds on 2026-10-05 (UTC), plus one row the day
/// before and one the day after.
fn exit_fixture() -> Vec<Vec<String>> {
    vec![
        fixture_row(
            "P0",
            "",
            "PAYMENT",
            "2026-10-04T23:59:59Z",
            "50.00",
            "SUCCESS",
        ),
        fixture_row(
            "P1",
            "",
            "PAYMENT",
            "2026-10-05T10:00:00Z",
            "100.00",
            "SUCCESS",
        ),
        fixture_row(
            "R1",
            "P1",
            "REFUND",
            "2026-10-05T11:00:00Z",
            "-10.00",
            "SUCCESS",
        ),
        fixture_row(
            "P2",
            "",
            "PAYMENT",
            "2026-10-05T12:00:00Z",
            "80.00",
            "SUCCESS",
        ),
        fixture_row(
            "R2",
            "P2",
            "REFUND",
            "2026-10-05T13:00:00Z",
            "-80.00",
            "FAIL",
        ),
        fixture_row(
            "P3",
            "",
            "PAYMENT",
            "2026-10-06T00:00:00Z",
            "70.00",
            "SUCCESS",
        ),
    ]
}

const SIMPLE_EXPORT: &str =
    "[[export]]\npath = \"out/{date}/t.csv\"\ncolumns = \"transactionId\"\nheader_lang = \"key\"";

/// Runs `job` (its text) in a fresh folder holding `in.csv` = `rows`, for 2026-10-05, with a
/// summary; returns the folder, the run, and the summary.
fn run_job_in(
    rows: &[Vec<String>],
    head: &str,
    source_extra: &str,
    outputs: &str,
) -> (tempfile::TempDir, support::Run, Value) {
    let dir = tempfile::tempdir().unwrap();
    let input = write_fixture(dir.path(), "in.csv", rows);
    write_job(
        dir.path(),
        "job.toml",
        &job_text(head, &input, source_extra, outputs),
    );
    let run = recibo(
        dir.path(),
        &[
            "run",
            "job.toml",
            "--date",
            "2026-10-05",
            "--summary",
            "summary.json",
        ],
    );
    let summary = read_json(&dir.path().join("summary.json"));
    assert_eq!(
        summary["exit_code"].as_i64(),
        Some(i64::from(run.code)),
        "the summary's exit code is the process's"
    );
    (dir, run, summary)
}

#[test]
fn run_exits_0_when_everything_is_done() {
    let (dir, run, summary) =
        run_job_in(&exit_fixture(), "window = \"yesterday\"", "", SIMPLE_EXPORT);
    run.assert_code(0);
    assert!(summary["error"].is_null(), "{summary}");
    let file = read_csv_file(&dir.path().join("out/2026-10-05/t.csv"));
    let ids: Vec<&str> = file.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["P1", "R1", "P2", "R2"]);
    assert_eq!(summary["read"]["records"], 6);
    assert_eq!(summary["read"]["skipped"], 0);
}

#[test]
fn run_exits_1_when_skip_bad_skips_a_bad_row_and_2_without_it() {
    let mut rows = exit_fixture();
    // Data row 3 (R1) gets an amount that is not a number.
    rows[2][8] = "ten reais".into();
    let (dir, run, summary) = run_job_in(
        &rows,
        "window = \"yesterday\"",
        "skip_bad = true",
        SIMPLE_EXPORT,
    );
    run.assert_code(1).assert_stderr_names_row(3);
    assert_eq!(summary["read"]["skipped"], 1, "{summary}");
    assert_eq!(summary["read"]["records"], 5, "{summary}");
    let file = read_csv_file(&dir.path().join("out/2026-10-05/t.csv"));
    let ids: Vec<&str> = file.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        ids,
        ["P1", "P2", "R2"],
        "the good rows of the window are still exported"
    );
    assert_eq!(summary["exports"][0]["rows_out"], 3);

    // Without skip_bad the same row stops the run: a bad input record is exit code 2.
    let (dir, run, _) = run_job_in(&rows, "window = \"yesterday\"", "", SIMPLE_EXPORT);
    run.assert_code(2).assert_stderr_names_row(3);
    assert!(
        !dir.path().join("out/2026-10-05/t.csv").exists(),
        "a stopped run leaves no output"
    );
}

#[test]
fn run_exits_1_when_a_receipt_cannot_be_rendered() {
    let mut rows = exit_fixture();
    // A refund whose description cannot fit on one page, however small the text.
    rows.push(fixture_row(
        "R3",
        "P2",
        "REFUND",
        "2026-10-05T14:00:00Z",
        "-5.00",
        "SUCCESS",
    ));
    rows.last_mut().unwrap()[4] = "pão de queijo ".repeat(4000);
    let (dir, run, summary) = run_job_in(
        &rows,
        "window = \"yesterday\"",
        "",
        "[[receipts]]\nlangs = [\"en\"]\nout = \"out/receipts/\"",
    );
    run.assert_code(1);
    let r = &summary["receipts"][0];
    assert_eq!(r["failed"], 1, "{r}");
    assert_eq!(r["written"], 1, "R1 still gets its receipt: {r}");
    // R2 failed at the gateway: skipped with a reason, which is not a failure of the run.
    assert_eq!(r["skipped"], 1, "{r}");
    let not_rendered: BTreeSet<(String, String)> = r["not_rendered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["refund_id"].as_str().unwrap().to_string(),
                n["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [("R2", "skipped"), ("R3", "failed")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(not_rendered, expected);
    let pdfs: Vec<String> = pdfs_in(&dir.path().join("out/receipts"))
        .into_keys()
        .collect();
    assert_eq!(pdfs, ["R1_en.pdf"]);
}

/// Job files that are wrong, each with the word its error must name.
const BAD_JOBS: &[(&str, &str, &str)] = &[
    // (what, replace in the good job, with)
    (
        "unknown top-level key",
        "window = \"yesterday\"",
        "window = \"yesterday\"\ncolour = \"blue\"",
    ),
    (
        "unknown key in [source]",
        "[source]",
        "[source]\nskipbad = true",
    ),
    (
        "unknown key in [[export]]",
        "columns = ",
        "colums = \"default\"\ncolumns = ",
    ),
    ("bad zone", "zone = \"UTC\"", "zone = \"Mars/Olympus\""),
    (
        "bad window name",
        "window = \"yesterday\"",
        "window = \"fortnight\"",
    ),
    (
        "bad window bound",
        "window = \"yesterday\"",
        "window = { from = \"2026-10-01\", to = \"someday\" }",
    ),
    (
        "window the wrong way round",
        "window = \"yesterday\"",
        "window = { from = \"2026-10-05\", to = \"2026-10-01\" }",
    ),
    (
        "unknown column",
        "columns = \"transactionId\"",
        "columns = \"transactionIdd\"",
    ),
    (
        "bad receipt language",
        "langs = [\"en\"]",
        "langs = [\"fr\"]",
    ),
];

const NAMED: &[&str] = &[
    "colour",
    "skipbad",
    "colums",
    "zone",
    "window",
    "window.to",
    "window",
    "transactionIdd",
    "langs",
];

#[test]
fn run_exits_2_on_a_bad_job_file_and_the_message_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_fixture(dir.path(), "in.csv", &exit_fixture());
    let good = job_text(
        "zone = \"UTC\"\nwindow = \"yesterday\"",
        &input,
        "",
        &format!("{SIMPLE_EXPORT}\n[[receipts]]\nlangs = [\"en\"]\nzip = \"out/{{date}}/r.zip\""),
    );
    write_job(dir.path(), "good.toml", &good);
    recibo(dir.path(), &["run", "good.toml", "--date", "2026-10-05"]).assert_code(0);
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();

    for ((what, from, to), key) in BAD_JOBS.iter().zip(NAMED) {
        assert!(good.contains(from), "{what}: the good job has {from:?}");
        write_job(dir.path(), "bad.toml", &good.replacen(from, to, 1));
        let run = recibo(
            dir.path(),
            &[
                "run",
                "bad.toml",
                "--date",
                "2026-10-05",
                "--summary",
                "bad.json",
            ],
        );
        run.assert_code(2).assert_stderr_has(&[key, "bad.toml"]);
        let summary = read_json(&dir.path().join("bad.json"));
        assert_eq!(summary["exit_code"], 2, "{what}");
        assert!(
            summary["error"].as_str().is_some_and(|e| e.contains(key)),
            "{what}: {summary}"
        );
        assert!(
            !dir.path().join("out").exists(),
            "{what}: a rejected job writes nothing"
        );
    }

    // Bad usage on the command line is also 2.
    recibo(dir.path(), &["run", "good.toml", "--date", "2026-13-05"])
        .assert_code(2)
        .assert_stderr_has(&["--date"]);
    recibo(dir.path(), &["run", "good.toml", "--shard", "4/3"])
        .assert_code(2)
        .assert_stderr_has(&["--shard"]);
    recibo(dir.path(), &["run", "no-such-job.toml"])
        .assert_code(2)
        .assert_stderr_has(&["no-such-job.toml"]);
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_typo_in_a_window_table_names_the_key() {
    let (_dir, run, summary) = run_job_in(
        &exit_fixture(),
        "[window]\nform = \"2026-10-01\"\nto = \"2026-10-06\"",
        "",
        SIMPLE_EXPORT,
    );
    // The misspelt key is named with its table (`window.form`, or `form` in `window`).
    run.assert_code(2).assert_stderr_has(&["window", "form"]);
    assert!(
        !run.stderr.contains("WindowFile"),
        "an internal type name is no help: {}",
        run.stderr
    );
    assert_eq!(summary["exit_code"], 2);

    // A window table without its end names the missing key.
    let (_dir, run, _) = run_job_in(
        &exit_fixture(),
        "window = { from = \"2026-10-01\" }",
        "",
        SIMPLE_EXPORT,
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("window.to") || run.stderr.contains("`to`"),
        "the missing key is not named: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("WindowFile"), "{}", run.stderr);
}

#[test]
fn an_unknown_export_format_names_the_export_table() {
    let (_dir, run, _) = run_job_in(
        &exit_fixture(),
        "window = \"yesterday\"",
        "",
        "[[export]]\npath = \"out/t.csv\"\nformat = \"pdf\"",
    );
    run.assert_code(2)
        .assert_stderr_has(&["export #1", "format"]);
    assert!(!run.stderr.contains("--format"), "{}", run.stderr);
}

#[test]
fn run_exits_3_when_an_input_is_missing_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.csv");
    let job = job_text(
        "window = \"yesterday\"",
        &missing,
        "",
        &format!("{SIMPLE_EXPORT}\n[[receipts]]\nlangs = [\"en\"]\nzip = \"out/{{date}}/r.zip\""),
    );
    write_job(dir.path(), "job.toml", &job);
    let run = recibo(
        dir.path(),
        &[
            "run",
            "job.toml",
            "--date",
            "2026-10-05",
            "--summary",
            "summary.json",
        ],
    );
    run.assert_code(3).assert_stderr_has(&["missing.csv"]);
    let summary = read_json(&dir.path().join("summary.json"));
    assert_eq!(summary["exit_code"], 3);
    assert!(
        summary["error"]
            .as_str()
            .is_some_and(|e| e.contains("missing.csv")),
        "{summary}"
    );
    // Nothing at all under out/: no output, no temporary file.
    let left = files_under(&dir.path().join("out"));
    assert!(
        left.is_empty(),
        "a run that could not read its source left {:?}",
        left.keys()
    );
}

#[test]
fn run_exits_4_when_an_output_cannot_be_written() {
    // An export under a path whose parent is a regular file, then receipts the same way.
    for outputs in [
        "[[export]]\npath = \"somefile.txt/x.csv\"",
        "[[receipts]]\nlangs = [\"en\"]\nzip = \"somefile.txt/r.zip\"",
        "[[receipts]]\nlangs = [\"en\"]\nout = \"somefile.txt/receipts/\"",
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("somefile.txt"), "not a folder\n").unwrap();
        let input = write_fixture(dir.path(), "in.csv", &exit_fixture());
        write_job(
            dir.path(),
            "job.toml",
            &job_text("window = \"yesterday\"", &input, "", outputs),
        );
        let run = recibo(
            dir.path(),
            &[
                "run",
                "job.toml",
                "--date",
                "2026-10-05",
                "--summary",
                "summary.json",
            ],
        );
        run.assert_code(4).assert_stderr_has(&["somefile.txt"]);
        let summary = read_json(&dir.path().join("summary.json"));
        assert_eq!(summary["exit_code"], 4, "{outputs}");
        assert_eq!(
            std::fs::read(dir.path().join("somefile.txt")).unwrap(),
            b"not a folder\n"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The summary against the files
// ---------------------------------------------------------------------------------------

#[test]
fn the_summary_lists_every_file_with_its_size_and_digest_and_counts_what_is_in_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_csv(dir.path(), "in.csv", 1500, 11);
    let zone = "America/Sao_Paulo";
    let currencies = ["BRL", "USD", "CNY"];
    let job = job_text(
        &format!("name = \"week\"\nzone = \"{zone}\"\nwindow = \"last-7-days\""),
        &input,
        "",
        r#"[filter]
currency = ["BRL", "USD", "CNY"]

[[export]]
path = "out/{job}/{from}_{to}/transactions.csv"
columns = "accounting"
bom = true

[[export]]
path = "out/{job}/{from}_{to}/transactions.xlsx"

[[export]]
path = "out/{job}/{from}_{to}/transactions.jsonl"

[[receipts]]
langs = ["en", "zh-CN"]
zip = "out/{job}/{from}_{to}/receipts.zip"

[[receipts]]
langs = ["pt-BR"]
out = "out/{job}/{from}_{to}/receipts/"
merge = "out/{job}/{from}_{to}/receipts.pdf""#,
    );
    write_job(dir.path(), "job.toml", &job);
    recibo(
        dir.path(),
        &[
            "run",
            "job.toml",
            "--date",
            "2026-10-20",
            "--summary",
            "summary.json",
        ],
    )
    .assert_code(0);
    let summary = read_json(&dir.path().join("summary.json"));

    // What the outputs should hold, from the input.
    let (from, to) = (midnight("2026-10-14", zone), midnight("2026-10-21", zone));
    let all = read_inputs(&input);
    let selected: Vec<&InputTx> = all
        .iter()
        .filter(|t| t.time >= from && t.time < to && currencies.contains(&t.currency.as_str()))
        .collect();
    let refunds: Vec<&&InputTx> = selected.iter().filter(|t| t.kind == "REFUND").collect();
    let successful = refunds.iter().filter(|t| t.is_successful_refund()).count();
    assert!(
        selected.len() > 50 && successful > 5,
        "the fixture has a real week: {} rows, {successful} receipts",
        selected.len()
    );

    assert_eq!(summary["job"], "week");
    assert_eq!(summary["read"]["records"].as_u64(), Some(all.len() as u64));
    assert_eq!(summary["read"]["skipped"], 0);
    assert_eq!(summary["exit_code"], 0);
    assert!(summary["error"].is_null());
    assert!(summary["duration_ms"].is_u64());
    assert_eq!(summary["inputs"].as_array().map(Vec::len), Some(1));

    // Every listed file is there as listed; every finished file under out/ is listed.
    let listed: BTreeSet<PathBuf> = assert_summary_files_match(&summary, dir.path())
        .into_iter()
        .collect();
    let out = dir.path().join("out");
    let on_disk: BTreeSet<PathBuf> = files_under(&out)
        .into_keys()
        .map(|rel| std::fs::canonicalize(out.join(rel)).unwrap())
        .collect();
    assert_eq!(
        listed, on_disk,
        "the summary lists exactly the files written"
    );

    let base = out.join("week/2026-10-14_2026-10-20");
    let exports = summary["exports"].as_array().unwrap();
    assert_eq!(exports.len(), 3);
    for e in exports {
        assert_eq!(e["rows_in"].as_u64(), Some(all.len() as u64), "{e}");
        assert_eq!(e["rows_out"].as_u64(), Some(selected.len() as u64), "{e}");
    }
    let csv = read_csv_file(&base.join("transactions.csv"));
    assert!(csv.bom, "bom = true");
    assert_eq!(exports[0]["format"], "csv");
    assert_eq!(
        exports[0]["rows_out"].as_u64(),
        Some(csv.rows.len() as u64),
        "rows_out is the CSV's data rows"
    );
    let jsonl = std::fs::read_to_string(base.join("transactions.jsonl")).unwrap();
    assert_eq!(
        exports[2]["rows_out"].as_u64(),
        Some(jsonl.lines().filter(|l| !l.trim().is_empty()).count() as u64)
    );

    let receipts = summary["receipts"].as_array().unwrap();
    let zipped = zip_pdfs(&base.join("receipts.zip"));
    assert_eq!(
        receipts[0]["written"].as_u64(),
        Some(zipped.len() as u64),
        "written is the PDFs in the ZIP"
    );
    assert_eq!(zipped.len(), successful * 2);
    assert_eq!(
        receipts[0]["rendered"].as_u64(),
        Some((successful * 2) as u64)
    );
    assert_eq!(
        receipts[0]["refunds_selected"].as_u64(),
        Some(refunds.len() as u64)
    );
    let expected_names: BTreeSet<String> = refunds
        .iter()
        .filter(|t| t.is_successful_refund())
        .flat_map(|t| [format!("{}_en.pdf", t.id), format!("{}_zh-CN.pdf", t.id)])
        .collect();
    assert_eq!(
        zipped.keys().cloned().collect::<BTreeSet<_>>(),
        expected_names
    );
    // Refunds that did not succeed are listed once per language, with a reason.
    let not_rendered = receipts[0]["not_rendered"].as_array().unwrap();
    assert_eq!(not_rendered.len(), (refunds.len() - successful) * 2);
    assert!(
        not_rendered
            .iter()
            .all(|n| n["status"] == "skipped" && !n["reason"].as_str().unwrap().is_empty())
    );
    assert_eq!(
        receipts[0]["skipped"].as_u64(),
        Some(((refunds.len() - successful) * 2) as u64)
    );

    let folder = pdfs_in(&base.join("receipts"));
    assert_eq!(receipts[1]["written"].as_u64(), Some(folder.len() as u64));
    assert_eq!(folder.len(), successful);
    assert_eq!(receipts[1]["unchanged"], 0);
    assert!(
        std::fs::read(base.join("receipts.pdf"))
            .unwrap()
            .starts_with(b"%PDF-")
    );
}

// ---------------------------------------------------------------------------------------
// kill -9
// ---------------------------------------------------------------------------------------

/// Runs the same job into `clean/` uninterrupted and into `killed/` killed with SIGKILL at
/// seeded random moments, then once more to the end; checks after every kill that each
/// finished-looking file is a finished file, and at the end that `killed/out` holds the
/// clean run's files byte for byte. Returns the temporary files the kills left behind.
fn kill_and_rerun(input: &Path, head: &str, outputs: &str, kills: usize, seed: u64) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let job = job_text(head, input, "", outputs);
    let clean = dir.path().join("clean");
    let killed = dir.path().join("killed");
    write_job(&clean, "job.toml", &job);
    write_job(&killed, "job.toml", &job);

    let started = Instant::now();
    recibo(&clean, &["run", "job.toml"]).assert_code(0);
    let clean_ms = started.elapsed().as_millis() as u64;
    let expected = files_under(&clean.join("out"));
    assert!(!expected.is_empty());
    assert!(
        expected.keys().all(|k| !is_temp_name(k)),
        "a clean run leaves no temporary file: {:?}",
        expected.keys()
    );

    // Kill moments: every other one anywhere in a whole run (at least 10-500 ms), the
    // others just after a new file shows up in the output folder, so that some land while
    // files are being written and renamed into place, not only while reading or rendering.
    let mut rng = fastrand::Rng::with_seed(seed);
    let latest = clean_ms.max(500);
    let mut interrupted = 0;
    let mut leftovers = BTreeSet::new();
    for k in 0..kills {
        let files_before = count_files(&killed.join("out"));
        let started = Instant::now();
        let mut child = Command::new(support::binary())
            .args(["run", "job.toml"])
            .current_dir(&killed)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if k % 2 == 0 {
            std::thread::sleep(Duration::from_millis(rng.u64(10..=latest)));
        } else {
            while count_files(&killed.join("out")) <= files_before
                && started.elapsed() < Duration::from_millis(2 * latest)
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(Duration::from_millis(rng.u64(0..=50)));
        }
        let delay = started.elapsed().as_millis();
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.signal() == Some(9) {
            interrupted += 1;
        } else {
            assert_eq!(
                status.code(),
                Some(0),
                "kill {k}: a run that finished before the kill succeeded"
            );
        }
        for (rel, bytes) in files_under(&killed.join("out")) {
            if is_temp_name(&rel) {
                leftovers.insert(rel);
                continue;
            }
            let want = expected
                .get(&rel)
                .unwrap_or_else(|| panic!("kill {k} after {delay} ms: unexpected file {rel}"));
            assert!(
                same_output(&rel, want, &bytes),
                "kill {k} after {delay} ms: {rel} is half-written or wrong"
            );
        }
    }
    assert!(
        interrupted > 0,
        "no kill landed while the run was going (clean run {clean_ms} ms)"
    );

    recibo(&killed, &["run", "job.toml"]).assert_code(0);
    let got = files_under(&killed.join("out"));
    let (temps, finished): (BTreeMap<_, _>, BTreeMap<_, _>) =
        got.into_iter().partition(|(rel, _)| is_temp_name(rel));
    assert_eq!(
        finished.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the same files as a clean run"
    );
    for (rel, bytes) in &finished {
        assert!(
            same_output(rel, &expected[rel], bytes),
            "{rel} differs from the clean run's"
        );
    }
    // Anything else may only be a killed run's hidden temporary file.
    for rel in temps.keys() {
        let name = file_name(rel);
        assert!(name.starts_with('.') && name.ends_with(".tmp"), "{rel}");
    }
    temps.into_keys().collect()
}

#[test]
fn killed_export_runs_leave_no_half_written_file_and_a_rerun_matches_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample_csv(dir.path(), "big.csv", 60_000, 3);
    let leftovers = kill_and_rerun(
        &input,
        "name = \"everything\"\nwindow = { from = \"2026-09-01\", to = \"2026-12-01\" }",
        "[[export]]\npath = \"out/{from}/all-{shard}.csv\"\n\n[[export]]\npath = \"out/{from}/refunds.csv\"\ncolumns = \"reference\"",
        4,
        0x5EED_0001,
    );
    if !leftovers.is_empty() {
        eprintln!("killed export runs left temporary files behind: {leftovers:?}");
    }
}

#[test]
fn killed_receipts_runs_leave_no_half_written_file_and_a_rerun_matches_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    // About 300 successful refunds: more than one parallel batch of receipts, so some
    // receipts are on disk while others are still being rendered.
    let input = sample_csv(dir.path(), "refunds.csv", 2200, 5);
    let leftovers = kill_and_rerun(
        &input,
        "name = \"receipts\"\nwindow = { from = \"2026-09-01\", to = \"2026-12-01\" }",
        "[[receipts]]\nlangs = [\"en\"]\nout = \"out/receipts/\"",
        4,
        0x5EED_0002,
    );
    if !leftovers.is_empty() {
        eprintln!("killed receipts runs left temporary files behind: {leftovers:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Shards
// ---------------------------------------------------------------------------------------

#[test]
fn export_shards_partition_the_rows_keep_refunds_with_their_payment_and_merge_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = sample_csv(d, "in.csv", 3000, 21);
    let inputs = read_inputs(&input);
    let group_of: HashMap<&str, &str> = inputs.iter().map(|t| (t.id.as_str(), t.group())).collect();

    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "reference",
            "-o",
            "all.csv",
        ],
    )
    .assert_code(0);
    let all = read_csv_file(&d.join("all.csv"));
    assert_eq!(all.rows.len(), inputs.len());
    let (id_col, orig_col, type_col) = (
        column(&all, "transactionId"),
        column(&all, "originalTransactionId"),
        column(&all, "transactionType"),
    );

    for n in [1u32, 3, 8] {
        let parts_dir = d.join(format!("parts-{n}"));
        let mut shard_of: HashMap<String, u32> = HashMap::new();
        let mut union = Vec::new();
        for k in 1..=n {
            let part = parts_dir.join(format!("part-{k}.csv"));
            let part_arg = part.display().to_string();
            recibo(
                d,
                &[
                    "export",
                    "-i",
                    "in.csv",
                    "--columns",
                    "reference",
                    "--shard",
                    &format!("{k}/{n}"),
                    "-o",
                    &part_arg,
                ],
            )
            .assert_code(0);
            let file = read_csv_file(&part);
            assert_eq!(file.header, all.header, "shard {k}/{n}");
            assert!(
                n == 1 || !file.rows.is_empty(),
                "shard {k}/{n} is empty: the hash does not spread"
            );
            for r in &file.rows {
                let previous = shard_of.insert(r[id_col].clone(), k);
                assert!(
                    previous.is_none(),
                    "{} is in shards {previous:?} and {k} of {n}",
                    r[id_col]
                );
            }
            union.extend(file.rows);
        }
        assert_same_records(
            &sorted(&union),
            &sorted(&all.rows),
            &format!("the {n} shards together are the whole export"),
        );

        // Every transaction is in its payment's shard: refunds, captures, voids, disputes.
        let mut refunds = 0;
        for r in &all.rows {
            let original = &r[orig_col];
            if original.is_empty() || !group_of.contains_key(original.as_str()) {
                continue;
            }
            assert_eq!(
                shard_of[&r[id_col]], shard_of[original],
                "{} {} and its payment {original}",
                r[type_col], r[id_col]
            );
            refunds += usize::from(r[type_col] == "REFUND");
        }
        assert!(refunds > 100, "the input has refunds of payments it holds");

        // Merging the folder: one header, every part's rows in part-name order.
        let merged = d.join(format!("merged-{n}.csv"));
        recibo(
            d,
            &[
                "merge",
                &parts_dir.display().to_string(),
                "-o",
                &merged.display().to_string(),
            ],
        )
        .assert_code(0);
        let records = parse_ragged_csv(&std::fs::read(&merged).unwrap());
        assert_eq!(records[0], all.header);
        assert_eq!(
            records.iter().filter(|r| **r == all.header).count(),
            1,
            "one header"
        );
        let mut in_name_order = vec![all.header.clone()];
        for k in 1..=n {
            in_name_order.extend(read_csv_file(&parts_dir.join(format!("part-{k}.csv"))).rows);
        }
        assert_same_records(
            &records,
            &in_name_order,
            "the merge is the parts in part-name order",
        );

        // The same parts created in the opposite order merge to the same bytes, and so do
        // the files named in name order.
        let reversed = d.join(format!("reversed-{n}"));
        std::fs::create_dir_all(&reversed).unwrap();
        for k in (1..=n).rev() {
            let name = format!("part-{k}.csv");
            std::fs::copy(parts_dir.join(&name), reversed.join(&name)).unwrap();
        }
        let again = d.join(format!("again-{n}.csv"));
        recibo(
            d,
            &[
                "merge",
                &reversed.display().to_string(),
                "-o",
                &again.display().to_string(),
            ],
        )
        .assert_code(0);
        assert_eq!(
            std::fs::read(&again).unwrap(),
            std::fs::read(&merged).unwrap(),
            "merge of {n} parts is deterministic"
        );
        let mut args = vec!["merge".to_string()];
        args.extend((1..=n).map(|k| {
            parts_dir
                .join(format!("part-{k}.csv"))
                .display()
                .to_string()
        }));
        let named = d.join(format!("named-{n}.csv"));
        args.extend(["-o".to_string(), named.display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        recibo(d, &args).assert_code(0);
        assert_eq!(
            std::fs::read(&named).unwrap(),
            std::fs::read(&merged).unwrap()
        );
    }
}

#[test]
fn run_shards_cover_the_unsharded_run_exports_and_receipts_and_merge_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = sample_csv(d, "in.csv", 3000, 22);
    let job = job_text(
        "name = \"sharded\"\nzone = \"America/Sao_Paulo\"\nwindow = \"last-7-days\"",
        &input,
        "",
        "[[export]]\npath = \"out/export/t-{shard}.csv\"\ncolumns = \"reference\"\nend_marker = true\n\n\
         [[receipts]]\nlangs = [\"en\"]\nout = \"out/receipts-{shard}/\"",
    );
    let whole = d.join("whole");
    let sharded = d.join("sharded");
    write_job(&whole, "job.toml", &job);
    write_job(&sharded, "job.toml", &job);
    std::fs::create_dir_all(sharded.join("summaries")).unwrap();

    recibo(&whole, &["run", "job.toml", "--date", "2026-10-20"]).assert_code(0);
    let n = 3;
    for k in 1..=n {
        let summary = format!("summaries/{k}.json");
        recibo(
            &sharded,
            &[
                "run",
                "job.toml",
                "--date",
                "2026-10-20",
                "--shard",
                &format!("{k}/{n}"),
                "--summary",
                &summary,
            ],
        )
        .assert_code(0);
        let s = read_json(&sharded.join(&summary));
        assert_eq!(s["shard"], format!("{k}/{n}"));
        assert_summary_files_match(&s, &sharded);
    }

    // Exports: the parts' rows are the whole run's rows, each once.
    let all = read_csv_file(&whole.join("out/export/t-all.csv"));
    assert!(all.end_marker);
    assert!(all.rows.len() > 100);
    let (id_col, orig_col) = (
        column(&all, "transactionId"),
        column(&all, "originalTransactionId"),
    );
    let mut union = Vec::new();
    let mut shard_of: HashMap<String, u32> = HashMap::new();
    for k in 1..=n {
        let part = read_csv_file(&sharded.join(format!("out/export/t-{k}-of-{n}.csv")));
        assert!(part.end_marker, "end_marker = true in every part");
        shard_of.extend(part.rows.iter().map(|r| (r[id_col].clone(), k)));
        union.extend(part.rows);
    }
    assert_same_records(
        &sorted(&union),
        &sorted(&all.rows),
        "the shards' exports together",
    );
    // A refund in the window goes with its payment when the payment is in the window too.
    let together = union
        .iter()
        .filter(|r| shard_of.contains_key(&r[orig_col]))
        .inspect(|r| {
            assert_eq!(
                shard_of[&r[id_col]], shard_of[&r[orig_col]],
                "{} and {}",
                r[id_col], r[orig_col]
            )
        })
        .count();
    assert!(
        together > 5,
        "the window holds refunds with their payments: {together}"
    );
    recibo(&sharded, &["merge", "out/export/", "-o", "merged.csv"]).assert_code(0);
    let merged = read_csv_file(&sharded.join("merged.csv"));
    assert_eq!(merged.header, all.header);
    assert!(
        merged.end_marker,
        "the merge keeps one <END> line, at the end"
    );
    assert_same_records(
        &sorted(&merged.rows),
        &sorted(&all.rows),
        "the merged export",
    );

    // Receipts: each refund's receipt is made by exactly one shard, with the same bytes.
    let whole_pdfs = pdfs_in(&whole.join("out/receipts-all"));
    assert!(whole_pdfs.len() > 10, "{} receipts", whole_pdfs.len());
    let mut shard_pdfs = BTreeMap::new();
    let mut manifests = Vec::new();
    for k in 1..=n {
        let folder = sharded.join(format!("out/receipts-{k}-of-{n}"));
        for (name, bytes) in pdfs_in(&folder) {
            assert!(
                shard_pdfs.insert(name.clone(), bytes).is_none(),
                "{name} made by two shards"
            );
        }
        manifests.push(folder.join("manifest.csv").display().to_string());
    }
    assert_eq!(
        shard_pdfs.keys().collect::<Vec<_>>(),
        whole_pdfs.keys().collect::<Vec<_>>()
    );
    assert!(
        shard_pdfs == whole_pdfs,
        "a shard's receipt differs from the unsharded run's"
    );
    let mut args = vec!["merge"];
    args.extend(manifests.iter().map(String::as_str));
    args.extend(["-o", "manifest.csv"]);
    recibo(&sharded, &args).assert_code(0);
    let manifest = read_csv_file(&sharded.join("manifest.csv"));
    let whole_manifest = read_csv_file(&whole.join("out/receipts-all/manifest.csv"));
    assert_eq!(manifest.header, whole_manifest.header);
    assert_same_records(
        &sorted(&manifest.rows),
        &sorted(&whole_manifest.rows),
        "the merged manifests",
    );

    // Summaries: one with every part and the worst exit code.
    recibo(&sharded, &["merge", "summaries/", "-o", "summary.json"]).assert_code(0);
    let total = read_json(&sharded.join("summary.json"));
    assert_eq!(total["parts"].as_array().map(Vec::len), Some(n as usize));
    assert_eq!(total["exit_code"], 0);
    let part_files: usize = (1..=n)
        .map(|k| {
            read_json(&sharded.join(format!("summaries/{k}.json")))["files"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(total["files"].as_array().map(Vec::len), Some(part_files));
}

// ---------------------------------------------------------------------------------------
// Reruns
// ---------------------------------------------------------------------------------------

#[test]
fn a_rerun_replaces_outputs_whole_and_reports_identical_receipts_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = sample_csv(d, "in.csv", 3000, 31);
    let zone = "Asia/Shanghai";
    let job = job_text(
        &format!("name = \"nightly\"\nzone = \"{zone}\"\nwindow = \"yesterday\""),
        &input,
        "",
        r#"[[export]]
path = "out/{date}/transactions.csv"
columns = "accounting"

[[export]]
path = "out/{date}/transactions.jsonl"

[[receipts]]
langs = ["en", "pt-BR"]
out = "out/{date}/receipts/"

[[receipts]]
langs = ["zh-CN"]
zip = "out/{date}/receipts.zip""#,
    );
    write_job(d, "job.toml", &job);
    let run = |summary: &str| {
        recibo(
            d,
            &[
                "run",
                "job.toml",
                "--date",
                "2026-10-20",
                "--summary",
                summary,
            ],
        )
        .assert_code(0);
        read_json(&d.join(summary))
    };

    let (from, to) = (midnight("2026-10-20", zone), midnight("2026-10-21", zone));
    let successful = read_inputs(&input)
        .iter()
        .filter(|t| t.time >= from && t.time < to && t.is_successful_refund())
        .count() as u64;
    assert!(successful >= 3, "the day has refunds: {successful}");

    let first = run("first.json");
    assert_eq!(
        first["receipts"][0]["written"].as_u64(),
        Some(successful * 2)
    );
    assert_eq!(first["receipts"][0]["unchanged"], 0);
    let out = d.join("out/2026-10-20");
    let before = files_under(&out);

    // Same job, same window: the same files, the same bytes, receipts left alone.
    let second = run("second.json");
    let r = &second["receipts"][0];
    assert_eq!(r["unchanged"].as_u64(), Some(successful * 2), "{r}");
    assert_eq!(r["written"], 0, "{r}");
    assert_eq!(r["rendered"].as_u64(), Some(successful * 2), "{r}");
    let after = files_under(&out);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "no file added, none left over"
    );
    for (rel, bytes) in &after {
        assert!(
            same_output(rel, &before[rel], bytes),
            "{rel} changed on a rerun"
        );
    }
    let manifest = read_csv_file(&out.join("receipts/manifest.csv"));
    let status = column(&manifest, "status");
    assert!(
        manifest
            .rows
            .iter()
            .all(|r| r[status] == "unchanged" || r[status] == "skipped")
    );

    // A damaged export is replaced whole; a damaged receipt is rewritten, the rest kept.
    let csv = out.join("transactions.csv");
    let mut damaged = before["transactions.csv"][..before["transactions.csv"].len() / 2].to_vec();
    damaged.extend_from_slice(b"\n<<half a file>>\n");
    std::fs::write(&csv, &damaged).unwrap();
    let victim = before
        .keys()
        .find(|k| k.starts_with("receipts/") && k.ends_with("_en.pdf"))
        .unwrap()
        .clone();
    let mut pdf = before[&victim].clone();
    let middle = pdf.len() / 2;
    pdf[middle] ^= 0xff;
    std::fs::write(out.join(&victim), &pdf).unwrap();

    let third = run("third.json");
    let r = &third["receipts"][0];
    assert_eq!(
        r["written"], 1,
        "only the damaged receipt is rewritten: {r}"
    );
    assert_eq!(r["unchanged"].as_u64(), Some(successful * 2 - 1), "{r}");
    let files = third["files"].as_array().unwrap();
    assert!(
        files
            .iter()
            .any(|f| f["path"].as_str().unwrap().ends_with(&victim)),
        "the rewritten receipt is listed"
    );
    let repaired = files_under(&out);
    assert_eq!(
        repaired.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    for (rel, bytes) in &repaired {
        assert!(
            same_output(rel, &before[rel], bytes),
            "{rel} not restored by the rerun"
        );
    }
}

#[test]
fn a_rerun_writes_a_byte_identical_xlsx() {
    let (dir, _, _) = run_job_in(
        &exit_fixture(),
        "window = \"yesterday\"",
        "",
        "[[export]]\npath = \"out/{date}/t.xlsx\"",
    );
    let path = dir.path().join("out/2026-10-05/t.xlsx");
    let first = std::fs::read(&path).unwrap();
    // The timestamps in the file have a resolution of one second.
    std::thread::sleep(Duration::from_millis(1100));
    recibo(dir.path(), &["run", "job.toml", "--date", "2026-10-05"]).assert_code(0);
    assert!(
        std::fs::read(&path).unwrap() == first,
        "the rerun's XLSX differs from the first run's"
    );
}

// ---------------------------------------------------------------------------------------
// A closed standard output
// ---------------------------------------------------------------------------------------

/// Spawns `recibo ARGS` with standard output piped, reads one line and closes the pipe, as
/// `| head -1` does; returns the line, the exit code and stderr.
fn read_one_line_and_close(dir: &Path, args: &[&str]) -> (String, Option<i32>, String) {
    let mut child = Command::new(support::binary())
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut line = String::new();
    {
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
    }
    let status = child.wait().unwrap();
    (line, status.code(), err_reader.join().unwrap())
}

#[test]
fn a_closed_standard_output_is_not_an_error_for_export() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Far more than a pipe's buffer and the writer's own, so the writes must hit the
    // closed pipe.
    sample_csv(d, "in.csv", 20_000, 41);
    let (line, code, stderr) = read_one_line_and_close(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "reference",
            "-o",
            "-",
        ],
    );
    assert!(line.starts_with("customerId,"), "{line:?}");
    assert_eq!(code, Some(0), "export -o - | head -1: {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn a_closed_standard_output_is_not_an_error_for_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sample_csv(d, "in.csv", 20_000, 41);
    recibo(
        d,
        &[
            "export",
            "-i",
            "in.csv",
            "--columns",
            "reference",
            "-o",
            "parts/a.csv",
        ],
    )
    .assert_code(0);
    let (line, code, stderr) = read_one_line_and_close(d, &["merge", "parts/", "-o", "-"]);
    assert!(line.starts_with("customerId,"), "{line:?}");
    assert_eq!(code, Some(0), "merge -o - | head -1: {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

// ---------------------------------------------------------------------------------------
// The shipped example jobs
// ---------------------------------------------------------------------------------------

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_shipped_nightly_and_monthly_jobs_run_as_they_are() {
    // The jobs write to ../../out from their folder: run a copy so the repository is not
    // written to.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_dir(&support::crate_dir().join("samples"), &d.join("samples"));
    let inputs = read_inputs(&d.join("samples/transactions.csv"));

    // Nightly: 2026-11-01 in Shanghai, three statuses, accounting CSV with a BOM, an XLSX,
    // and a ZIP of receipts in two languages.
    recibo(
        d,
        &[
            "run",
            "samples/jobs/nightly.toml",
            "--date",
            "2026-11-01",
            "--summary",
            "nightly.json",
        ],
    )
    .assert_code(0);
    let zone = "Asia/Shanghai";
    let (from, to) = (midnight("2026-11-01", zone), midnight("2026-11-02", zone));
    let day: Vec<&InputTx> = inputs
        .iter()
        .filter(|t| {
            t.time >= from
                && t.time < to
                && ["SUCCESS", "PROCESSING", "FAIL"].contains(&t.status.as_str())
        })
        .collect();
    assert!(!day.is_empty());
    let base = d.join("out/nightly/2026-11-01");
    assert_eq!(
        list_dir(&base),
        [
            "receipts-all.zip",
            "transactions-all.csv",
            "transactions-all.xlsx"
        ]
    );
    let csv = read_csv_file(&base.join("transactions-all.csv"));
    assert!(csv.bom);
    assert_eq!(csv.rows.len(), day.len());
    let summary = read_json(&d.join("nightly.json"));
    assert_eq!(summary["job"], "nightly");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(
        summary["read"]["records"].as_u64(),
        Some(inputs.len() as u64)
    );
    for e in summary["exports"].as_array().unwrap() {
        assert_eq!(e["rows_out"].as_u64(), Some(day.len() as u64), "{e}");
    }
    let successful = day.iter().filter(|t| t.is_successful_refund()).count();
    let zipped = zip_pdfs(&base.join("receipts-all.zip"));
    assert_eq!(zipped.len(), successful * 2);
    assert_eq!(
        summary["receipts"][0]["written"].as_u64(),
        Some(zipped.len() as u64)
    );
    assert_eq!(assert_summary_files_match(&summary, d).len(), 3);

    // Monthly: October in São Paulo, Antom refunds, reference CSV with <END>, a merged PDF
    // and a folder of receipts in Portuguese.
    recibo(
        d,
        &[
            "run",
            "samples/jobs/monthly.toml",
            "--date",
            "2026-10-31",
            "--summary",
            "monthly.json",
        ],
    )
    .assert_code(0);
    let zone = "America/Sao_Paulo";
    let (from, to) = (midnight("2026-10-01", zone), midnight("2026-11-01", zone));
    let month: Vec<&InputTx> = inputs
        .iter()
        .filter(|t| {
            t.time >= from
                && t.time < to
                && t.kind == "REFUND"
                && t.acquirer.eq_ignore_ascii_case("Antom")
        })
        .collect();
    assert!(!month.is_empty());
    let base = d.join("out/monthly/2026-10");
    let csv = read_csv_file(&base.join("refunds-all.csv"));
    assert!(csv.end_marker, "end_marker = true");
    let ids: Vec<&str> = csv
        .rows
        .iter()
        .map(|r| r[column(&csv, "transactionId")].as_str())
        .collect();
    let want: Vec<&str> = month.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, want);
    let successful: BTreeSet<String> = month
        .iter()
        .filter(|t| t.is_successful_refund())
        .map(|t| format!("{}_pt-BR.pdf", t.id))
        .collect();
    let folder: BTreeSet<String> = pdfs_in(&base.join("receipts-all")).into_keys().collect();
    assert_eq!(folder, successful);
    assert!(
        std::fs::read(base.join("receipts-all.pdf"))
            .unwrap()
            .starts_with(b"%PDF-")
    );
    let summary = read_json(&d.join("monthly.json"));
    assert_eq!(summary["job"], "monthly-refunds");
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(
        summary["exports"][0]["rows_out"].as_u64(),
        Some(month.len() as u64)
    );
    assert_eq!(
        summary["receipts"][0]["written"].as_u64(),
        Some(successful.len() as u64)
    );
    assert_summary_files_match(&summary, d);
    // Nothing was written beside the copy's own out/ folder.
    assert_eq!(
        list_dir(d),
        ["monthly.json", "nightly.json", "out", "samples"]
    );
}

#[test]
fn the_shipped_store_job_keeps_its_report_in_a_store_and_exports_the_day_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_dir(&support::crate_dir().join("samples"), &d.join("samples"));
    let inputs = read_inputs(&d.join("samples/transactions.csv"));
    let zone = "America/Sao_Paulo";
    for (n, date) in ["2026-10-15", "2026-10-16"].into_iter().enumerate() {
        let name = format!("store-{date}.json");
        recibo(
            d,
            &[
                "run",
                "samples/jobs/store.toml",
                "--date",
                date,
                "--summary",
                &name,
            ],
        )
        .assert_code(0);
        let summary = read_json(&d.join(&name));
        // The first run fills the store; the next one finds everything there already.
        let added = if n == 0 { inputs.len() as u64 } else { 0 };
        assert_eq!(
            summary["import"]["added"].as_u64(),
            Some(added),
            "{summary}"
        );
        assert_eq!(summary["import"]["updated"].as_u64(), Some(0), "{summary}");
        assert_eq!(
            summary["import"]["total"].as_u64(),
            Some(inputs.len() as u64)
        );
        let next = (chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()
            + chrono::Days::new(1))
        .to_string();
        let (from, to) = (midnight(date, zone), midnight(&next, zone));
        let day: Vec<&InputTx> = inputs
            .iter()
            .filter(|t| {
                t.time >= from
                    && t.time < to
                    && ["SUCCESS", "PROCESSING"].contains(&t.status.as_str())
            })
            .collect();
        assert!(!day.is_empty());
        let base = d.join(format!("out/store/{date}"));
        let csv = read_csv_file(&base.join("transactions.csv"));
        let mut ids: Vec<&str> = csv
            .rows
            .iter()
            .map(|r| r[column(&csv, "transactionId")].as_str())
            .collect();
        let mut want: Vec<&str> = day.iter().map(|t| t.id.as_str()).collect();
        ids.sort();
        want.sort();
        assert_eq!(ids, want, "{date}");
        let successful = day.iter().filter(|t| t.is_successful_refund()).count();
        assert_eq!(
            zip_pdfs(&base.join("receipts.zip")).len(),
            successful,
            "{date}"
        );
        assert_summary_files_match(&summary, d);
    }
    let status = recibo(
        d,
        &[
            "db",
            "status",
            "--db",
            "sqlite:out/store/recibo.db",
            "--json",
        ],
    );
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["transactions"].as_u64(), Some(inputs.len() as u64));
}
