//! The embedded store: one SQLite file in WAL mode, so readers go on while an import
//! writes. Times are integer microseconds since the epoch (UTC).

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, params_from_iter};

use super::query::{Param, Query};
use super::schema::{self, COLUMNS, Kind, META, RowAccess, SCHEMA_VERSION, TABLE};
use super::{Access, Batches, DbUrl, Status};
use crate::error::{Error, Result};
use crate::model::Transaction;

/// The page cache of a writing connection, in KiB (SQLite's unit for a negative
/// `cache_size`).
const WRITE_CACHE_KIB: i64 = 64 * 1024;

pub struct SqliteStore {
    pub(crate) url: DbUrl,
    conn: Connection,
}

fn sql_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Id | Kind::Text | Kind::Code => "TEXT NOT NULL",
        Kind::OptCode => "TEXT",
        Kind::Time | Kind::Minor | Kind::Int => "INTEGER NOT NULL",
        Kind::OptMinor => "INTEGER",
    }
}

fn create_sql() -> String {
    schema::create_sql(sql_type)
}

/// The upsert, built once: every batch prepares the same statement.
static UPSERT: LazyLock<String> = LazyLock::new(upsert_sql);

/// `INSERT ... ON CONFLICT DO UPDATE` that leaves a row alone (and its `updated_at`) when
/// nothing in it changed, so a rerun changes nothing.
fn upsert_sql() -> String {
    let names = schema::column_list();
    let marks: Vec<String> = (1..=COLUMNS.len() + 1).map(|i| format!("?{i}")).collect();
    let rest = &COLUMNS[1..];
    let set: Vec<String> = rest
        .iter()
        .map(|c| format!("{0} = excluded.{0}", c.name))
        .chain(std::iter::once("updated_at = excluded.updated_at".into()))
        .collect();
    let differs: Vec<String> = rest
        .iter()
        .map(|c| format!("{0} IS NOT excluded.{0}", c.name))
        .collect();
    format!(
        "INSERT INTO {TABLE} ({names}, updated_at) VALUES ({}) \
         ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
        marks.join(", "),
        schema::KEY,
        set.join(", "),
        differs.join(" OR ")
    )
}

impl SqliteStore {
    pub fn open(url: &DbUrl, path: &Path, access: Access) -> Result<SqliteStore> {
        let fail = |e: rusqlite::Error| Error::source(url, e);
        let conn = match access {
            Access::Read => {
                if !path.exists() {
                    return Err(Error::source(
                        url,
                        "no such store file: create it with `recibo db init --db URL` or `recibo import`",
                    ));
                }
                Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(fail)?
            }
            Access::Write => {
                // A new store may be named in a folder not made yet, as an output may.
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                    && !dir.exists()
                {
                    std::fs::create_dir_all(dir).map_err(|e| Error::output(url, e))?;
                }
                Connection::open(path).map_err(fail)?
            }
        };
        // An import holds the write lock for a batch at a time; readers and a second
        // writer wait for it rather than fail.
        conn.busy_timeout(Duration::from_secs(30)).map_err(fail)?;
        if access == Access::Write {
            // An upsert walks the primary key and seven ID indexes at random places; with
            // SQLite's 2 MB default cache most of those pages are read back from the file
            // and written out early. A bounded cache keeps them in memory for a batch.
            conn.pragma_update(None, "cache_size", -WRITE_CACHE_KIB)
                .map_err(fail)?;
            // In WAL mode NORMAL still keeps every committed batch whole after a crash;
            // only the last batches before a power loss may be rolled back.
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(fail)?;
            // Building a new store's indexes sorts every row once per index: SQLite's sorter
            // may use more than one core for that.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
            conn.pragma_update(None, "threads", cores as i64)
                .map_err(fail)?;
        }
        let mut store = SqliteStore {
            url: url.clone(),
            conn,
        };
        store.check_schema(access)?;
        if access == Access::Write {
            // An import killed while it built a new store's indexes left them out.
            store
                .conn
                .execute_batch(&schema::index_sql())
                .map_err(|e| Error::output(&store.url, e))?;
        }
        Ok(store)
    }

    fn version(&self) -> rusqlite::Result<Option<u32>> {
        version_of(&self.conn)
    }

    fn check_schema(&mut self, access: Access) -> Result<()> {
        let fail = |e: rusqlite::Error| Error::source(&self.url, e);
        match (self.version().map_err(fail)?, access) {
            (Some(v), _) if v > SCHEMA_VERSION => Err(super::too_new(&self.url, v)),
            // An older store reads as it is; only a writer migrates it.
            (Some(_), Access::Read) => Ok(()),
            (None, Access::Read) => Err(super::not_initialized(&self.url)),
            (_, Access::Write) => {
                // WAL lets `serve` and exports read while an import writes; it is a
                // property of the file, set once.
                self.conn
                    .pragma_update(None, "journal_mode", "WAL")
                    .map_err(|e| Error::output(&self.url, e))?;
                let tx = self
                    .conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| Error::output(&self.url, e))?;
                // Another process may have created or migrated it while this one waited
                // for the lock: look again.
                let sql = match version_of(&tx).map_err(|e| Error::output(&self.url, e))? {
                    None => Some(create_sql()),
                    Some(v) if v > SCHEMA_VERSION => return Err(super::too_new(&self.url, v)),
                    Some(v) => schema::migrate_sql(v, sql_type),
                };
                if let Some(sql) = sql {
                    tx.execute_batch(&sql)
                        .map_err(|e| Error::output(&self.url, e))?;
                }
                tx.commit().map_err(|e| Error::output(&self.url, e))?;
                Ok(())
            }
        }
    }

    pub fn status(&mut self) -> Result<Status> {
        let transactions = Batches::count(self).map_err(|e| Error::source(&self.url, e))?;
        let fail = |e: rusqlite::Error| Error::source(&self.url, e);
        let version = self.version().map_err(fail)?.unwrap_or(0);
        let mut by_type = Vec::new();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT transaction_type, count(*) FROM {TABLE} GROUP BY transaction_type ORDER BY transaction_type"
            ))
            .map_err(fail)?;
        let mut rows = stmt.query([]).map_err(fail)?;
        while let Some(row) = rows.next().map_err(fail)? {
            by_type.push((
                row.get::<_, String>(0).map_err(fail)?,
                row.get::<_, i64>(1).map_err(fail)? as u64,
            ));
        }
        let (first, last): (Option<i64>, Option<i64>) = self
            .conn
            .query_row(
                &format!("SELECT min(payment_time), max(payment_time) FROM {TABLE}"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(fail)?;
        Ok(Status {
            store: self.url.to_string(),
            schema_version: version,
            supported_version: SCHEMA_VERSION,
            transactions,
            by_type,
            first_payment: first.and_then(DateTime::from_timestamp_micros),
            last_payment: last.and_then(DateTime::from_timestamp_micros),
        })
    }

    pub fn read(
        &mut self,
        q: &Query,
        each: &mut dyn FnMut(&Transaction) -> Result<()>,
    ) -> Result<u64> {
        let fail = |e: rusqlite::Error| Error::source(&self.url, e);
        let mut stmt = self.conn.prepare(&q.sql).map_err(fail)?;
        let mut rows = stmt.query(params_from_iter(bound(q))).map_err(fail)?;
        let mut tx = super::blank();
        let mut count = 0;
        while let Some(row) = rows.next().map_err(fail)? {
            schema::fill(&SqliteRow(row), &mut tx)
                .map_err(|e| Error::source(&self.url, format!("a stored row is damaged: {e}")))?;
            count += 1;
            each(&tx)?;
        }
        Ok(count)
    }

    /// The count a `SELECT count(*)` statement gives.
    pub fn count(&mut self, q: &Query) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row(&q.sql, params_from_iter(bound(q)), |r| r.get(0))
            .map_err(|e| Error::source(&self.url, e))?;
        Ok(n.max(0) as u64)
    }

    /// SQLite's plan for `q`: one line per step, indented by depth.
    pub fn explain(&mut self, q: &Query) -> Result<Vec<String>> {
        let fail = |e: rusqlite::Error| Error::source(&self.url, e);
        let mut stmt = self
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", q.sql))
            .map_err(fail)?;
        let mut rows = stmt.query(params_from_iter(bound(q))).map_err(fail)?;
        let mut depth: Vec<(i64, usize)> = Vec::new();
        let mut lines = Vec::new();
        while let Some(row) = rows.next().map_err(fail)? {
            let (id, parent): (i64, i64) = (row.get(0).map_err(fail)?, row.get(1).map_err(fail)?);
            let detail: String = row.get(3).map_err(fail)?;
            let level = depth
                .iter()
                .find(|(i, _)| *i == parent)
                .map_or(0, |(_, d)| d + 1);
            depth.push((id, level));
            lines.push(format!("{}{detail}", "  ".repeat(level)));
        }
        Ok(lines)
    }

    /// The latest change of any of the rows `ids` names, or `None` when none is stored.
    pub fn changed_at(&mut self, ids: &[&str]) -> Result<Option<DateTime<Utc>>> {
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "SELECT max(updated_at) FROM {TABLE} WHERE transaction_id IN ({})",
            marks.join(", ")
        );
        let micros: Option<i64> = self
            .conn
            .query_row(&sql, params_from_iter(ids), |r| r.get(0))
            .map_err(|e| Error::source(&self.url, e))?;
        Ok(micros.and_then(DateTime::from_timestamp_micros))
    }
}

/// `q`'s parameters as SQLite values, borrowed.
fn bound(q: &Query) -> impl Iterator<Item = ToSqlOutput<'_>> {
    q.params.iter().map(|p| {
        ToSqlOutput::Borrowed(match p {
            Param::Text(s) => ValueRef::Text(s.as_bytes()),
            Param::Int(i) | Param::Micros(i) => ValueRef::Integer(*i),
        })
    })
}

impl Batches for SqliteStore {
    fn write_batch(&mut self, rows: &[Transaction]) -> std::result::Result<u64, String> {
        let now = Utc::now().timestamp_micros();
        // Dropped without a commit (an error below), the transaction rolls back.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| e.to_string())?;
        let mut changed = 0;
        {
            let mut stmt = tx.prepare(&UPSERT).map_err(|e| e.to_string())?;
            for row in rows {
                let v = schema::Values::of(row);
                let t = &v.text;
                let n = stmt
                    .execute(rusqlite::params![
                        t[0],
                        t[1],
                        t[2],
                        t[3],
                        t[4],
                        t[5],
                        t[6],
                        t[7],
                        t[8],
                        t[9],
                        t[10],
                        t[11],
                        t[12],
                        t[13],
                        v.payment_time_micros,
                        v.product_code,
                        v.amount_minor,
                        v.currency,
                        v.settlement_minor,
                        v.settlement_currency,
                        v.fee_minor,
                        v.fee_currency,
                        v.tail[0],
                        v.tail[1],
                        v.tail[2],
                        v.tail[3],
                        v.tail[4],
                        v.tail[5],
                        v.method_key,
                        v.acquirer_key,
                        v.shard_hash,
                        now,
                    ])
                    .map_err(|e| format!("transaction {:?}: {e}", row.transaction_id))?;
                changed += n as u64;
            }
        }
        tx.commit().map_err(|e| e.to_string())?;
        Ok(changed)
    }

    fn begin_bulk(&mut self) -> std::result::Result<bool, String> {
        self.conn
            .execute_batch(&schema::drop_index_sql())
            .map_err(|e| e.to_string())?;
        Ok(true)
    }

    fn end_bulk(&mut self) -> std::result::Result<(), String> {
        self.conn
            .execute_batch(&schema::index_sql())
            .map_err(|e| e.to_string())
    }

    fn count(&mut self) -> std::result::Result<u64, String> {
        self.conn
            .query_row(&format!("SELECT count(*) FROM {TABLE}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    }
}

struct SqliteRow<'a>(&'a rusqlite::Row<'a>);

fn column_error(i: usize, e: impl std::fmt::Display) -> String {
    format!("column {}: {e}", COLUMNS[i].name)
}

impl RowAccess for SqliteRow<'_> {
    fn text(&self, i: usize) -> std::result::Result<&str, String> {
        match self.0.get_ref(i).map_err(|e| column_error(i, e))? {
            // Checked, since another program may have written the file; with SIMD, as
            // every text field of every row passes here.
            ValueRef::Text(bytes) => simdutf8::basic::from_utf8(bytes)
                .map_err(|_| column_error(i, "text that is not UTF-8")),
            other => Err(column_error(
                i,
                format!("{} where text belongs", other.data_type()),
            )),
        }
    }
    fn int(&self, i: usize) -> std::result::Result<i64, String> {
        self.0
            .get_ref(i)
            .and_then(|v| v.as_i64().map_err(Into::into))
            .map_err(|e| column_error(i, e))
    }
    fn opt_int(&self, i: usize) -> std::result::Result<Option<i64>, String> {
        self.0
            .get_ref(i)
            .and_then(|v| v.as_i64_or_null().map_err(Into::into))
            .map_err(|e| column_error(i, e))
    }
    fn opt_text(&self, i: usize) -> std::result::Result<Option<&str>, String> {
        self.0
            .get_ref(i)
            .and_then(|v| v.as_str_or_null().map_err(Into::into))
            .map_err(|e| column_error(i, e))
    }
    fn time(&self, i: usize) -> std::result::Result<DateTime<Utc>, String> {
        let micros = self.int(i)?;
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| column_error(i, format!("{micros} is out of range")))
    }
}

fn version_of(conn: &Connection) -> rusqlite::Result<Option<u32>> {
    let has_meta: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [META],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(None);
    }
    let text: String = conn.query_row(
        &format!("SELECT value FROM {META} WHERE key = 'schema_version'"),
        [],
        |r| r.get(0),
    )?;
    Ok(Some(text.trim().parse().unwrap_or(u32::MAX)))
}
