//! Money as integer minor units plus the currency's ISO 4217 exponent. Never a float.
//!
//! Reports carry amounts as major-unit decimal strings (`-90.00`); APIs send minor units.
//! Converting between the two goes through [`Currency::exponent`], never a hard-coded `/100`.

use std::fmt;

/// An ISO 4217 alphabetic code known to the exponent table, with its exponent looked up
/// once at parse time (amounts ask for it on every row). `Copy`, four bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// ISO 4217 currencies and their minor-unit exponents (list one, active codes), sorted by code
/// so that lookup is a binary search. Funds and precious-metal codes without a minor unit
/// (XAU, XDR, ...) are left out on purpose: a transaction in them is almost surely a data error.
const EXPONENTS: &[(&[u8; 3], u8)] = &[
    (b"AED", 2),
    (b"AFN", 2),
    (b"ALL", 2),
    (b"AMD", 2),
    (b"ANG", 2),
    (b"AOA", 2),
    (b"ARS", 2),
    (b"AUD", 2),
    (b"AWG", 2),
    (b"AZN", 2),
    (b"BAM", 2),
    (b"BBD", 2),
    (b"BDT", 2),
    (b"BGN", 2),
    (b"BHD", 3),
    (b"BIF", 0),
    (b"BMD", 2),
    (b"BND", 2),
    (b"BOB", 2),
    (b"BRL", 2),
    (b"BSD", 2),
    (b"BTN", 2),
    (b"BWP", 2),
    (b"BYN", 2),
    (b"BZD", 2),
    (b"CAD", 2),
    (b"CDF", 2),
    (b"CHF", 2),
    (b"CLF", 4),
    (b"CLP", 0),
    (b"CNY", 2),
    (b"COP", 2),
    (b"CRC", 2),
    (b"CUP", 2),
    (b"CVE", 2),
    (b"CZK", 2),
    (b"DJF", 0),
    (b"DKK", 2),
    (b"DOP", 2),
    (b"DZD", 2),
    (b"EGP", 2),
    (b"ERN", 2),
    (b"ETB", 2),
    (b"EUR", 2),
    (b"FJD", 2),
    (b"FKP", 2),
    (b"GBP", 2),
    (b"GEL", 2),
    (b"GHS", 2),
    (b"GIP", 2),
    (b"GMD", 2),
    (b"GNF", 0),
    (b"GTQ", 2),
    (b"GYD", 2),
    (b"HKD", 2),
    (b"HNL", 2),
    (b"HTG", 2),
    (b"HUF", 2),
    (b"IDR", 2),
    (b"ILS", 2),
    (b"INR", 2),
    (b"IQD", 3),
    (b"IRR", 2),
    (b"ISK", 0),
    (b"JMD", 2),
    (b"JOD", 3),
    (b"JPY", 0),
    (b"KES", 2),
    (b"KGS", 2),
    (b"KHR", 2),
    (b"KMF", 0),
    (b"KPW", 2),
    (b"KRW", 0),
    (b"KWD", 3),
    (b"KYD", 2),
    (b"KZT", 2),
    (b"LAK", 2),
    (b"LBP", 2),
    (b"LKR", 2),
    (b"LRD", 2),
    (b"LSL", 2),
    (b"LYD", 3),
    (b"MAD", 2),
    (b"MDL", 2),
    (b"MGA", 2),
    (b"MKD", 2),
    (b"MMK", 2),
    (b"MNT", 2),
    (b"MOP", 2),
    (b"MRU", 2),
    (b"MUR", 2),
    (b"MVR", 2),
    (b"MWK", 2),
    (b"MXN", 2),
    (b"MYR", 2),
    (b"MZN", 2),
    (b"NAD", 2),
    (b"NGN", 2),
    (b"NIO", 2),
    (b"NOK", 2),
    (b"NPR", 2),
    (b"NZD", 2),
    (b"OMR", 3),
    (b"PAB", 2),
    (b"PEN", 2),
    (b"PGK", 2),
    (b"PHP", 2),
    (b"PKR", 2),
    (b"PLN", 2),
    (b"PYG", 0),
    (b"QAR", 2),
    (b"RON", 2),
    (b"RSD", 2),
    (b"RUB", 2),
    (b"RWF", 0),
    (b"SAR", 2),
    (b"SBD", 2),
    (b"SCR", 2),
    (b"SDG", 2),
    (b"SEK", 2),
    (b"SGD", 2),
    (b"SHP", 2),
    (b"SLE", 2),
    (b"SOS", 2),
    (b"SRD", 2),
    (b"SSP", 2),
    (b"STN", 2),
    (b"SVC", 2),
    (b"SYP", 2),
    (b"SZL", 2),
    (b"THB", 2),
    (b"TJS", 2),
    (b"TMT", 2),
    (b"TND", 3),
    (b"TOP", 2),
    (b"TRY", 2),
    (b"TTD", 2),
    (b"TWD", 2),
    (b"TZS", 2),
    (b"UAH", 2),
    (b"UGX", 0),
    (b"USD", 2),
    (b"UYI", 0),
    (b"UYU", 2),
    (b"UYW", 4),
    (b"UZS", 2),
    (b"VED", 2),
    (b"VES", 2),
    (b"VND", 0),
    (b"VUV", 0),
    (b"WST", 2),
    (b"XAF", 0),
    (b"XCD", 2),
    (b"XOF", 0),
    (b"XPF", 0),
    (b"YER", 2),
    (b"ZAR", 2),
    (b"ZMW", 2),
    (b"ZWG", 2),
];

/// Marks a code that is not in [`EXPONENTS`].
const UNKNOWN: u8 = u8::MAX;

/// Position of an upper-case three-letter code in [`EXPONENT_BY_CODE`].
const fn code_index(code: [u8; 3]) -> usize {
    let [a, b, c] = code;
    ((a - b'A') as usize * 26 + (b - b'A') as usize) * 26 + (c - b'A') as usize
}

/// Every three-letter code's exponent, or [`UNKNOWN`]: a currency is parsed three times a
/// row, and one index beats a binary search over the table's 150-odd codes.
static EXPONENT_BY_CODE: [u8; 26 * 26 * 26] = {
    let mut table = [UNKNOWN; 26 * 26 * 26];
    let mut i = 0;
    while i < EXPONENTS.len() {
        let (code, exponent) = EXPONENTS[i];
        table[code_index(*code)] = exponent;
        i += 1;
    }
    table
};

impl Currency {
    /// Parses a code such as `BRL` (ASCII letters, any case). Unknown codes are an error:
    /// without the exponent no amount in that currency can be read or written exactly.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let code = code.trim_ascii();
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::UnknownCurrency(code.to_string()));
        }
        let upper = [
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ];
        match EXPONENT_BY_CODE[code_index(upper)] {
            UNKNOWN => Err(MoneyError::UnknownCurrency(code.to_string())),
            exponent => Ok(Currency {
                code: upper,
                exponent,
            }),
        }
    }

    /// The three-letter code, upper case.
    pub fn code(&self) -> &str {
        // Only ASCII letters ever reach the array (checked in `parse`).
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Number of minor-unit digits: 0 for JPY and VND, 2 for BRL, 3 for BHD, 4 for CLF.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Every known currency, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        EXPONENTS.iter().map(|(code, exponent)| Currency {
            code: **code,
            exponent: *exponent,
        })
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount in one currency, as a signed count of minor units.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency {0:?} (not an ISO 4217 code recibo knows)")]
    UnknownCurrency(String),
    #[error("{value:?} is not a decimal amount")]
    NotANumber { value: String },
    #[error("{value:?} has {digits} decimal places but {currency} has {exponent}")]
    TooPrecise {
        value: String,
        currency: Currency,
        digits: usize,
        exponent: u8,
    },
    #[error("{value:?} is too large")]
    Overflow { value: String },
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses a major-unit decimal such as `-1234.5` exactly. Fraction digits beyond the
    /// currency's exponent are accepted only when they are zeros (`1234.00` JPY is 1234);
    /// anything else is an error, never a rounding.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        parse_major_units(text, currency).map(|minor| Money { minor, currency })
    }

    /// The amount as a major-unit decimal with exactly the currency's digits: `-1234.50`.
    pub fn to_major_string(&self) -> String {
        let mut out = String::with_capacity(24);
        self.write_major(&mut out, b'.');
        out
    }

    /// Appends the major-unit decimal to `out`, with `decimal_mark` between units and
    /// fraction. No grouping: this is the machine form used by reports, not a display form.
    pub fn write_major(&self, out: &mut String, decimal_mark: u8) {
        write_major_units(out, self.minor, self.currency.exponent(), decimal_mark);
    }

    /// The amount as an `f64` in major units, for spreadsheet cells only. Exact for every
    /// amount below 2^53 minor units, which covers any real transaction.
    pub fn to_major_f64(&self) -> f64 {
        self.minor as f64 / 10f64.powi(i32::from(self.currency.exponent()))
    }

    pub fn abs(&self) -> Money {
        Money {
            minor: self.minor.saturating_abs(),
            currency: self.currency,
        }
    }
}

fn parse_major_units(text: &str, currency: Currency) -> Result<i64, MoneyError> {
    let s = text.trim();
    let bytes = s.as_bytes();
    let (negative, unsigned) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let exponent = usize::from(currency.exponent());
    // One pass over the digits (every amount of every row comes here). Overflow is noted
    // and reported last, so that a malformed or too precise amount says so instead.
    let mut minor: i64 = 0;
    let mut overflow = false;
    let mut push = |digit: u8| match minor
        .checked_mul(10)
        .and_then(|m| m.checked_add(i64::from(digit)))
    {
        Some(m) => minor = m,
        None => overflow = true,
    };
    let mut at = 0;
    while let Some(&b) = unsigned.get(at).filter(|b| b.is_ascii_digit()) {
        push(b - b'0');
        at += 1;
    }
    let int_digits = at;
    // Fraction digits up to the last non-zero one: `1.50` is two digits of BRL, `1.500` too.
    let mut significant = 0;
    let mut frac_digits = 0;
    if unsigned.get(at) == Some(&b'.') {
        at += 1;
        while let Some(&b) = unsigned.get(at).filter(|b| b.is_ascii_digit()) {
            if b != b'0' {
                significant = frac_digits + 1;
            }
            if frac_digits < exponent {
                push(b - b'0');
            }
            frac_digits += 1;
            at += 1;
        }
    }
    if at != unsigned.len() || int_digits + frac_digits == 0 {
        return Err(MoneyError::NotANumber {
            value: text.to_string(),
        });
    }
    if significant > exponent {
        return Err(MoneyError::TooPrecise {
            value: text.to_string(),
            currency,
            digits: significant,
            exponent: currency.exponent(),
        });
    }
    for _ in frac_digits..exponent {
        push(0);
    }
    if overflow {
        return Err(MoneyError::Overflow {
            value: text.to_string(),
        });
    }
    Ok(if negative { -minor } else { minor })
}

/// Writes `minor` as a major-unit decimal with `exponent` fraction digits.
pub fn write_major_units(out: &mut String, minor: i64, exponent: u8, decimal_mark: u8) {
    let mut digits = itoa::Buffer::new();
    let magnitude = digits.format(minor.unsigned_abs());
    if minor < 0 {
        out.push('-');
    }
    let exponent = usize::from(exponent);
    if exponent == 0 {
        out.push_str(magnitude);
        return;
    }
    if magnitude.len() <= exponent {
        out.push('0');
        out.push(char::from(decimal_mark));
        for _ in magnitude.len()..exponent {
            out.push('0');
        }
        out.push_str(magnitude);
    } else {
        let split = magnitude.len() - exponent;
        out.push_str(&magnitude[..split]);
        out.push(char::from(decimal_mark));
        out.push_str(&magnitude[split..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(EXPONENTS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn exponents_of_the_domain_table() {
        for (code, exp) in [
            ("JPY", 0),
            ("KRW", 0),
            ("VND", 0),
            ("CLP", 0),
            ("ISK", 0),
            ("UGX", 0),
            ("XAF", 0),
            ("XOF", 0),
            ("BHD", 3),
            ("KWD", 3),
            ("JOD", 3),
            ("OMR", 3),
            ("TND", 3),
            ("LYD", 3),
            ("IQD", 3),
            ("CLF", 4),
            ("USD", 2),
            ("EUR", 2),
            ("CNY", 2),
            ("BRL", 2),
            ("IDR", 2),
            ("HUF", 2),
            ("TWD", 2),
        ] {
            assert_eq!(cur(code).exponent(), exp, "{code}");
        }
    }

    #[test]
    fn parses_exactly_for_every_exponent() {
        assert_eq!(
            Money::parse_major("-1234.5", cur("BRL")).unwrap().minor,
            -123450
        );
        assert_eq!(Money::parse_major("1234", cur("JPY")).unwrap().minor, 1234);
        assert_eq!(
            Money::parse_major("1234.00", cur("JPY")).unwrap().minor,
            1234
        );
        assert_eq!(Money::parse_major("1.234", cur("BHD")).unwrap().minor, 1234);
        assert_eq!(Money::parse_major("-0.001", cur("KWD")).unwrap().minor, -1);
        assert_eq!(Money::parse_major("0.0001", cur("CLF")).unwrap().minor, 1);
        assert_eq!(Money::parse_major("+.5", cur("USD")).unwrap().minor, 50);
        assert_eq!(
            Money::parse_major("10000", cur("VND")).unwrap().minor,
            10000
        );
    }

    #[test]
    fn refuses_what_it_cannot_read_exactly() {
        assert!(matches!(
            Money::parse_major("1234.5", cur("JPY")),
            Err(MoneyError::TooPrecise { .. })
        ));
        assert!(matches!(
            Money::parse_major("1.0001", cur("BHD")),
            Err(MoneyError::TooPrecise { .. })
        ));
        for bad in [
            "", "-", ".", "1,234.00", "1e3", "12.3.4", "abc", " - 1", "1 000",
        ] {
            assert!(Money::parse_major(bad, cur("USD")).is_err(), "{bad:?}");
        }
        assert!(matches!(
            Money::parse_major("99999999999999999999", cur("USD")),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(matches!(
            Currency::parse("XYZ"),
            Err(MoneyError::UnknownCurrency(_))
        ));
        assert!(Currency::parse("usd").is_ok());
    }

    #[test]
    fn says_malformed_before_too_precise_before_overflow() {
        let usd = cur("USD");
        assert!(matches!(
            Money::parse_major("99999999999999999999x", usd),
            Err(MoneyError::NotANumber { .. })
        ));
        assert!(matches!(
            Money::parse_major("99999999999999999999.001", usd),
            Err(MoneyError::TooPrecise { digits: 3, .. })
        ));
        assert!(matches!(
            Money::parse_major("1.50100", usd),
            Err(MoneyError::TooPrecise { digits: 3, .. })
        ));
        // The limits of i64 minor units, either side.
        assert_eq!(
            Money::parse_major("92233720368547758.07", usd)
                .unwrap()
                .minor,
            i64::MAX
        );
        assert!(matches!(
            Money::parse_major("92233720368547758.08", usd),
            Err(MoneyError::Overflow { .. })
        ));
        assert!(matches!(
            Money::parse_major("92233720368547758", usd),
            Ok(Money {
                minor: 9223372036854775800,
                ..
            })
        ));
        assert_eq!(Money::parse_major("1.", usd).unwrap().minor, 100);
        assert_eq!(Money::parse_major(" 1.500 ", usd).unwrap().minor, 150);
    }

    /// The rules of `parse_major` spelled out plainly, with 128-bit arithmetic: the oracle
    /// the one-pass parser is checked against.
    fn parse_plainly(text: &str, currency: Currency) -> Result<i64, MoneyError> {
        let s = text.trim();
        let (negative, unsigned) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits_only = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int_part.len() + frac_part.len() == 0
            || !digits_only(int_part)
            || !digits_only(frac_part)
        {
            return Err(MoneyError::NotANumber {
                value: text.to_string(),
            });
        }
        let exponent = usize::from(currency.exponent());
        let significant = frac_part.trim_end_matches('0');
        if significant.len() > exponent {
            return Err(MoneyError::TooPrecise {
                value: text.to_string(),
                currency,
                digits: significant.len(),
                exponent: currency.exponent(),
            });
        }
        let overflow = || MoneyError::Overflow {
            value: text.to_string(),
        };
        let scaled = format!("{int_part}{significant:0<exponent$}");
        let scaled = scaled.trim_start_matches('0');
        if scaled.len() > 30 {
            return Err(overflow());
        }
        let minor = if scaled.is_empty() {
            0
        } else {
            scaled.parse::<i128>().unwrap()
        };
        let minor = i64::try_from(minor).map_err(|_| overflow())?;
        Ok(if negative { -minor } else { minor })
    }

    #[test]
    fn agrees_with_the_plain_rules_on_random_text() {
        // Text from the characters an amount is made of, and a few it must refuse.
        let alphabet = b"0123456789000999..-+ e,x";
        let mut rng = fastrand::Rng::with_seed(7);
        let currencies = ["JPY", "USD", "BHD", "CLF"].map(cur);
        let mut accepted = 0;
        for _ in 0..50_000 {
            let text: String = (0..rng.usize(..26))
                .map(|_| char::from(alphabet[rng.usize(..alphabet.len())]))
                .collect();
            let currency = currencies[rng.usize(..currencies.len())];
            let expected = parse_plainly(&text, currency);
            accepted += usize::from(expected.is_ok());
            assert_eq!(
                parse_major_units(&text, currency),
                expected,
                "{text:?} {currency}"
            );
        }
        // The text must exercise both answers for the check to mean anything.
        assert!(accepted > 1_000, "only {accepted} accepted");
    }

    #[test]
    fn writes_with_the_currency_digits() {
        let s = |m: i64, c: &str| Money::new(m, cur(c)).to_major_string();
        assert_eq!(s(-123450, "BRL"), "-1234.50");
        assert_eq!(s(5, "USD"), "0.05");
        assert_eq!(s(-5, "USD"), "-0.05");
        assert_eq!(s(1234, "JPY"), "1234");
        assert_eq!(s(1, "BHD"), "0.001");
        assert_eq!(s(12345, "CLF"), "1.2345");
        assert_eq!(s(i64::MIN, "USD"), "-92233720368547758.08");
        let mut out = String::new();
        Money::new(123450, cur("BRL")).write_major(&mut out, b',');
        assert_eq!(out, "1234,50");
    }

    #[test]
    fn round_trips_every_exponent() {
        for c in Currency::all() {
            for m in [0, 1, -1, 7, 99, 100, -12345, 10_000_000_001] {
                let money = Money::new(m, c);
                assert_eq!(
                    Money::parse_major(&money.to_major_string(), c).unwrap(),
                    money
                );
            }
        }
    }
}
