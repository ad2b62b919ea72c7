//! Amounts as CLDR writes them: ICU4X formats the number (grouping, decimal mark, minus
//! sign); the currency symbol and where it goes come from the small tables below, because
//! ICU4X's stable crates have no currency formatter.

use fixed_decimal::{Decimal, SignDisplay};
use icu_decimal::DecimalFormatter;

use super::Lang;
use crate::model::Money;

/// No-break space: keeps a symbol or code on the same line as its number.
const NBSP: char = '\u{a0}';

/// CLDR standard currency symbols (cldr-numbers-full `symbol`), per language, for the
/// currencies payments here are likely in. A currency not listed is shown by its ISO code,
/// which is also what CLDR does for a currency without a symbol (BHD, SGD, THB, ...).
fn symbol(lang: Lang, code: &str) -> Option<&'static str> {
    let own = match (lang, code) {
        (Lang::En, "USD") => Some("$"),
        (Lang::En, "JPY") => Some("¥"),
        (Lang::En, "AUD") => Some("A$"),
        (Lang::En, "PHP") => Some("₱"),
        (Lang::ZhCn, "CNY") => Some("¥"),
        (Lang::ZhCn | Lang::PtBr, "AUD") => Some("AU$"),
        // zh and pt write the peso by its code.
        (Lang::ZhCn | Lang::PtBr, "PHP") => return None,
        _ => None,
    };
    own.or(match code {
        "BRL" => Some("R$"),
        "CAD" => Some("CA$"),
        "CNY" => Some("CN¥"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "HKD" => Some("HK$"),
        "ILS" => Some("₪"),
        "INR" => Some("₹"),
        "JPY" => Some("JP¥"),
        "KRW" => Some("₩"),
        "MXN" => Some("MX$"),
        "NZD" => Some("NZ$"),
        "TWD" => Some("NT$"),
        "USD" => Some("US$"),
        "VND" => Some("₫"),
        "XAF" => Some("FCFA"),
        "XCD" => Some("EC$"),
        // CLDR has a plain space inside; a no-break one keeps the symbol whole on a page.
        "XOF" => Some("F\u{a0}CFA"),
        "XPF" => Some("CFPF"),
        _ => None,
    })
}

/// Symbols that do not identify one currency. The rule: a symbol is ambiguous when CLDR
/// also uses the same string as the symbol or narrow symbol of another currency, so a
/// reader could take it for that one: `$` (USD, and CAD, AUD, MXN, ARS, ... where they are
/// local), `¥` (JPY, and CNY), `£` (GBP, and FKP, GIP, SHP, SSP, SYP), `₩` (KRW, and KPW).
/// Prefixed forms such as `US$`, `CN¥` or `R$` name their country and are unambiguous.
/// Only symbols the table above can produce need to be here; a test checks that every
/// symbol it gives to two currencies is.
pub(crate) const AMBIGUOUS_SYMBOLS: &[&str] = &["$", "¥", "£", "₩"];

/// Whether [`symbol`] gives `lang` a symbol for `code` that needs the ISO code beside it.
pub(crate) fn is_ambiguous(lang: Lang, code: &str) -> bool {
    symbol(lang, code).is_some_and(|s| AMBIGUOUS_SYMBOLS.contains(&s))
}

/// The currency symbol `lang` shows for `code`, or the code itself.
pub fn currency_symbol(lang: Lang, code: &str) -> &str {
    symbol(lang, code).unwrap_or(code)
}

/// The exact decimal for `minor` units with `exponent` fraction digits, all of them shown:
/// JPY 1234 is `1234`, BHD 1234567 is `1234.567`, USD 500 is `5.00`. Built from the integer,
/// never through a float.
pub(crate) fn major_decimal(minor: i64, exponent: u8) -> Decimal {
    let digits = -i16::from(exponent);
    let mut d = Decimal::from(minor);
    d.multiply_pow10(digits);
    d.absolute.pad_end(digits);
    d
}

/// Formats `money` in the CLDR currency pattern of `lang`:
/// en and zh-CN `¤#,##0.00` (`$1,234.56`), pt-BR `¤ #,##0.00` (`R$ 1.234,56`, no-break
/// space), the minus sign in front of the symbol (`-R$ 1.234,50`). `minus` is the
/// locale's minus sign as ICU writes it.
pub(crate) fn format(lang: Lang, decimal: &DecimalFormatter, minus: &str, money: Money) -> String {
    let code = money.currency.code();
    let sym = currency_symbol(lang, code);
    let mut magnitude = major_decimal(money.minor, money.currency.exponent());
    magnitude.apply_sign_display(SignDisplay::Never);
    let number = decimal.format(&magnitude).to_string();
    let mut out = String::with_capacity(sym.len() + number.len() + 8);
    if money.minor < 0 {
        out.push_str(minus);
    }
    out.push_str(sym);
    if lang == Lang::PtBr || needs_currency_spacing(sym) {
        out.push(NBSP);
    }
    out.push_str(&number);
    out
}

/// CLDR currency spacing: where the pattern puts the symbol right against the digits and
/// the symbol ends in a letter or punctuation rather than a symbol character (`BHD`,
/// `FCFA`), a no-break space goes between them (`BHD 1,234.567`, but `$1`, `US$1`).
fn needs_currency_spacing(symbol: &str) -> bool {
    symbol
        .chars()
        .last()
        .is_some_and(|c| c.is_alphanumeric() || c == '.')
}

/// [`format`] plus the ISO code after an ambiguous symbol: `¥1,234 JPY`, `$12.00 USD`.
pub(crate) fn format_with_code(
    lang: Lang,
    decimal: &DecimalFormatter,
    minus: &str,
    money: Money,
) -> String {
    let mut out = format(lang, decimal, minus, money);
    let code = money.currency.code();
    if is_ambiguous(lang, code) {
        out.push(NBSP);
        out.push_str(code);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Currency;

    #[test]
    fn decimals_keep_exactly_the_currency_digits() {
        assert_eq!(major_decimal(123456, 2).to_string(), "1234.56");
        assert_eq!(major_decimal(500, 2).to_string(), "5.00");
        assert_eq!(major_decimal(1234, 0).to_string(), "1234");
        assert_eq!(major_decimal(1234567, 3).to_string(), "1234.567");
        assert_eq!(major_decimal(1000, 3).to_string(), "1.000");
        assert_eq!(major_decimal(0, 2).to_string(), "0.00");
        assert_eq!(major_decimal(5, 4).to_string(), "0.0005");
        assert_eq!(major_decimal(-123450, 2).to_string(), "-1234.50");
        assert_eq!(
            major_decimal(i64::MAX, 2).to_string(),
            "92233720368547758.07"
        );
    }

    #[test]
    fn every_symbol_shared_by_two_currencies_is_marked_ambiguous() {
        let codes: Vec<Currency> = Currency::all().collect();
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for lang in Lang::ALL {
            for c in &codes {
                if let Some(s) = symbol(lang, c.code()) {
                    seen.push((s, c.code()));
                }
            }
        }
        for (s, code) in &seen {
            let shared = seen.iter().any(|(t, other)| t == s && other != code);
            if shared {
                assert!(
                    AMBIGUOUS_SYMBOLS.contains(s),
                    "{s} stands for {code} and another currency"
                );
            }
        }
    }

    #[test]
    fn symbols_ending_in_letters_are_spaced_from_digits() {
        assert!(needs_currency_spacing("BHD"));
        assert!(needs_currency_spacing("F\u{a0}CFA"));
        assert!(!needs_currency_spacing("$"));
        assert!(!needs_currency_spacing("US$"));
        assert!(!needs_currency_spacing("¥"));
        assert!(!needs_currency_spacing("₫"));
    }
}
