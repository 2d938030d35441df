//! Calendar arithmetic on UTC epoch milliseconds.
//!
//! Every date in the pipeline is a UTC date (ownstats computed year/month/day in the process time
//! zone, which made partitions depend on where the job ran). The conversion is Howard Hinnant's
//! `civil_from_days`, exact over the whole proleptic Gregorian calendar, with no allocation, so
//! it can run once per event on the hot path.

/// Milliseconds in one day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// A UTC calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Calendar year, e.g. 2022.
    pub year: i32,
    /// Month 1–12.
    pub month: u8,
    /// Day of month 1–31.
    pub day: u8,
}

/// The date of the last day asked for, kept: rows of one file, or in arrival order, fall on
/// a day or two, and a division by the day length is cheaper than `civil_from_days` (~15 ns,
/// run twice per encoded row before; perf).
#[derive(Debug, Clone, Copy)]
pub struct DateMemo {
    days: i64,
    date: Date,
}

impl Default for DateMemo {
    fn default() -> Self {
        DateMemo {
            days: 0,
            date: Date::from_days(0),
        }
    }
}

impl DateMemo {
    /// [`Date::from_epoch_ms`] of `epoch_ms`.
    #[inline]
    pub fn date(&mut self, epoch_ms: i64) -> Date {
        let days = epoch_ms.div_euclid(MS_PER_DAY);
        if days != self.days {
            *self = DateMemo {
                days,
                date: Date::from_days(days),
            };
        }
        self.date
    }
}

impl Date {
    /// The UTC date containing `epoch_ms`.
    pub fn from_epoch_ms(epoch_ms: i64) -> Date {
        Date::from_days(epoch_ms.div_euclid(MS_PER_DAY))
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = if m <= 2 { y + 1 } else { y };
        Date {
            year: year as i32,
            month: m as u8,
            day: d as u8,
        }
    }

    /// Days since 1970-01-01 (inverse of [`Date::from_days`]).
    pub fn to_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Epoch milliseconds of this date's midnight, UTC.
    pub fn start_ms(self) -> i64 {
        self.to_days() * MS_PER_DAY
    }

    /// Parses `YYYY-MM-DD` (the partition format); `None` for anything else, including
    /// impossible dates such as 2023-02-30.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let date = Date {
            year: num(0..4)? as i32,
            month: num(5..7)? as u8,
            day: num(8..10)? as u8,
        };
        (date.month >= 1 && Date::from_days(date.to_days()) == date).then_some(date)
    }

    /// `YYYY-MM-DD` into a fixed buffer (no allocation).
    pub fn fmt_into(self, out: &mut [u8; 10]) {
        let y = self.year.clamp(0, 9999) as u32;
        let digits = [
            y / 1000,
            y / 100 % 10,
            y / 10 % 10,
            y % 10,
            0,
            u32::from(self.month) / 10,
            u32::from(self.month) % 10,
            0,
            u32::from(self.day) / 10,
            u32::from(self.day) % 10,
        ];
        for (i, d) in digits.iter().enumerate() {
            out[i] = b'0' + *d as u8;
        }
        out[4] = b'-';
        out[7] = b'-';
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Hour of day (0–23, UTC) of `epoch_ms`.
pub fn hour_of_day(epoch_ms: i64) -> u8 {
    (epoch_ms.rem_euclid(MS_PER_DAY) / 3_600_000) as u8
}

/// ISO-8601 UTC rendering with milliseconds, e.g. `2022-11-20T18:22:06.289Z` (for humans and
/// reports; the data itself stores epoch milliseconds).
pub fn iso8601_ms(epoch_ms: i64) -> String {
    let d = Date::from_epoch_ms(epoch_ms);
    let ms_of_day = epoch_ms.rem_euclid(MS_PER_DAY);
    format!(
        "{d}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        let cases = [
            (0_i64, "1970-01-01"),
            (1_668_968_526_289, "2022-11-20"),
            (1_702_852_983_288, "2023-12-17"),
            (951_782_400_000, "2000-02-29"),
            (-1, "1969-12-31"),
            (253_402_300_799_000, "9999-12-31"),
        ];
        let mut memo = DateMemo::default();
        // Forwards, backwards, and each twice: the memo's hits and misses.
        for (ms, want) in cases
            .iter()
            .chain(cases.iter().rev())
            .flat_map(|c| [*c, *c])
        {
            assert_eq!(Date::from_epoch_ms(ms).to_string(), want, "epoch ms {ms}");
            assert_eq!(memo.date(ms).to_string(), want, "memo, epoch ms {ms}");
            let mut buf = [0u8; 10];
            Date::from_epoch_ms(ms).fmt_into(&mut buf);
            assert_eq!(std::str::from_utf8(&buf).unwrap(), want);
        }
    }

    #[test]
    fn round_trip_every_day_of_four_centuries() {
        for days in -200_000..200_000 {
            let d = Date::from_days(days);
            assert_eq!(d.to_days(), days);
            assert_eq!(
                Date::parse(&d.to_string()).filter(|_| d.year >= 0),
                (d.year >= 0).then_some(d)
            );
        }
    }

    #[test]
    fn parse_rejects_garbage() {
        for bad in [
            "",
            "2023-02-30",
            "2023-13-01",
            "2023-00-10",
            "2023/01/01",
            "20230101",
            "2023-1-01x",
            "２０２３-01-01",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn iso_and_hour() {
        assert_eq!(iso8601_ms(1_668_968_526_289), "2022-11-20T18:22:06.289Z");
        assert_eq!(hour_of_day(1_668_968_526_289), 18);
        assert_eq!(hour_of_day(-1), 23);
    }
}
