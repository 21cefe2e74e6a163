//! registry-gui: a secure web GUI and JSON API for Docker/OCI registries.
//!
//! Data flows one way: route → domain parse → auth / registry / storage → shared DTO.
pub mod access_tokens;
pub mod admin;
pub mod auth;
pub mod background;
pub mod bootstrap;
pub mod cli;
pub mod coherence;
pub mod config;
pub mod crypto;
pub mod db;
pub mod db_lock;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod middleware;
pub mod permissions;
pub mod registry;
pub mod registry_login;
pub mod routes;
pub mod secret;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
