//! A finance team's own tables, read through a query (`--db-query FILE.sql`): a `SELECT`
//! (or a view) whose column names are the field keys, as in a CSV header.
//!
//! Every row is turned into text cells and checked exactly as a CSV record is, by the same
//! field parser: a bad amount is a bad record naming the query, the row, the transaction
//! ID and the field. The query is wrapped as a subquery, which also makes sure it is one
//! query and nothing else, and it runs on a read-only connection (SQLite) or in a
//! read-only transaction (PostgreSQL): it can change nothing.
//!
//! On PostgreSQL a time window is pushed down as a `WHERE` with bound parameters when the
//! time column is a `timestamptz`, whose instants compare exactly; every other filter is
//! applied to the rows as they come, as for files.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;

use super::{DbKind, DbUrl};
use crate::error::{Error, Location, Result};
use crate::filter::Filter;
use crate::model::{Field, Transaction};
use crate::source::ReadStats;
use crate::source::fields::{FieldMap, ReadOptions, fill_transaction};

/// A query over tables recibo did not make.
#[derive(Clone, Debug)]
pub struct ForeignQuery {
    /// What errors name the query by: its file, as given.
    pub name: String,
    pub sql: String,
    /// Skip bad rows (each reported, counted) instead of stopping.
    pub skip_bad: bool,
    /// Skipped rows are counted, not reported: they were on an earlier pass.
    pub quiet: bool,
}

impl ForeignQuery {
    /// The query in `path`, which must hold one `SELECT` (or `WITH ... SELECT`).
    pub fn from_file(path: &str, skip_bad: bool) -> Result<ForeignQuery> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::source(path, e))?;
        // A trailing `;` ends a statement; inside the subquery it would be a syntax error.
        let sql = text
            .trim_start_matches('\u{feff}')
            .trim_end()
            .trim_end_matches(';')
            .trim_end()
            .to_string();
        if sql.is_empty() {
            return Err(Error::usage(format!(
                "--db-query {path}: the file holds no query"
            )));
        }
        Ok(ForeignQuery {
            name: path.to_string(),
            sql,
            skip_bad,
            quiet: false,
        })
    }

    /// `SELECT <columns> FROM (<query>) AS recibo_query(c1, c2, ...)`: the query as a
    /// subquery whose columns are named by position, so that two columns of one name
    /// cannot be confused. The query stands on lines of its own: a `--` comment on its last
    /// line cannot swallow the closing parenthesis.
    fn wrapped(&self, select: &str, width: Option<usize>) -> String {
        let aliases = match width {
            Some(n) => format!(
                "({})",
                (0..n)
                    .map(|i| format!("c{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        };
        format!(
            "SELECT {select} FROM (\n{}\n) AS recibo_query{aliases}",
            self.sql
        )
    }

    /// Hands every good row to `each` as a transaction, in the query's order.
    pub fn read(
        &self,
        url: &DbUrl,
        filter: &Filter,
        each: &mut dyn FnMut(&Transaction) -> Result<()>,
    ) -> Result<ReadStats> {
        let mut rows = Rows {
            query: self,
            map: None,
            tx: super::blank(),
            stats: ReadStats::default(),
            row: 0,
            each,
        };
        match &url.kind {
            DbKind::Sqlite(path) => self.read_sqlite(url, path, &mut rows)?,
            DbKind::Postgres(target) => self.read_postgres(url, target, filter, &mut rows)?,
        }
        Ok(rows.stats)
    }

    fn read_sqlite(&self, url: &DbUrl, path: &std::path::Path, rows: &mut Rows) -> Result<()> {
        let fail = |e: rusqlite::Error| Error::source(url, format!("{}: {e}", self.name));
        if !path.exists() {
            return Err(Error::source(url, "no such database file"));
        }
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| Error::source(url, e))?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(|e| Error::source(url, e))?;
        let mut stmt = conn.prepare(&self.wrapped("*", None)).map_err(fail)?;
        let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
        rows.start(&names)?;
        let width = names.len();
        let mut result = stmt.query([]).map_err(fail)?;
        // One buffer per column, reused row after row; a null is an empty cell, as in a CSV.
        let mut cells: Vec<String> = vec![String::new(); width];
        while let Some(row) = result.next().map_err(fail)? {
            let mut bad = None;
            for (i, cell) in cells.iter_mut().enumerate() {
                use std::fmt::Write as _;
                cell.clear();
                match row.get_ref(i).map_err(fail)? {
                    ValueRef::Null => {}
                    ValueRef::Integer(n) => {
                        let _ = write!(cell, "{n}");
                    }
                    // Shortest text that reads back as the same number: a float amount that
                    // is not exact in its currency's digits is refused by the amount parser.
                    ValueRef::Real(x) => {
                        let _ = write!(cell, "{x}");
                    }
                    ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
                        Ok(text) => cell.push_str(text),
                        Err(_) => {
                            bad.get_or_insert((i, "is not UTF-8 text"));
                        }
                    },
                    ValueRef::Blob(_) => {
                        bad.get_or_insert((i, "is binary data, not text or a number"));
                    }
                }
            }
            rows.take(&names, &cells, bad)?;
        }
        Ok(())
    }

    fn read_postgres(
        &self,
        url: &DbUrl,
        target: &super::postgres::PgTarget,
        filter: &Filter,
        rows: &mut Rows,
    ) -> Result<()> {
        use postgres::types::{ToSql, Type};
        let mut client = super::postgres::connect(url, target)?;
        let fail = |e: postgres::Error| {
            Error::source(
                url,
                url.scrub(format!("{}: {}", self.name, super::postgres::message(&e))),
            )
        };
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(fail)?;
        let probe = tx.prepare(&self.wrapped("*", None)).map_err(fail)?;
        let names: Vec<String> = probe
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let types: Vec<Type> = probe.columns().iter().map(|c| c.type_().clone()).collect();
        let map = rows.start(&names)?;
        // Each column as the text a report cell would hold: instants in UTC with their `Z`,
        // everything else as PostgreSQL writes it.
        let select: Vec<String> = types
            .iter()
            .enumerate()
            .map(|(i, t)| match *t {
                Type::TIMESTAMPTZ => {
                    format!("to_char(c{i} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
                }
                Type::TIMESTAMP => format!("to_char(c{i}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"),
                _ => format!("c{i}::text"),
            })
            .collect();
        let mut sql = self.wrapped(&select.join(", "), Some(names.len()));
        let mut params: Vec<DateTime<Utc>> = Vec::new();
        if let Some(p) = map.position(Field::PaymentTime)
            && types[p] == Type::TIMESTAMPTZ
        {
            let mut clauses = Vec::new();
            if let Some(from) = filter.from {
                params.push(from);
                clauses.push(format!("c{p} >= ${}", params.len()));
            }
            if let Some(to) = filter.to {
                params.push(to);
                clauses.push(format!("c{p} < ${}", params.len()));
            }
            if !clauses.is_empty() {
                sql.push_str(" WHERE ");
                sql.push_str(&clauses.join(" AND "));
            }
        }
        let refs: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let portal = tx.bind(sql.as_str(), &refs).map_err(fail)?;
        loop {
            let page = tx
                .query_portal(&portal, super::postgres::PAGE_ROWS)
                .map_err(fail)?;
            let mut cells: Vec<&str> = Vec::with_capacity(names.len());
            for row in &page {
                // Borrowed from the row; a null is an empty cell, as in a CSV.
                cells.clear();
                for i in 0..names.len() {
                    cells.push(
                        row.try_get::<_, Option<&str>>(i)
                            .map_err(fail)?
                            .unwrap_or(""),
                    );
                }
                rows.take(&names, &cells, None)?;
            }
            if page.len() < super::postgres::PAGE_ROWS as usize {
                break;
            }
        }
        tx.commit().map_err(fail)
    }
}

/// The rows read so far and where they go.
struct Rows<'a> {
    query: &'a ForeignQuery,
    map: Option<FieldMap>,
    tx: Transaction,
    stats: ReadStats,
    row: u64,
    each: &'a mut dyn FnMut(&Transaction) -> Result<()>,
}

impl Rows<'_> {
    /// Maps the query's column names to fields, as a CSV header is.
    fn start(&mut self, names: &[String]) -> Result<FieldMap> {
        let map = FieldMap::from_headers(names.iter().map(String::as_str))
            .map_err(|e| Error::source(&self.query.name, e))?;
        self.map = Some(map.clone());
        Ok(map)
    }

    /// Checks one row's cells (or the column `bad` says cannot be text) and hands it on.
    fn take<S: AsRef<str>>(
        &mut self,
        names: &[String],
        cells: &[S],
        bad: Option<(usize, &str)>,
    ) -> Result<()> {
        self.row += 1;
        let map = self.map.as_ref().expect("start comes first");
        let options = ReadOptions {
            // Text in a database never carries a CSV writer's formula guard.
            formula_guard: false,
            ..ReadOptions::default()
        };
        let get = |f: Field| {
            map.position(f)
                .map(|p| cells.get(p).map_or("", |c| c.as_ref()))
        };
        let outcome = match bad {
            Some((i, why)) => Err((
                map.field_at(i).map(|f| f.key()),
                format!("column {:?} {why}", names[i]),
            )),
            None => {
                fill_transaction(&mut self.tx, get, options).map_err(|e| (Some(e.field), e.message))
            }
        };
        match outcome {
            Ok(()) => {
                self.stats.records += 1;
                (self.each)(&self.tx)
            }
            Err((field, message)) => {
                let id = get(Field::TransactionId).unwrap_or("").trim();
                let message = if id.is_empty() {
                    message
                } else {
                    format!("transaction {id:?}: {message}")
                };
                let error = Error::Record {
                    location: Location {
                        input: self.query.name.clone(),
                        row: self.row,
                        line: None,
                    },
                    field,
                    message,
                };
                if self.query.skip_bad {
                    if !self.query.quiet {
                        tracing::warn!("skipped {error}");
                    }
                    self.stats.skipped += 1;
                    Ok(())
                } else {
                    Err(error)
                }
            }
        }
    }
}
