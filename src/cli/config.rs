//! Validated configuration: the flags of [`super::args`], checked once at the edge and
//! turned into the typed values the pipeline stages read. Nothing deeper parses a flag.

use chrono_tz::Tz;

use super::args::{FilterArgs, InputArgs, TableArgs};
use crate::columns::HeaderLang;
use crate::columns::sets::{self, ColumnSet};
use crate::error::{Error, Result};
use crate::filter::{Filter, Shard};
use crate::model::time::{parse_bound, parse_zone};
use crate::model::{Currency, TxStatus, TxType};
use crate::output::Target;
use crate::sink::{ExportOptions, Format};
use crate::source::gateway::GatewayConfig;
use crate::source::{FileSource, GatewaySource, Input, InputFormat, Source, SourceOptions};

impl InputArgs {
    /// `zone` reads spreadsheet date cells that carry no offset.
    pub fn validate(&self, zone: Tz) -> Result<FileSource> {
        let forced = match &self.input_format {
            None => None,
            Some(f) => Some(match f.to_ascii_lowercase().as_str() {
                "csv" => InputFormat::Csv,
                "xlsx" => InputFormat::Xlsx,
                "jsonl" | "ndjson" => InputFormat::Jsonl,
                other => {
                    return Err(Error::usage(format!(
                        "--input-format {other:?}: use csv, xlsx or jsonl"
                    )));
                }
            }),
        };
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
            options: SourceOptions::new(self.sheet.clone(), zone),
            skip_bad: self.skip_bad,
        })
    }
}

impl InputArgs {
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
        if !self.gateway {
            if self.orders.is_some() || self.orders_from.is_some() {
                return Err(Error::usage("--orders and --orders-from go with --gateway"));
            }
            return self.validate(zone).map(Source::Files);
        }
        if !self.inputs.is_empty() {
            return Err(Error::usage(
                "--gateway reads orders, not files: use --orders-from REPORT to look up a report's orders",
            ));
        }
        let orders = match (&self.orders, &self.orders_from) {
            (Some(file), None) => read_order_list(file)?,
            (None, Some(report)) => {
                let files = InputArgs {
                    inputs: vec![report.clone()],
                    ..self.clone()
                }
                .validate(zone)?;
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

impl FilterArgs {
    pub fn zone(&self) -> Result<Tz> {
        parse_zone(&self.tz).map_err(|e| Error::usage(format!("--tz: {e}")))
    }

    pub fn validate(&self) -> Result<Filter> {
        let zone = self.zone()?;
        let bound = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|t| parse_bound(t, zone).map_err(|e| Error::usage(format!("{flag}: {e}"))))
                .transpose()
        };
        let from = bound("--from", &self.from)?;
        let to = bound("--to", &self.to)?;
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(Error::usage(format!(
                "--from ({f}) must be before --to ({t})"
            )));
        }
        let currencies = self
            .currency
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| Currency::parse(c).map_err(|e| Error::usage(format!("--currency: {e}"))))
            .collect::<Result<Vec<_>>>()?;
        let clean = |v: &[String]| {
            v.iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        };
        Ok(Filter {
            from,
            to,
            currencies,
            types: clean(&self.types)
                .iter()
                .map(|t| TxType::parse(t))
                .collect(),
            methods: clean(&self.method),
            acquirers: clean(&self.acquirer),
            statuses: clean(&self.status)
                .iter()
                .map(|s| TxStatus::parse(s))
                .collect(),
            ids: clean(&self.id),
            related: self
                .related
                .as_ref()
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty()),
            shard: self
                .shard
                .as_deref()
                .map(Shard::parse)
                .transpose()
                .map_err(Error::usage)?,
        })
    }
}

impl TableArgs {
    /// The column set and export options; `zone` is where times are shown.
    pub fn validate(&self, zone: Tz) -> Result<(ColumnSet, ExportOptions)> {
        let set = sets::resolve(&self.columns, self.templates.as_deref())?;
        let header = match &self.header_lang {
            Some(h) => HeaderLang::parse(h).ok_or_else(|| {
                Error::usage(format!(
                    "--header-lang {h:?} is not offered; choose one of: key, en, zh-CN, pt-BR"
                ))
            })?,
            None => set.header.unwrap_or_default(),
        };
        let delimiter = match &self.delimiter {
            None if self.decimal_comma => b';',
            None => b',',
            Some(d) => {
                let d = if d == "\\t" || d.eq_ignore_ascii_case("tab") {
                    "\t"
                } else {
                    d.as_str()
                };
                match d.as_bytes() {
                    [b] if *b != b'"' && *b != b'\n' && *b != b'\r' => *b,
                    _ => {
                        return Err(Error::usage(format!(
                            "--delimiter {d:?}: give one ASCII character"
                        )));
                    }
                }
            }
        };
        if self.decimal_comma && delimiter == b',' {
            return Err(Error::usage(
                "--decimal-comma needs a delimiter other than `,` (the default is `;`)",
            ));
        }
        let options = ExportOptions {
            columns: set.columns.clone(),
            header,
            zone,
            bom: self.bom,
            delimiter,
            decimal_comma: self.decimal_comma,
            end_marker: self.end_marker,
            created: None,
        };
        Ok((set, options))
    }
}

/// The output format: `--format`, else the target's extension, else CSV.
pub fn output_format(flag: Option<&str>, target: &Target) -> Result<Format> {
    match flag {
        Some(f) => Format::parse(f)
            .ok_or_else(|| Error::usage(format!("--format {f:?}: use csv, xlsx or jsonl"))),
        None => Ok(Format::from_target(target).unwrap_or(Format::Csv)),
    }
}
