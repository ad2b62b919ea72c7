//! Instants are stored in UTC and shown in a named IANA zone.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error(
        "{0:?} is not an ISO 8601 time with a UTC offset (e.g. 2026-03-05T18:20:30+08:00) nor unix seconds"
    )]
    Unparsable(String),
    #[error("{0:?} has no UTC offset; add one (e.g. +08:00 or Z)")]
    NoOffset(String),
    #[error("unknown time zone {0:?}: use an IANA name such as Asia/Shanghai or America/Sao_Paulo")]
    UnknownZone(String),
    #[error("{0:?} is not a date (YYYY-MM-DD) or a time with offset")]
    NotADate(String),
    #[error(
        "{0:?} is outside the times recibo reads and writes ({EARLIEST_TEXT} up to {END_TEXT}, so that every zone shows a four-digit year)"
    )]
    OutOfRange(String),
    #[error(
        "{0:?} has more than 9 fraction digits that are not all zeros; recibo keeps times to the nanosecond"
    )]
    TooPrecise(String),
}

/// The first instant recibo reads and writes.
const EARLIEST_TEXT: &str = "0001-01-02T00:00:00Z";
/// The first instant past the range.
const END_TEXT: &str = "9999-12-31T00:00:00Z";

/// The instants every reader accepts and every writer writes, in every zone: a day inside
/// years 1 and 9999 at each end, so that no zone's offset (all are under a day) shows a
/// year that needs a sign or a fifth digit, which ISO 8601 readers (recibo's, spreadsheets')
/// do not take and the receipts' calendar cannot show.
pub fn in_range(t: DateTime<Utc>) -> bool {
    let day = t.date_naive();
    let first = NaiveDate::from_ymd_opt(1, 1, 2).unwrap_or(NaiveDate::MIN);
    let end = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    (first..end).contains(&day)
}

/// `t` when it is [`in_range`]; `text` names it in the error otherwise.
pub fn check_range(t: DateTime<Utc>, text: &str) -> Result<DateTime<Utc>, TimeError> {
    if in_range(t) {
        Ok(t)
    } else {
        Err(TimeError::OutOfRange(text.to_string()))
    }
}

/// A leap second (`23:59:60`, which chrono keeps as a second 59 with a fraction of one or
/// more) as the first instant after it: UTC instants are counted without leap seconds, and
/// writing it as `23:59:59` would put it before times that came earlier.
fn past_leap_second(t: DateTime<Utc>) -> DateTime<Utc> {
    if t.nanosecond() < 1_000_000_000 {
        return t;
    }
    t.with_nanosecond(0)
        .and_then(|t| t.checked_add_signed(chrono::TimeDelta::seconds(1)))
        .unwrap_or(t)
}

/// The same for a wall-clock time.
fn naive_past_leap_second(t: NaiveDateTime) -> NaiveDateTime {
    if t.nanosecond() < 1_000_000_000 {
        return t;
    }
    t.with_nanosecond(0)
        .and_then(|t| t.checked_add_signed(chrono::TimeDelta::seconds(1)))
        .unwrap_or(t)
}

/// `s` with fraction digits past the ninth removed when they are all zeros (chrono would
/// drop them whatever they are); an error when they are not.
fn nine_fraction_digits<'a>(
    s: &'a str,
    text: &str,
) -> Result<std::borrow::Cow<'a, str>, TimeError> {
    let Some(point) = s.find('.') else {
        return Ok(s.into());
    };
    let digits = s[point + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits <= 9 {
        return Ok(s.into());
    }
    let extra = point + 1 + 9..point + 1 + digits;
    if s[extra.clone()].bytes().any(|b| b != b'0') {
        return Err(TimeError::TooPrecise(text.to_string()));
    }
    Ok(format!("{}{}", &s[..extra.start], &s[extra.end..]).into())
}

/// Parses an instant: ISO 8601 / RFC 3339 with an offset (`T` or a space between date and
/// time, fractional seconds allowed), or whole unix seconds. The instant must be
/// [`in_range`]; a leap second reads as the instant after it (`23:59:60Z` is `00:00:00Z`
/// of the next day); fraction digits past the ninth must be zeros.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, TimeError> {
    let s = text.trim_ascii();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let t = s
            .parse::<i64>()
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .ok_or_else(|| TimeError::OutOfRange(text.to_string()))?;
        return check_range(t, text);
    }
    if let Some(t) = parse_rfc3339_common(s.as_bytes()) {
        return check_range(t, text);
    }
    let s = nine_fraction_digits(s, text)?;
    let s = s.as_ref();
    if let Some(t) = parse_rfc3339_common(s.as_bytes()) {
        return check_range(t, text);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return check_range(past_leap_second(t.with_timezone(&Utc)), text);
    }
    // RFC 3339 allows only `T`/space and `+hh:mm`; reports also write `+hhmm`.
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return check_range(past_leap_second(t.with_timezone(&Utc)), text);
        }
    }
    if parse_naive(s).is_some() {
        return Err(TimeError::NoOffset(text.to_string()));
    }
    Err(TimeError::Unparsable(text.to_string()))
}

/// The shape nearly every report writes, `2026-10-01T00:00:01+08:00` (or with `Z`, a space
/// for `T`, a fraction of up to nine digits), read without chrono's general RFC 3339 parser,
/// which costs several times as much on every row. Anything else (leap seconds, odd
/// offsets, invalid dates) is `None` and goes to that parser.
fn parse_rfc3339_common(s: &[u8]) -> Option<DateTime<Utc>> {
    fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
        let part = s.get(at..at + n)?;
        part.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    }
    let punctuation = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if s.len() < 20
        || !matches!(s[10], b'T' | b't' | b' ')
        || punctuation.iter().any(|&(at, b)| s[at] != b)
    {
        return None;
    }
    let date =
        NaiveDate::from_ymd_opt(digits(s, 0, 4)? as i32, digits(s, 5, 2)?, digits(s, 8, 2)?)?;
    let (hour, minute, second) = (digits(s, 11, 2)?, digits(s, 14, 2)?, digits(s, 17, 2)?);
    if second > 59 {
        // A leap second: the general parser's business.
        return None;
    }
    let mut at = 19;
    let mut nanos = 0;
    if s[at] == b'.' {
        let count = s[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if !(1..=9).contains(&count) {
            return None;
        }
        nanos = digits(s, at + 1, count)? * 10u32.pow(9 - count as u32);
        at += 1 + count;
    }
    let offset_secs = match &s[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(s, at + 1, 2)?, digits(s, at + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60) as i64;
            if *sign == b'-' { -secs } else { secs }
        }
        // What recibo writes for an offset with seconds (local mean time before a zone
        // adopted standard time: America/Sao_Paulo was -03:06:28), so that it reads back.
        [sign @ (b'+' | b'-'), _, _, b':', _, _, b':', _, _] => {
            let (h, m, sec) = (
                digits(s, at + 1, 2)?,
                digits(s, at + 4, 2)?,
                digits(s, at + 7, 2)?,
            );
            if h > 23 || m > 59 || sec > 59 {
                return None;
            }
            let secs = (h * 3600 + m * 60 + sec) as i64;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    date.and_hms_nano_opt(hour, minute, second, nanos)?
        .checked_sub_signed(chrono::TimeDelta::seconds(offset_secs))
        .map(|t| t.and_utc())
}

fn parse_naive(s: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .map(naive_past_leap_second)
}

/// A wall-clock time with no offset (`2026-11-01T08:00:00`, a space for `T` allowed, or
/// minutes only), read as [`parse_instant`] reads the time part: a leap second is the
/// instant after it, fraction digits past the ninth must be zeros. `None` if it is not one.
pub fn parse_local(text: &str) -> Result<Option<NaiveDateTime>, TimeError> {
    let s = nine_fraction_digits(text.trim_ascii(), text)?;
    Ok(parse_naive(&s))
}

/// Parses a filter bound: a full instant as [`parse_instant`], a date-time without offset
/// read in `zone`, or a bare date meaning midnight in `zone`.
pub fn parse_bound(text: &str, zone: Tz) -> Result<DateTime<Utc>, TimeError> {
    let s = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return check_range(
            local_to_utc(date.and_hms_opt(0, 0, 0).unwrap_or_default(), zone),
            text,
        );
    }
    match parse_instant(s) {
        Ok(t) => Ok(t),
        Err(TimeError::NoOffset(_)) => {
            let local = parse_local(s)?.ok_or_else(|| TimeError::NotADate(text.to_string()))?;
            check_range(local_to_utc(local, zone), text)
        }
        Err(e @ (TimeError::OutOfRange(_) | TimeError::TooPrecise(_))) => Err(e),
        Err(_) => Err(TimeError::NotADate(text.to_string())),
    }
}

/// A wall-clock time in `zone` as UTC. In a gap (spring forward) the first valid instant
/// after it is taken; in an overlap (fall back) the earlier one.
pub fn local_to_utc(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    let mut probe = local;
    for _ in 0..=180 {
        match zone.from_local_datetime(&probe) {
            chrono::LocalResult::Single(t) => return t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(early, _) => return early.with_timezone(&Utc),
            chrono::LocalResult::None => probe += chrono::Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&local)
}

/// Parses an IANA zone name (`Asia/Shanghai`, `UTC`).
pub fn parse_zone(name: &str) -> Result<Tz, TimeError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| TimeError::UnknownZone(name.to_string()))
}

/// The instant as wall-clock time in `zone`, with its offset there.
pub fn in_zone(t: DateTime<Utc>, zone: Tz) -> DateTime<FixedOffset> {
    let offset = zone.offset_from_utc_datetime(&t.naive_utc()).fix();
    t.with_timezone(&offset)
}

/// Appends `t` as ISO 8601 in `zone` with its offset: `2026-11-01T08:00:00+08:00` (`Z` is
/// never used, so the column always says the offset). Hand-written because chrono's
/// formatter parses its format string for every call and this runs once per exported row.
pub fn write_iso8601(out: &mut String, t: DateTime<Utc>, zone: Tz) {
    let local = in_zone(past_leap_second(t), zone);
    let (date, time) = (local.date_naive(), local.time());
    let year = date.year();
    if (0..=9999).contains(&year) {
        push_digits(out, year as u32, 4);
    } else {
        out.push_str(&format!("{year:+05}"));
    }
    out.push('-');
    push_digits(out, date.month(), 2);
    out.push('-');
    push_digits(out, date.day(), 2);
    out.push('T');
    push_digits(out, time.hour(), 2);
    out.push(':');
    push_digits(out, time.minute(), 2);
    out.push(':');
    push_digits(out, time.second(), 2);
    // As many fraction digits as the instant needs, in groups of three, so that every
    // time written reads back as the same instant.
    let nanos = time.nanosecond() % 1_000_000_000;
    if nanos > 0 {
        out.push('.');
        if nanos % 1_000_000 == 0 {
            push_digits(out, nanos / 1_000_000, 3);
        } else if nanos % 1_000 == 0 {
            push_digits(out, nanos / 1_000, 6);
        } else {
            push_digits(out, nanos, 9);
        }
    }
    let offset_secs = local.offset().local_minus_utc();
    out.push(if offset_secs < 0 { '-' } else { '+' });
    let abs = offset_secs.unsigned_abs();
    push_digits(out, abs / 3600, 2);
    out.push(':');
    push_digits(out, abs / 60 % 60, 2);
    // Only local mean time, before a zone's first standard offset, has seconds; writing
    // them is what lets such a time read back as the same instant.
    if !abs.is_multiple_of(60) {
        out.push(':');
        push_digits(out, abs % 60, 2);
    }
}

fn push_digits(out: &mut String, value: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        out.push(char::from(b'0' + ((value / div) % 10) as u8));
        div /= 10;
    }
}

/// The serde form of an instant in JSONL: written as chrono writes it (RFC 3339 in UTC,
/// `2026-11-01T00:00:00Z`), read by [`parse_instant`], so that JSONL takes the times, and
/// refuses the ones, CSV and XLSX do.
pub mod serde_instant {
    use chrono::{DateTime, Utc};

    pub fn serialize<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(t, s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        super::parse_instant(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(t: DateTime<Utc>, zone: &str) -> String {
        let mut s = String::new();
        write_iso8601(&mut s, t, parse_zone(zone).unwrap());
        s
    }

    #[test]
    fn parses_offsets_and_unix_seconds() {
        let t = parse_instant("2018-12-25T10:00:00+08:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2018-12-25T01:30:00+00:00");
        assert_eq!(
            parse_instant("1638175132").unwrap().to_rfc3339(),
            "2021-11-29T08:38:52+00:00"
        );
        assert_eq!(
            parse_instant("2026-11-01 08:00:00+0800").unwrap(),
            parse_instant("2026-11-01T00:00:00Z").unwrap()
        );
        assert!(matches!(
            parse_instant("2026-11-01T08:00:00"),
            Err(TimeError::NoOffset(_))
        ));
        assert!(matches!(
            parse_instant("yesterday"),
            Err(TimeError::Unparsable(_))
        ));
    }

    #[test]
    fn the_common_shape_reads_as_chrono_reads_it() {
        let common = [
            "2026-10-01T00:00:01+00:00",
            "2026-10-01T00:00:01Z",
            "2026-10-01t00:00:01z",
            "2026-10-01 23:59:59-03:00",
            "2024-02-29T12:00:00+14:00",
            "2000-01-01T00:30:00+05:45",
            "1999-12-31T23:59:59.9-00:30",
            "2026-03-05T10:20:30.123456789+08:00",
            "2026-03-05T10:20:30.000500Z",
            "0001-01-02T01:00:00+01:00",
        ];
        for text in common {
            let chrono = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(
                parse_rfc3339_common(text.as_bytes()),
                Some(chrono),
                "{text}"
            );
            assert_eq!(parse_instant(text).unwrap(), chrono, "{text}");
        }
        // Left to the general parser, which reads or refuses them.
        for text in [
            "2026-02-29T00:00:00Z",
            "2026-10-01T24:00:00Z",
            "2026-12-31T23:59:60Z",
            "2026-10-01T00:00:01.Z",
            "2026-10-01T00:00:01.1234567891Z",
            "2026-10-01T00:00:01+0800",
            "2026-10-01T00:00:01+24:00",
            "2026-10-01T00:00:01+08:60",
            "2026-10-01T00:00:01",
            "2026-10-01X00:00:01Z",
            "2026-1-01T00:00:01Z",
            "+2026-10-01T00:00:01Z",
            "2026-10-01T00:00:01+08:00 ",
        ] {
            assert_eq!(parse_rfc3339_common(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn the_common_shape_agrees_with_chrono_on_random_times() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut next = |bound: u32| rng.u32(..bound);
        let mut read_fast = 0;
        for _ in 0..50_000 {
            let separator = ["T", "t", " ", "_"][next(4) as usize];
            let fraction_digits = [0, 0, 1, 3, 6, 9, 10][next(7) as usize];
            let fraction: String = (0..fraction_digits)
                .map(|_| char::from(b'0' + next(10) as u8))
                .collect();
            let fraction = if fraction_digits > 0 {
                format!(".{fraction}")
            } else {
                fraction
            };
            let (oh, om) = (next(26), next(62));
            let offset = match next(5) {
                0 => "Z".to_string(),
                1 => "z".to_string(),
                2 => format!("+{oh:02}{om:02}"),
                3 => format!("-{oh:02}:{om:02}"),
                _ => format!("+{oh:02}:{om:02}"),
            };
            let text = format!(
                "{:04}-{:02}-{:02}{separator}{:02}:{:02}:{:02}{fraction}{offset}",
                next(10_000),
                next(14),
                next(33),
                next(25),
                next(61),
                next(62),
            );
            let chrono = DateTime::parse_from_rfc3339(&text)
                .ok()
                .map(|t| t.with_timezone(&Utc));
            // A cut-off time (a truncated file) is read as chrono reads it, or declined.
            let cut = &text[..next(text.len() as u32) as usize];
            if let Some(fast) = parse_rfc3339_common(cut.as_bytes()) {
                let chrono = DateTime::parse_from_rfc3339(cut).map(|t| t.with_timezone(&Utc));
                assert_eq!(Ok(fast), chrono, "{cut}");
            }
            match parse_rfc3339_common(text.as_bytes()) {
                Some(fast) => {
                    read_fast += 1;
                    assert_eq!(Some(fast), chrono, "{text}");
                }
                // Declined: chrono refuses it too, or it is a shape left to chrono.
                None => assert!(
                    chrono.is_none()
                        || text[17..19] == *"60"
                        || fraction_digits > 9
                        || !offset.contains([':', 'Z', 'z']),
                    "{text} declined, chrono reads {chrono:?}"
                ),
            }
        }
        assert!(read_fast > 5_000, "only {read_fast} read by the fast path");
    }

    #[test]
    fn writes_iso_in_zone() {
        let t = parse_instant("2026-03-05T10:20:30Z").unwrap();
        assert_eq!(iso(t, "Asia/Shanghai"), "2026-03-05T18:20:30+08:00");
        assert_eq!(iso(t, "America/Sao_Paulo"), "2026-03-05T07:20:30-03:00");
        assert_eq!(iso(t, "UTC"), "2026-03-05T10:20:30+00:00");
        assert_eq!(iso(t, "Asia/Kolkata"), "2026-03-05T15:50:30+05:30");
        assert_eq!(parse_instant(&iso(t, "America/St_Johns")).unwrap(), t);
        for fraction in [".5", ".000500", ".000000001", ".123456789"] {
            let precise = parse_instant(&format!("2026-03-05T10:20:30{fraction}Z")).unwrap();
            assert_eq!(
                parse_instant(&iso(precise, "Asia/Shanghai")).unwrap(),
                precise,
                "{fraction}"
            );
        }
    }

    #[test]
    fn times_outside_the_range_are_refused_in_every_reader_form() {
        let sh = parse_zone("Asia/Shanghai").unwrap();
        for text in [
            // Unix seconds in year 213,226; a year with a sign: fuzz findings.
            "6666666666662",
            "-12026-10-01T00:54:49.5+05:30",
            "+10000-01-01T00:00:00+00:00",
            "9999-12-31T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "0001-01-01T23:59:59Z",
            "0000-06-01T00:00:00Z",
        ] {
            assert_eq!(
                parse_instant(text),
                Err(TimeError::OutOfRange(text.into())),
                "{text}"
            );
            assert_eq!(
                parse_bound(text, sh),
                Err(TimeError::OutOfRange(text.into()))
            );
        }
        // Bounds without an offset, read in the zone, are held to the same range.
        assert!(matches!(
            parse_bound("9999-12-31", parse_zone("UTC").unwrap()),
            Err(TimeError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_bound("9999-12-31T08:00:00", sh),
            Err(TimeError::OutOfRange(_))
        ));
        let first = parse_instant("0001-01-02T00:00:00Z").unwrap();
        let last = parse_instant("9999-12-30T23:59:59.999999999Z").unwrap();
        assert_eq!(
            parse_instant("9999-12-31T07:59:59.999999999+08:00"),
            Ok(last)
        );
        assert!(in_range(first) && in_range(last));
        let message = TimeError::OutOfRange("x".into()).to_string();
        assert!(message.contains("0001-01-02T00:00:00Z") && message.contains("9999-12-31"));
    }

    #[test]
    fn the_ends_of_the_range_are_written_with_four_digit_years_in_every_zone() {
        let ends = [
            parse_instant("0001-01-02T00:00:00Z").unwrap(),
            parse_instant("9999-12-30T23:59:59.999999999Z").unwrap(),
        ];
        for zone in [
            "Pacific/Kiritimati",
            "Etc/GMT-14",
            "Etc/GMT+12",
            "Asia/Manila",
            "America/Sitka",
        ] {
            for t in ends {
                let text = iso(t, zone);
                assert!(
                    text.as_bytes()[0].is_ascii_digit() && text.as_bytes()[4] == b'-',
                    "{text}"
                );
                assert_eq!(parse_instant(&text), Ok(t), "{text} in {zone}");
            }
        }
    }

    #[test]
    fn a_leap_second_reads_as_the_instant_after_it_in_every_form() {
        let next = parse_instant("2017-01-01T00:00:00Z").unwrap();
        for text in [
            "2016-12-31T23:59:60Z",
            "2016-12-31 23:59:60Z",
            "2017-01-01T07:59:60+08:00",
            "2016-12-31T23:59:60+0000",
            "2016-12-31T23:59:60.5Z",
        ] {
            assert_eq!(parse_instant(text), Ok(next), "{text}");
            assert_eq!(parse_bound(text, Tz::UTC), Ok(next), "{text}");
        }
        // Without an offset, read in the zone: as a bound and as a spreadsheet cell is read.
        let sh = parse_zone("Asia/Shanghai").unwrap();
        assert_eq!(parse_bound("2017-01-01T07:59:60", sh), Ok(next));
        let local = parse_local("2017-01-01 07:59:60").unwrap().unwrap();
        assert_eq!(local_to_utc(local, sh), next);
        // Written, it is the next second, never 23:59:59.
        let leap = DateTime::parse_from_rfc3339("2016-12-31T23:59:60Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(iso(leap, "UTC"), "2017-01-01T00:00:00+00:00");
    }

    #[test]
    fn fraction_digits_past_the_ninth_must_be_zeros() {
        let precise = parse_instant("2026-03-05T10:20:30.123456789Z").unwrap();
        assert_eq!(
            parse_instant("2026-03-05T10:20:30.123456789000Z"),
            Ok(precise)
        );
        assert_eq!(
            parse_instant("2026-03-05 18:20:30.1234567890+08:00"),
            Ok(precise)
        );
        for text in [
            "2026-03-05T10:20:30.123456789012Z",
            "2026-03-05T10:20:30.0000000001Z",
        ] {
            assert_eq!(parse_instant(text), Err(TimeError::TooPrecise(text.into())));
            assert_eq!(
                parse_bound(text, Tz::UTC),
                Err(TimeError::TooPrecise(text.into()))
            );
        }
        assert_eq!(
            parse_local("2026-03-05T10:20:30.1234567891"),
            Err(TimeError::TooPrecise(
                "2026-03-05T10:20:30.1234567891".into()
            ))
        );
        assert!(matches!(
            parse_bound("2026-03-05T10:20:30.1234567891", Tz::UTC),
            Err(TimeError::TooPrecise(_))
        ));
    }

    #[test]
    fn offsets_with_seconds_are_written_and_read_back() {
        // America/Sao_Paulo kept local mean time, -03:06:28, until 1914.
        let t = parse_instant("1900-06-01T12:00:00Z").unwrap();
        let text = iso(t, "America/Sao_Paulo");
        assert_eq!(text, "1900-06-01T08:53:32-03:06:28");
        assert_eq!(parse_instant(&text), Ok(t));
        assert_eq!(parse_instant("1900-06-01T15:06:28+03:06:28"), Ok(t));
        assert!(parse_instant("1900-06-01T15:06:28+03:06:60").is_err());
    }

    #[test]
    fn bare_dates_are_midnight_in_the_zone() {
        let sh = parse_zone("Asia/Shanghai").unwrap();
        assert_eq!(
            parse_bound("2026-10-01", sh).unwrap().to_rfc3339(),
            "2026-09-30T16:00:00+00:00"
        );
        // Spring forward in New York at 02:00: 02:30 does not exist, 03:00 EDT is taken.
        let ny = parse_zone("America/New_York").unwrap();
        assert_eq!(
            parse_bound("2026-03-08T02:30:00", ny).unwrap().to_rfc3339(),
            "2026-03-08T07:00:00+00:00"
        );
        assert!(parse_bound("01/10/2026", sh).is_err());
    }
}
