//! Transaction stores: an embedded SQLite file (`sqlite:PATH`) or a PostgreSQL database
//! (`postgres://USER@HOST:PORT/DB`), holding one row per transaction (its ID and type).
//!
//! [`Store::import`] upserts report files in batches, each in one database transaction;
//! [`Store::read`] streams the rows a [`Filter`] selects, with the filter as a `WHERE`
//! clause of bound parameters ([`query`]). Rows come out in payment time, then transaction
//! ID order. A database password never leaves [`DbUrl`]: its `Display` and `Debug` omit it
//! and every error from a store is scrubbed of it.

pub mod foreign;
pub mod postgres;
pub mod query;
pub mod schema;
pub mod sqlite;

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::model::{Currency, Transaction};
use crate::source::{FileSource, ReadStats};

/// The environment variable that names the store when `--db` is not given.
pub const DB_ENV: &str = "RECIBO_DB";

/// Rows per database transaction when importing.
pub const DEFAULT_BATCH_ROWS: usize = 10_000;

/// A store's address, parsed. Shown (`Display`, `Debug`) without its password.
#[derive(Clone)]
pub struct DbUrl {
    kind: DbKind,
    /// The URL with any password removed: what messages name the store by.
    shown: String,
    /// The password, in every spelling it may take in a message (as typed and decoded).
    secrets: Vec<String>,
}

#[derive(Clone)]
enum DbKind {
    Sqlite(PathBuf),
    Postgres(Box<postgres::PgTarget>),
}

impl DbUrl {
    /// `sqlite:PATH` (or `sqlite://PATH`), `postgres://...` or `postgresql://...`.
    pub fn parse(text: &str) -> Result<DbUrl> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(Error::usage(
                    "--db sqlite:PATH needs a file path (e.g. sqlite:recibo.db)",
                ));
            }
            return Ok(DbUrl {
                kind: DbKind::Sqlite(PathBuf::from(path)),
                shown: format!("sqlite:{path}"),
                secrets: Vec::new(),
            });
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let (shown, mut secrets) = postgres::redacted(text);
            let redact = |m: String| scrub(&secrets, m);
            let (text, root_cert) = postgres::tls_options(text);
            let mut config: ::postgres::Config = text.parse().map_err(|e| {
                Error::usage(redact(format!("--db {shown}: not a PostgreSQL URL: {e}")))
            })?;
            if config.get_password().is_none()
                && let Ok(password) = std::env::var("PGPASSWORD")
                && !password.is_empty()
            {
                config.password(password.as_bytes());
                secrets.push(password);
            }
            if let Some(p) = config.get_password() {
                secrets.push(String::from_utf8_lossy(p).into_owned());
            }
            secrets.retain(|s| !s.is_empty());
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
            secrets.dedup();
            return Ok(DbUrl {
                kind: DbKind::Postgres(Box::new(postgres::PgTarget { config, root_cert })),
                shown,
                secrets,
            });
        }
        // Not echoed: a mistyped URL may still hold a password.
        Err(Error::usage(
            "--db: a store is sqlite:PATH or postgres://USER@HOST:PORT/DB",
        ))
    }

    /// `message` with the password, wherever it appears, replaced by `***`.
    pub fn scrub(&self, message: impl fmt::Display) -> String {
        scrub(&self.secrets, message.to_string())
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, DbKind::Postgres(_))
    }
}

fn scrub(secrets: &[String], mut message: String) -> String {
    for secret in secrets {
        if !secret.is_empty() {
            message = message.replace(secret.as_str(), "***");
        }
    }
    message
}

impl fmt::Display for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbUrl({:?})", self.shown)
    }
}

impl PartialEq for DbUrl {
    fn eq(&self, other: &DbUrl) -> bool {
        self.shown == other.shown && self.secrets == other.secrets
    }
}

/// What a store is opened for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reading only: the schema must be there, at a version this binary reads.
    Read,
    /// Writing: the schema is created when missing and migrated when older.
    Write,
}

/// An open store.
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    // Boxed: a client holds its connection's buffers inline.
    Postgres(Box<postgres::PgStore>),
}

/// What `recibo db status` shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub store: String,
    pub schema_version: u32,
    /// The schema version this binary writes.
    pub supported_version: u32,
    pub transactions: u64,
    /// Rows per transaction type, by type.
    pub by_type: Vec<(String, u64)>,
    pub first_payment: Option<DateTime<Utc>>,
    pub last_payment: Option<DateTime<Utc>>,
}

/// What an import came to.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportStats {
    /// Good records read and their bad ones skipped.
    pub read: ReadStats,
    /// Transactions that were not in the store before.
    pub added: u64,
    /// Transactions whose stored values changed.
    pub updated: u64,
    /// Transactions in the store afterwards.
    pub total: u64,
}

/// One backend's side of an import: a batch of rows written in one database transaction,
/// whole or not at all.
pub(crate) trait Batches {
    /// Upserts `rows` (a later row of the same ID wins) in one transaction; returns the
    /// rows it inserted or changed.
    fn write_batch(&mut self, rows: &[Transaction]) -> std::result::Result<u64, String>;
    fn count(&mut self) -> std::result::Result<u64, String>;
    /// Before the first batch into an empty store: drops what an import into an empty
    /// store may build at the end instead. Returns whether it did.
    fn begin_bulk(&mut self) -> std::result::Result<bool, String> {
        Ok(false)
    }
    /// After the last batch (or a failure) of an import begun by `begin_bulk`.
    fn end_bulk(&mut self) -> std::result::Result<(), String> {
        Ok(())
    }
}

impl Store {
    pub fn open(url: &DbUrl, access: Access) -> Result<Store> {
        match &url.kind {
            DbKind::Sqlite(path) => sqlite::SqliteStore::open(url, path, access).map(Store::Sqlite),
            DbKind::Postgres(target) => {
                postgres::PgStore::open(url, target, access).map(|s| Store::Postgres(Box::new(s)))
            }
        }
    }

    pub fn status(&mut self) -> Result<Status> {
        match self {
            Store::Sqlite(s) => s.status(),
            Store::Postgres(s) => s.status(),
        }
    }

    /// Hands every transaction `filter` selects to `each`, in payment time, then
    /// transaction ID order. Returns the rows read.
    pub fn read(
        &mut self,
        filter: &Filter,
        each: &mut dyn FnMut(&Transaction) -> Result<()>,
    ) -> Result<u64> {
        self.read_page(filter, None, None, each)
    }

    /// [`Store::read`] from just after `after`, at most `limit` rows.
    pub fn read_page(
        &mut self,
        filter: &Filter,
        after: Option<&query::Position>,
        limit: Option<u64>,
        each: &mut dyn FnMut(&Transaction) -> Result<()>,
    ) -> Result<u64> {
        match self {
            Store::Sqlite(s) => s.read(
                &query::select_page(filter, after, limit, query::Dialect::Sqlite),
                each,
            ),
            Store::Postgres(s) => s.read(
                &query::select_page(filter, after, limit, query::Dialect::Postgres),
                each,
            ),
        }
    }

    /// `id`'s own rows (at most `own_limit`), the first `shown` rows naming it as their
    /// original, and how many more of those there are.
    pub fn family(
        &mut self,
        id: &str,
        own_limit: usize,
        shown: usize,
    ) -> Result<(Vec<Transaction>, Vec<Transaction>, u64)> {
        use query::Kin;
        let dialect = match self {
            Store::Sqlite(_) => query::Dialect::Sqlite,
            Store::Postgres(_) => query::Dialect::Postgres,
        };
        let mut rows = |kin, limit: usize| -> Result<Vec<Transaction>> {
            let q = query::family(id, kin, Some(limit as u64), false, dialect);
            let mut found = Vec::new();
            let mut keep = |tx: &Transaction| {
                found.push(tx.clone());
                Ok(())
            };
            match self {
                Store::Sqlite(s) => s.read(&q, &mut keep)?,
                Store::Postgres(s) => s.read(&q, &mut keep)?,
            };
            Ok(found)
        };
        let own = rows(Kin::Own, own_limit)?;
        // One row past the shown ones tells whether to count the rest.
        let mut others = rows(Kin::Referring, shown + 1)?;
        let more = if others.len() > shown {
            others.truncate(shown);
            let q = query::family(id, Kin::Referring, None, true, dialect);
            let all = match self {
                Store::Sqlite(s) => s.count(&q)?,
                Store::Postgres(s) => s.count(&q)?,
            };
            all.saturating_sub(shown as u64)
        } else {
            0
        };
        Ok((own, others, more))
    }

    /// The statement a read of `filter` runs, and the database's plan for it: what shows
    /// that a window or an ID lookup goes through an index.
    pub fn explain(&mut self, filter: &Filter) -> Result<(query::Query, Vec<String>)> {
        let dialect = match self {
            Store::Sqlite(_) => query::Dialect::Sqlite,
            Store::Postgres(_) => query::Dialect::Postgres,
        };
        let q = query::select(filter, dialect);
        let plan = match self {
            Store::Sqlite(s) => s.explain(&q)?,
            Store::Postgres(s) => s.explain(&q)?,
        };
        Ok((q, plan))
    }

    /// The latest change of any of the rows `ids` names (by transaction ID), or `None`
    /// when none is stored: the generation time of a receipt served from the store, so
    /// its bytes stay the same until one of its rows changes.
    pub fn changed_at(&mut self, ids: &[&str]) -> Result<Option<DateTime<Utc>>> {
        match self {
            Store::Sqlite(s) => s.changed_at(ids),
            Store::Postgres(s) => s.changed_at(ids),
        }
    }

    /// Upserts every record of `files` by transaction ID, `batch_rows` to a database
    /// transaction. A bad record (without `skip_bad`) or a failure drops the open batch,
    /// so the store holds whole batches only, and a rerun completes it.
    ///
    /// A record the store cannot keep exactly (a time finer than a microsecond) is a bad
    /// record, named by file, row and field. `tick` is called once per record read.
    pub fn import(
        &mut self,
        files: &FileSource,
        batch_rows: usize,
        tick: &dyn Fn(),
    ) -> Result<ImportStats> {
        self.import_from(
            &crate::source::Source::Files(files.clone()),
            &Filter::default(),
            batch_rows,
            tick,
        )
    }

    /// [`Store::import`] from any source (report files, the gateway), keeping only the
    /// records `filter` selects. A record from the gateway that the store cannot keep is
    /// refused naming the gateway, the transaction and the field; it stops the import as
    /// a bad file record does, after the whole batches before it.
    pub fn import_from(
        &mut self,
        source: &crate::source::Source,
        filter: &Filter,
        batch_rows: usize,
        tick: &dyn Fn(),
    ) -> Result<ImportStats> {
        let mut source = source.clone();
        // Files refuse what a store cannot keep in their reader, so the record is named by
        // file, row and line and `--skip-bad` applies; other sources are checked below.
        let checked_by_reader = match &mut source {
            crate::source::Source::Files(files) => {
                files.options.check = Some(schema::unstorable);
                true
            }
            _ => false,
        };
        let url = match self {
            Store::Sqlite(s) => s.url.clone(),
            Store::Postgres(s) => s.url.clone(),
        };
        let batches: &mut dyn Batches = match self {
            Store::Sqlite(s) => s,
            Store::Postgres(s) => s.as_mut(),
        };
        let names = source.names().join(", ");
        let mut record = 0u64;
        import_into(&url, batches, batch_rows.max(1), tick, &mut |each| {
            source.read(|tx| {
                record += 1;
                if !filter.matches(tx) {
                    return Ok(());
                }
                if !checked_by_reader && let Some((field, message)) = schema::unstorable(tx) {
                    return Err(Error::Record {
                        location: crate::error::Location {
                            input: format!("{names} transaction {:?}", tx.transaction_id),
                            row: record,
                            line: None,
                        },
                        field: Some(field),
                        message,
                    });
                }
                each(tx)
            })
        })
    }
}

/// Reads every record through `read` into `batches`.
type ReadAll<'a> =
    dyn FnMut(&mut dyn FnMut(&Transaction) -> Result<()>) -> Result<ReadStats> + Send + 'a;

/// Batches filled while the last one is written: reading and parsing go on on one core
/// while the database takes the batch before on another.
const BATCHES_IN_FLIGHT: usize = 2;

fn import_into(
    url: &DbUrl,
    batches: &mut dyn Batches,
    batch_rows: usize,
    tick: &dyn Fn(),
    read: &mut ReadAll<'_>,
) -> Result<ImportStats> {
    use std::sync::mpsc::sync_channel;

    let write_error = |e: String| Error::output(url, url.scrub(e));
    let before = batches.count().map_err(write_error)?;
    let bulk = before == 0 && batches.begin_bulk().map_err(write_error)?;
    let mut stats = ImportStats::default();
    let mut changed = 0u64;
    // Full batches go to the writer (this thread) with their row counts; written ones come
    // back, so their rows' string buffers are reused.
    let (full_tx, full_rx) = sync_channel::<(Vec<Transaction>, usize)>(BATCHES_IN_FLIGHT);
    let (empty_tx, empty_rx) = sync_channel::<Vec<Transaction>>(BATCHES_IN_FLIGHT + 1);
    let (rest, written) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut batch: Vec<Transaction> =
                Vec::with_capacity(batch_rows.min(DEFAULT_BATCH_ROWS));
            let mut pending = 0usize;
            let writer_stopped = || Error::System("the store's writer stopped".into());
            let outcome = read(&mut |tx| {
                // What a store cannot keep was refused by the reader (`schema::unstorable`),
                // as a bad record naming file, row and field.
                if pending == batch.len() {
                    batch.push(tx.clone());
                } else {
                    batch[pending].clone_from(tx);
                }
                pending += 1;
                if pending == batch_rows {
                    let next = empty_rx.try_recv().unwrap_or_default();
                    full_tx
                        .send((std::mem::replace(&mut batch, next), pending))
                        .map_err(|_| writer_stopped())?;
                    pending = 0;
                }
                Ok(())
            });
            // On a bad record or a failure the rows not yet written are dropped with the
            // batch: the store holds whole batches only.
            outcome.and_then(|read| {
                if pending > 0 {
                    full_tx
                        .send((batch, pending))
                        .map_err(|_| writer_stopped())?;
                }
                Ok(read)
            })
        });
        let mut written: Result<()> = Ok(());
        for (batch, rows) in full_rx.iter() {
            match batches.write_batch(&batch[..rows]) {
                Ok(n) => changed += n,
                Err(e) => {
                    written = Err(write_error(e));
                    break;
                }
            }
            for _ in 0..rows {
                tick();
            }
            let _ = empty_tx.try_send(batch);
        }
        // A writer that stopped closes the channel, which stops the reader at its next batch.
        drop(full_rx);
        let rest = reader
            .join()
            .unwrap_or_else(|_| Err(Error::System("the reader of the import stopped".into())));
        (rest, written)
    });
    // The writer's own failure is the one to report, not the reader's stop that followed.
    let rest = written.and(rest);
    // The indexes come back whatever happened; a killed import leaves them to the next
    // writer, which makes any that are missing when it opens the store.
    // A failure of the import itself is the error to report, not one rebuilding after it.
    let ended = if bulk {
        batches.end_bulk().map_err(write_error)
    } else {
        Ok(())
    };
    stats.read = rest?;
    ended?;
    stats.total = batches.count().map_err(write_error)?;
    stats.added = stats.total.saturating_sub(before);
    stats.updated = changed.saturating_sub(stats.added);
    Ok(stats)
}

/// A store read as a source: the filter given here is pushed down into the query. With a
/// query, the database is a finance team's own, read through it ([`foreign`]).
#[derive(Clone, Debug)]
pub struct StoreSource {
    pub url: DbUrl,
    pub filter: Filter,
    pub query: Option<foreign::ForeignQuery>,
}

impl StoreSource {
    /// Reads the store on its own thread, a batch of rows ahead of `each`: the database's
    /// side and the writing of the output each use a core.
    pub fn read(&self, each: impl FnMut(&Transaction) -> Result<()>) -> Result<ReadStats> {
        crate::source::ahead(
            |each| {
                if let Some(query) = &self.query {
                    return query.read(&self.url, &self.filter, each);
                }
                let mut store = Store::open(&self.url, Access::Read)?;
                let records = store.read(&self.filter, each)?;
                Ok(ReadStats {
                    records,
                    ..ReadStats::default()
                })
            },
            each,
        )
    }
}

/// A blank transaction for a reader to refill.
pub(crate) fn blank() -> Transaction {
    Transaction::blank(Currency::parse("USD").expect("USD is known"))
}

/// The message for a store whose schema is newer than this binary's.
pub(crate) fn too_new(url: &DbUrl, version: u32) -> Error {
    Error::source(
        url,
        format!(
            "the store has schema version {version}, newer than this recibo understands \
             (version {}); it was left untouched: use a newer recibo",
            schema::SCHEMA_VERSION
        ),
    )
}

/// The message for a store without recibo's tables.
pub(crate) fn not_initialized(url: &DbUrl) -> Error {
    Error::source(
        url,
        "holds no recibo transactions yet: create the store with `recibo db init --db URL` \
         or fill it with `recibo import`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_never_shown() {
        let url =
            DbUrl::parse("postgres://u:S3cr%40t@db.example:5433/pay?sslmode=disable").unwrap();
        for shown in [url.to_string(), format!("{url:?}")] {
            assert!(!shown.contains("S3cr"), "{shown}");
            assert!(shown.contains("db.example:5433/pay"), "{shown}");
        }
        assert_eq!(url.scrub("auth failed for S3cr@t"), "auth failed for ***");
        assert_eq!(url.scrub("S3cr%40t"), "***");
        let q = DbUrl::parse("postgresql://db/pay?user=u&password=hunter2").unwrap();
        assert!(!q.to_string().contains("hunter2"), "{q}");
        let bad = DbUrl::parse("postgres://u:hunter2@db:notaport/x").unwrap_err();
        assert!(!bad.to_string().contains("hunter2"), "{bad}");
    }

    #[test]
    fn tls_settings_the_client_library_lacks_are_taken_out() {
        let (url, root) = postgres::tls_options(
            "postgres://u@h/d?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
        );
        assert_eq!(url, "postgres://u@h/d?sslmode=require&application_name=x");
        assert_eq!(root, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            postgres::tls_options("postgres://u@h/d"),
            ("postgres://u@h/d".to_string(), None)
        );
        assert!(DbUrl::parse("postgres://u@h/d?sslmode=verify-ca&sslrootcert=ca.pem").is_ok());
    }

    #[test]
    fn sqlite_urls_name_a_path() {
        let url = DbUrl::parse("sqlite:data/recibo.db").unwrap();
        assert_eq!(url.to_string(), "sqlite:data/recibo.db");
        assert!(DbUrl::parse("sqlite:").is_err());
        assert!(DbUrl::parse("mysql://x").is_err());
    }
}
