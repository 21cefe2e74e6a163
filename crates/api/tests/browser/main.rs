//! The SPA in a real headless Chromium (Debian's chromium + chromedriver, driven by fantoccini),
//! served by the real app, browsing a real `docker-registry` seeded with the standard fixture.
//! One test per user journey; `screenshots` (ignored, run by `make screenshots`) walks the main
//! screens in both themes and saves them to `docs/screenshots/`.
//!
//! The SPA must be built first (`make web`; `make test` does it).
#![allow(dead_code)]

// The api test binary's app spawner and registry harness, shared rather than copied.
#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../api/support/mod.rs"]
mod support;

mod browser;
mod chromedriver;
mod harness;
mod sign_in;

mod access_tokens;
mod backup_codes;
mod browsing;
mod first_sign_in;
mod permissions;
mod screenshots;
mod system;
mod tags;
mod theme;
mod viewer;
