//! Time windows of unattended runs, computed in the job's IANA zone so that "yesterday"
//! is a local calendar day: 23 or 25 hours long across a DST change, never shifted.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::model::time::local_to_utc;

/// Which stretch of time a job covers, relative to the day it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WindowSpec {
    /// The local day before the run.
    Yesterday,
    /// The seven local days before the run.
    Last7Days,
    /// The calendar month before the run's month.
    LastMonth,
    /// Fixed bounds (`from` inclusive, `to` exclusive).
    Explicit {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

impl WindowSpec {
    pub fn parse(text: &str) -> Option<WindowSpec> {
        match text.trim().to_ascii_lowercase().as_str() {
            "yesterday" => Some(WindowSpec::Yesterday),
            "last-7-days" => Some(WindowSpec::Last7Days),
            "last-month" => Some(WindowSpec::LastMonth),
            _ => None,
        }
    }
}

/// A resolved window: UTC bounds plus the local dates that name it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// First local day of the window (for `{date}` in output paths).
    pub first_day: NaiveDate,
    /// Last local day of the window, inclusive.
    pub last_day: NaiveDate,
    pub zone: String,
}

/// Resolves `spec` for a run whose reference day is `day`: the last day the window covers
/// for the relative windows (a nightly run on the 21st has `day` the 20th). `--date D`
/// re-runs the job as it ran the morning after D.
pub fn resolve(spec: &WindowSpec, day: NaiveDate, zone: Tz) -> Window {
    let midnight = |d: NaiveDate| local_to_utc(d.and_hms_opt(0, 0, 0).unwrap_or_default(), zone);
    let (first_day, last_day) = match spec {
        WindowSpec::Yesterday => (day, day),
        WindowSpec::Last7Days => (day - Duration::days(6), day),
        WindowSpec::LastMonth => {
            let run_day = day + Duration::days(1);
            let this_month =
                NaiveDate::from_ymd_opt(run_day.year(), run_day.month(), 1).unwrap_or(run_day);
            let last_of_prev = this_month - Duration::days(1);
            (
                NaiveDate::from_ymd_opt(last_of_prev.year(), last_of_prev.month(), 1)
                    .unwrap_or(last_of_prev),
                last_of_prev,
            )
        }
        WindowSpec::Explicit { from, to } => {
            let local = |t: &DateTime<Utc>| t.with_timezone(&zone).date_naive();
            let last = local(&(*to - Duration::nanoseconds(1)));
            return Window {
                from: *from,
                to: *to,
                first_day: local(from),
                last_day: last,
                zone: zone.name().into(),
            };
        }
    };
    Window {
        from: midnight(first_day),
        to: midnight(last_day + Duration::days(1)),
        first_day,
        last_day,
        zone: zone.name().into(),
    }
}

/// The day before `now` in `zone`: the default reference day of a run.
pub fn yesterday(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
    now.with_timezone(&zone).date_naive() - Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn hours(w: &Window) -> i64 {
        (w.to - w.from).num_hours()
    }

    #[test]
    fn yesterday_across_dst_changes_is_a_local_day() {
        // Europe/Lisbon: clocks go forward on 2026-03-29 and back on 2026-10-25.
        let lisbon = zone("Europe/Lisbon");
        let spring = resolve(&WindowSpec::Yesterday, day("2026-03-29"), lisbon);
        assert_eq!(hours(&spring), 23);
        assert_eq!(spring.from.to_rfc3339(), "2026-03-29T00:00:00+00:00");
        assert_eq!(spring.to.to_rfc3339(), "2026-03-29T23:00:00+00:00");
        let autumn = resolve(&WindowSpec::Yesterday, day("2026-10-25"), lisbon);
        assert_eq!(hours(&autumn), 25);
        assert_eq!(autumn.from.to_rfc3339(), "2026-10-24T23:00:00+00:00");
        // America/New_York: 2026-03-08 and 2026-11-01.
        let ny = zone("America/New_York");
        assert_eq!(
            hours(&resolve(&WindowSpec::Yesterday, day("2026-03-08"), ny)),
            23
        );
        let fall = resolve(&WindowSpec::Yesterday, day("2026-11-01"), ny);
        assert_eq!(hours(&fall), 25);
        assert_eq!(fall.from.to_rfc3339(), "2026-11-01T04:00:00+00:00");
        assert_eq!(fall.to.to_rfc3339(), "2026-11-02T05:00:00+00:00");
    }

    #[test]
    fn zones_without_dst_have_24_hour_days() {
        let sh = resolve(
            &WindowSpec::Yesterday,
            day("2026-11-20"),
            zone("Asia/Shanghai"),
        );
        assert_eq!(sh.from.to_rfc3339(), "2026-11-19T16:00:00+00:00");
        assert_eq!(hours(&sh), 24);
        let sp = resolve(
            &WindowSpec::Yesterday,
            day("2026-11-20"),
            zone("America/Sao_Paulo"),
        );
        assert_eq!(sp.from.to_rfc3339(), "2026-11-20T03:00:00+00:00");
        assert_eq!(hours(&sp), 24);
    }

    #[test]
    fn last_month_and_last_7_days() {
        let lisbon = zone("Europe/Lisbon");
        let october = resolve(&WindowSpec::LastMonth, day("2026-11-20"), lisbon);
        assert_eq!(
            (october.first_day, october.last_day),
            (day("2026-10-01"), day("2026-10-31"))
        );
        // 31 days with the autumn change inside: one hour longer.
        assert_eq!(hours(&october), 31 * 24 + 1);
        assert_eq!(october.from.to_rfc3339(), "2026-09-30T23:00:00+00:00");
        let end_of_month = resolve(&WindowSpec::LastMonth, day("2026-10-31"), lisbon);
        assert_eq!(end_of_month.first_day, day("2026-10-01"));
        let week = resolve(
            &WindowSpec::Last7Days,
            day("2026-11-01"),
            zone("America/New_York"),
        );
        assert_eq!(
            (week.first_day, week.last_day),
            (day("2026-10-26"), day("2026-11-01"))
        );
        assert_eq!(hours(&week), 7 * 24 + 1);
    }

    #[test]
    fn the_default_day_is_yesterday_in_the_zone() {
        let now: DateTime<Utc> = "2026-11-21T20:00:00Z".parse().unwrap();
        assert_eq!(yesterday(now, zone("Asia/Shanghai")), day("2026-11-21"));
        assert_eq!(yesterday(now, zone("America/Sao_Paulo")), day("2026-11-20"));
    }
}
