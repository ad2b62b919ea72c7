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
}

/// Parses an instant: ISO 8601 / RFC 3339 with an offset (`T` or a space between date and
/// time, fractional seconds allowed), or whole unix seconds.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, TimeError> {
    let s = text.trim_ascii();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .ok_or_else(|| TimeError::Unparsable(text.to_string()));
    }
    if let Some(t) = parse_rfc3339_common(s.as_bytes()) {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    // RFC 3339 allows only `T`/space and `+hh:mm`; reports also write `+hhmm`.
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Ok(t.with_timezone(&Utc));
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
}

/// Parses a filter bound: a full instant as [`parse_instant`], a date-time without offset
/// read in `zone`, or a bare date meaning midnight in `zone`.
pub fn parse_bound(text: &str, zone: Tz) -> Result<DateTime<Utc>, TimeError> {
    let s = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(local_to_utc(
            date.and_hms_opt(0, 0, 0).unwrap_or_default(),
            zone,
        ));
    }
    match parse_instant(s) {
        Ok(t) => Ok(t),
        Err(TimeError::NoOffset(_)) => Ok(local_to_utc(parse_naive(s).unwrap_or_default(), zone)),
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
    let local = in_zone(t, zone);
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
    let minutes = offset_secs.unsigned_abs() / 60;
    push_digits(out, minutes / 60, 2);
    out.push(':');
    push_digits(out, minutes % 60, 2);
}

fn push_digits(out: &mut String, value: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        out.push(char::from(b'0' + ((value / div) % 10) as u8));
        div /= 10;
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
            "0001-01-01T00:00:00+01:00",
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
        assert_eq!(
            parse_instant("2026-12-31T23:59:60Z").ok(),
            DateTime::parse_from_rfc3339("2026-12-31T23:59:60Z")
                .ok()
                .map(|t| t.with_timezone(&Utc))
        );
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
