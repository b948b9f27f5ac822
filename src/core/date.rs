//! Calendar dates written `YYYY-MM-DD`, compared in UTC: the one parser for `--sunset`, sunset
//! annotations, the config file and `KUBECTL_OWNER_TODAY`.

use std::fmt;
use std::str::FromStr;

/// A strict `YYYY-MM-DD` calendar date (no time, no offset, no other separators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(jiff::civil::Date);

impl Date {
    /// Today's date in UTC.
    pub fn today_utc() -> Date {
        Date(
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date(),
        )
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        i64::from(
            self.0
                .until(later.0)
                .map(|span| span.get_days())
                .unwrap_or(0),
        )
    }
}

impl Date {
    /// A sunset value as `check` reads it: the date, blanks around it ignored.
    pub fn sunset(text: &str) -> Result<Date, String> {
        text.trim().parse()
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(text: &str) -> Result<Date, String> {
        let bytes = text.as_bytes();
        let shape = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shape {
            return Err(format!("invalid date {text:?}: expected YYYY-MM-DD"));
        }
        text.parse::<jiff::civil::Date>()
            .map(Date)
            .map_err(|e| format!("invalid date {text:?}: {e}"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_calendar_dates() {
        let date: Date = "2024-02-29".parse().unwrap();
        assert_eq!(date.to_string(), "2024-02-29");
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-04-31",
            "20250630",
            "2025-6-30",
            "2025/06/30",
            "2025-06-30T00:00:00Z",
            " 2025-06-30",
            "",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn days_between_dates() {
        let a: Date = "2025-06-30".parse().unwrap();
        let b: Date = "2025-07-02".parse().unwrap();
        assert_eq!(a.days_until(b), 2);
        assert_eq!(b.days_until(a), -2);
        assert_eq!(a.days_until(a), 0);
    }
}
