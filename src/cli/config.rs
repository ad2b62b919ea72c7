//! Validated configuration: the flags of [`super::args`], checked once at the edge and
//! turned into the typed values the pipeline stages read. Nothing deeper parses a flag.

use chrono_tz::Tz;

use super::args::{FilterArgs, InputArgs, TableArgs};
use crate::columns::sets::ColumnSet;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::output::Target;
use crate::request::{FilterRequest, SettingError, SourceRequest, TableRequest};
use crate::sink::{ExportOptions, Format};
use crate::source::gateway::GatewayConfig;
use crate::source::{FileSource, Source};

impl InputArgs {
    /// The same source as a front-end neutral request.
    pub fn request(&self) -> SourceRequest {
        SourceRequest {
            inputs: self.inputs.clone(),
            db: self.db.clone().or_else(|| {
                if self.inputs.is_empty() && !self.gateway {
                    db_from_env()
                } else {
                    None
                }
            }),
            db_query: self.db_query.clone(),
            input_format: self.input_format.clone(),
            sheet: self.sheet.clone(),
            skip_bad: self.skip_bad,
            gateway: self.gateway,
            orders: self.orders.clone(),
            orders_from: self.orders_from.clone(),
            gateway_config: self.gateway_config.clone(),
            concurrency: self.concurrency,
            max_record_bytes: self.max_record_size,
        }
    }

    /// The report files; `zone` reads spreadsheet date cells that carry no offset.
    pub fn validate(&self, zone: Tz) -> Result<FileSource> {
        self.request().files(zone)
    }

    pub fn gateway_config(&self) -> Result<GatewayConfig> {
        self.request().gateway_config()
    }

    pub fn source(&self, zone: Tz, filter: &Filter) -> Result<Source> {
        self.request().source(zone, filter)
    }
}

/// The store `RECIBO_DB` names, if it is set and not empty.
pub fn db_from_env() -> Option<String> {
    std::env::var(crate::store::DB_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
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
