//! Real-registry test harness: a `docker-registry` per test (no auth, Basic or token auth), an
//! in-process Docker token server, a counting/fault-injecting proxy and an image seeder.
//!
//! Shared by the `api` test binary and the benches (`#[path]`-included), so it depends on
//! nothing but external crates: never on the app crate or on other test modules.

// Each includer uses a different subset.
#![allow(dead_code, unused_imports)]

pub mod image;
pub mod postgres;
pub mod proxy;
pub mod registry;
pub mod registry_http;
pub mod seed;
pub mod token_server;

pub use image::{BuiltImage, BuiltIndex, ImageSpec, ManifestFormat, Platform};
pub use proxy::{CountingProxy, Fault};
pub use registry::{AuthMode, RegistryOptions, TestRegistry, TEST_USER, TOKEN_SERVICE};
pub use registry_http::RegistryHttp;
pub use seed::{fixture, BulkSeed, PushedImage, PushedIndex, Seeder, StandardFixture, TagSeed};
pub use token_server::{TokenFields, TokenServer};

/// A registry login.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}
