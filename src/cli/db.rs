//! `recibo db init` and `recibo db status`: create or migrate a store, and look inside.

use super::Outcome;
use super::args::{DbArgs, DbCommand, DbExplainArgs};
use crate::error::{Error, Result};
use crate::store::{Access, DbUrl, Status, Store};

impl DbArgs {
    /// The store `--db` names, else `RECIBO_DB`.
    pub fn url(&self) -> Result<DbUrl> {
        match self.db.clone().or_else(super::config::db_from_env) {
            Some(text) => DbUrl::parse(&text),
            None => Err(Error::usage(format!(
                "no store: give --db URL (sqlite:PATH or postgres://USER@HOST:PORT/DB) or set {}",
                crate::store::DB_ENV
            ))),
        }
    }
}

pub fn run(command: &DbCommand) -> Result<Outcome> {
    match command {
        DbCommand::Init(args) => {
            let url = args.url()?;
            let status = Store::open(&url, Access::Write)?.status()?;
            Ok(Outcome {
                summary: format!(
                    "store {} is ready at schema version {} ({} transactions)",
                    status.store, status.schema_version, status.transactions
                ),
                skipped: 0,
            })
        }
        DbCommand::Status(args) => {
            let url = args.db.url()?;
            let status = Store::open(&url, Access::Read)?.status()?;
            let text = if args.json {
                let mut json = serde_json::to_string_pretty(&status)
                    .map_err(|e| Error::output("<stdout>", e))?;
                json.push('\n');
                json
            } else {
                status_text(&status)
            };
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| Error::output_io("<stdout>", e))?;
            Ok(Outcome::default())
        }
        DbCommand::Explain(args) => explain(args),
    }
}

fn explain(args: &DbExplainArgs) -> Result<Outcome> {
    let url = args.db.url()?;
    let filter = args.filter.validate()?;
    let (q, plan) = Store::open(&url, Access::Read)?.explain(&filter)?;
    let mut text = format!("query  {}\n", q.sql);
    for (i, p) in q.params.iter().enumerate() {
        text.push_str(&format!("  parameter {} = {p}\n", i + 1));
    }
    text.push_str("plan\n");
    for line in plan {
        text.push_str(&format!("  {line}\n"));
    }
    use std::io::Write;
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| Error::output_io("<stdout>", e))?;
    Ok(Outcome::default())
}

fn status_text(status: &Status) -> String {
    let mut out = format!(
        "store           {}\nschema version  {} (this recibo: {})\ntransactions    {}\n",
        status.store, status.schema_version, status.supported_version, status.transactions
    );
    for (kind, count) in &status.by_type {
        let kind = if kind.is_empty() { "(none)" } else { kind };
        out.push_str(&format!("  {kind:<14}{count}\n"));
    }
    if let (Some(first), Some(last)) = (status.first_payment, status.last_payment) {
        let iso = |t| {
            let mut text = String::new();
            crate::model::time::write_iso8601(&mut text, t, chrono_tz::Tz::UTC);
            text
        };
        out.push_str(&format!(
            "payment times   {} to {}\n",
            iso(first),
            iso(last)
        ));
    }
    out
}
