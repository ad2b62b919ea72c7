//! Where a request reads transactions: report files, or the gateway with a list of orders.

use std::path::PathBuf;

use chrono_tz::Tz;

use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::source::gateway::GatewayConfig;
use crate::source::{FileSource, GatewaySource, Input, InputFormat, Source, SourceOptions};
use crate::store::foreign::ForeignQuery;
use crate::store::{DbUrl, StoreSource};

/// A source as text, from any front end. Paths are as given (job files resolve theirs
/// against the job file's folder first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRequest {
    pub inputs: Vec<String>,
    /// A store's URL (`sqlite:PATH`, `postgres://...`), read instead of files.
    pub db: Option<String>,
    /// A file holding a query over the database `db` names, when it is not recibo's own
    /// store but a finance team's tables.
    pub db_query: Option<String>,
    pub input_format: Option<String>,
    pub sheet: Option<String>,
    pub skip_bad: bool,
    pub gateway: bool,
    pub orders: Option<String>,
    pub orders_from: Option<String>,
    pub gateway_config: Option<PathBuf>,
    /// Orders fetched at once from the gateway.
    pub concurrency: usize,
    /// Longest record a reader takes ([`SourceOptions::max_record_bytes`]).
    pub max_record_bytes: usize,
}

impl Default for SourceRequest {
    fn default() -> Self {
        SourceRequest {
            inputs: Vec::new(),
            db: None,
            db_query: None,
            input_format: None,
            sheet: None,
            skip_bad: false,
            gateway: false,
            orders: None,
            orders_from: None,
            gateway_config: None,
            concurrency: 8,
            max_record_bytes: crate::source::DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

impl SourceRequest {
    /// `zone` reads spreadsheet date cells that carry no offset.
    pub fn files(&self, zone: Tz) -> Result<FileSource> {
        let forced = self
            .input_format
            .as_deref()
            .map(str::parse::<InputFormat>)
            .transpose()
            .map_err(|e| Error::setting(e.setting.flag(), e))?;
        let inputs = self
            .inputs
            .iter()
            .map(|name| {
                Ok(Input {
                    name: name.clone(),
                    format: forced.map_or_else(|| InputFormat::from_name(name), Ok)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if inputs.iter().filter(|i| i.name == "-").count() > 1 {
            return Err(Error::usage("standard input (-) can be read only once"));
        }
        if inputs.is_empty() {
            return Err(Error::usage(
                "no input: give one or more -i FILE (or -i - for standard input), or --gateway with --orders",
            ));
        }
        Ok(FileSource {
            inputs,
            options: SourceOptions {
                max_record_bytes: self.max_record_bytes.max(1),
                ..SourceOptions::new(self.sheet.clone(), zone)
            },
            skip_bad: self.skip_bad,
            quiet: false,
        })
    }
}

impl SourceRequest {
    /// The gateway's settings: the config file if given, the environment over it.
    pub fn gateway_config(&self) -> Result<GatewayConfig> {
        let mut config = match &self.gateway_config {
            Some(path) => GatewayConfig::from_file(path),
            None => GatewayConfig::from_env(),
        }
        .map_err(|e| Error::usage(format!("gateway: {e}")))?;
        if self.concurrency == 0 {
            return Err(Error::usage("--concurrency must be at least 1"));
        }
        config.concurrency = self.concurrency;
        Ok(config)
    }

    /// The source: report files, or with `--gateway` the orders of `--orders` or
    /// `--orders-from` (whose report is read with `filter`).
    pub fn source(&self, zone: Tz, filter: &Filter) -> Result<Source> {
        if let Some(db) = &self.db {
            if !self.inputs.is_empty() || self.gateway {
                return Err(Error::usage(
                    "--db reads a store: give it, or input files (-i), or --gateway, not several",
                ));
            }
            if self.orders.is_some() || self.orders_from.is_some() {
                return Err(Error::usage("--orders and --orders-from go with --gateway"));
            }
            let url = DbUrl::parse(db)?;
            let query = self
                .db_query
                .as_deref()
                .map(|path| ForeignQuery::from_file(path, self.skip_bad))
                .transpose()?;
            return Ok(Source::Store(StoreSource {
                url,
                filter: Filter::default(),
                query,
            }));
        }
        if self.db_query.is_some() {
            return Err(Error::usage(
                "--db-query reads the database --db names: give --db URL (or set RECIBO_DB) too",
            ));
        }
        if !self.gateway {
            if self.orders.is_some() || self.orders_from.is_some() {
                return Err(Error::usage("--orders and --orders-from go with --gateway"));
            }
            return self.files(zone).map(Source::Files);
        }
        if !self.inputs.is_empty() {
            return Err(Error::usage(
                "--gateway reads orders, not files: use --orders-from REPORT to look up a report's orders",
            ));
        }
        let orders = match (&self.orders, &self.orders_from) {
            (Some(file), None) => read_order_list(file)?,
            (None, Some(report)) => {
                let files = SourceRequest {
                    inputs: vec![report.clone()],
                    ..self.clone()
                }
                .files(zone)?;
                let mut seen = std::collections::HashSet::new();
                let mut orders = Vec::new();
                files.read(|tx| {
                    let id = if tx.order_id.is_empty() {
                        &tx.reference_transaction_id
                    } else {
                        &tx.order_id
                    };
                    if !id.is_empty() && filter.matches(tx) && seen.insert(id.clone()) {
                        orders.push(id.clone());
                    }
                    Ok(())
                })?;
                orders
            }
            (Some(_), Some(_)) => {
                return Err(Error::usage(
                    "give either --orders or --orders-from, not both",
                ));
            }
            (None, None) => {
                return Err(Error::usage(
                    "--gateway needs the orders: --orders FILE or --orders-from REPORT",
                ));
            }
        };
        Ok(Source::Gateway(GatewaySource {
            config: self.gateway_config()?,
            orders,
        }))
    }
}

/// Order IDs, one per line; blank lines and `#` comments are skipped.
fn read_order_list(name: &str) -> Result<Vec<String>> {
    let text = if name == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Error::source(name, e))?
    } else {
        std::fs::read_to_string(name).map_err(|e| Error::source(name, e))?
    };
    // Editors on Windows start files with a byte order mark; it is no part of an ID.
    Ok(text
        .trim_start_matches('\u{feff}')
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}
