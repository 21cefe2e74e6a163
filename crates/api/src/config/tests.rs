//! Parsing of the command line and environment into settings.
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser as _;

use super::*;

fn args() -> ServeArgs {
    ServeArgs::default()
}

#[test]
fn defaults_match_the_documented_values() {
    let s = args().settings().unwrap();
    assert_eq!(s.host, "127.0.0.1");
    assert_eq!(s.port, 12000);
    assert_eq!(s.database.path, PathBuf::from("data/registry-gui.db"));
    assert_eq!(s.registry.url.as_str(), "http://localhost:5000/");
    assert_eq!(s.registry.name, "default");
    assert_eq!(s.jwt_expiry_hours, 24);
    assert_eq!(s.admin_password.expose(), "admin123");
    assert_eq!(s.bcrypt_cost, 12);
    assert_eq!(s.throttle.window_secs, 900);
    assert_eq!(s.throttle.max_failures_per_user, 5);
    assert_eq!(s.throttle.max_failures_per_ip, 20);
    assert_eq!(s.registry_client.concurrency, 16);
    assert_eq!(s.registry_client.cache_ttl, Duration::from_secs(30));
    assert_eq!(s.registry_client.timeout, Duration::from_secs(30));
}

#[test]
fn a_non_numeric_port_names_the_variable() {
    let mut a = args();
    a.port = Some("abc".into());
    let err = a.settings().unwrap_err();
    assert_eq!(err.var, "PORT");
    assert!(err.to_string().contains("PORT"));
}

#[test]
fn a_malformed_registry_url_is_refused() {
    for bad in ["not a url", "ftp://x", "http://user:pw@host", "http://"] {
        let mut a = args();
        a.registry_url = Some(bad.into());
        assert_eq!(a.settings().unwrap_err().var, "REGISTRY_URL", "{bad}");
    }
}

#[test]
fn a_short_jwt_secret_is_refused_without_printing_it() {
    let mut a = args();
    a.jwt_secret = Some("tooshort-secret".into());
    let err = a.settings().unwrap_err();
    assert_eq!(err.var, "JWT_SECRET");
    assert!(!err.to_string().contains("tooshort-secret"));
}

#[test]
fn database_urls_in_every_spelling_give_a_path() {
    assert_eq!(
        database_path(Some("sqlite://data/x.db")).unwrap(),
        PathBuf::from("data/x.db")
    );
    assert_eq!(
        database_path(Some("sqlite:///tmp/x.db?mode=rwc")).unwrap(),
        PathBuf::from("/tmp/x.db")
    );
    assert_eq!(
        database_path(Some("sqlite:x.db")).unwrap(),
        PathBuf::from("x.db")
    );
    assert_eq!(
        database_path(Some("/var/lib/x.db")).unwrap(),
        PathBuf::from("/var/lib/x.db")
    );
    assert!(database_path(Some("postgres://x/y")).is_err());
    assert!(database_path(Some("sqlite::memory:")).is_err());
}

#[test]
fn the_cli_accepts_serve_flags_without_a_subcommand() {
    let cli = Cli::try_parse_from(["registry-gui", "--port", "8080"]).unwrap();
    assert!(cli.command.is_none());
    assert_eq!(cli.serve.port.as_deref(), Some("8080"));
    let cli = Cli::try_parse_from(["registry-gui", "user", "list", "--json"]).unwrap();
    assert!(matches!(
        cli.command,
        Some(Command::User(UserCommand::List { json: true, .. }))
    ));
}
