//! A [`Filter`] as a `WHERE` clause. Every value the user gave is a bound parameter; the
//! SQL text holds only column names, operators and placeholders, so a value such as
//! `x' OR '1'='1` is compared as the string it is and selects nothing.

use chrono::{DateTime, Utc};

use super::schema::{INDEXED_IDS, ORDER, TABLE, select_list};
use crate::filter::Filter;

/// How placeholders are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `?1`, `?2`, ...
    Sqlite,
    /// `$1`, `$2`, ...
    Postgres,
}

/// A bound value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    Text(String),
    Int(i64),
    /// An instant in whole microseconds since the epoch (UTC).
    Micros(i64),
}

impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Text(s) => write!(f, "{s:?}"),
            Param::Int(i) => write!(f, "{i}"),
            Param::Micros(m) => match DateTime::from_timestamp_micros(*m) {
                Some(t) => write!(
                    f,
                    "{}",
                    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                ),
                None => write!(f, "{m} µs"),
            },
        }
    }
}

/// A statement and its parameters, in placeholder order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub sql: String,
    pub params: Vec<Param>,
}

struct Builder {
    dialect: Dialect,
    params: Vec<Param>,
    clauses: Vec<String>,
}

impl Builder {
    fn bind(&mut self, param: Param) -> String {
        self.params.push(param);
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.params.len()),
            Dialect::Postgres => format!("${}", self.params.len()),
        }
    }

    /// `column IN (?, ?)` for non-empty `values`.
    fn any_of(&mut self, column: &str, values: impl IntoIterator<Item = String>) -> String {
        let marks: Vec<String> = values
            .into_iter()
            .map(|v| self.bind(Param::Text(v)))
            .collect();
        format!("{column} IN ({})", marks.join(", "))
    }

    /// Keeps rows whose `column` is one of `values`; no clause when there are none.
    fn keep_any_of(&mut self, column: &str, values: impl ExactSizeIterator<Item = String>) {
        if values.len() > 0 {
            let clause = self.any_of(column, values);
            self.clauses.push(clause);
        }
    }
}

/// Stored times are whole microseconds; a bound with a finer fraction is rounded up, which
/// keeps `time >= from` and `time < to` exactly as they are on the full-precision value.
fn micros_ceil(t: DateTime<Utc>) -> i64 {
    let micros = t.timestamp_micros();
    let rest = chrono::Timelike::nanosecond(&t) % 1_000;
    if rest > 0 { micros + 1 } else { micros }
}

/// The `WHERE` clause (with its keyword, or empty) that keeps what `filter` keeps.
fn where_clause(filter: &Filter, b: &mut Builder) {
    if let Some(from) = filter.from {
        let p = b.bind(Param::Micros(micros_ceil(from)));
        b.clauses.push(format!("payment_time >= {p}"));
    }
    if let Some(to) = filter.to {
        let p = b.bind(Param::Micros(micros_ceil(to)));
        b.clauses.push(format!("payment_time < {p}"));
    }
    b.keep_any_of(
        "currency",
        filter.currencies.iter().map(|c| c.code().to_string()),
    );
    b.keep_any_of(
        "transaction_type",
        filter.types.iter().map(|t| t.as_str().to_string()),
    );
    b.keep_any_of(
        "status",
        filter.statuses.iter().map(|s| s.as_str().to_string()),
    );
    b.keep_any_of(
        "method_key",
        filter.methods.iter().map(|m| m.to_ascii_lowercase()),
    );
    b.keep_any_of(
        "acquirer_key",
        filter.acquirers.iter().map(|a| a.to_ascii_lowercase()),
    );
    if !filter.ids.is_empty() {
        // An empty ID field never matches, and neither does an empty wanted ID.
        let wanted: Vec<&String> = filter.ids.iter().filter(|id| !id.is_empty()).collect();
        if wanted.is_empty() {
            b.clauses.push("1 = 0".into());
        } else {
            // The transaction ID and every indexed ID: what `Transaction::ids` matches.
            let any: Vec<String> = std::iter::once("transaction_id")
                .chain(INDEXED_IDS)
                .map(|column| b.any_of(column, wanted.iter().map(|id| id.to_string())))
                .collect();
            b.clauses.push(format!("({})", any.join(" OR ")));
        }
    }
    if let Some(payment) = &filter.related {
        // A numbered placeholder may appear more than once in both dialects.
        let p = b.bind(Param::Text(payment.clone()));
        b.clauses.push(format!(
            "(transaction_id = {p} OR original_transaction_id = {p})"
        ));
    }
    if let Some(shard) = filter.shard {
        // The file shards take the unsigned hash modulo N. The store keeps the same 64 bits
        // as a signed integer h; for h < 0 the unsigned value is h + 2^64, so its remainder
        // is ((h % N) + N + (2^64 % N)) % N, with SQL's remainder taking the dividend's sign.
        let n = i64::from(shard.count);
        let wrap = ((1u128 << 64) % u128::from(shard.count)) as i64;
        let (n, w) = (b.bind(Param::Int(n)), b.bind(Param::Int(wrap)));
        let k = b.bind(Param::Int(i64::from(shard.index) - 1));
        b.clauses.push(format!(
            "(CASE WHEN shard_hash >= 0 THEN shard_hash % {n} \
             ELSE ((shard_hash % {n}) + {n} + {w}) % {n} END) = {k}"
        ));
    }
}

/// Selects the transactions `filter` keeps, in the store's order: payment time, then
/// transaction ID (byte order), then type (a refund may share its payment's ID).
pub fn select(filter: &Filter, dialect: Dialect) -> Query {
    select_page(filter, None, None, dialect)
}

/// A place in the store's order: a row's payment time (whole microseconds), ID and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub micros: i64,
    pub transaction_id: String,
    pub transaction_type: String,
}

/// [`select`] from just after `after`, at most `limit` rows: a page of a listing whose
/// next page starts after its last row, whatever was imported in between.
pub fn select_page(
    filter: &Filter,
    after: Option<&Position>,
    limit: Option<u64>,
    dialect: Dialect,
) -> Query {
    let mut b = Builder {
        dialect,
        params: Vec::new(),
        clauses: Vec::new(),
    };
    where_clause(filter, &mut b);
    if let Some(after) = after {
        let t = b.bind(Param::Micros(after.micros));
        let id = b.bind(Param::Text(after.transaction_id.clone()));
        let kind = b.bind(Param::Text(after.transaction_type.clone()));
        b.clauses.push(format!(
            "(payment_time > {t} OR (payment_time = {t} AND (transaction_id > {id} \
             OR (transaction_id = {id} AND transaction_type > {kind}))))"
        ));
    }
    let mut sql = format!("SELECT {} FROM {TABLE}", select_list());
    if !b.clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&b.clauses.join(" AND "));
    }
    sql.push_str(" ORDER BY ");
    sql.push_str(ORDER);
    if let Some(limit) = limit {
        let n = b.bind(Param::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(" LIMIT {n}"));
    }
    Query {
        sql,
        params: b.params,
    }
}

/// Which rows of a transaction's family a [`family`] statement takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kin {
    /// The rows whose own ID it is (a refund may share its payment's ID).
    Own,
    /// The rows naming it as their original transaction, other than its own.
    Referring,
}

/// The rows of `id`'s family that `kin` names, in the store's order and at most `limit`;
/// or, with `count`, how many there are. Each half goes through one index (the key's, or
/// the original transaction ID's), so a payment refunded a million times costs a page
/// the rows it shows and one count over an index, never a read of every row.
pub fn family(id: &str, kin: Kin, limit: Option<u64>, count: bool, dialect: Dialect) -> Query {
    let mut b = Builder {
        dialect,
        params: Vec::new(),
        clauses: Vec::new(),
    };
    let p = b.bind(Param::Text(id.to_string()));
    let clause = match kin {
        Kin::Own => format!("transaction_id = {p}"),
        Kin::Referring => format!("original_transaction_id = {p} AND transaction_id <> {p}"),
    };
    let mut sql = if count {
        format!("SELECT count(*) FROM {TABLE} WHERE {clause}")
    } else {
        format!(
            "SELECT {} FROM {TABLE} WHERE {clause} ORDER BY {ORDER}",
            select_list()
        )
    };
    if let Some(limit) = limit.filter(|_| !count) {
        let n = b.bind(Param::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(" LIMIT {n}"));
    }
    Query {
        sql,
        params: b.params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Shard;

    #[test]
    fn values_are_parameters_never_sql_text() {
        let filter = Filter {
            ids: ["x' OR '1'='1".to_string()].into(),
            methods: vec!["CARD".into()],
            related: Some("p'--".into()),
            shard: Some(Shard { index: 2, count: 3 }),
            ..Filter::default()
        };
        let q = select(&filter, Dialect::Postgres);
        assert!(!q.sql.contains('\''), "{}", q.sql);
        assert!(q.sql.contains("$1") && q.sql.contains("method_key IN ($1)"));
        assert!(q.params.contains(&Param::Text("x' OR '1'='1".into())));
        assert!(q.params.contains(&Param::Text("card".into())));
        let q = select(&filter, Dialect::Sqlite);
        assert!(q.sql.contains("?1") && !q.sql.contains('$'));
    }

    #[test]
    fn a_family_is_looked_up_by_bound_id_in_two_halves() {
        let id = "p' OR '1'='1";
        let own = family(id, Kin::Own, Some(64), false, Dialect::Sqlite);
        assert!(
            own.sql.contains("WHERE transaction_id = ?1 ORDER BY"),
            "{}",
            own.sql
        );
        assert!(own.sql.ends_with("LIMIT ?2") && !own.sql.contains('\''));
        assert_eq!(own.params, [Param::Text(id.into()), Param::Int(64)]);
        let count = family(id, Kin::Referring, Some(5), true, Dialect::Postgres);
        assert_eq!(
            count.sql,
            format!(
                "SELECT count(*) FROM {TABLE} WHERE original_transaction_id = $1 \
                 AND transaction_id <> $1"
            )
        );
        assert_eq!(count.params, [Param::Text(id.into())]);
    }

    #[test]
    fn the_signed_remainder_is_the_unsigned_one() {
        for n in [1u32, 2, 3, 7, 8, 1000] {
            let wrap = ((1u128 << 64) % u128::from(n)) as i64;
            for h in [0u64, 1, u64::MAX, u64::MAX / 2 + 1, 0xcbf2_9ce4_8422_2325] {
                let s = h as i64;
                let n = i64::from(n);
                let store = if s >= 0 {
                    s % n
                } else {
                    ((s % n) + n + wrap) % n
                };
                assert_eq!(store as u64, h % n as u64, "{h} % {n}");
            }
        }
    }

    #[test]
    fn a_bound_finer_than_a_microsecond_rounds_up() {
        let t = DateTime::from_timestamp(10, 1_500).unwrap();
        assert_eq!(micros_ceil(t), 10_000_002);
        let t = DateTime::from_timestamp(10, 2_000).unwrap();
        assert_eq!(micros_ceil(t), 10_000_002);
    }
}
