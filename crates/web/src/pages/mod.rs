//! One component per route.
pub mod access_tokens;
pub mod admin_registries;
pub mod admin_users;
pub mod api_reference;
pub mod audit_log;
pub mod browser;
pub mod change_password;
pub mod repository;
pub mod settings;
pub mod sign_in;
pub mod system;
pub mod tag_details;
pub mod user_grants;
