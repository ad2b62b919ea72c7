//! Values a request carries, each parsing itself from the text any front end collects.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{Mistake, Setting, SettingError};
use crate::columns::HeaderLang;
use crate::columns::sets::{self, ColumnSet};
use crate::filter::Shard;
use crate::locale::Lang;
use crate::model::Currency;
use crate::model::time::{local_to_utc, parse_bound};
use crate::sink::Format;
use crate::source::InputFormat;

/// An IANA time zone (`Asia/Shanghai`, `UTC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::UTC)
    }
}

impl FromStr for Zone {
    type Err = SettingError;

    fn from_str(text: &str) -> Result<Zone, SettingError> {
        text.trim().parse::<Tz>().map(Zone).map_err(|_| {
            SettingError::new(
                Setting::Tz,
                Mistake::UnknownZone,
                format!(
                    "{:?} is not an IANA time zone (e.g. UTC, Asia/Shanghai, America/Sao_Paulo)",
                    text.trim()
                ),
            )
        })
    }
}

/// A bound of a time range as written: a date, which means midnight in the request's zone,
/// or a time (with its offset, or without one in the request's zone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeBound {
    Date(NaiveDate),
    Time(String),
}

impl TimeBound {
    /// Parses the text of `setting` (`from`, `to`, `generated_at`).
    pub fn parse(setting: Setting, text: &str) -> Result<TimeBound, SettingError> {
        let s = text.trim();
        if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(TimeBound::Date(date));
        }
        // Checked now, in UTC, so that a bad time is refused before the zone is known;
        // an offset-less time is read again in the request's zone below.
        parse_bound(s, Tz::UTC)
            .map_err(|e| SettingError::new(setting, Mistake::BadTime, e.to_string()))?;
        Ok(TimeBound::Time(s.to_string()))
    }

    /// The instant in `zone`.
    pub fn resolve(&self, setting: Setting, zone: Tz) -> Result<DateTime<Utc>, SettingError> {
        match self {
            TimeBound::Date(date) => Ok(local_to_utc(date.and_time(chrono::NaiveTime::MIN), zone)),
            TimeBound::Time(text) => parse_bound(text, zone)
                .map_err(|e| SettingError::new(setting, Mistake::BadTime, e.to_string())),
        }
    }
}

impl FromStr for Shard {
    type Err = SettingError;

    fn from_str(text: &str) -> Result<Shard, SettingError> {
        let bad = || {
            SettingError::new(
                Setting::Shard,
                Mistake::BadShard,
                format!("{text:?}: expected K/N with 1 <= K <= N, e.g. 3/8"),
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// ISO 4217 currencies; blank items are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CurrencyList(pub Vec<Currency>);

impl CurrencyList {
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<CurrencyList, SettingError> {
        items
            .iter()
            .flat_map(|item| item.as_ref().split(','))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                Currency::parse(c).map_err(|e| {
                    SettingError::new(Setting::Currency, Mistake::UnknownCurrency, e.to_string())
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(CurrencyList)
    }
}

/// The field separator of a CSV export: one ASCII character, `tab` or `\t` for a tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimiter(pub u8);

impl FromStr for Delimiter {
    type Err = SettingError;

    fn from_str(text: &str) -> Result<Delimiter, SettingError> {
        let d = if text == "\\t" || text.eq_ignore_ascii_case("tab") {
            "\t"
        } else {
            text
        };
        match d.as_bytes() {
            [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => Ok(Delimiter(*b)),
            _ => Err(SettingError::new(
                Setting::Delimiter,
                Mistake::BadDelimiter,
                format!("{d:?}: give one ASCII character other than a quote or a line break"),
            )),
        }
    }
}

impl FromStr for HeaderLang {
    type Err = SettingError;

    fn from_str(text: &str) -> Result<HeaderLang, SettingError> {
        HeaderLang::parse(text).ok_or_else(|| {
            SettingError::new(
                Setting::HeaderLang,
                Mistake::UnknownHeaderLang,
                format!("{text:?} is not offered; choose one of: key, en, zh-CN, pt-BR"),
            )
        })
    }
}

impl FromStr for Format {
    type Err = SettingError;

    fn from_str(text: &str) -> Result<Format, SettingError> {
        Format::parse(text).ok_or_else(|| {
            SettingError::new(
                Setting::Format,
                Mistake::UnknownFormat,
                format!("{text:?}: use csv, xlsx or jsonl"),
            )
        })
    }
}

impl FromStr for InputFormat {
    type Err = SettingError;

    fn from_str(text: &str) -> Result<InputFormat, SettingError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(InputFormat::Csv),
            "xlsx" => Ok(InputFormat::Xlsx),
            "jsonl" | "ndjson" => Ok(InputFormat::Jsonl),
            _ => Err(SettingError::new(
                Setting::InputFormat,
                Mistake::UnknownFormat,
                format!("{text:?}: use csv, xlsx or jsonl"),
            )),
        }
    }
}

/// Receipt languages, in the order asked, each once; `all` is every language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Langs(pub Vec<Lang>);

impl FromStr for Langs {
    type Err = SettingError;

    fn from_str(text: &str) -> Result<Langs, SettingError> {
        let langs = Lang::parse_list(text).map_err(|e| {
            SettingError::new(Setting::Lang, Mistake::UnknownLanguage, e.to_string())
        })?;
        if langs.is_empty() {
            return Err(SettingError::new(
                Setting::Lang,
                Mistake::UnknownLanguage,
                "no language given: use en, zh-CN, pt-BR or all",
            ));
        }
        Ok(Langs(langs))
    }
}

/// One receipt language (`en`, `zh-CN`, `pt-BR`, or a tag that falls back to one).
pub fn single_lang(text: &str) -> Result<Lang, SettingError> {
    Lang::negotiate(text)
        .map_err(|e| SettingError::new(Setting::Lang, Mistake::UnknownLanguage, e.to_string()))
}

/// Which columns an export shows: a set by name (built in or in a templates folder), a
/// set's `.toml` file, `all`, or column keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSelection(String);

impl Default for ColumnSelection {
    fn default() -> Self {
        ColumnSelection("default".into())
    }
}

impl ColumnSelection {
    pub fn new(text: impl Into<String>) -> ColumnSelection {
        ColumnSelection(text.into())
    }

    /// Names a set or lists keys, but names no file: what a request from the network may
    /// ask for, since it must not make the server read files of its choosing.
    pub fn names_no_file(&self) -> bool {
        self.0
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b',' | b' '))
    }

    pub fn resolve(&self, templates: Option<&Path>) -> Result<ColumnSet, SettingError> {
        sets::resolve(&self.0, templates).map_err(|e| {
            SettingError::new(Setting::Columns, Mistake::UnknownColumns, e.to_string())
        })
    }
}

/// A size in bytes: a number, optionally with `K`, `M` or `G` (powers of 1024): `4M`.
pub fn parse_byte_size(text: &str) -> std::result::Result<usize, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let scale: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => {
            return Err(format!(
                "{text:?} is not a size (e.g. 1048576, 512K, 4M, 1G)"
            ));
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size (e.g. 1048576, 512K, 4M, 1G)"))?;
    match n.checked_mul(scale).and_then(|b| usize::try_from(b).ok()) {
        Some(0) => Err("a size must be at least 1 byte".into()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{text:?} is too large")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_names_its_setting_and_mistake() {
        let cases: Vec<(Result<(), SettingError>, Setting, &str)> = vec![
            (
                "Mars/Base".parse::<Zone>().map(drop),
                Setting::Tz,
                "unsupported_time_zone",
            ),
            (
                TimeBound::parse(Setting::From, "yesterday").map(drop),
                Setting::From,
                "bad_time",
            ),
            (
                "0/3".parse::<Shard>().map(drop),
                Setting::Shard,
                "bad_shard",
            ),
            (
                CurrencyList::parse(&["BRL,XYZ"]).map(drop),
                Setting::Currency,
                "unsupported_currency",
            ),
            (
                ",,".parse::<Delimiter>().map(drop),
                Setting::Delimiter,
                "bad_delimiter",
            ),
            (
                "fr".parse::<HeaderLang>().map(drop),
                Setting::HeaderLang,
                "unsupported_header_language",
            ),
            (
                "pdf".parse::<Format>().map(drop),
                Setting::Format,
                "unsupported_format",
            ),
            (
                "fr".parse::<Langs>().map(drop),
                Setting::Lang,
                "unsupported_language",
            ),
            (
                ColumnSelection::new("nonsense").resolve(None).map(drop),
                Setting::Columns,
                "unknown_columns",
            ),
        ];
        for (result, setting, code) in cases {
            let e = result.expect_err(code);
            assert_eq!((e.setting, e.code()), (setting, code), "{e}");
            assert!(
                !e.message.contains("--"),
                "no flag in a neutral message: {e}"
            );
        }
    }

    #[test]
    fn values_parse() {
        assert_eq!(
            "Asia/Shanghai".parse::<Zone>().unwrap().0,
            Tz::Asia__Shanghai
        );
        assert_eq!(
            "3/8".parse::<Shard>().unwrap(),
            Shard { index: 3, count: 8 }
        );
        assert_eq!("tab".parse::<Delimiter>().unwrap(), Delimiter(b'\t'));
        assert_eq!(";".parse::<Delimiter>().unwrap(), Delimiter(b';'));
        assert_eq!(CurrencyList::parse(&["brl, CNY", ""]).unwrap().0.len(), 2);
        let midnight = TimeBound::parse(Setting::From, "2026-10-01").unwrap();
        assert_eq!(
            midnight
                .resolve(Setting::From, Tz::Asia__Shanghai)
                .unwrap()
                .to_rfc3339(),
            "2026-09-30T16:00:00+00:00"
        );
        let local = TimeBound::parse(Setting::To, "2026-10-01T08:00:00").unwrap();
        assert_eq!(
            local
                .resolve(Setting::To, Tz::Asia__Shanghai)
                .unwrap()
                .to_rfc3339(),
            "2026-10-01T00:00:00+00:00"
        );
        assert!(!ColumnSelection::new("../etc/x.toml").names_no_file());
        assert!(ColumnSelection::new("accounting").names_no_file());
    }
}
