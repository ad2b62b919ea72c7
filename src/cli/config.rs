//! Validated configuration: the flags of [`super::args`], checked once at the edge and
//! turned into the typed values the pipeline stages read. Nothing deeper parses a flag.

use chrono_tz::Tz;

use super::args::{FilterArgs, InputArgs, TableArgs};
use crate::columns::sets::ColumnSet;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::output::Target;
use crate::request::{FilterRequest, SettingError, TableRequest};
use crate::sink::{ExportOptions, Format};
use crate::source::gateway::GatewayConfig;
use crate::source::{FileSource, GatewaySource, Input, InputFormat, Source, SourceOptions};

impl InputArgs {
    /// `zone` reads spreadsheet date cells that carry no offset.
    pub fn validate(&self, zone: Tz) -> Result<FileSource> {
        let forced = self
            .input_format
            .as_deref()
            .map(str::parse::<InputFormat>)
            .transpose()
            .map_err(flag_error)?;
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

/// A refused setting as the command line names it: by its flag.
pub fn flag_error(e: SettingError) -> Error {
    Error::setting(e.setting.flag(), e)
}

impl FilterArgs {
    /// The same filter as a front-end neutral request.
    pub fn request(&self) -> FilterRequest {
        FilterRequest {
            tz: Some(self.tz.clone()),
            from: self.from.clone(),
            to: self.to.clone(),
            currency: self.currency.clone(),
            r#type: self.types.clone(),
            method: self.method.clone(),
            acquirer: self.acquirer.clone(),
            status: self.status.clone(),
            id: self.id.clone(),
            related: self.related.clone(),
            shard: self.shard.clone(),
        }
    }

    pub fn zone(&self) -> Result<Tz> {
        self.request().zone().map_err(flag_error)
    }

    pub fn validate(&self) -> Result<Filter> {
        self.request().validate().map_err(flag_error)
    }
}

impl TableArgs {
    /// The same layout as a front-end neutral request, with the output format.
    pub fn request(&self, format: Option<&str>) -> TableRequest {
        TableRequest {
            columns: Some(self.columns.clone()),
            templates: self.templates.clone(),
            header_lang: self.header_lang.clone(),
            bom: self.bom,
            delimiter: self.delimiter.clone(),
            decimal_comma: self.decimal_comma,
            end_marker: self.end_marker,
            format: format.map(str::to_string),
        }
    }

    /// The column set and export options; `zone` is where times are shown.
    pub fn validate(&self, zone: Tz) -> Result<(ColumnSet, ExportOptions)> {
        let spec = self.request(None).validate(zone).map_err(flag_error)?;
        Ok((spec.set, spec.options))
    }
}

/// The output format: `--format`, else the target's extension, else CSV.
pub fn output_format(flag: Option<&str>, target: &Target) -> Result<Format> {
    match flag {
        Some(f) => f.parse::<Format>().map_err(flag_error),
        None => Ok(Format::from_target(target).unwrap_or(Format::Csv)),
    }
}
