//! Timestamps as OpenStack APIs print and parse them.
//!
//! Internally every instant is an `i64` of microseconds since the Unix epoch:
//! exact, portable across SQLite, PostgreSQL and MySQL, and cheap to compare.

use chrono::{DateTime, NaiveDateTime, Utc};

pub fn now_us() -> i64 {
    Utc::now().timestamp_micros()
}

fn to_datetime(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// `2026-11-21T14:51:40.000000Z`, keystone's token timestamp format.
pub fn iso_micros_z(us: i64) -> String {
    to_datetime(us).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `2026-11-21T14:51:40.123456`, as keystone echoes `expires_at` of an
/// application credential (naive UTC, microseconds, no zone).
pub fn iso_micros_naive(us: i64) -> String {
    to_datetime(us).format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// `2026-11-21T14:51:40Z`, second precision (Nova, Neutron, Glance).
/// Lists print two of these per item, so no format string is parsed here.
pub fn iso_seconds_z(us: i64) -> String {
    to_datetime(us).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Parses an ISO 8601 timestamp with or without a zone (no zone means UTC).
pub fn parse_iso(text: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_micros());
    }
    let trimmed = text.trim_end_matches('Z');
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(trimmed, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_format() {
        assert_eq!(iso_seconds_z(1_795_280_434_397_517), "2026-11-21T17:00:34Z");
    }

    #[test]
    fn round_trips_naive_micros() {
        let us = parse_iso("2026-11-21T15:53:33.834013").unwrap();
        assert_eq!(iso_micros_naive(us), "2026-11-21T15:53:33.834013");
        assert_eq!(iso_micros_z(us), "2026-11-21T15:53:33.834013Z");
    }

    #[test]
    fn parses_zones_and_rejects_garbage() {
        assert_eq!(
            parse_iso("2030-01-01T01:00:00+01:00"),
            parse_iso("2030-01-01T00:00:00Z")
        );
        assert!(parse_iso("tomorrow").is_none());
    }
}
