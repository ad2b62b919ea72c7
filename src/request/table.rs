//! How a requested report is laid out: columns, header language, CSV details, format.

use std::path::PathBuf;

use chrono_tz::Tz;
use serde::Deserialize;

use super::values::{ColumnSelection, Delimiter};
use super::{Mistake, Setting, SettingError};
use crate::columns::HeaderLang;
use crate::columns::sets::ColumnSet;
use crate::sink::{ExportOptions, Format};

/// A table layout as text, from any front end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TableRequest {
    /// A set's name, a set's `.toml` file, `all` or column keys; `default` when absent.
    pub columns: Option<String>,
    /// Folder of extra column sets, set by the operator (never by an HTTP client).
    #[serde(skip)]
    pub templates: Option<PathBuf>,
    pub header_lang: Option<String>,
    pub bom: bool,
    pub delimiter: Option<String>,
    pub decimal_comma: bool,
    pub end_marker: bool,
    /// Output format; the target's extension (else CSV) when absent.
    pub format: Option<String>,
}

/// A validated layout: the column set, how every sink writes, and the format if one was
/// named.
#[derive(Clone, Debug)]
pub struct TableSpec {
    pub set: ColumnSet,
    pub options: ExportOptions,
    pub format: Option<Format>,
}

impl TableRequest {
    /// The layout with times shown in `zone`.
    pub fn validate(&self, zone: Tz) -> Result<TableSpec, SettingError> {
        let selection = self
            .columns
            .as_deref()
            .map(ColumnSelection::new)
            .unwrap_or_default();
        let set = selection.resolve(self.templates.as_deref())?;
        let header = match &self.header_lang {
            Some(h) => h.parse::<HeaderLang>()?,
            None => set.header.unwrap_or_default(),
        };
        let delimiter = match &self.delimiter {
            None if self.decimal_comma => b';',
            None => b',',
            Some(d) => d.parse::<Delimiter>()?.0,
        };
        if self.decimal_comma && delimiter == b',' {
            return Err(SettingError::new(
                Setting::DecimalComma,
                Mistake::Conflict,
                "a decimal comma needs a delimiter other than `,` (the default is then `;`)",
            ));
        }
        let format = self
            .format
            .as_deref()
            .map(str::parse::<Format>)
            .transpose()?;
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
        Ok(TableSpec {
            set,
            options,
            format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_default_set_comma_and_key_headers() {
        let spec = TableRequest::default().validate(Tz::UTC).unwrap();
        assert_eq!(spec.set.name, "default");
        assert_eq!(spec.options.delimiter, b',');
        assert_eq!(spec.options.header, HeaderLang::Key);
        assert_eq!(spec.format, None);
    }

    #[test]
    fn a_decimal_comma_defaults_to_semicolons_and_refuses_commas() {
        let comma = TableRequest {
            decimal_comma: true,
            ..TableRequest::default()
        };
        assert_eq!(comma.validate(Tz::UTC).unwrap().options.delimiter, b';');
        let clash = TableRequest {
            delimiter: Some(",".into()),
            ..comma
        };
        let e = clash.validate(Tz::UTC).unwrap_err();
        assert_eq!(
            (e.setting, e.mistake),
            (Setting::DecimalComma, Mistake::Conflict)
        );
    }
}
