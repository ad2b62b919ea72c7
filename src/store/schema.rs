//! recibo's tables in a store: one row per transaction, keyed by its ID and type, and a
//! meta table holding the schema version.
//!
//! The key holds the type because a gateway may give a refund the same ID as its payment
//! (the API's own example does); keyed by the ID alone, one would overwrite the other.
//!
//! The column list is declared once here; both backends build their DDL, upsert and select
//! statements from it, so the two stores cannot drift apart. Statements are made of these
//! constant names only: values always travel as bound parameters.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::filter::Shard;
use crate::model::{Currency, Money, Transaction, TxStatus, TxType};

/// The schema this binary writes and reads. A store at a higher version was written by a
/// newer recibo and is refused, never altered.
///
/// 1: keyed by the transaction ID. 2: keyed by the transaction ID and type.
pub const SCHEMA_VERSION: u32 = 2;

pub const TABLE: &str = "recibo_transactions";
pub const META: &str = "recibo_meta";

/// What a column holds, which decides its SQL type in each backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An ID: compared byte for byte (PostgreSQL `COLLATE "C"`), never null ('' when absent).
    Id,
    /// Free text, stored unchanged; '' when absent.
    Text,
    /// An instant: PostgreSQL `timestamptz`, SQLite integer microseconds since the epoch (UTC).
    Time,
    /// Money in integer minor units.
    Minor,
    /// Money in minor units that may be absent.
    OptMinor,
    /// An ISO 4217 code.
    Code,
    /// An ISO 4217 code that may be absent (with its amount).
    OptCode,
    /// A 64-bit integer that is not money.
    Int,
}

pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

/// Every column, in the order of [`Values`] and of the upsert's parameters. `updated_at`
/// is set by the store itself and is not listed.
pub const COLUMNS: [Column; 31] = [
    col("transaction_id", Kind::Id),
    col("original_transaction_id", Kind::Id),
    col("transaction_request_id", Kind::Id),
    col("reference_transaction_id", Kind::Id),
    col("acquirer_reference_no", Kind::Id),
    col("order_id", Kind::Id),
    col("customer_id", Kind::Text),
    col("acquirer", Kind::Text),
    col("reference_merchant_id", Kind::Text),
    col("reference_store_id", Kind::Text),
    col("order_description", Kind::Text),
    col("payment_method_type", Kind::Text),
    col("psp_name", Kind::Text),
    col("transaction_type", Kind::Text),
    col("payment_time", Kind::Time),
    col("product_code", Kind::Text),
    col("amount_minor", Kind::Minor),
    col("currency", Kind::Code),
    col("settlement_minor", Kind::OptMinor),
    col("settlement_currency", Kind::OptCode),
    col("fee_minor", Kind::OptMinor),
    col("fee_currency", Kind::OptCode),
    col("status", Kind::Text),
    col("reason", Kind::Text),
    col("bank_code", Kind::Text),
    col("refund_type", Kind::Text),
    col("reject_reason", Kind::Text),
    col("merchant_name", Kind::Text),
    // Filters compare method and acquirer ignoring ASCII case only; keeping the folded
    // value lets both backends compare exactly that way (their lower() functions differ).
    col("method_key", Kind::Text),
    col("acquirer_key", Kind::Text),
    // The shard hash of the transaction's group (see `Shard::key`), as a signed 64-bit
    // integer: `--shard K/N` becomes arithmetic on it in the WHERE clause.
    col("shard_hash", Kind::Int),
];

/// The columns a read selects, in the order [`fill`] takes them: the transaction's own
/// fields (indices 0..=27 of [`COLUMNS`]).
pub const READ_COLUMNS: usize = 28;

/// Lookups by any of these go through an index (see `Transaction::ids`); the transaction
/// ID itself leads the primary key.
pub const INDEXED_IDS: [&str; 5] = [
    "original_transaction_id",
    "transaction_request_id",
    "reference_transaction_id",
    "acquirer_reference_no",
    "order_id",
];

/// The columns that identify a row: an upsert's conflict target.
pub const KEY: &str = "transaction_id, transaction_type";

/// The store's order, which the time index serves and a page's position follows.
pub const ORDER: &str = "payment_time, transaction_id, transaction_type";

/// The statements that create recibo's tables, indexes and schema version, given each
/// backend's SQL type for a kind of column.
pub fn create_sql(sql_type: fn(Kind) -> &'static str) -> String {
    format!(
        "CREATE TABLE {META} (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n{}{}\
         INSERT INTO {META} (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');\n",
        table_sql(TABLE, sql_type),
        index_sql()
    )
}

/// The statements that bring a store at schema version `from` to [`SCHEMA_VERSION`], in
/// one database transaction; `None` when it is there already.
///
/// From 1: the rows are copied into a table with the new key (every version 1 row has an
/// ID of its own, so each keeps its row), which then takes the old table's place.
pub fn migrate_sql(from: u32, sql_type: fn(Kind) -> &'static str) -> Option<String> {
    if from >= SCHEMA_VERSION {
        return None;
    }
    let next = format!("{TABLE}_next");
    let names = column_list();
    Some(format!(
        "{}INSERT INTO {next} ({names}, updated_at) SELECT {names}, updated_at FROM {TABLE};\n\
         DROP TABLE {TABLE};\n\
         ALTER TABLE {next} RENAME TO {TABLE};\n{}\
         UPDATE {META} SET value = '{SCHEMA_VERSION}' WHERE key = 'schema_version';\n",
        table_sql(&next, sql_type),
        index_sql()
    ))
}

fn table_sql(name: &str, sql_type: fn(Kind) -> &'static str) -> String {
    let mut columns: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("  {} {}", c.name, sql_type(c.kind)))
        .collect();
    // When recibo last changed the row: an instant, stored as the payment time is.
    columns.push(format!("  updated_at {}", sql_type(Kind::Time)));
    // Named, so that the name stays the same when a migration renames the table.
    columns.push(format!("  CONSTRAINT {TABLE}_key PRIMARY KEY ({KEY})"));
    format!("CREATE TABLE {name} (\n{}\n);\n", columns.join(",\n"))
}

/// How many indexes stand beside the key: the time index and one per indexed ID.
pub const SECONDARY_INDEXES: usize = 1 + INDEXED_IDS.len();

/// The indexes beside the key: each name's suffix and its columns. The original
/// transaction ID's index carries the store's order after it, so that a payment's first
/// refunds come off it in order however many it has ([`super::query::family`]).
fn indexes() -> impl Iterator<Item = (&'static str, String)> {
    std::iter::once(("time", ORDER.to_string())).chain(INDEXED_IDS.into_iter().map(|id| {
        if id == "original_transaction_id" {
            ("family", format!("{id}, {ORDER}"))
        } else {
            (id, id.to_string())
        }
    }))
}

/// The full names of the indexes beside the key.
pub fn index_names() -> Vec<String> {
    indexes()
        .map(|(name, _)| format!("{TABLE}_{name}"))
        .collect()
}

/// An index of earlier versions that one of [`indexes`] replaces.
const SUPERSEDED_INDEX: &str = "original_transaction_id";

/// The statements that create the indexes beside the key, where missing, and drop the
/// one they replace.
pub fn index_sql() -> String {
    let mut sql: String = indexes()
        .map(|(name, columns)| {
            format!("CREATE INDEX IF NOT EXISTS {TABLE}_{name} ON {TABLE} ({columns});\n")
        })
        .collect();
    sql.push_str(&format!(
        "DROP INDEX IF EXISTS {TABLE}_{SUPERSEDED_INDEX};\n"
    ));
    sql
}

/// The statements that drop the indexes beside the key: a first import into an empty
/// store builds them once at the end, which is faster than keeping them up row by row.
pub fn drop_index_sql() -> String {
    indexes()
        .map(|(name, _)| name)
        .chain([SUPERSEDED_INDEX])
        .map(|name| format!("DROP INDEX IF EXISTS {TABLE}_{name};\n"))
        .collect()
}

/// A transaction as the values of [`COLUMNS`], borrowed from it.
pub struct Values<'a> {
    pub text: [&'a str; 6 + 8], // ids, then the free text up to transaction_type
    pub payment_time_micros: i64,
    pub payment_time: DateTime<Utc>,
    pub product_code: &'a str,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub settlement_minor: Option<i64>,
    pub settlement_currency: Option<&'a str>,
    pub fee_minor: Option<i64>,
    pub fee_currency: Option<&'a str>,
    pub tail: [&'a str; 6], // status .. merchant_name
    pub method_key: Cow<'a, str>,
    pub acquirer_key: Cow<'a, str>,
    pub shard_hash: i64,
}

impl<'a> Values<'a> {
    pub fn of(tx: &'a Transaction) -> Values<'a> {
        Values {
            text: [
                &tx.transaction_id,
                &tx.original_transaction_id,
                &tx.transaction_request_id,
                &tx.reference_transaction_id,
                &tx.acquirer_reference_no,
                &tx.order_id,
                &tx.customer_id,
                &tx.acquirer,
                &tx.reference_merchant_id,
                &tx.reference_store_id,
                &tx.order_description,
                &tx.payment_method_type,
                &tx.psp_name,
                tx.transaction_type.as_str(),
            ],
            payment_time_micros: tx.payment_time.timestamp_micros(),
            payment_time: tx.payment_time,
            product_code: &tx.product_code,
            amount_minor: tx.amount.minor,
            currency: tx.amount.currency.code(),
            settlement_minor: tx.settlement.map(|m| m.minor),
            settlement_currency: tx.settlement.as_ref().map(|m| m.currency.code()),
            fee_minor: tx.fee.map(|m| m.minor),
            fee_currency: tx.fee.as_ref().map(|m| m.currency.code()),
            tail: [
                tx.status.as_str(),
                &tx.reason,
                &tx.bank_code,
                &tx.refund_type,
                &tx.reject_reason,
                &tx.merchant_name,
            ],
            method_key: ascii_folded(&tx.payment_method_type),
            acquirer_key: ascii_folded(&tx.acquirer),
            // Bit for bit: the WHERE clause undoes the sign (see `query`).
            shard_hash: Shard::key(tx.group_id()) as i64,
        }
    }
}

/// `text` in ASCII lower case, borrowed when it already is (most rows of a report).
fn ascii_folded(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// Why a transaction cannot be kept in a store exactly, naming the field; `None` when it
/// can. Stores keep microseconds, and a store is keyed by the transaction ID.
pub fn unstorable(tx: &Transaction) -> Option<(&'static str, String)> {
    if tx.transaction_id.is_empty() {
        return Some((
            "transactionId",
            "is empty; a store keeps transactions by their ID".into(),
        ));
    }
    // PostgreSQL text cannot hold a NUL; refusing it in every store keeps the stores alike
    // and names the field, where the server would only name the batch.
    if let Some(column) = crate::columns::COLUMNS.iter().find(|c| {
        c.kind == crate::columns::Kind::Text
            && matches!((c.value)(tx), crate::columns::Cell::Text(t) if t.contains('\0'))
    }) {
        return Some((
            column.key,
            "holds a NUL character (U+0000), which a store cannot keep".into(),
        ));
    }
    let nanos = chrono::Timelike::nanosecond(&tx.payment_time);
    if !nanos.is_multiple_of(1_000) || nanos >= 1_000_000_000 {
        return Some((
            "paymentTime",
            format!(
                "{} is finer than a microsecond (or a leap second), which a store cannot keep exactly",
                tx.payment_time.to_rfc3339()
            ),
        ));
    }
    None
}

/// Reads one selected row's columns.
pub trait RowAccess {
    fn text(&self, i: usize) -> Result<&str, String>;
    fn int(&self, i: usize) -> Result<i64, String>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, String>;
    fn opt_text(&self, i: usize) -> Result<Option<&str>, String>;
    fn time(&self, i: usize) -> Result<DateTime<Utc>, String>;
}

/// Refills `tx` from a row selected with [`select_list`], reusing its strings' buffers.
pub fn fill(row: &impl RowAccess, tx: &mut Transaction) -> Result<(), String> {
    fn set(target: &mut String, value: &str) {
        target.clear();
        target.push_str(value);
    }
    set(&mut tx.transaction_id, row.text(0)?);
    set(&mut tx.original_transaction_id, row.text(1)?);
    set(&mut tx.transaction_request_id, row.text(2)?);
    set(&mut tx.reference_transaction_id, row.text(3)?);
    set(&mut tx.acquirer_reference_no, row.text(4)?);
    set(&mut tx.order_id, row.text(5)?);
    set(&mut tx.customer_id, row.text(6)?);
    set(&mut tx.acquirer, row.text(7)?);
    set(&mut tx.reference_merchant_id, row.text(8)?);
    set(&mut tx.reference_store_id, row.text(9)?);
    set(&mut tx.order_description, row.text(10)?);
    set(&mut tx.payment_method_type, row.text(11)?);
    set(&mut tx.psp_name, row.text(12)?);
    tx.transaction_type = TxType::parse(row.text(13)?);
    tx.payment_time = row.time(14)?;
    set(&mut tx.product_code, row.text(15)?);
    tx.amount = Money::new(row.int(16)?, currency(row.text(17)?)?);
    tx.settlement = money(row.opt_int(18)?, row.opt_text(19)?)?;
    tx.fee = money(row.opt_int(20)?, row.opt_text(21)?)?;
    tx.status = TxStatus::parse(row.text(22)?);
    set(&mut tx.reason, row.text(23)?);
    set(&mut tx.bank_code, row.text(24)?);
    set(&mut tx.refund_type, row.text(25)?);
    set(&mut tx.reject_reason, row.text(26)?);
    set(&mut tx.merchant_name, row.text(27)?);
    Ok(())
}

fn currency(code: &str) -> Result<Currency, String> {
    Currency::parse(code).map_err(|e| format!("column currency: {e}"))
}

fn money(minor: Option<i64>, code: Option<&str>) -> Result<Option<Money>, String> {
    match (minor, code) {
        (Some(minor), Some(code)) => Ok(Some(Money::new(minor, currency(code)?))),
        (None, _) => Ok(None),
        (Some(_), None) => Err("an amount without its currency".into()),
    }
}

/// `a, b, c`: the columns a read selects.
pub fn select_list() -> String {
    names(&COLUMNS[..READ_COLUMNS])
}

/// `a, b, c`: every column of [`COLUMNS`].
pub fn column_list() -> String {
    names(&COLUMNS)
}

fn names(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_list_matches_the_values() {
        assert_eq!(COLUMNS[READ_COLUMNS - 1].name, "merchant_name");
        assert_eq!(COLUMNS[14].kind, Kind::Time);
        for id in INDEXED_IDS {
            assert!(COLUMNS.iter().any(|c| c.name == id && c.kind == Kind::Id));
        }
    }
}
