//! Localized strings (fluent), numbers, money and dates (ICU4X, CLDR data).
//!
//! Everything a receipt shows in words, amounts or times goes through [`Locales`], built
//! once per run and shared by every worker thread. Message text lives in
//! `locales/<tag>/receipt.ftl`, compiled into the binary so a receipt never depends on files
//! next to the executable.

mod datetime;
mod lang;
mod messages;
mod money;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use fixed_decimal::Decimal;
use fluent_bundle::FluentArgs;
use icu_calendar::Gregorian;
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::{YMD, YMDT};
use icu_decimal::DecimalFormatter;
use icu_locale_core::Locale;

pub use datetime::utc_offset;
pub use lang::Lang;
pub use money::currency_symbol;

use crate::model::Money;
use messages::Messages;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocaleError {
    #[error("language {requested:?} is not offered; choose one of: {offered}", offered = lang::OFFERED)]
    NotOffered { requested: String },
    #[error("no language given; choose one of: {offered}", offered = lang::OFFERED)]
    NoLanguage,
    /// The embedded FTL of a language does not parse: a build defect, not a user error.
    #[error("locales/{lang}/receipt.ftl: {message}")]
    Messages { lang: &'static str, message: String },
    /// ICU4X has no data for a language: a build defect, not a user error.
    #[error("CLDR data for {lang}: {message}")]
    Cldr { lang: &'static str, message: String },
}

/// Everything one language needs to write a receipt.
struct PerLang {
    messages: Messages,
    decimal: DecimalFormatter,
    /// The locale's minus sign as ICU writes it, placed before a currency symbol.
    minus: String,
    datetime: FixedCalendarDateTimeFormatter<Gregorian, YMDT>,
    date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
}

/// Messages, number and date formatters for every [`Lang`]. Build once with
/// [`Locales::new`] and share it (`&Locales` or an `Arc`) across threads: it is `Send + Sync`
/// and every method takes `&self`.
pub struct Locales {
    langs: [PerLang; 3],
}

impl Locales {
    /// Parses the embedded messages and loads the CLDR data of every language.
    pub fn new() -> Result<Locales, LocaleError> {
        let [en, zh, pt] = Lang::ALL.map(PerLang::new);
        Ok(Locales {
            langs: [en?, zh?, pt?],
        })
    }

    fn get(&self, lang: Lang) -> &PerLang {
        &self.langs[lang.index()]
    }

    /// The message `id` in `lang`, without arguments. A missing message yields its id, so
    /// the gap shows on the page instead of failing the run ([`Locales::missing_keys`]
    /// finds such gaps in tests).
    pub fn message(&self, lang: Lang, id: &str) -> String {
        self.get(lang).messages.format(id, None)
    }

    /// The message `id` in `lang` with `args`. Pass amounts and dates already formatted
    /// (as strings): fluent's own NUMBER neither groups digits nor localizes the mark.
    pub fn message_args(&self, lang: Lang, id: &str, args: &FluentArgs) -> String {
        self.get(lang).messages.format(id, Some(args))
    }

    /// Whether `lang` has a message `id`.
    pub fn has_message(&self, lang: Lang, id: &str) -> bool {
        self.get(lang).messages.has(id)
    }

    /// Every message id that some language defines and another lacks, as (the language
    /// lacking it, the id), sorted. Empty when all languages are complete.
    pub fn missing_keys(&self) -> Vec<(Lang, String)> {
        let mut all: Vec<&str> = Lang::ALL
            .iter()
            .flat_map(|l| self.get(*l).messages.ids())
            .collect();
        all.sort_unstable();
        all.dedup();
        let mut missing = Vec::new();
        for lang in Lang::ALL {
            for id in &all {
                if !self.get(lang).messages.has(id) {
                    missing.push((lang, (*id).to_string()));
                }
            }
        }
        missing
    }

    /// Every message id of `lang`, in file order.
    pub fn message_ids(&self, lang: Lang) -> Vec<String> {
        self.get(lang).messages.ids().map(str::to_string).collect()
    }

    /// `money` as CLDR writes it in `lang`, with exactly the currency's minor digits:
    /// en `$1,234.56`, `¥1,234` (JPY), `-$1,234.50`; pt-BR `R$ 1.234,56` (no-break space),
    /// `US$ 1.234,56`; zh-CN `¥1,234.56` (CNY), `US$1,234.56`. A currency without a symbol
    /// shows its code: `BHD 1,234.567`.
    pub fn money(&self, lang: Lang, money: Money) -> String {
        let per = self.get(lang);
        money::format(lang, &per.decimal, &per.minus, money)
    }

    /// [`Locales::money`], plus the ISO code when the symbol alone could mean another
    /// currency (`¥`, `$`, `£`, `₩`): en `¥1,234 JPY`, zh-CN `¥1,234.56 CNY`,
    /// en `$1,234.56 USD`; unchanged where the symbol is unambiguous (`R$ 1.234,56`).
    /// The code follows a no-break space. This is the form for documents such as receipts.
    pub fn money_with_code(&self, lang: Lang, money: Money) -> String {
        let per = self.get(lang);
        money::format_with_code(lang, &per.decimal, &per.minus, money)
    }

    /// A plain decimal in `lang`'s grouping and decimal mark: `1,234.5` / `1.234,5`.
    pub fn decimal(&self, lang: Lang, value: &Decimal) -> String {
        self.get(lang).decimal.format(value).to_string()
    }

    /// Date and time of `t` in `zone`, CLDR medium length: en `Mar 5, 2024, 6:20:30 PM`
    /// (U+202F before PM, as CLDR has it), pt-BR `5 de mar. de 2024, 18:20:30`, zh-CN
    /// `2024年3月5日 18:20:30`. The zone is not named: see [`Locales::datetime_with_zone`].
    pub fn datetime(&self, lang: Lang, t: DateTime<Utc>, zone: Tz) -> String {
        self.get(lang)
            .datetime
            .format(&datetime::local(t, zone))
            .to_string()
    }

    /// [`Locales::datetime`] followed by the IANA zone name: en
    /// `Mar 5, 2024, 6:20:30 PM (Asia/Shanghai)`, zh-CN `2024年3月5日 18:20:30（Asia/Shanghai）`.
    pub fn datetime_with_zone(&self, lang: Lang, t: DateTime<Utc>, zone: Tz) -> String {
        let mut args = FluentArgs::new();
        args.set("datetime", self.datetime(lang, t, zone));
        args.set("zone", zone.name());
        self.message_args(lang, "datetime-with-zone", &args)
    }

    /// The zone's IANA name and its offset at `t`: `America/Sao_Paulo (UTC-03:00)`; just
    /// `UTC` for UTC itself.
    pub fn zone_with_offset(&self, lang: Lang, t: DateTime<Utc>, zone: Tz) -> String {
        if matches!(zone, Tz::UTC | Tz::Etc__UTC) {
            return zone.name().to_string();
        }
        let mut args = FluentArgs::new();
        args.set("zone", zone.name());
        args.set("offset", utc_offset(t, zone));
        self.message_args(lang, "zone-with-offset", &args)
    }

    /// The date of `t` in `zone`, CLDR medium length: en `Mar 5, 2024`, pt-BR
    /// `5 de mar. de 2024`, zh-CN `2024年3月5日`.
    pub fn date(&self, lang: Lang, t: DateTime<Utc>, zone: Tz) -> String {
        self.get(lang)
            .date
            .format(&datetime::local(t, zone).date)
            .to_string()
    }
}

impl PerLang {
    fn new(lang: Lang) -> Result<PerLang, LocaleError> {
        let cldr = |e: &dyn std::fmt::Display| LocaleError::Cldr {
            lang: lang.tag(),
            message: e.to_string(),
        };
        let locale: Locale = lang
            .tag()
            .parse()
            .map_err(|e| cldr(&format_args!("{e:?}")))?;
        let decimal = DecimalFormatter::try_new((&locale).into(), Default::default())
            .map_err(|e| cldr(&format_args!("{e:?}")))?;
        let one = decimal.format(&Decimal::from(1)).to_string();
        let minus_one = decimal.format(&Decimal::from(-1)).to_string();
        let minus = minus_one
            .strip_suffix(one.as_str())
            .unwrap_or("-")
            .to_string();
        let datetime = FixedCalendarDateTimeFormatter::try_new((&locale).into(), YMDT::medium())
            .map_err(|e| cldr(&format_args!("{e:?}")))?;
        let date = FixedCalendarDateTimeFormatter::try_new((&locale).into(), YMD::medium())
            .map_err(|e| cldr(&format_args!("{e:?}")))?;
        Ok(PerLang {
            messages: Messages::new(lang)?,
            decimal,
            minus,
            datetime,
            date,
        })
    }
}
