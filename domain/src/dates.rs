//! Unix-second timestamps, formatted and parsed without a calendar library.

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Year, month, day, hour, minute and second of a unix time, UTC.
fn parts(unix: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, m, d) = civil_from_days(unix.div_euclid(DAY));
    let secs = unix.rem_euclid(DAY);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `2026-11-24 09:05 UTC`.
pub fn format_utc(unix: i64) -> String {
    let (y, m, d, h, mi, _) = parts(unix);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02} UTC")
}

/// `2026-11-24T09:05:00Z` (RFC 3339, UTC): for machines.
pub fn format_rfc3339(unix: i64) -> String {
    let (y, m, d, h, mi, s) = parts(unix);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `2026-11-24`.
pub fn format_date(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD` into the last second of that day, UTC.
pub fn parse_date_end_of_day(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d) * DAY + DAY - 1)
}

/// "in 3 days", "2 hours ago": for lists.
pub fn relative(unix: i64, now: i64) -> String {
    let delta = unix - now;
    let abs = delta.abs();
    let amount = if abs < 60 {
        return "just now".into();
    } else if abs < 3600 {
        plural(abs / 60, "minute")
    } else if abs < DAY {
        plural(abs / 3600, "hour")
    } else {
        plural(abs / DAY, "day")
    };
    if delta > 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days-from-civil algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1_795_998_600), "2026-11-30 00:30 UTC");
        assert_eq!(format_date(951_782_400), "2000-02-29");
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_795_998_659), "2026-11-30T00:30:59Z");
    }

    #[test]
    fn parses_dates_to_the_end_of_the_day() {
        assert_eq!(parse_date_end_of_day("1970-01-01"), Some(DAY - 1));
        assert_eq!(
            parse_date_end_of_day("2000-02-29")
                .map(format_date)
                .as_deref(),
            Some("2000-02-29")
        );
        for bad in [
            "",
            "2026-02-30",
            "2026-13-01",
            "tomorrow",
            "2026-1",
            "1969-12-31",
            "2026-01-01T00",
        ] {
            assert_eq!(parse_date_end_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(100, 100), "just now");
        assert_eq!(relative(100 + 3 * DAY, 100), "in 3 days");
        assert_eq!(relative(100, 100 + 7200), "2 hours ago");
    }
}
