//! The registry login (`/auth/token`, the Docker registry token protocol) and the registry's
//! notifications (`/api/registries/{name}/events`).
use serde::{Deserialize, Serialize};

/// `GET /auth/token`: the same JWT in both fields, as clients differ in which they read.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryToken {
    pub token: String,
    pub access_token: String,
    /// Seconds.
    pub expires_in: i64,
    /// RFC 3339, UTC.
    pub issued_at: String,
}

/// `POST /auth/token` (OAuth2 password grant).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthToken {
    pub access_token: String,
    pub expires_in: i64,
    pub issued_at: String,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// What `POST /api/registries/{name}/events` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventsReceived {
    /// Events in the envelope.
    pub received: usize,
    /// Of those, new ones (a redelivered id is stored once).
    pub stored: usize,
}
