//! Plain async functions over the database, one module per table group. Nothing here knows
//! about HTTP. Each has a `trace` span named after it, with its arguments skipped: they hold
//! hashes, encrypted secrets and tokens.
pub mod access_tokens;
pub mod audit;
pub mod backup_codes;
pub mod challenges;
pub mod grants;
pub mod registries;
pub mod registry_events;
pub mod sessions;
pub mod settings;
pub mod throttle;
pub mod users;

/// The current time as stored in TEXT columns: RFC 3339, UTC, second precision.
pub fn now_rfc3339() -> String {
    to_rfc3339(chrono::Utc::now())
}

pub fn to_rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Unix seconds as stored in TEXT columns and sent on the wire (RFC 3339, UTC).
pub fn unix_to_rfc3339(unix: i64) -> String {
    to_rfc3339(chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default())
}

pub fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}
