//! Wire types of the registry-gui JSON API, shared by the server (`api`) and the SPA (`web`).
//!
//! Every request and response body has exactly one definition here. Timestamps travel as
//! RFC 3339 strings in UTC so the WASM build needs no date library.

pub mod admin;
pub mod auth;
pub mod error;
pub mod password_policy;
pub mod permissions;
pub mod registry;
pub mod registry_auth;
pub mod tokens;

pub use error::ErrorBody;

/// Writes `[redacted]` in place of a secret in `Debug` output.
macro_rules! redacted_debug {
    ($ty:ident { $($field:ident),* $(,)? } hide { $($secret:ident),* $(,)? }) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    $(.field(stringify!($secret), &"[redacted]"))*
                    .finish()
            }
        }
    };
}
pub(crate) use redacted_debug;
