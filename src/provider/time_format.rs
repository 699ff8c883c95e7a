//! Millisecond timestamps <-> RFC 3339, the two forms the schema offers.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses an RFC 3339 time into milliseconds since the epoch.
pub fn parse_rfc3339_ms(text: &str) -> Result<i64, time::error::Parse> {
    let t = OffsetDateTime::parse(text, &Rfc3339)?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC (`Z`), keeping
/// milliseconds only when they are not zero. `None` when out of range.
pub fn format_rfc3339_ms(ms: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    if ms.rem_euclid(1000) == 0 {
        t.format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .ok()
    } else {
        t.format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (1_700_000_000_000, "2023-11-14T22:13:20Z"),
            (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
        ];
        for (ms, text) in cases {
            assert_eq!(format_rfc3339_ms(ms).as_deref(), Some(text));
            assert_eq!(parse_rfc3339_ms(text).unwrap(), ms);
        }
        assert_eq!(
            parse_rfc3339_ms("2023-11-15T06:13:20+08:00").unwrap(),
            1_700_000_000_000
        );
        assert!(parse_rfc3339_ms("2023-11-15").is_err());
        assert_eq!(format_rfc3339_ms(i64::MAX), None);
    }
}
