//! The shared store: a PostgreSQL database (13 or newer). Times are `timestamptz`, IDs
//! `text COLLATE "C"` so they compare and sort byte for byte as in the embedded store.
//!
//! An import batch is a binary `COPY` into a session's staging table, merged into the
//! table with one `INSERT ... ON CONFLICT` in the same transaction; a read is a portal
//! fetched a page at a time inside one read-only transaction, so memory stays flat and the
//! rows come from one snapshot.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::config::SslMode;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::query::{Param, Query};
use super::schema::{self, COLUMNS, Kind, META, RowAccess, SCHEMA_VERSION, TABLE};
use super::{Access, Batches, DbUrl, Status};
use crate::error::{Error, Result};
use crate::model::Transaction;

/// The session's staging table: a batch is copied here, then merged.
const STAGING: &str = "recibo_staging";

/// Rows fetched from a read's portal at a time.
pub(crate) const PAGE_ROWS: i32 = 2_000;

/// Serializes schema creation between processes (`pg_advisory_xact_lock`).
const SCHEMA_LOCK: i64 = 0x7265_6369_626f_0001;

pub struct PgStore {
    pub(crate) url: DbUrl,
    client: Client,
    /// A first import into an empty store copies batches straight into the table (see
    /// [`PgStore::write_batch`]) until a batch meets a row already there.
    direct: bool,
}

fn sql_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Id => "text COLLATE \"C\" NOT NULL",
        Kind::Text | Kind::Code => "text NOT NULL",
        Kind::OptCode => "text",
        Kind::Time => "timestamptz NOT NULL",
        Kind::Minor | Kind::Int => "bigint NOT NULL",
        Kind::OptMinor => "bigint",
    }
}

/// The COPY type of each column, in [`COLUMNS`] order.
fn copy_type(kind: Kind) -> Type {
    match kind {
        Kind::Id | Kind::Text | Kind::Code | Kind::OptCode => Type::TEXT,
        Kind::Time => Type::TIMESTAMPTZ,
        Kind::Minor | Kind::OptMinor | Kind::Int => Type::INT8,
    }
}

fn create_sql() -> String {
    schema::create_sql(sql_type)
}

fn staging_sql() -> String {
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c.name,
                sql_type(c.kind).trim_end_matches(" NOT NULL")
            )
        })
        .collect();
    // Temporary: private to the session, gone with it; emptied by every commit.
    format!(
        "CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} ({}) ON COMMIT DELETE ROWS",
        columns.join(", ")
    )
}

/// The merge of a staged batch, built once. A row whose values are all unchanged is left
/// alone (and its `updated_at`), so a rerun changes nothing.
static MERGE: LazyLock<String> = LazyLock::new(|| {
    let names = schema::column_list();
    let rest = &COLUMNS[1..];
    let set: Vec<String> = rest
        .iter()
        .map(|c| format!("{0} = EXCLUDED.{0}", c.name))
        .chain(std::iter::once("updated_at = EXCLUDED.updated_at".into()))
        .collect();
    let old: Vec<String> = rest.iter().map(|c| format!("{TABLE}.{}", c.name)).collect();
    let new: Vec<String> = rest
        .iter()
        .map(|c| format!("EXCLUDED.{}", c.name))
        .collect();
    format!(
        "INSERT INTO {TABLE} ({names}, updated_at) SELECT {names}, now() FROM {STAGING} \
         ON CONFLICT ({}) DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})",
        schema::KEY,
        set.join(", "),
        old.join(", "),
        new.join(", ")
    )
});

static COPY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "COPY {STAGING} ({}) FROM STDIN (FORMAT binary)",
        schema::column_list()
    )
});

/// A batch copied straight into the table, with its `updated_at`.
static COPY_DIRECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "COPY {TABLE} ({}, updated_at) FROM STDIN (FORMAT binary)",
        schema::column_list()
    )
});

/// `url` with the password (in `user:password@` or a `password=` parameter) replaced by
/// `***`, and the password in every spelling it takes in `url` (as typed, percent-decoded).
pub(crate) fn redacted(url: &str) -> (String, Vec<String>) {
    let mut secrets = Vec::new();
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    // The authority ends at the first '/', '?' or '#'; a password holding one of them
    // must be percent-encoded, so the last '@' before it ends the user info.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, password)) => {
                secrets.push(password.to_string());
                secrets.push(percent_decoded(password));
                format!("{user}:***@{host}")
            }
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, value)) if key.eq_ignore_ascii_case("password") => {
                        secrets.push(value.to_string());
                        secrets.push(percent_decoded(value));
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_string(),
    };
    secrets.retain(|s| !s.is_empty());
    (format!("{scheme}://{authority}{tail}"), secrets)
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where a PostgreSQL store is and how to reach it.
#[derive(Clone)]
pub(crate) struct PgTarget {
    pub config: postgres::Config,
    /// `sslrootcert=FILE`: the only certificate authorities trusted for the server, in
    /// place of the system's.
    pub root_cert: Option<PathBuf>,
}

/// `url` without the TLS settings the client library does not take, and the root
/// certificate file if one is named. libpq's `sslmode=verify-ca` and `verify-full` become
/// `require`, which here always verifies the server's certificate and name.
pub(crate) fn tls_options(url: &str) -> (String, Option<PathBuf>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut root = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslrootcert", value)) => {
                root = Some(PathBuf::from(percent_decoded(value)));
            }
            Some(("sslmode", "verify-ca" | "verify-full")) => kept.push("sslmode=require"),
            _ => kept.push(pair),
        }
    }
    if kept.is_empty() {
        (base.to_string(), root)
    } else {
        (format!("{base}?{}", kept.join("&")), root)
    }
}

/// The TLS connector for `sslmode=require`: the server's certificate must chain to
/// `root_cert`'s authorities, or else to the system's, and name the host connected to.
fn tls_connector(url: &DbUrl, root_cert: Option<&Path>) -> Result<MakeRustlsConnect> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    // Installing a provider twice is harmless; the gateway client installs the same one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = match root_cert {
        Some(path) => {
            let bad = |e: String| {
                Error::usage(format!("--db {url}: sslrootcert {}: {e}", path.display()))
            };
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))? {
                roots
                    .add(cert.map_err(|e| bad(e.to_string()))?)
                    .map_err(|e| bad(e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(bad("holds no PEM certificate".into()));
            }
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth()
        }
        None => {
            use rustls_platform_verifier::ConfigVerifierExt;
            rustls::ClientConfig::with_platform_verifier().map_err(|e| {
                Error::source(url, format!("the system's certificate authorities: {e}"))
            })?
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

/// A connection to the server `target` names, over TLS when its URL asks.
pub(crate) fn connect(url: &DbUrl, target: &PgTarget) -> Result<Client> {
    let mut config = target.config.clone();
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    if config.get_application_name().is_none() {
        config.application_name("recibo");
    }
    // TLS when the URL asks for it (`sslmode=require`); `prefer`, the default, stays
    // plain rather than accept a certificate nobody checked.
    let connected = if matches!(config.get_ssl_mode(), SslMode::Require) {
        config.connect(tls_connector(url, target.root_cert.as_deref())?)
    } else {
        config.connect(NoTls)
    };
    connected.map_err(|e| Error::source(url, url.scrub(message(&e))))
}

impl PgStore {
    pub(crate) fn open(url: &DbUrl, target: &PgTarget, access: Access) -> Result<PgStore> {
        let client = connect(url, target)?;
        let mut store = PgStore {
            url: url.clone(),
            client,
            direct: false,
        };
        store.check_schema(access)?;
        if access == Access::Write {
            store
                .client
                .batch_execute(&staging_sql())
                .map_err(|e| store.fail_output(e))?;
            // An import killed while it built a new store's indexes left them out, and a
            // store of an earlier version lacks the ones that replaced its own. Only
            // then: `CREATE INDEX IF NOT EXISTS` locks the table even when they are there,
            // which would make every writer wait for the batches of another.
            let present: i64 = store
                .client
                .query_one(
                    "SELECT count(*) FROM pg_indexes WHERE tablename = $1 AND indexname = ANY($2)",
                    &[&TABLE, &schema::index_names()],
                )
                .map(|r| r.get(0))
                .map_err(|e| store.fail_output(e))?;
            if present < schema::SECONDARY_INDEXES as i64 {
                store
                    .under_schema_lock(&schema::index_sql())
                    .map_err(|e| store.fail_output(e))?;
            }
        }
        Ok(store)
    }

    /// Runs `sql` in one transaction holding the schema lock, so that two writers never
    /// create or drop the same index at once (PostgreSQL's `IF NOT EXISTS` does not guard
    /// against a concurrent `CREATE`).
    fn under_schema_lock(&mut self, sql: &str) -> std::result::Result<(), postgres::Error> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
        tx.batch_execute(sql)?;
        tx.commit()
    }

    fn fail(&self, e: postgres::Error) -> Error {
        Error::source(&self.url, self.url.scrub(message(&e)))
    }

    fn fail_output(&self, e: postgres::Error) -> Error {
        Error::output(&self.url, self.url.scrub(message(&e)))
    }

    fn version(
        client: &mut impl postgres::GenericClient,
    ) -> std::result::Result<Option<u32>, postgres::Error> {
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&META])?
            .get(0);
        if !exists {
            return Ok(None);
        }
        let row = client.query_opt(
            &format!("SELECT value FROM {META} WHERE key = 'schema_version'"),
            &[],
        )?;
        Ok(Some(match row {
            Some(row) => row.get::<_, String>(0).trim().parse().unwrap_or(u32::MAX),
            None => u32::MAX,
        }))
    }

    fn check_schema(&mut self, access: Access) -> Result<()> {
        let version = Self::version(&mut self.client).map_err(|e| self.fail(e))?;
        match (version, access) {
            (Some(v), _) if v > SCHEMA_VERSION => Err(super::too_new(&self.url, v)),
            // An older store reads as it is; only a writer migrates it.
            (Some(_), Access::Read) => Ok(()),
            (None, Access::Read) => Err(super::not_initialized(&self.url)),
            (Some(SCHEMA_VERSION), Access::Write) => Ok(()),
            (_, Access::Write) => {
                let url = self.url.clone();
                let fail = |e: postgres::Error| Error::output(&url, url.scrub(message(&e)));
                let mut tx = self.client.transaction().map_err(fail)?;
                // Another process may be creating or migrating it: wait for it, then look
                // again.
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
                    .map_err(fail)?;
                match Self::version(&mut tx).map_err(fail)? {
                    None => tx.batch_execute(&create_sql()).map_err(fail)?,
                    Some(v) if v > SCHEMA_VERSION => return Err(super::too_new(&url, v)),
                    Some(v) => {
                        if let Some(sql) = schema::migrate_sql(v, sql_type) {
                            tx.batch_execute(&sql).map_err(fail)?;
                        }
                    }
                }
                tx.commit().map_err(fail)
            }
        }
    }

    pub fn status(&mut self) -> Result<Status> {
        let transactions = Batches::count(self).map_err(|e| Error::source(&self.url, e))?;
        let version = Self::version(&mut self.client)
            .map_err(|e| self.fail(e))?
            .unwrap_or(0);
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT transaction_type, count(*) FROM {TABLE} \
                     GROUP BY transaction_type ORDER BY transaction_type COLLATE \"C\""
                ),
                &[],
            )
            .map_err(|e| self.fail(e))?;
        let by_type = rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect();
        let row = self
            .client
            .query_one(
                &format!("SELECT min(payment_time), max(payment_time) FROM {TABLE}"),
                &[],
            )
            .map_err(|e| self.fail(e))?;
        Ok(Status {
            store: self.url.to_string(),
            schema_version: version,
            supported_version: SCHEMA_VERSION,
            transactions,
            by_type,
            first_payment: row.get(0),
            last_payment: row.get(1),
        })
    }

    /// The latest change of any of the rows `ids` names, or `None` when none is stored.
    pub fn changed_at(&mut self, ids: &[&str]) -> Result<Option<DateTime<Utc>>> {
        let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        let row = self
            .client
            .query_one(
                &format!("SELECT max(updated_at) FROM {TABLE} WHERE transaction_id = ANY($1)"),
                &[&ids],
            )
            .map_err(|e| self.fail(e))?;
        Ok(row.get(0))
    }

    /// The count a `SELECT count(*)` statement gives.
    pub fn count(&mut self, q: &Query) -> Result<u64> {
        let params = bound(q);
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        let row = self
            .client
            .query_one(&q.sql, &refs)
            .map_err(|e| self.fail(e))?;
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    /// PostgreSQL's plan for `q`, as `EXPLAIN` prints it.
    pub fn explain(&mut self, q: &Query) -> Result<Vec<String>> {
        let params = bound(q);
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        let rows = self
            .client
            .query(&format!("EXPLAIN {}", q.sql), &refs)
            .map_err(|e| self.fail(e))?;
        Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
    }

    pub fn read(
        &mut self,
        q: &Query,
        each: &mut dyn FnMut(&Transaction) -> Result<()>,
    ) -> Result<u64> {
        let url = self.url.clone();
        let fail = |e: postgres::Error| Error::source(&url, url.scrub(message(&e)));
        let params = bound(q);
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
        let mut tx = self
            .client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(fail)?;
        let portal = tx.bind(&q.sql, &refs).map_err(fail)?;
        let mut target = super::blank();
        let mut count = 0;
        loop {
            let page = tx.query_portal(&portal, PAGE_ROWS).map_err(fail)?;
            for row in &page {
                schema::fill(&PgRow(row), &mut target)
                    .map_err(|e| Error::source(&url, format!("a stored row is damaged: {e}")))?;
                count += 1;
                each(&target)?;
            }
            if page.len() < PAGE_ROWS as usize {
                break;
            }
        }
        tx.commit().map_err(fail)?;
        Ok(count)
    }
}

/// `q`'s parameters as the client library binds them.
fn bound(q: &Query) -> Vec<Box<dyn ToSql + Sync>> {
    q.params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Param::Text(s) => Box::new(s.clone()),
                Param::Int(i) => Box::new(*i),
                Param::Micros(m) => Box::new(DateTime::from_timestamp_micros(*m)),
            }
        })
        .collect()
}

/// A PostgreSQL error with the server's own message, detail and hint when it sent them.
pub(crate) fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_string();
            if let Some(detail) = db.detail() {
                text.push_str(": ");
                text.push_str(detail);
            }
            if let Some(hint) = db.hint() {
                text.push_str(" (");
                text.push_str(hint);
                text.push(')');
            }
            text
        }
        None => {
            // The cause says what went wrong ("invalid peer certificate: UnknownIssuer"),
            // where the error itself says only what was being done.
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                let part = c.to_string();
                if !text.contains(&part) {
                    text.push_str(": ");
                    text.push_str(&part);
                }
                cause = c.source();
            }
            text
        }
    }
}

impl Batches for PgStore {
    fn write_batch(&mut self, rows: &[Transaction]) -> std::result::Result<u64, String> {
        // One row per key (ID and type), the batch's last: a merge may not touch a row
        // twice, nor a copy add it twice.
        let mut last: HashMap<(&str, &str), usize> = HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            last.insert((&row.transaction_id, row.transaction_type.as_str()), i);
        }
        let kept: Vec<&Transaction> = rows
            .iter()
            .enumerate()
            .filter(|(i, row)| {
                last.get(&(row.transaction_id.as_str(), row.transaction_type.as_str())) == Some(i)
            })
            .map(|(_, row)| row)
            .collect();
        // Dropped without a commit (an error below), the transaction rolls back.
        let mut tx = self.client.transaction().map_err(|e| message(&e))?;
        if self.direct {
            // Into an empty store the rows are new, unless the input repeats a transaction
            // across batches: copied straight into the table they cost the server a third
            // of a staged merge. The first batch that meets a row already there is rolled
            // back to the savepoint and merged, and so is every batch after it.
            let mut direct = tx.savepoint("recibo_direct").map_err(|e| message(&e))?;
            match copy_rows(&mut direct, COPY_DIRECT.as_str(), &kept, Some(Utc::now())) {
                Ok(()) => {
                    direct.commit().map_err(|e| message(&e))?;
                    tx.commit().map_err(|e| message(&e))?;
                    return Ok(kept.len() as u64);
                }
                Err(e) if e.is_unique_violation() => {
                    drop(direct);
                    self.direct = false;
                    tracing::debug!("a batch repeats rows already stored: merging from here on");
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        copy_rows(&mut tx, COPY.as_str(), &kept, None).map_err(|e| e.to_string())?;
        let changed = tx.execute(MERGE.as_str(), &[]).map_err(|e| message(&e))?;
        tx.commit().map_err(|e| message(&e))?;
        Ok(changed)
    }

    fn begin_bulk(&mut self) -> std::result::Result<bool, String> {
        self.under_schema_lock(&schema::drop_index_sql())
            .map_err(|e| message(&e))?;
        self.direct = true;
        Ok(true)
    }

    fn end_bulk(&mut self) -> std::result::Result<(), String> {
        self.direct = false;
        self.under_schema_lock(&schema::index_sql())
            .map_err(|e| message(&e))
    }

    fn count(&mut self) -> std::result::Result<u64, String> {
        self.client
            .query_one(&format!("SELECT count(*) FROM {TABLE}"), &[])
            .map(|r| r.get::<_, i64>(0) as u64)
            .map_err(|e| message(&e))
    }
}

struct PgRow<'a>(&'a postgres::Row);

fn column_error(i: usize, e: impl std::fmt::Display) -> String {
    format!("column {}: {e}", COLUMNS[i].name)
}

impl RowAccess for PgRow<'_> {
    fn text(&self, i: usize) -> std::result::Result<&str, String> {
        self.0.try_get(i).map_err(|e| column_error(i, e))
    }
    fn int(&self, i: usize) -> std::result::Result<i64, String> {
        self.0.try_get(i).map_err(|e| column_error(i, e))
    }
    fn opt_int(&self, i: usize) -> std::result::Result<Option<i64>, String> {
        self.0.try_get(i).map_err(|e| column_error(i, e))
    }
    fn opt_text(&self, i: usize) -> std::result::Result<Option<&str>, String> {
        self.0.try_get(i).map_err(|e| column_error(i, e))
    }
    fn time(&self, i: usize) -> std::result::Result<DateTime<Utc>, String> {
        self.0.try_get(i).map_err(|e| column_error(i, e))
    }
}

/// Why a batch could not be copied: the server's refusal, or the transaction whose row
/// was being sent when it came.
struct CopyError {
    transaction: Option<String>,
    error: postgres::Error,
}

impl CopyError {
    fn db(error: postgres::Error) -> CopyError {
        CopyError {
            transaction: None,
            error,
        }
    }

    /// A row that is in the table already (the server may say so during the copy or at
    /// its end).
    fn is_unique_violation(&self) -> bool {
        self.error.code() == Some(&SqlState::UNIQUE_VIOLATION)
    }
}

impl std::fmt::Display for CopyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transaction {
            Some(id) => write!(f, "transaction {id:?}: {}", message(&self.error)),
            None => f.write_str(&message(&self.error)),
        }
    }
}

/// Copies `rows` with `statement` (binary COPY of every column, then `updated_at` when
/// given).
fn copy_rows(
    tx: &mut postgres::Transaction<'_>,
    statement: &str,
    rows: &[&Transaction],
    updated_at: Option<DateTime<Utc>>,
) -> std::result::Result<(), CopyError> {
    let mut types: Vec<Type> = COLUMNS.iter().map(|c| copy_type(c.kind)).collect();
    if updated_at.is_some() {
        types.push(Type::TIMESTAMPTZ);
    }
    let writer = tx.copy_in(statement).map_err(CopyError::db)?;
    let mut writer = BinaryCopyInWriter::new(writer, &types);
    for row in rows {
        let v = schema::Values::of(row);
        let t = &v.text;
        let method_key: &str = &v.method_key;
        let acquirer_key: &str = &v.acquirer_key;
        let values: [&(dyn ToSql + Sync); 31] = [
            &t[0],
            &t[1],
            &t[2],
            &t[3],
            &t[4],
            &t[5],
            &t[6],
            &t[7],
            &t[8],
            &t[9],
            &t[10],
            &t[11],
            &t[12],
            &t[13],
            &v.payment_time,
            &v.product_code,
            &v.amount_minor,
            &v.currency,
            &v.settlement_minor,
            &v.settlement_currency,
            &v.fee_minor,
            &v.fee_currency,
            &v.tail[0],
            &v.tail[1],
            &v.tail[2],
            &v.tail[3],
            &v.tail[4],
            &v.tail[5],
            &method_key,
            &acquirer_key,
            &v.shard_hash,
        ];
        let written = match &updated_at {
            Some(at) => {
                let mut with: Vec<&(dyn ToSql + Sync)> = values.to_vec();
                with.push(at);
                writer.write(&with)
            }
            None => writer.write(&values),
        };
        written.map_err(|error| CopyError {
            transaction: Some(row.transaction_id.clone()),
            error,
        })?;
    }
    writer.finish().map_err(CopyError::db)?;
    Ok(())
}
