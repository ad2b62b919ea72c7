//! The transaction stores driven through the real binary: `db init`, `db status`,
//! `import`, and `--db` as the source of `export`, `receipts`, `receipt` and job files.
//! Every test runs twice: on the embedded SQLite store and on a real PostgreSQL server
//! (`RECIBO_TEST_PG_URL`, started by `tests/run.sh` through `tests/pg.sh`), each in a
//! database of its own.
//!
//! The reference for every store read is the same command on the files the store was
//! loaded from: the two outputs must be the same bytes. The stored rows themselves are
//! looked at with each database's own client (rusqlite, postgres), not through recibo.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::{CsvStyle, Run, crate_dir, list_dir, recibo, recibo_with, write_csv};

fn sample(name: &str) -> String {
    crate_dir().join("samples").join(name).display().to_string()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test function once per backend: `NAME::sqlite` and `NAME::postgres`.
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(super::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name(super::Backend::Postgres)
            }
        }
    )*};
}

on_every_store!(
    an_export_from_the_store_is_the_export_from_its_files_for_every_filter,
    a_bigger_store_matches_its_file_too,
    a_value_made_to_break_out_of_sql_selects_nothing,
    a_rerun_changes_nothing_and_a_later_report_updates_a_refund,
    a_first_import_that_repeats_a_transaction_keeps_one_row_with_its_last_values,
    free_text_comes_back_byte_for_byte,
    a_time_finer_than_a_microsecond_is_refused_naming_file_row_and_field,
    a_nul_character_is_refused_naming_file_row_and_field,
    a_store_newer_than_this_recibo_is_refused_and_left_alone,
    a_missing_or_empty_store_is_named_not_created_by_a_read,
    recibo_db_names_the_store_when_no_input_is_given,
    receipts_from_the_store_are_the_receipts_from_its_files,
    a_job_reads_a_store_named_through_the_environment,
    an_import_killed_midway_keeps_whole_batches_and_a_rerun_completes_it,
    a_refund_with_its_payments_id_keeps_its_own_row_and_an_older_store_is_migrated,
    a_job_keeps_its_source_in_a_store_shard_by_shard,
    a_finance_teams_own_table_is_read_through_a_query_as_a_csv_is,
    a_days_window_and_an_id_lookup_go_through_indexes,
    a_payments_refunds_come_off_an_index_in_order_and_an_older_index_is_replaced,
);

/// The URL of the test server (a role that may create databases, with a password).
fn pg_server() -> String {
    std::env::var("RECIBO_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "RECIBO_TEST_PG_URL is not set: run the suite with tests/run.sh, which starts a \
             PostgreSQL server for it (or `eval \"$(tests/pg.sh start)\"` first)"
        )
    })
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let slash = base.rfind('/').expect("a database in the URL");
    let mut out = format!("{}/{name}", &base[..slash]);
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    out
}

fn pg_connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"))
}

/// A store of its own for one test: a file in the test's folder, or a fresh database
/// on the test server, dropped again at the end.
struct TestStore {
    backend: Backend,
    url: String,
    file: PathBuf,
    database: Option<String>,
}

impl TestStore {
    fn new(backend: Backend, dir: &Path) -> TestStore {
        static SEQUENCE: AtomicUsize = AtomicUsize::new(0);
        let file = dir.join("store.db");
        match backend {
            Backend::Sqlite => TestStore {
                backend,
                url: format!("sqlite:{}", file.display()),
                file,
                database: None,
            },
            Backend::Postgres => {
                let server = pg_server();
                let name = format!(
                    "t_{}_{}",
                    std::process::id(),
                    SEQUENCE.fetch_add(1, Ordering::Relaxed)
                );
                pg_connect(&server)
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                TestStore {
                    backend,
                    url: with_database(&server, &name),
                    file,
                    database: Some(name),
                }
            }
        }
    }

    /// The rows of `sql`, every value as text (NULL as None).
    fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self.backend {
            Backend::Sqlite => {
                let conn = rusqlite::Connection::open_with_flags(
                    &self.file,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )
                .unwrap();
                conn.busy_timeout(Duration::from_secs(5)).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let width = stmt.column_count();
                stmt.query_map([], |row| {
                    (0..width)
                        .map(|i| {
                            use rusqlite::types::ValueRef;
                            Ok(match row.get_ref(i)? {
                                ValueRef::Null => None,
                                ValueRef::Integer(n) => Some(n.to_string()),
                                ValueRef::Real(x) => Some(x.to_string()),
                                ValueRef::Text(t) | ValueRef::Blob(t) => {
                                    Some(String::from_utf8_lossy(t).into_owned())
                                }
                            })
                        })
                        .collect()
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
            Backend::Postgres => pg_connect(&self.url)
                .simple_query(sql)
                .unwrap()
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(row) => Some(
                        (0..row.len())
                            .map(|i| row.get(i).map(str::to_string))
                            .collect(),
                    ),
                    _ => None,
                })
                .collect(),
        }
    }

    /// The one value `sql` selects.
    fn value(&self, sql: &str) -> String {
        let rows = self.rows(sql);
        assert_eq!(rows.len(), 1, "{sql}");
        rows[0][0].clone().expect("a value, not NULL")
    }

    fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                rusqlite::Connection::open(&self.file)
                    .unwrap()
                    .execute_batch(sql)
                    .unwrap();
            }
            Backend::Postgres => pg_connect(&self.url).batch_execute(sql).unwrap(),
        }
    }

    /// Whether recibo's table exists, without creating anything.
    fn has_table(&self) -> bool {
        match self.backend {
            Backend::Sqlite => {
                self.file.exists()
                    && self.value(
                        "SELECT count(*) FROM sqlite_master WHERE name = 'recibo_transactions'",
                    ) == "1"
            }
            Backend::Postgres => {
                self.value("SELECT to_regclass('recibo_transactions') IS NOT NULL") == "t"
            }
        }
    }

    /// The number of rows committed so far, or 0 before the table exists.
    fn count(&self) -> i64 {
        if !self.has_table() {
            return 0;
        }
        self.value("SELECT count(*) FROM recibo_transactions")
            .parse()
            .unwrap()
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(name) = &self.database
            && let Ok(mut admin) = postgres::Client::connect(&pg_server(), postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// A store loaded from the three sample files (the same transactions).
fn sample_store(backend: Backend, dir: &Path) -> TestStore {
    let store = TestStore::new(backend, dir);
    recibo(
        dir,
        &[
            "import",
            "-i",
            &sample("transactions.csv"),
            "-i",
            &sample("transactions.xlsx"),
            "-i",
            &sample("transactions.jsonl"),
            "--db",
            &store.url,
        ],
    )
    .assert_code(0);
    store
}

fn summary(run: &Run) -> serde_json::Value {
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "`{}`: the summary is not JSON ({e}): {}",
            run.command,
            run.stdout_text()
        )
    })
}

/// `export ARGS` from the sample CSV and from `url`, to standard output.
fn both_exports(dir: &Path, url: &str, args: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let file = sample("transactions.csv");
    let mut from_file = vec!["export", "-i", file.as_str()];
    from_file.extend_from_slice(args);
    let mut from_store = vec!["export", "--db", url];
    from_store.extend_from_slice(args);
    let a = recibo(dir, &from_file);
    a.assert_code(0);
    let b = recibo(dir, &from_store);
    b.assert_code(0);
    (a.stdout, b.stdout)
}

fn an_export_from_the_store_is_the_export_from_its_files_for_every_filter(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    let url = store.url.clone();
    assert_eq!(store.count(), 600, "one row per transaction ID");

    let filters: &[&[&str]] = &[
        &[],
        &[
            "--from",
            "2026-10-05",
            "--to",
            "2026-10-20",
            "--tz",
            "Asia/Shanghai",
        ],
        &[
            "--from",
            "2026-10-05T10:30:00-03:00",
            "--to",
            "2026-10-06T00:00:00.5Z",
        ],
        &["--currency", "BRL,CNY"],
        &["--type", "REFUND"],
        &["--type", "PAYMENT,CAPTURE", "--status", "SUCCESS"],
        &["--status", "PROCESSING,FAIL"],
        &["--method", "pix"],
        &["--acquirer", "ANTOM,adyen"],
        &["--shard", "1/1"],
        &["--shard", "1/3"],
        &["--shard", "2/3"],
        &["--shard", "3/3"],
        &["--shard", "5/7"],
        &["--id", "2026100151590"],
        &["--id", "ORD-PSJ-0451544,req_kw8s4fodo4bcqazj88ak"],
        &["--related", "2026100151590"],
        &[
            "--type",
            "REFUND",
            "--status",
            "SUCCESS",
            "--currency",
            "BRL",
            "--from",
            "2026-10-01",
            "--to",
            "2026-11-01",
            "--tz",
            "America/Sao_Paulo",
            "--shard",
            "2/2",
        ],
    ];
    let layouts: &[&[&str]] = &[
        &["--columns", "all"],
        &["--columns", "accounting"],
        &["--columns", "all", "--format", "jsonl"],
    ];
    let mut nonempty = 0;
    for filter in filters {
        for layout in layouts {
            let args: Vec<&str> = layout.iter().chain(filter.iter()).copied().collect();
            let (file, store) = both_exports(dir.path(), &url, &args);
            assert!(
                file == store,
                "export {args:?}: the store's output differs from the file's\n--- file ---\n{}\n--- store ---\n{}",
                String::from_utf8_lossy(&file),
                String::from_utf8_lossy(&store)
            );
            if file.iter().filter(|b| **b == b'\n').count() > 1 {
                nonempty += 1;
            }
        }
    }
    assert!(nonempty > 40, "most filters select something ({nonempty})");

    // The shards of a store are the file's shards, and together they are everything once.
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--columns", "transactionId", "--header-lang", "key"];
        all.extend_from_slice(args);
        let (_, store) = both_exports(dir.path(), &url, &all);
        support::parse_csv(&store, b',')
            .into_iter()
            .skip(1)
            .map(|r| r[0].clone())
            .collect()
    };
    let mut shards: Vec<String> = (1..=3)
        .flat_map(|k| ids(&["--shard", &format!("{k}/3")]))
        .collect();
    shards.sort();
    let mut everything = ids(&[]);
    everything.sort();
    assert_eq!(shards, everything);
}

fn a_bigger_store_matches_its_file_too(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    recibo(
        dir.path(),
        &["sample", "--rows", "5000", "--seed", "11", "-o", "big.csv"],
    )
    .assert_code(0);
    let store = TestStore::new(backend, dir.path());
    let url = store.url.clone();
    recibo(
        dir.path(),
        &[
            "import",
            "-i",
            "big.csv",
            "--db",
            &url,
            "--batch-rows",
            "700",
        ],
    )
    .assert_code(0);
    assert_eq!(store.count(), 5000);
    for args in [
        vec!["--columns", "all"],
        vec!["--columns", "all", "--shard", "4/9"],
        vec![
            "--columns",
            "all",
            "--type",
            "REFUND",
            "--tz",
            "Asia/Shanghai",
            "--from",
            "2026-10-03",
        ],
    ] {
        let mut a = vec!["export", "-i", "big.csv"];
        a.extend_from_slice(&args);
        let mut b = vec!["export", "--db", &url];
        b.extend_from_slice(&args);
        let file = recibo(dir.path(), &a);
        let store = recibo(dir.path(), &b);
        assert!(file.code == 0 && store.code == 0, "{}", store.stderr);
        assert!(file.stdout == store.stdout, "export {args:?} differs");
    }
}

fn a_value_made_to_break_out_of_sql_selects_nothing(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    let url = store.url.clone();
    let evil = "x' OR '1'='1";
    for flag in ["--id", "--related", "--method", "--acquirer", "--type"] {
        for value in [
            evil,
            "x\" OR \"1\"=\"1",
            "'; DROP TABLE recibo_transactions; --",
        ] {
            let (file, store) = both_exports(
                dir.path(),
                &url,
                &["--columns", "transactionId", flag, value],
            );
            assert_eq!(file, store, "{flag} {value:?}");
            assert_eq!(
                String::from_utf8(store).unwrap().lines().count(),
                1,
                "{flag} {value:?} selects nothing: only the header"
            );
        }
    }
    assert_eq!(store.count(), 600, "the table is still there, whole");
}

fn a_rerun_changes_nothing_and_a_later_report_updates_a_refund(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(backend, dir.path());
    let url = store.url.clone();
    let header = [
        "transactionId",
        "originalTransactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "status",
    ];
    let row = |id: &str, orig: &str, kind: &str, status: &str| -> Vec<String> {
        [
            id,
            orig,
            kind,
            "2026-10-02T08:00:00Z",
            "12.50",
            "BRL",
            status,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let monday = vec![
        row("P1", "", "PAYMENT", "SUCCESS"),
        row("R1", "P1", "REFUND", "PROCESSING"),
    ];
    write_csv(
        dir.path(),
        "monday.csv",
        &header,
        &monday,
        CsvStyle::default(),
    );
    let import = |file: &str| {
        let run = recibo(
            dir.path(),
            &["import", "-i", file, "--db", &url, "--summary", "-"],
        );
        run.assert_code(0);
        summary(&run)
    };
    let first = import("monday.csv");
    assert_eq!(
        (first["added"].as_u64(), first["updated"].as_u64()),
        (Some(2), Some(0))
    );
    let stamp =
        || store.rows("SELECT transaction_id, updated_at FROM recibo_transactions ORDER BY 1");
    let before = stamp();
    let again = import("monday.csv");
    assert_eq!(
        (
            again["added"].as_u64(),
            again["updated"].as_u64(),
            again["transactions"].as_u64()
        ),
        (Some(0), Some(0), Some(2)),
        "a rerun changes nothing"
    );
    assert_eq!(stamp(), before, "not even the rows' change times");

    let tuesday = vec![row("R1", "P1", "REFUND", "SUCCESS")];
    write_csv(
        dir.path(),
        "tuesday.csv",
        &header,
        &tuesday,
        CsvStyle::default(),
    );
    let later = import("tuesday.csv");
    assert_eq!(
        (
            later["added"].as_u64(),
            later["updated"].as_u64(),
            later["transactions"].as_u64()
        ),
        (Some(0), Some(1), Some(2))
    );
    let out = recibo(
        dir.path(),
        &[
            "export",
            "--db",
            &url,
            "--columns",
            "transactionId,status",
            "--header-lang",
            "key",
        ],
    );
    out.assert_code(0);
    assert_eq!(
        out.stdout_text(),
        "transactionId,status\nP1,SUCCESS\nR1,SUCCESS\n"
    );
    let status = recibo(dir.path(), &["db", "status", "--db", &url, "--json"]);
    status.assert_code(0);
    assert_eq!(summary(&status)["transactions"].as_u64(), Some(2));
}

/// A first import fills an empty store the fast way (PostgreSQL copies batches straight
/// into the table); a transaction the input repeats in a later batch still ends as one row
/// with the later values, and the batches after it are kept too.
fn a_first_import_that_repeats_a_transaction_keeps_one_row_with_its_last_values(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(backend, dir.path());
    let header = [
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "status",
    ];
    let row = |id: &str, status: &str| -> Vec<String> {
        [
            id,
            "PAYMENT",
            "2026-10-02T08:00:00Z",
            "12.50",
            "BRL",
            status,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let rows = vec![
        row("P1", "PROCESSING"),
        row("P2", "SUCCESS"),
        row("P3", "SUCCESS"),
        row("P1", "SUCCESS"),
        row("P4", "FAIL"),
        row("P5", "SUCCESS"),
    ];
    write_csv(dir.path(), "day.csv", &header, &rows, CsvStyle::default());
    let run = recibo(
        dir.path(),
        &[
            "import",
            "-i",
            "day.csv",
            "--db",
            &store.url,
            "--batch-rows",
            "2",
            "--summary",
            "-",
        ],
    );
    run.assert_code(0);
    let s = summary(&run);
    assert_eq!(
        (
            s["added"].as_u64(),
            s["updated"].as_u64(),
            s["transactions"].as_u64()
        ),
        (Some(5), Some(1), Some(5)),
        "{s}"
    );
    let out = recibo(
        dir.path(),
        &[
            "export",
            "--db",
            &store.url,
            "--columns",
            "transactionId,status",
            "--header-lang",
            "key",
        ],
    );
    out.assert_code(0);
    let text = out.stdout_text();
    let mut lines: Vec<&str> = text.lines().skip(1).collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "P1,SUCCESS",
            "P2,SUCCESS",
            "P3,SUCCESS",
            "P4,FAIL",
            "P5,SUCCESS"
        ]
    );
}

/// A gateway may give a refund the same ID as its payment (its API's own example does): the
/// store keeps both, keyed by ID and type. A store of schema version 1 (keyed by the ID
/// alone) is read as it is and migrated by the first writer, keeping every row.
fn a_refund_with_its_payments_id_keeps_its_own_row_and_an_older_store_is_migrated(
    backend: Backend,
) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    let url = store.url.clone();
    let sample_rows = store.count();
    // Version 1's table: the same columns, unique by transaction ID alone.
    store.execute(
        "CREATE TABLE old_rows AS SELECT * FROM recibo_transactions;
         DROP TABLE recibo_transactions;
         ALTER TABLE old_rows RENAME TO recibo_transactions;
         CREATE UNIQUE INDEX recibo_transactions_v1_key ON recibo_transactions (transaction_id);
         CREATE INDEX recibo_transactions_time ON recibo_transactions (payment_time, transaction_id);
         CREATE INDEX recibo_transactions_order_id ON recibo_transactions (order_id);
         UPDATE recibo_meta SET value = '1' WHERE key = 'schema_version';",
    );
    let all = |args: &[&str]| {
        let mut full = vec![
            "export",
            "--db",
            url.as_str(),
            "--columns",
            "transactionId,transactionType,status",
            "--header-lang",
            "key",
        ];
        full.extend_from_slice(args);
        let run = recibo(dir.path(), &full);
        run.assert_code(0);
        run.stdout_text()
    };
    let before = all(&[]);
    let status = recibo(dir.path(), &["db", "status", "--db", &url]);
    status.assert_code(0);
    assert!(
        status.stdout_text().contains("schema version  1"),
        "{}",
        status.stdout_text()
    );

    let header = [
        "transactionId",
        "originalTransactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "status",
    ];
    let rows = [
        [
            "AP211338083228",
            "",
            "PAYMENT",
            "2021-11-29T08:38:52Z",
            "10000",
            "VND",
            "SUCCESS",
        ],
        [
            "AP211338083228",
            "AP211338083228",
            "REFUND",
            "2021-11-29T10:13:25Z",
            "-10000",
            "VND",
            "PROCESSING",
        ],
    ]
    .iter()
    .map(|r| r.iter().map(|s| s.to_string()).collect())
    .collect::<Vec<Vec<String>>>();
    write_csv(
        dir.path(),
        "same-id.csv",
        &header,
        &rows,
        CsvStyle::default(),
    );
    let run = recibo(
        dir.path(),
        &[
            "import",
            "-i",
            "same-id.csv",
            "--db",
            &url,
            "--summary",
            "-",
        ],
    );
    run.assert_code(0);
    let got = summary(&run);
    assert_eq!(
        (got["added"].as_u64(), got["updated"].as_u64()),
        (Some(2), Some(0)),
        "{got}"
    );
    assert_eq!(store.count(), sample_rows + 2);
    let status = recibo(dir.path(), &["db", "status", "--db", &url]);
    status.assert_code(0);
    assert!(
        status.stdout_text().contains("schema version  2"),
        "{}",
        status.stdout_text()
    );
    assert_eq!(
        all(&["--id", "AP211338083228"]),
        "transactionId,transactionType,status\n\
         AP211338083228,PAYMENT,SUCCESS\n\
         AP211338083228,REFUND,PROCESSING\n"
    );
    // Every row of version 1 is still there, in the same order.
    let after = all(&[]);
    let kept: Vec<&str> = after
        .lines()
        .filter(|l| !l.starts_with("AP211338083228,"))
        .collect();
    assert_eq!(kept, before.lines().collect::<Vec<_>>());

    // The refund's update reaches the refund only.
    std::fs::write(
        dir.path().join("later.csv"),
        std::fs::read_to_string(dir.path().join("same-id.csv"))
            .unwrap()
            .replace("PROCESSING", "SUCCESS"),
    )
    .unwrap();
    let run = recibo(
        dir.path(),
        &["import", "-i", "later.csv", "--db", &url, "--summary", "-"],
    );
    run.assert_code(0);
    let got = summary(&run);
    assert_eq!(
        (got["added"].as_u64(), got["updated"].as_u64()),
        (Some(0), Some(1)),
        "{got}"
    );
    assert_eq!(
        all(&["--id", "AP211338083228"]),
        "transactionId,transactionType,status\n\
         AP211338083228,PAYMENT,SUCCESS\n\
         AP211338083228,REFUND,SUCCESS\n"
    );
}

fn free_text_comes_back_byte_for_byte(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(backend, dir.path());
    let url = store.url.clone();
    let header = [
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "orderDescription",
        "merchantName",
        "reason",
        "customerId",
    ];
    let texts = [
        (
            "T1",
            "line one\nline two\r\nline three",
            "上海咖啡有限公司",
            "退款：商品损坏",
        ),
        (
            "T2",
            "=HYPERLINK(\"http://x\",\"y\")",
            "+cmd|' /C calc'!A0",
            "-1+2",
        ),
        (
            "T3",
            "  leading and trailing  ",
            "@SUM(A1)",
            "\"quoted\", with comma",
        ),
        (
            "T4",
            "Renovação de assinatura — ½ ✓ 🎉",
            "Loja Verde Moda",
            "\u{FF1D}1+1",
        ),
        ("T5", "'already quoted", "tab\there", ""),
    ];
    let rows: Vec<Vec<String>> = texts
        .iter()
        .enumerate()
        .map(|(i, (id, description, merchant, reason))| {
            vec![
                id.to_string(),
                "REFUND".into(),
                format!("2026-10-0{}T12:34:56.{:06}Z", i + 1, 123_457 * (i + 1)),
                "1234.56".into(),
                "CNY".into(),
                description.to_string(),
                merchant.to_string(),
                reason.to_string(),
                format!("cust-{i}"),
            ]
        })
        .collect();
    write_csv(dir.path(), "text.csv", &header, &rows, CsvStyle::default());
    recibo(dir.path(), &["import", "-i", "text.csv", "--db", &url]).assert_code(0);
    for layout in [
        vec!["--columns", "all"],
        vec!["--columns", "all", "--format", "jsonl"],
        vec!["--columns", "all", "--format", "xlsx", "-o", "OUT"],
    ] {
        let run = |source: &[&str], out: &str| -> Vec<u8> {
            let mut args = vec!["export"];
            args.extend_from_slice(source);
            args.extend(layout.iter().map(|a| if *a == "OUT" { out } else { a }));
            let run = recibo(dir.path(), &args);
            run.assert_code(0);
            if layout.contains(&"OUT") {
                std::fs::read(dir.path().join(out)).unwrap()
            } else {
                run.stdout
            }
        };
        let file = run(&["-i", "text.csv"], "f.xlsx");
        let store = run(&["--db", &url], "s.xlsx");
        if layout.contains(&"xlsx") {
            // A workbook records when it was made: two exports a second apart differ there.
            assert!(
                workbook_parts(&file) == workbook_parts(&store),
                "{layout:?}: the store changed the text"
            );
        } else {
            assert!(file == store, "{layout:?}: the store changed the text");
        }
    }
    // The stored value is the text itself, with no guard or escaping of its own, and the
    // time the instant (SQLite: integer microseconds; PostgreSQL: timestamptz).
    let stored = store
        .value("SELECT order_description FROM recibo_transactions WHERE transaction_id = 'T1'");
    assert_eq!(stored, "line one\nline two\r\nline three");
    let micros = store.value(match backend {
        Backend::Sqlite => {
            "SELECT payment_time FROM recibo_transactions WHERE transaction_id = 'T2'"
        }
        Backend::Postgres => {
            "SELECT (extract(epoch FROM payment_time) * 1000000)::bigint \
             FROM recibo_transactions WHERE transaction_id = 'T2'"
        }
    });
    let expected = chrono::DateTime::parse_from_rfc3339("2026-10-02T12:34:56.246914Z").unwrap();
    assert_eq!(micros, expected.timestamp_micros().to_string());
    if backend == Backend::Postgres {
        assert_eq!(
            store.value(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute \
                 WHERE attrelid = 'recibo_transactions'::regclass AND attname = 'payment_time'"
            ),
            "timestamp with time zone"
        );
    }
}

fn a_time_finer_than_a_microsecond_is_refused_naming_file_row_and_field(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(backend, dir.path());
    let url = store.url.clone();
    let header = [
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
    ];
    let rows: Vec<Vec<String>> = [
        ("A", "2026-10-01T00:00:00.123456Z"),
        ("B", "2026-10-01T00:00:00.123456789Z"),
        ("C", "2026-10-01T00:00:01Z"),
    ]
    .iter()
    .map(|(id, t)| {
        vec![
            id.to_string(),
            "PAYMENT".into(),
            t.to_string(),
            "1.00".into(),
            "USD".into(),
        ]
    })
    .collect();
    write_csv(dir.path(), "nanos.csv", &header, &rows, CsvStyle::default());
    let run = recibo(dir.path(), &["import", "-i", "nanos.csv", "--db", &url]);
    run.assert_code(2)
        .assert_stderr_has(&["nanos.csv", "paymentTime", "microsecond"])
        .assert_stderr_names_row(2);
    assert_eq!(store.count(), 0, "nothing of the stopped batch is kept");

    let run = recibo(
        dir.path(),
        &["import", "-i", "nanos.csv", "--db", &url, "--skip-bad"],
    );
    run.assert_code(1).assert_stderr_names_row(2);
    assert_eq!(store.count(), 2);
    let out = recibo(
        dir.path(),
        &[
            "export",
            "--db",
            &url,
            "--columns",
            "transactionId,paymentTime",
            "--header-lang",
            "key",
        ],
    );
    out.assert_code(0);
    assert_eq!(
        out.stdout_text(),
        "transactionId,paymentTime\nA,2026-10-01T00:00:00.123456+00:00\nC,2026-10-01T00:00:01+00:00\n"
    );
}

fn a_nul_character_is_refused_naming_file_row_and_field(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(backend, dir.path());
    let header = [
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "merchantName",
    ];
    let rows: Vec<Vec<String>> = ["Loja", "Lo\0ja", "Loja"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            vec![
                format!("N{i}"),
                "PAYMENT".into(),
                "2026-10-01T00:00:00Z".into(),
                "1.00".into(),
                "USD".into(),
                name.to_string(),
            ]
        })
        .collect();
    write_csv(dir.path(), "nul.csv", &header, &rows, CsvStyle::default());
    recibo(dir.path(), &["import", "-i", "nul.csv", "--db", &store.url])
        .assert_code(2)
        .assert_stderr_has(&["nul.csv", "merchantName", "NUL"])
        .assert_stderr_names_row(2);
    assert_eq!(store.count(), 0);
    recibo(
        dir.path(),
        &["import", "-i", "nul.csv", "--db", &store.url, "--skip-bad"],
    )
    .assert_code(1);
    assert_eq!(store.count(), 2);
}

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn a_store_newer_than_this_recibo_is_refused_and_left_alone(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    let url = store.url.clone();
    let status = recibo(dir.path(), &["db", "status", "--db", &url]);
    status.assert_code(0);
    assert!(
        status.stdout_text().contains("schema version  2"),
        "{}",
        status.stdout_text()
    );
    store.execute("UPDATE recibo_meta SET value = '99' WHERE key = 'schema_version'");
    if backend == Backend::Sqlite {
        // Everything in the main file, so its bytes are the whole store.
        store.execute("PRAGMA journal_mode = DELETE");
    }
    let everything = "SELECT * FROM recibo_transactions ORDER BY transaction_id";
    let (before_rows, before_meta) = (
        store.rows(everything),
        store.rows("SELECT * FROM recibo_meta ORDER BY key"),
    );
    let before_file = (backend == Backend::Sqlite).then(|| file_bytes(&store.file));
    let csv = sample("transactions.csv");
    let tuesday = dir.path().join("tuesday.csv");
    std::fs::write(
        &tuesday,
        String::from_utf8(file_bytes(Path::new(&csv)))
            .unwrap()
            .replace("PROCESSING", "SUCCESS"),
    )
    .unwrap();
    let tuesday = tuesday.display().to_string();
    for args in [
        vec!["db", "status", "--db", &url],
        vec!["db", "init", "--db", &url],
        vec!["import", "-i", &tuesday, "--db", &url],
        vec!["export", "--db", &url],
    ] {
        recibo(dir.path(), &args)
            .assert_code(3)
            .assert_stderr_has(&["schema version 99", "newer", "untouched"]);
    }
    assert!(
        store.rows(everything) == before_rows,
        "the rows are unchanged"
    );
    assert_eq!(
        store.rows("SELECT * FROM recibo_meta ORDER BY key"),
        before_meta
    );
    if let Some(before) = before_file {
        assert_eq!(file_bytes(&store.file), before);
    }
}

fn a_missing_or_empty_store_is_named_not_created_by_a_read(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(backend, dir.path());
    let url = store.url.clone();
    let named = match backend {
        Backend::Sqlite => "store.db",
        Backend::Postgres => store.database.as_deref().unwrap(),
    };
    recibo(dir.path(), &["export", "--db", &url])
        .assert_code(3)
        .assert_stderr_has(&[named, "db init"]);
    recibo(dir.path(), &["db", "status", "--db", &url])
        .assert_code(3)
        .assert_stderr_has(&[named, "db init"]);
    assert!(!store.has_table(), "a read creates nothing");
    assert!(backend == Backend::Postgres || !store.file.exists());
    if backend == Backend::Postgres {
        let missing = with_database(&url, "no_such_database");
        recibo(dir.path(), &["export", "--db", &missing])
            .assert_code(3)
            .assert_stderr_has(&["no_such_database", "does not exist"]);
    }
    recibo(dir.path(), &["db", "status"])
        .assert_code(2)
        .assert_stderr_has(&["--db", "RECIBO_DB"]);
    recibo(dir.path(), &["export", "-i", "a.csv", "--db", &url])
        .assert_code(2)
        .assert_stderr_has(&["--db"]);
}

fn recibo_db_names_the_store_when_no_input_is_given(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    let url = store.url.clone();
    let with_env = |args: &[&str]| {
        recibo_with(dir.path(), args, b"", |c| {
            c.env("RECIBO_DB", &url);
        })
    };
    let from_env = with_env(&["export", "--columns", "transactionId"]);
    from_env.assert_code(0);
    let (file, _) = both_exports(dir.path(), &url, &["--columns", "transactionId"]);
    assert_eq!(from_env.stdout, file);
    let status = with_env(&["db", "status", "--json"]);
    status.assert_code(0);
    assert_eq!(summary(&status)["transactions"].as_u64(), Some(600));
    // Files named on the command line win over the environment's store.
    let csv = sample("transactions.csv");
    with_env(&["export", "-i", &csv, "--columns", "transactionId"]).assert_code(0);
}

fn receipts_from_the_store_are_the_receipts_from_its_files(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    let url = store.url.clone();
    let csv = sample("transactions.csv");
    let render = |source: &[&str], out: &str| {
        let mut args = vec!["receipts"];
        args.extend_from_slice(source);
        args.extend_from_slice(&[
            "--lang",
            "en,zh-CN",
            "--from",
            "2026-10-10",
            "--tz",
            "Asia/Shanghai",
            "--generated-at",
            "2026-11-20T12:00:00Z",
            "--out",
            out,
        ]);
        recibo(dir.path(), &args).assert_code(0);
        dir.path().join(out)
    };
    let a = render(&["-i", &csv], "from-file");
    let b = render(&["--db", &url], "from-store");
    let names = list_dir(&a);
    assert!(names.len() > 10, "{names:?}");
    assert_eq!(names, list_dir(&b));
    for name in &names {
        assert!(
            file_bytes(&a.join(name)) == file_bytes(&b.join(name)),
            "{name} differs"
        );
    }

    // One receipt, by a refund's ID.
    let refund = support::parse_csv(&file_bytes(&a.join("manifest.csv")), b',')
        .into_iter()
        .skip(1)
        .find(|r| r.iter().any(|c| c.ends_with(".pdf")))
        .map(|r| r[0].clone())
        .expect("a rendered refund");
    let one = |source: &[&str], out: &str| {
        let mut args = vec!["receipt", &refund];
        args.extend_from_slice(source);
        args.extend_from_slice(&["--lang", "pt-BR", "--generated-at", "2026-11-20", "-o", out]);
        recibo(dir.path(), &args).assert_code(0);
        file_bytes(&dir.path().join(out))
    };
    assert!(one(&["-i", &csv], "a.pdf") == one(&["--db", &url], "b.pdf"));
}

fn a_job_reads_a_store_named_through_the_environment(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    let job = |source: &str| {
        format!(
            "name = \"nightly\"\nzone = \"Asia/Shanghai\"\nwindow = {{ from = \"2026-10-01\", to = \"2026-11-01\" }}\n\
             [source]\n{source}\n[filter]\ntype = [\"REFUND\", \"PAYMENT\"]\n\
             [[export]]\npath = \"out-{{shard}}.csv\"\ncolumns = \"accounting\"\n"
        )
    };
    std::fs::create_dir_all(dir.path().join("files")).unwrap();
    std::fs::create_dir_all(dir.path().join("store")).unwrap();
    std::fs::write(
        dir.path().join("files/job.toml"),
        job(&format!("inputs = [{:?}]", sample("transactions.csv"))),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("store/job.toml"),
        job("db = \"${RECIBO_TEST_STORE}\""),
    )
    .unwrap();
    let run_job = |job: &str| {
        recibo_with(dir.path(), &["run", job, "--shard", "2/3"], b"", |c| {
            c.env("RECIBO_TEST_STORE", &store.url);
        })
        .assert_code(0);
    };
    run_job("files/job.toml");
    run_job("store/job.toml");
    let a = file_bytes(&dir.path().join("files/out-2-of-3.csv"));
    let b = file_bytes(&dir.path().join("store/out-2-of-3.csv"));
    assert!(a.len() > 200 && a == b);

    recibo(dir.path(), &["run", "store/job.toml"])
        .assert_code(2)
        .assert_stderr_has(&["RECIBO_TEST_STORE", "not set"]);
}

/// A job with `[store]` upserts its source into the store, each shard its own part, and
/// its outputs read the window from the store: the same files as the job on the files.
/// A rerun adds nothing. A relative `sqlite://` path is the job file's folder's.
fn a_job_keeps_its_source_in_a_store_shard_by_shard(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(backend, dir.path());
    let job = |extra: &str| {
        format!(
            "name = \"kept\"\nzone = \"America/Sao_Paulo\"\nwindow = {{ from = \"2026-10-01\", to = \"2026-11-01\" }}\n\
             [source]\ninputs = [{:?}]\n{extra}\n[filter]\nstatus = [\"SUCCESS\", \"PROCESSING\"]\n\
             [[export]]\npath = \"out-{{shard}}.csv\"\ncolumns = \"reference\"\n\
             [[receipts]]\nlangs = [\"pt-BR\"]\nout = \"receipts-{{shard}}/\"\n",
            sample("transactions.csv")
        )
    };
    for folder in ["files", "kept"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    }
    std::fs::write(dir.path().join("files/job.toml"), job("")).unwrap();
    let db = match backend {
        Backend::Sqlite => "sqlite://../store.db",
        Backend::Postgres => "${RECIBO_TEST_STORE}",
    };
    std::fs::write(
        dir.path().join("kept/job.toml"),
        job(&format!("[store]\ndb = {db:?}")),
    )
    .unwrap();
    let run_job = |job: &str, shard: &str| {
        let run = recibo_with(
            dir.path(),
            &["run", job, "--shard", shard, "--summary", "-"],
            b"",
            |c| {
                c.env("RECIBO_TEST_STORE", &store.url);
            },
        );
        run.assert_code(0);
        summary(&run)
    };
    let mut added = 0;
    for shard in ["1/3", "2/3", "3/3"] {
        let kept = run_job("kept/job.toml", shard);
        added += kept["import"]["added"].as_u64().unwrap();
        assert_eq!(kept["import"]["updated"].as_u64(), Some(0), "{kept}");
        run_job("files/job.toml", shard);
        let part = shard.replace('/', "-of-");
        let a = file_bytes(&dir.path().join(format!("files/out-{part}.csv")));
        let b = file_bytes(&dir.path().join(format!("kept/out-{part}.csv")));
        assert!(a.len() > 200 && a == b, "shard {shard}");
        let listing = |folder: &str| {
            let mut names: Vec<_> =
                std::fs::read_dir(dir.path().join(format!("{folder}/receipts-{part}")))
                    .unwrap()
                    .map(|e| e.unwrap().file_name())
                    .collect();
            names.sort();
            names
        };
        assert_eq!(listing("files"), listing("kept"), "shard {shard}");
    }
    let rows = recibo(
        dir.path(),
        &[
            "export",
            "-i",
            &sample("transactions.csv"),
            "--columns",
            "transactionId",
            "--header-lang",
            "key",
        ],
    )
    .stdout_text()
    .lines()
    .count() as u64
        - 1;
    assert_eq!(added, rows, "the shards together keep every row once");
    assert_eq!(store.count() as u64, rows);
    let again = run_job("kept/job.toml", "1/3");
    assert_eq!(
        (
            again["import"]["added"].as_u64(),
            again["import"]["updated"].as_u64()
        ),
        (Some(0), Some(0)),
        "{again}"
    );

    std::fs::write(
        dir.path().join("kept/both.toml"),
        job(&format!("db = {db:?}\n[store]\ndb = {db:?}")),
    )
    .unwrap();
    recibo_with(dir.path(), &["run", "kept/both.toml"], b"", |c| {
        c.env("RECIBO_TEST_STORE", &store.url);
    })
    .assert_code(2)
    .assert_stderr_has(&["store.db", "source.db"]);
}

#[test]
fn a_database_password_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "Hunter2Secret";
    let url = format!("postgres://recibo:{secret}@127.0.0.1:1/pay");
    let runs = [
        recibo(dir.path(), &["export", "--db", &url]),
        recibo(dir.path(), &["db", "status", "--db", &url]),
        recibo(
            dir.path(),
            &["db", "status", "--db", &format!("{url}:bad:port")],
        ),
        recibo(
            dir.path(),
            &["import", "-i", &sample("transactions.csv"), "--db", &url],
        ),
        recibo_with(dir.path(), &["export", "--help"], b"", |c| {
            c.env("RECIBO_DB", &url);
        }),
        recibo_with(
            dir.path(),
            &["export", "--columns", "transactionId"],
            b"",
            |c| {
                c.env("RECIBO_DB", &url);
            },
        ),
        recibo_with(dir.path(), &["db", "status"], b"", |c| {
            c.env(
                "RECIBO_DB",
                format!("postgresql://recibo@127.0.0.1:1/pay?password={secret}"),
            );
        }),
        recibo_with(
            dir.path(),
            &["db", "status", "--log-format", "json"],
            b"",
            |c| {
                c.env("RECIBO_DB", "postgres://recibo@127.0.0.1:1/pay");
                c.env("PGPASSWORD", secret);
            },
        ),
    ];
    for run in &runs {
        let out = format!("{}{}", run.stdout_text(), run.stderr);
        assert!(
            !out.contains(secret),
            "`{}` shows the password:\n{out}",
            run.command
        );
        assert!(!out.contains("Hunter2"), "`{}`:\n{out}", run.command);
    }
    assert!(runs[0].code != 0 && runs[0].stderr.contains("127.0.0.1:1/pay"));
}

fn an_import_killed_midway_keeps_whole_batches_and_a_rerun_completes_it(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let rows = 100_000;
    recibo(
        dir.path(),
        &[
            "sample",
            "--rows",
            &rows.to_string(),
            "--format",
            "jsonl",
            "-o",
            "big.jsonl",
        ],
    )
    .assert_code(0);
    let store = TestStore::new(backend, dir.path());
    let url = store.url.clone();
    recibo(dir.path(), &["db", "init", "--db", &url]).assert_code(0);
    let mut child = Command::new(support::binary())
        .args([
            "import",
            "-i",
            "big.jsonl",
            "--db",
            &url,
            "--batch-rows",
            "1000",
        ])
        .current_dir(dir.path())
        .env_remove("RECIBO_DB")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while store.count() < 5_000 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be killed"
        );
        assert!(started.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no destructor, no rollback of our own; only the database's journal (or the
    // server noticing its client gone).
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = store.count();
    assert!(kept < rows, "killed before the end ({kept})");
    assert_eq!(kept % 1000, 0, "whole batches only ({kept})");
    if backend == Backend::Sqlite {
        assert_eq!(store.value("PRAGMA integrity_check"), "ok");
    }

    recibo(dir.path(), &["import", "-i", "big.jsonl", "--db", &url]).assert_code(0);
    assert_eq!(store.count(), rows);
    let ids = |source: &[&str]| {
        let mut args = vec!["export", "--columns", "all", "--format", "jsonl"];
        args.extend_from_slice(source);
        let run = recibo(dir.path(), &args);
        run.assert_code(0);
        // A store reads in payment time, then transaction ID; the sample file is only
        // roughly in time order, so compare the rows, not their order.
        let mut lines: Vec<Vec<u8>> = run
            .stdout
            .split(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        lines.sort();
        lines
    };
    assert!(ids(&["-i", "big.jsonl"]) == ids(&["--db", &url]));
    // Whatever indexes the killed import had not built yet, the rerun has.
    let names = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'recibo_transactions_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT indexname FROM pg_indexes WHERE tablename = 'recibo_transactions' \
             AND indexname <> 'recibo_transactions_key' ORDER BY indexname COLLATE \"C\""
        }
    };
    let indexes: Vec<String> = store
        .rows(names)
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    assert_eq!(
        indexes,
        [
            "recibo_transactions_acquirer_reference_no",
            "recibo_transactions_family",
            "recibo_transactions_order_id",
            "recibo_transactions_reference_transaction_id",
            "recibo_transactions_time",
            "recibo_transactions_transaction_request_id",
        ]
    );
}

#[test]
fn a_real_server_refuses_a_wrong_password_and_neither_password_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(Backend::Postgres, dir.path());
    let (user_info, _) = store.url.split_once('@').unwrap();
    let (_, encoded) = user_info.rsplit_once(':').unwrap();
    let password = urlencoding_decode(encoded);
    assert!(password.contains('/'), "the test password needs encoding");

    let wrong = store.url.replace(encoded, "Wr0ngPassw0rd");
    let refused = recibo(dir.path(), &["db", "status", "--db", &wrong]);
    refused
        .assert_code(3)
        .assert_stderr_has(&["password authentication failed", "recibo:***@127.0.0.1"]);
    let status = recibo(dir.path(), &["db", "status", "--db", &store.url]);
    status.assert_code(0);
    assert!(status.stdout_text().contains("recibo:***@127.0.0.1"));
    // The password from the environment instead of the URL.
    let bare = store.url.replace(&format!(":{encoded}@"), "@");
    let from_env = recibo_with(dir.path(), &["db", "status", "--json"], b"", |c| {
        c.env("RECIBO_DB", &bare);
        c.env("PGPASSWORD", &password);
    });
    from_env.assert_code(0);
    assert_eq!(summary(&from_env)["transactions"].as_u64(), Some(600));
    for run in [&refused, &status, &from_env] {
        let out = format!("{}{}", run.stdout_text(), run.stderr);
        for secret in [password.as_str(), encoded, "Wr0ngPassw0rd"] {
            assert!(
                !out.contains(secret),
                "`{}` shows a password:\n{out}",
                run.command
            );
        }
    }
}

/// `--db-query` reads tables recibo did not make: the rows of a SELECT whose column names
/// are the field keys come out as the same rows in a CSV do, for every filter; a bad
/// amount names the query file, the row, the transaction and the field; a statement that
/// is not one query is refused and changes nothing.
fn a_finance_teams_own_table_is_read_through_a_query_as_a_csv_is(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = TestStore::new(backend, dir.path());
    let url = store.url.clone();
    let time_type = match backend {
        Backend::Sqlite => "TEXT",
        Backend::Postgres => "timestamptz",
    };
    let rows: [[&str; 8]; 6] = [
        [
            "P1",
            "PAYMENT",
            "2026-10-01T10:00:00Z",
            "100.00",
            "BRL",
            "SUCCESS",
            "",
            "Assinatura anual",
        ],
        [
            "R1",
            "REFUND",
            "2026-10-02T11:30:00.250Z",
            "-40.00",
            "BRL",
            "SUCCESS",
            "P1",
            "line one\nline two",
        ],
        [
            "P2",
            "PAYMENT",
            "2026-10-02T23:59:59Z",
            "88.00",
            "CNY",
            "SUCCESS",
            "",
            "上海咖啡",
        ],
        [
            "R2",
            "REFUND",
            "2026-10-03T00:00:00Z",
            "-88.00",
            "CNY",
            "PROCESSING",
            "P2",
            "=HYPERLINK(\"x\")",
        ],
        [
            "P3",
            "PAYMENT",
            "2026-10-04T08:00:00Z",
            "5",
            "JPY",
            "FAIL",
            "",
            "  spaced  ",
        ],
        [
            "R3",
            "REFUND",
            "2026-10-05T08:00:00Z",
            "-5",
            "JPY",
            "SUCCESS",
            "P3",
            "o'quote; DROP TABLE x",
        ],
    ];
    let quoted = |v: &str| format!("'{}'", v.replace('\'', "''"));
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "({})",
                r.iter().map(|v| quoted(v)).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    store.execute(&format!(
        "CREATE TABLE ledger (ref TEXT, kind TEXT, at {time_type}, amount TEXT, cur TEXT, \
         state TEXT, parent TEXT, memo TEXT);
         INSERT INTO ledger VALUES {};",
        values.join(",\n")
    ));
    std::fs::write(
        dir.path().join("ledger.sql"),
        "-- the ledger as transactions\n\
         SELECT ref AS transactionId, kind AS transactionType, at AS paymentTime,\n\
                amount AS transactionAmountValue, cur AS transactionCurrency, state AS status,\n\
                parent AS originalTransactionId, memo AS orderDescription\n\
         FROM ledger ORDER BY at -- oldest first\n;\n",
    )
    .unwrap();
    let header = [
        "transactionId",
        "transactionType",
        "paymentTime",
        "transactionAmountValue",
        "transactionCurrency",
        "status",
        "originalTransactionId",
        "orderDescription",
    ];
    let as_csv: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|v| v.to_string()).collect())
        .collect();
    write_csv(
        dir.path(),
        "ledger.csv",
        &header,
        &as_csv,
        CsvStyle::default(),
    );
    for filter in [
        vec![],
        vec![
            "--from",
            "2026-10-02",
            "--to",
            "2026-10-03",
            "--tz",
            "America/Sao_Paulo",
        ],
        vec!["--type", "REFUND", "--status", "SUCCESS"],
        vec!["--id", "P2"],
        vec!["--related", "P1"],
        vec!["--currency", "JPY", "--from", "2026-10-04T08:00:00Z"],
        vec!["--id", "x' OR '1'='1"],
    ] {
        let mut from_file = vec!["export", "-i", "ledger.csv", "--columns", "reference"];
        from_file.extend_from_slice(&filter);
        let mut from_query = vec![
            "export",
            "--db",
            &url,
            "--db-query",
            "ledger.sql",
            "--columns",
            "reference",
        ];
        from_query.extend_from_slice(&filter);
        let a = recibo(dir.path(), &from_file);
        a.assert_code(0);
        let b = recibo(dir.path(), &from_query);
        b.assert_code(0);
        assert_eq!(b.stdout_text(), a.stdout_text(), "{filter:?}");
    }

    store.execute("UPDATE ledger SET amount = '-40.005' WHERE ref = 'R1'");
    recibo(
        dir.path(),
        &[
            "export",
            "--db",
            &url,
            "--db-query",
            "ledger.sql",
            "-o",
            "out.csv",
        ],
    )
    .assert_code(2)
    .assert_stderr_has(&[
        "ledger.sql: row 2",
        "transactionAmountValue",
        "\"R1\"",
        "-40.005",
    ]);
    assert!(!dir.path().join("out.csv").exists());
    let skipped = recibo(
        dir.path(),
        &[
            "export",
            "--db",
            &url,
            "--db-query",
            "ledger.sql",
            "--skip-bad",
            "--columns",
            "transactionId",
            "--header-lang",
            "key",
        ],
    );
    skipped.assert_code(1);
    assert_eq!(skipped.stdout_text(), "transactionId\nP1\nP2\nR2\nP3\nR3\n");

    for (name, sql) in [
        ("delete.sql", "DELETE FROM ledger"),
        ("two.sql", "SELECT 1 AS transactionId; DELETE FROM ledger"),
        (
            "drop.sql",
            "SELECT * FROM ledger) AS x; DROP TABLE ledger; --",
        ),
    ] {
        std::fs::write(dir.path().join(name), sql).unwrap();
        recibo(dir.path(), &["export", "--db", &url, "--db-query", name])
            .assert_code(3)
            .assert_stderr_has(&[name]);
    }
    assert_eq!(store.value("SELECT count(*) FROM ledger"), "6");
    std::fs::write(
        dir.path().join("few.sql"),
        "SELECT ref AS transactionId FROM ledger",
    )
    .unwrap();
    recibo(
        dir.path(),
        &["export", "--db", &url, "--db-query", "few.sql"],
    )
    .assert_code(3)
    .assert_stderr_has(&["few.sql", "missing required column(s)", "paymentTime"]);
    // A job names the query beside its database, relative to the job file.
    store.execute("UPDATE ledger SET amount = '-40.00' WHERE ref = 'R1'");
    let job = |source: &str| {
        format!(
            "zone = \"UTC\"\nwindow = {{ from = \"2026-10-01\", to = \"2026-10-04\" }}\n\
             [source]\n{source}\n[[export]]\npath = \"out.csv\"\ncolumns = \"reference\"\n"
        )
    };
    for folder in ["files", "query"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
    }
    std::fs::write(
        dir.path().join("files/job.toml"),
        job("inputs = [\"../ledger.csv\"]"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("query/job.toml"),
        job("db = \"${RECIBO_TEST_STORE}\"\nquery = \"../ledger.sql\""),
    )
    .unwrap();
    for folder in ["files", "query"] {
        recibo_with(
            dir.path(),
            &["run", &format!("{folder}/job.toml")],
            b"",
            |c| {
                c.env("RECIBO_TEST_STORE", &url);
            },
        )
        .assert_code(0);
    }
    let a = file_bytes(&dir.path().join("files/out.csv"));
    assert!(a.len() > 100 && a == file_bytes(&dir.path().join("query/out.csv")));
    recibo(
        dir.path(),
        &["export", "--db-query", "ledger.sql", "-i", "ledger.csv"],
    )
    .assert_code(2)
    .assert_stderr_has(&["--db-query", "--db"]);
}

/// `db explain` shows the statement a read runs, its parameters (never pasted into the
/// SQL) and the database's plan: a day's window uses the time index, a lookup by any ID
/// the ID indexes.
fn a_days_window_and_an_id_lookup_go_through_indexes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    if backend == Backend::Postgres {
        store.execute("ANALYZE recibo_transactions");
    }
    let explain = |args: &[&str]| {
        let mut full = vec!["db", "explain", "--db", store.url.as_str()];
        full.extend_from_slice(args);
        let run = recibo(dir.path(), &full);
        run.assert_code(0);
        run.stdout_text()
    };
    let day = explain(&[
        "--from",
        "2026-10-15",
        "--to",
        "2026-10-16",
        "--tz",
        "Asia/Shanghai",
    ]);
    let (query, plan) = day.split_once("\nplan\n").unwrap();
    assert!(plan.contains("recibo_transactions_time"), "{day}");
    assert!(
        query.contains("parameter 1 = 2026-10-14T16:00:00Z"),
        "{day}"
    );
    // The statement itself holds placeholders, not the bounds.
    assert!(!query.lines().next().unwrap().contains("2026"), "{day}");
    let id = "x' OR '1'='1";
    let lookup = explain(&["--id", id]);
    let (query, plan) = lookup.split_once("\nplan\n").unwrap();
    assert!(!query.lines().next().unwrap().contains('\''), "{lookup}");
    assert!(query.contains(&format!("{id:?}")), "{lookup}");
    for index in [
        "recibo_transactions_order_id",
        "recibo_transactions_acquirer_reference_no",
    ] {
        assert!(plan.contains(index), "{lookup}");
    }
}

fn a_payments_refunds_come_off_an_index_in_order_and_an_older_index_is_replaced(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = sample_store(backend, dir.path());
    let index_names = || -> Vec<String> {
        let sql = match backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            }
            Backend::Postgres => {
                "SELECT indexname FROM pg_indexes WHERE tablename = 'recibo_transactions'"
            }
        };
        store
            .rows(sql)
            .into_iter()
            .filter_map(|r| r[0].clone())
            .collect()
    };
    // The payment with the most refunds: the page of a transaction lists the first of them
    // in the store's order, and the plan takes them off the index in that order, unsorted.
    let payment = store.value(
        "SELECT original_transaction_id FROM recibo_transactions \
         WHERE original_transaction_id <> '' GROUP BY original_transaction_id \
         ORDER BY count(*) DESC, original_transaction_id LIMIT 1",
    );
    let select = format!(
        "SELECT transaction_id FROM recibo_transactions WHERE original_transaction_id = '{payment}' \
         AND transaction_id <> '{payment}' \
         ORDER BY payment_time, transaction_id, transaction_type LIMIT 201"
    );
    let plan: Vec<String> = match backend {
        Backend::Sqlite => store
            .rows(&format!("EXPLAIN QUERY PLAN {select}"))
            .into_iter()
            .filter_map(|r| r[3].clone())
            .collect(),
        // The planner rightly sorts the few rows of a small sample; the question is
        // whether the index can serve the order, so the other plans are taken away.
        Backend::Postgres => store
            .rows(&format!(
                "SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN {select}"
            ))
            .into_iter()
            .filter_map(|r| r[0].clone())
            .collect(),
    };
    let plan = plan.join("\n");
    assert!(plan.contains("recibo_transactions_family"), "{plan}");
    assert!(
        !plan.contains("TEMP B-TREE") && !plan.contains("Sort"),
        "the refunds are sorted after the lookup:\n{plan}"
    );

    // A store whose writer was an earlier version has the plain index in its place.
    store.execute(
        "DROP INDEX recibo_transactions_family; \
         CREATE INDEX recibo_transactions_original_transaction_id \
         ON recibo_transactions (original_transaction_id)",
    );
    assert!(!index_names().contains(&"recibo_transactions_family".to_string()));
    recibo(
        dir.path(),
        &[
            "import",
            "-i",
            &sample("transactions.csv"),
            "--db",
            &store.url,
        ],
    )
    .assert_code(0);
    let names = index_names();
    assert!(
        names.contains(&"recibo_transactions_family".to_string())
            && !names.contains(&"recibo_transactions_original_transaction_id".to_string()),
        "{names:?}"
    );
}

/// The TLS side of the test server (see tests/pg.sh): the URL of a role that may log in
/// over TLS only, and the folder holding the authority that signed the server's
/// certificate (`ca.crt`) and one that did not (`other-ca.crt`).
fn tls_server() -> (String, PathBuf) {
    match (
        std::env::var("RECIBO_TEST_PG_TLS_URL"),
        std::env::var("PG_TEST_DIR"),
    ) {
        (Ok(url), Ok(dir)) => (url, PathBuf::from(dir)),
        _ => panic!(
            "RECIBO_TEST_PG_TLS_URL and PG_TEST_DIR are not set: run the suite with \
             tests/run.sh, which starts a PostgreSQL server with TLS for it"
        ),
    }
}

/// `sslmode=require` speaks TLS and checks the server's certificate: against
/// `sslrootcert`'s authority, else the system's (which never signed the test server's);
/// without it a role the server admits over TLS only is refused. libpq's `verify-full`
/// spelling is taken too. The password is shown in none of the errors.
#[test]
fn tls_is_spoken_when_asked_and_the_servers_certificate_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (base, certs) = tls_server();
    let ca = certs.join("ca.crt").display().to_string();
    let other = certs.join("other-ca.crt").display().to_string();
    let (user_info, _) = base.split_once('@').unwrap();
    let (_, encoded) = user_info.rsplit_once(':').unwrap();
    let password = urlencoding_decode(encoded);
    let url = |query: &str| format!("{base}{query}");
    let store = url(&format!("?sslmode=require&sslrootcert={ca}"));
    recibo(dir.path(), &["db", "init", "--db", &store]).assert_code(0);
    recibo(
        dir.path(),
        &["import", "-i", &sample("transactions.csv"), "--db", &store],
    )
    .assert_code(0);
    let (from_file, from_store) = both_exports(dir.path(), &store, &["--columns", "reference"]);
    assert!(from_store.len() > 1000 && from_store == from_file);
    let verify_full = url(&format!("?sslmode=verify-full&sslrootcert={ca}"));
    recibo(dir.path(), &["db", "status", "--db", &verify_full]).assert_code(0);

    let mut runs = Vec::new();
    let plain = recibo(dir.path(), &["db", "status", "--db", &url("")]);
    plain
        .assert_code(3)
        .assert_stderr_has(&["pg_hba.conf", "no encryption"]);
    runs.push(plain);
    for query in [
        "?sslmode=require".to_string(),
        format!("?sslmode=require&sslrootcert={other}"),
        format!("?sslmode=verify-full&sslrootcert={other}"),
    ] {
        let refused = recibo(dir.path(), &["db", "status", "--db", &url(&query)]);
        refused
            .assert_code(3)
            .assert_stderr_has(&["TLS", "UnknownIssuer"]);
        runs.push(refused);
    }
    let missing = dir.path().join("no-such-ca.pem").display().to_string();
    let unreadable = recibo(
        dir.path(),
        &[
            "db",
            "status",
            "--db",
            &url(&format!("?sslmode=require&sslrootcert={missing}")),
        ],
    );
    unreadable
        .assert_code(2)
        .assert_stderr_has(&["sslrootcert", "no-such-ca.pem"]);
    runs.push(unreadable);
    for run in &runs {
        let out = format!("{}{}", run.stdout_text(), run.stderr);
        assert!(
            !out.contains(&password) && !out.contains(encoded),
            "`{}` shows the password:\n{out}",
            run.command
        );
    }
}

fn urlencoding_decode(text: &str) -> String {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A workbook's parts but its creation time (`docProps/core.xml`), in archive order.
fn workbook_parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .filter_map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let name = entry.name().unwrap().to_string();
            if name == "docProps/core.xml" {
                return None;
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            Some((name, data))
        })
        .collect()
}
