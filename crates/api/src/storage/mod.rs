//! Plain async functions over the database, one module per table group. Nothing here knows
//! about HTTP. Each has a `trace` span named after it, with its arguments skipped: they hold
//! hashes, encrypted secrets and tokens.
pub mod access_tokens;
pub mod audit;
pub mod backup_codes;
pub mod challenges;
pub mod grants;
pub mod leases;
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

pub fn unix_now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A flag column: INTEGER 0/1 on both back ends (SQLite has no boolean, and the Any driver
/// reads neither engine's integers as `bool`). Bind it for a `bool`; read a `bool` field with
/// `#[sqlx(try_from = "Flag")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Any> for Flag {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<'q, sqlx::Any>>::encode_by_ref(&i64::from(self.0), buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(
        value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
    ) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Flag(
            <i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value)? != 0,
        ))
    }
}
