//! Command line and configuration: parsed once into typed settings.
//!
//! Every setting is an environment variable and also a flag of `serve`. Values are taken
//! as strings and validated here, so a bad value stops start-up with one line that names
//! the variable (exit code 2) instead of clap's multi-line usage dump or a panic.
//! `commands` holds the command tree (clap), `settings` what it turns into.
mod commands;
mod settings;

pub use commands::{
    token_max_days, Cli, Command, DatabaseArgs, GrantCommand, RegistryCommand, ServeArgs,
    ThrottleArgs, TokenCommand, UserCommand,
};
pub use settings::{
    database_location, database_path, parse_allowed_hosts, parse_registry_url, BootstrapRegistry,
    DatabaseLocation, DatabaseSettings, LogFormat, RegistryClientSettings, Settings,
    ThrottleSettings, DEFAULT_ADMIN_PASSWORD,
};

/// A configuration value that cannot be used; names the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests;
