//! Instants as wall-clock time in a named IANA zone, ready for ICU4X's formatters.
//!
//! chrono-tz resolves the zone (its offset at that instant, daylight saving included);
//! ICU then only formats the local date and time. ICU's own zone formatting would need its
//! zone data and an explicit variant per instant, and the receipt names the IANA zone
//! anyway, which is what a reader can look up.

use chrono::{DateTime, Datelike, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use icu_calendar::{Date, Gregorian};
use icu_time::{DateTime as IcuDateTime, Time};

/// The wall-clock date and time of `t` in `zone`, on the Gregorian calendar, whole seconds.
pub(crate) fn local(t: DateTime<Utc>, zone: Tz) -> IcuDateTime<Gregorian> {
    let wall = t.with_timezone(&zone).naive_local();
    // chrono's dates (years -262143..262142) and times always fit ICU's ranges; a leap
    // second shows as :59 rather than failing the receipt.
    let date = Date::try_new_gregorian(wall.year(), wall.month() as u8, wall.day() as u8)
        .unwrap_or_else(|_| Date::try_new_gregorian(1970, 1, 1).expect("1970-01-01 is a date"));
    let time = Time::try_new(
        wall.hour() as u8,
        wall.minute() as u8,
        wall.second().min(59) as u8,
        0,
    )
    .unwrap_or_else(|_| Time::start_of_day());
    IcuDateTime { date, time }
}

/// The zone's offset from UTC at `t`: `+08:00`, `-03:00`, `+05:45`.
pub fn utc_offset(t: DateTime<Utc>, zone: Tz) -> String {
    let seconds = zone
        .offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc();
    let minutes = seconds.unsigned_abs() / 60;
    let sign = if seconds < 0 { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn offsets_follow_daylight_saving() {
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(utc_offset(at("2024-01-15T12:00:00Z"), ny), "-05:00");
        assert_eq!(utc_offset(at("2024-07-15T12:00:00Z"), ny), "-04:00");
        assert_eq!(
            utc_offset(
                at("2024-03-05T10:20:30Z"),
                "Asia/Kathmandu".parse().unwrap()
            ),
            "+05:45"
        );
        assert_eq!(utc_offset(at("2024-03-05T10:20:30Z"), Tz::UTC), "+00:00");
    }

    #[test]
    fn wall_time_is_taken_in_the_zone() {
        let local = local(at("2024-03-05T10:20:30Z"), "Asia/Shanghai".parse().unwrap());
        assert_eq!(
            (
                local.date.era_year().extended_year,
                local.date.month().ordinal,
                local.date.day_of_month().0
            ),
            (2024, 3, 5)
        );
        assert_eq!(
            (
                local.time.hour.number(),
                local.time.minute.number(),
                local.time.second.number()
            ),
            (18, 20, 30)
        );
    }
}
