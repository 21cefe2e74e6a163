//! The integration tests: one binary, each test against the real app on port 0 with its own
//! database, and where registries are involved, a real `docker-registry` process.
#![allow(dead_code)]

mod access_tokens;
mod admin;
mod auth;
mod cli;
mod foundation;
mod hardening;
mod harness;
mod helpers;
mod openapi;
mod ops;
mod permissions;
mod postgres;
mod registry_browse;
mod registry_cache;
mod registry_common;
mod registry_delete;
mod registry_fake;
mod registry_guard;
mod registry_login;
mod registry_tokens;
mod support;
