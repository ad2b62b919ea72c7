//! Helpers shared by the integration tests that drive the `recibo` binary: run it in a
//! folder with arguments and standard input, capture what it prints and how it exits, write
//! fixture CSVs, and read CSV outputs back with readers that are not recibo's own (the `csv`
//! crate and Python's `csv` module).
//!
//! ```ignore
//! mod support;
//! let dir = tempfile::tempdir().unwrap();
//! let run = support::recibo(dir.path(), &["export", "-i", "in.csv", "-o", "out.csv"]);
//! run.assert_code(0);
//! ```
//!
//! Expected values are never taken from recibo: [`amount_major`], [`amount_minor`] and
//! [`iso_in_zone`] compute them from the fixture text with their own arithmetic, and
//! [`EXPONENTS`] is the ISO 4217 table of the domain notes.

#![allow(dead_code)]

pub mod served;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// What one run of the binary came to.
#[derive(Debug)]
pub struct Run {
    /// The exit code; -1 when the process was killed by a signal.
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// The command line, for failure messages.
    pub command: String,
}

impl Run {
    /// Standard output as text (it must be UTF-8).
    pub fn stdout_text(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Panics with the command and its stderr unless it exited with `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "`{}` exited with {} (expected {code})\n--- stderr ---\n{}",
            self.command, self.code, self.stderr
        );
        self
    }

    /// Panics unless stderr contains every one of `needles`.
    #[track_caller]
    pub fn assert_stderr_has(&self, needles: &[&str]) -> &Run {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "`{}`: stderr does not mention {needle:?}\n--- stderr ---\n{}",
                self.command,
                self.stderr
            );
        }
        self
    }

    /// Panics unless stderr names data row `row` ("row 3", not "row 30").
    #[track_caller]
    pub fn assert_stderr_names_row(&self, row: u64) -> &Run {
        assert!(
            mentions_row(&self.stderr, row),
            "`{}`: stderr does not name row {row}\n--- stderr ---\n{}",
            self.command,
            self.stderr
        );
        self
    }
}

/// True when `text` says `row N` with N not followed by another digit.
pub fn mentions_row(text: &str, row: u64) -> bool {
    let needle = format!("row {row}");
    text.match_indices(&needle).any(|(at, _)| {
        !text[at + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// The binary under test.
/// The repository's root folder.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped sample report, as an absolute path.
pub fn samples() -> String {
    repo()
        .join("samples/transactions.csv")
        .display()
        .to_string()
}

/// The shipped example receipt template, as an absolute path.
pub fn example_template() -> String {
    repo()
        .join("templates/receipts/loja-verde.toml")
        .display()
        .to_string()
}

/// Successful refunds of the shipped samples as (merchant ID, refund ID), read from an
/// export run in `dir`.
pub fn successful_refunds(dir: &Path) -> Vec<(String, String)> {
    let out = recibo(
        dir,
        &[
            "export",
            "-i",
            &samples(),
            "--type",
            "REFUND",
            "--status",
            "SUCCESS",
            "--columns",
            "customerId,transactionId",
            "-o",
            "-",
        ],
    );
    out.assert_code(0);
    out.stdout_text()
        .lines()
        .skip(1)
        .map(|l| {
            let (m, r) = l.split_once(',').unwrap();
            (m.to_string(), r.to_string())
        })
        .collect()
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_recibo")
}

/// Runs `recibo ARGS` in `dir` with an empty standard input.
pub fn recibo(dir: &Path, args: &[&str]) -> Run {
    recibo_with_stdin(dir, args, b"")
}

/// Runs `recibo ARGS` in `dir`, feeding `stdin` to its standard input.
pub fn recibo_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    recibo_with(dir, args, stdin, |_| {})
}

/// Runs `recibo ARGS` in `dir`, feeding `stdin` to its standard input; `environment` may
/// set or remove variables of the child before it starts.
pub fn recibo_with(
    dir: &Path,
    args: &[&str],
    stdin: &[u8],
    environment: impl FnOnce(&mut Command),
) -> Run {
    let mut command = Command::new(binary());
    command
        .args(args)
        .current_dir(dir)
        // The environment of whoever runs the tests must not change what recibo does.
        .env_remove("RUST_LOG")
        .env_remove("RECIBO_TEMPLATES")
        .env_remove("RECIBO_DB")
        .env_remove("RECIBO_RECEIPT_KEY")
        .env_remove("RECIBO_SIGN_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    environment(&mut command);
    let mut child = command.spawn().expect("the recibo binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    // Written from another thread so a child that writes a lot before reading cannot
    // deadlock against us; a child that never reads makes the write fail, which is fine.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("recibo runs to the end");
    let _ = writer.join();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        command: format!("recibo {}", args.join(" ")),
    }
}

/// How a fixture CSV is written.
#[derive(Clone, Copy, Debug)]
pub struct CsvStyle {
    pub delimiter: u8,
    /// `\r\n` line ends, as files from Windows and from the gateway often have.
    pub crlf: bool,
    /// A UTF-8 byte order mark first.
    pub bom: bool,
    /// The gateway's trailing `<END>` line.
    pub end_marker: bool,
}

impl Default for CsvStyle {
    fn default() -> Self {
        CsvStyle {
            delimiter: b',',
            crlf: false,
            bom: false,
            end_marker: false,
        }
    }
}

/// A CSV file of `header` and `rows`, quoted as RFC 4180 wants (by the `csv` crate).
pub fn csv_bytes<S: AsRef<str>>(header: &[S], rows: &[Vec<String>], style: CsvStyle) -> Vec<u8> {
    let mut out = Vec::new();
    if style.bom {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(style.delimiter)
            // Ragged rows are written on purpose by some tests.
            .flexible(true)
            .terminator(if style.crlf {
                csv::Terminator::CRLF
            } else {
                csv::Terminator::Any(b'\n')
            })
            .from_writer(&mut out);
        writer
            .write_record(header.iter().map(|h| h.as_ref()))
            .expect("header");
        for row in rows {
            writer.write_record(row).expect("row");
        }
        writer.flush().expect("flush");
    }
    if style.end_marker {
        out.extend_from_slice(if style.crlf { b"<END>\r\n" } else { b"<END>\n" });
    }
    out
}

/// Writes a fixture CSV to `dir/name` and returns its path.
pub fn write_csv<S: AsRef<str>>(
    dir: &Path,
    name: &str,
    header: &[S],
    rows: &[Vec<String>],
    style: CsvStyle,
) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, csv_bytes(header, rows, style)).expect("fixture written");
    path
}

/// Every record of a CSV file (the header included) as read by the `csv` crate.
pub fn read_csv(path: &Path, delimiter: u8) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_csv(&bytes, delimiter)
}

/// Every record of CSV bytes (the header included) as read by the `csv` crate. A UTF-8
/// byte order mark is removed first; every record must have as many fields as the first.
pub fn parse_csv(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    records(bytes, delimiter, false)
}

/// As [`parse_csv`] with `,`, but records may differ in length (the gateway's `<END>` line).
pub fn parse_ragged_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    records(bytes, b',', true)
}

fn records(bytes: &[u8], delimiter: u8, flexible: bool) -> Vec<Vec<String>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(flexible)
        .from_reader(bytes);
    reader
        .records()
        .map(|r| {
            r.expect("a well-formed CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// Every record of a CSV file as read by Python's `csv` module, opened the way the Python
/// documentation says (`newline=''`) with `utf-8-sig`, so a byte order mark is dropped.
pub fn read_csv_with_python(path: &Path, delimiter: char) -> Vec<Vec<String>> {
    const SCRIPT: &str = "import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8-sig'), delimiter=sys.argv[2], strict=True))
sys.stdout.write(json.dumps(rows))";
    let output = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .arg(delimiter.to_string())
        .output()
        .expect("python3 must be installed to check CSV outputs (tests/run.sh installs it)");
    assert!(
        output.status.success(),
        "python3 could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("python printed JSON")
}

/// Removes the `'` that guards a text cell against formula injection: only when a trigger
/// character follows it, as spreadsheets and recibo's own reader do.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest,
        _ => cell,
    }
}

/// Characters that make a spreadsheet run a text cell as a formula (OWASP's list).
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// ISO 4217 minor-unit digits of the currencies the tests use.
pub const EXPONENTS: &[(&str, u32)] = &[
    ("JPY", 0),
    ("KRW", 0),
    ("VND", 0),
    ("CLP", 0),
    ("BRL", 2),
    ("USD", 2),
    ("EUR", 2),
    ("CNY", 2),
    ("BHD", 3),
    ("KWD", 3),
    ("CLF", 4),
];

/// The exponent of `currency` (any case) from [`EXPONENTS`].
pub fn exponent(currency: &str) -> u32 {
    let code = currency.trim().to_ascii_uppercase();
    EXPONENTS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, e)| *e)
        .unwrap_or_else(|| panic!("no exponent for {currency:?} in the test table"))
}

/// Splits a plain decimal (`-1234.5`, `+.5`, `1234.000`) into sign, integer digits and
/// fraction digits without trailing zeros. Panics on anything else: fixtures are plain.
fn decimal_parts(text: &str) -> (bool, String, String) {
    let t = text.trim();
    let (negative, unsigned) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    assert!(
        int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
            && !(int.is_empty() && frac.is_empty()),
        "fixture amount {text:?} is not a plain decimal"
    );
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    (
        negative,
        int.to_string(),
        frac.trim_end_matches('0').to_string(),
    )
}

/// A fixture amount in major units written with exactly `currency`'s digits and
/// `decimal_mark`: `-1234.5` BRL is `-1234.50`, `1.5` BHD `1.500`, `1234` JPY `1234`.
pub fn amount_major(text: &str, currency: &str, decimal_mark: char) -> String {
    let exp = exponent(currency) as usize;
    let (negative, int, frac) = decimal_parts(text);
    assert!(
        frac.len() <= exp,
        "fixture amount {text:?} is too precise for {currency}"
    );
    let zero = int == "0" && frac.is_empty();
    let mut out = String::new();
    if negative && !zero {
        out.push('-');
    }
    out.push_str(&int);
    if exp > 0 {
        out.push(decimal_mark);
        out.push_str(&frac);
        out.extend(std::iter::repeat_n('0', exp - frac.len()));
    }
    out
}

/// A fixture amount in minor units: `-1234.5` BRL is -123450.
pub fn amount_minor(text: &str, currency: &str) -> i128 {
    let exp = exponent(currency) as usize;
    let (negative, int, frac) = decimal_parts(text);
    assert!(
        frac.len() <= exp,
        "fixture amount {text:?} is too precise for {currency}"
    );
    let digits = format!("{int}{frac}{}", "0".repeat(exp - frac.len()));
    let magnitude: i128 = digits.parse().expect("digits");
    if negative { -magnitude } else { magnitude }
}

/// An RFC 3339 fixture time as it should appear in a report shown in `zone`: ISO 8601 with
/// the zone's offset at that instant (never `Z`), milliseconds only when there are some.
pub fn iso_in_zone(text: &str, zone: &str) -> String {
    let tz: Tz = zone.parse().expect("IANA zone");
    let t = DateTime::parse_from_rfc3339(text.trim())
        .unwrap_or_else(|e| panic!("fixture time {text:?}: {e}"))
        .with_timezone(&tz);
    let format = if t.nanosecond() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Millis
    };
    t.to_rfc3339_opts(format, false)
}

/// A fixture time as an instant.
pub fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text.trim())
        .unwrap_or_else(|e| panic!("fixture time {text:?}: {e}"))
        .with_timezone(&Utc)
}

/// Midnight at the start of `date` (YYYY-MM-DD) in `zone`, as an instant.
pub fn midnight(date: &str, zone: &str) -> DateTime<Utc> {
    let tz: Tz = zone.parse().expect("IANA zone");
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("YYYY-MM-DD");
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("midnight exists once in the test zones")
        .with_timezone(&Utc)
}

/// The names of the entries of `dir`, sorted.
pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The manifest directory, for reading the shipped templates.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The column keys of a shipped column set (`templates/columns/NAME.toml`), read here
/// rather than from recibo so the test notices when the binary and the file disagree.
pub fn shipped_set(name: &str) -> Vec<String> {
    let path = crate_dir()
        .join("templates/columns")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: toml::Value = toml::from_str(&text).expect("a TOML column set");
    value["columns"]
        .as_array()
        .expect("columns = [...]")
        .iter()
        .map(|v| v.as_str().expect("column keys are strings").to_string())
        .collect()
}
