//! What a user asks recibo for, whichever front end asks: the command line, a job file or an
//! HTTP query.
//!
//! Each front end collects text into the plain request structs here ([`FilterRequest`],
//! [`TableRequest`], [`ReceiptRequest`]); validating one gives the typed values the pipeline
//! reads, with every default set here and nowhere else. The value types ([`Zone`],
//! [`TimeBound`], [`Delimiter`], [`ColumnSelection`], ...) parse themselves. A refused value
//! is a [`SettingError`] that names the setting by its neutral key (`tz`, `shard`) and the
//! kind of mistake by a stable code (`unsupported_time_zone`); each front end adds its own
//! context: the command line says `--tz`, a job file its path and key, HTTP the query
//! parameter.

mod filter;
mod receipt;
mod source;
mod table;
mod values;

pub use filter::FilterRequest;
pub use receipt::{ReceiptRequest, ReceiptSpec};
pub use source::SourceRequest;
pub use table::{TableRequest, TableSpec};
pub use values::{
    ColumnSelection, CurrencyList, Delimiter, Langs, TimeBound, Zone, parse_byte_size, single_lang,
};

/// A setting a request can carry, by its neutral key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setting {
    Tz,
    From,
    To,
    Currency,
    Type,
    Method,
    Acquirer,
    Status,
    Id,
    Related,
    Shard,
    Columns,
    HeaderLang,
    Delimiter,
    DecimalComma,
    Format,
    InputFormat,
    Lang,
    GeneratedAt,
}

impl Setting {
    /// The key: snake_case, as job files and query strings spell it (queries also take `-`).
    pub fn key(self) -> &'static str {
        match self {
            Setting::Tz => "tz",
            Setting::From => "from",
            Setting::To => "to",
            Setting::Currency => "currency",
            Setting::Type => "type",
            Setting::Method => "method",
            Setting::Acquirer => "acquirer",
            Setting::Status => "status",
            Setting::Id => "id",
            Setting::Related => "related",
            Setting::Shard => "shard",
            Setting::Columns => "columns",
            Setting::HeaderLang => "header_lang",
            Setting::Delimiter => "delimiter",
            Setting::DecimalComma => "decimal_comma",
            Setting::Format => "format",
            Setting::InputFormat => "input_format",
            Setting::Lang => "lang",
            Setting::GeneratedAt => "generated_at",
        }
    }

    /// The command-line flag that carries the setting.
    pub fn flag(self) -> String {
        format!("--{}", self.key().replace('_', "-"))
    }
}

/// The kind of mistake a refused value is: one stable code per kind, the same from every
/// front end (HTTP sends it as `code`, the JSON log as `code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mistake {
    UnknownZone,
    BadTime,
    EmptyWindow,
    BadShard,
    UnknownCurrency,
    UnknownColumns,
    UnknownHeaderLang,
    BadDelimiter,
    UnknownFormat,
    UnknownLanguage,
    /// Two settings that cannot go together.
    Conflict,
}

impl Mistake {
    pub fn code(self) -> &'static str {
        match self {
            Mistake::UnknownZone => "unsupported_time_zone",
            Mistake::BadTime => "bad_time",
            Mistake::EmptyWindow => "empty_window",
            Mistake::BadShard => "bad_shard",
            Mistake::UnknownCurrency => "unsupported_currency",
            Mistake::UnknownColumns => "unknown_columns",
            Mistake::UnknownHeaderLang => "unsupported_header_language",
            Mistake::BadDelimiter => "bad_delimiter",
            Mistake::UnknownFormat => "unsupported_format",
            Mistake::UnknownLanguage => "unsupported_language",
            Mistake::Conflict => "conflicting_settings",
        }
    }
}

/// A value a request cannot take. The message does not repeat the setting's name: the
/// front end says it in its own terms.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SettingError {
    pub setting: Setting,
    pub mistake: Mistake,
    pub message: String,
}

impl SettingError {
    pub fn new(setting: Setting, mistake: Mistake, message: impl Into<String>) -> SettingError {
        SettingError {
            setting,
            mistake,
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        self.mistake.code()
    }
}
