//! Durations as written in the profiles file and on the command line:
//! a whole number and a unit, `"90s"`, `"15m"`, `"12h"`, `"30d"`.

use std::time::Duration;

/// The longest duration accepted anywhere: ten years. Longer ones mean
/// nothing for a token or a timeout, and would overflow the clock
/// arithmetic done with them.
pub const MAX: Duration = Duration::from_secs(10 * 365 * 86_400);

/// Parses `"90s"`, `"15m"`, `"12h"`, `"30d"` (also `"500ms"` and `"0s"`),
/// at most [`MAX`].
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| {
        format!("duration `{text}` has no unit: write e.g. \"90s\", \"15m\", \"12h\" or \"30d\"")
    })?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("duration `{text}` must start with a whole number, as in \"90s\""))?;
    let too_large = || format!("duration `{text}` is too large: at most 3650d (ten years)");
    let seconds_per = match unit.trim() {
        "ms" => {
            return Some(Duration::from_millis(n))
                .filter(|d| *d <= MAX)
                .ok_or_else(too_large);
        }
        "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        other => {
            return Err(format!(
                "duration `{text}` has an unknown unit `{other}`: use s, m, h or d"
            ));
        }
    };
    n.checked_mul(seconds_per)
        .map(Duration::from_secs)
        .filter(|d| *d <= MAX)
        .ok_or_else(too_large)
}

/// The instant `d` from now; never overflows (a far-off deadline is as
/// good as none).
pub fn deadline_in(d: Duration) -> std::time::Instant {
    let now = std::time::Instant::now();
    now.checked_add(d)
        .or_else(|| now.checked_add(MAX))
        .unwrap_or(now)
}

/// Formats a duration for people: `"1h 5m"`, `"42s"`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse("12h"), Ok(Duration::from_secs(43_200)));
        assert_eq!(parse("30d"), Ok(Duration::from_secs(2_592_000)));
        assert_eq!(parse("0s"), Ok(Duration::ZERO));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(parse("90").unwrap_err().contains("no unit"));
        assert!(parse("s").unwrap_err().contains("whole number"));
        assert!(parse("5w").unwrap_err().contains("unknown unit"));
        assert!(parse("-5s").is_err());
        assert!(parse("99999999999999999999d").is_err());
        assert!(
            parse("999999999999999999d")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn deadlines_never_overflow() {
        let far = deadline_in(Duration::MAX);
        assert!(far >= std::time::Instant::now());
    }

    #[test]
    fn caps_at_ten_years() {
        assert_eq!(parse("3650d"), Ok(MAX));
        for absurd in ["3651d", "200000000000000d", "18446744073709551615ms"] {
            assert!(
                parse(absurd)
                    .unwrap_err()
                    .contains("too large: at most 3650d"),
                "{absurd}"
            );
        }
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(human(Duration::from_secs(42)), "42s");
        assert_eq!(human(Duration::from_secs(3900)), "1h 5m");
        assert_eq!(human(Duration::from_secs(90_000)), "1d 1h");
    }
}
