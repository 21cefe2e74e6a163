//! Tests that compare durations. They run as their own serial step of `make test`
//! (`--test-threads 1`), never beside the other test binaries, so a loaded 2-core machine does
//! not turn them into flakes; each bound is generous.
#![allow(dead_code)]

#[path = "../api/helpers.rs"]
mod helpers;
mod sign_in;
#[path = "../api/support/mod.rs"]
mod support;
