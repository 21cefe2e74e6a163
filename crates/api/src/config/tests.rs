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
    assert_eq!(
        s.database.sqlite_path(),
        Some(PathBuf::from("data/registry-gui.db").as_path())
    );
    assert_eq!(s.database.max_connections, 10);
    assert_eq!(s.prune_interval, Duration::from_secs(600));
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
fn postgres_urls_select_postgres_and_need_secret_key() {
    for url in [
        "postgres://u:pw@127.0.0.1:5432/db",
        "postgresql://u:pw@db/x",
    ] {
        let location = crate::config::database_location(Some(url)).unwrap();
        assert!(matches!(
            location,
            crate::config::DatabaseLocation::Postgres(_)
        ));
        // Shown without its password.
        assert!(!location.to_string().contains("pw"), "{location}");
    }
    let mut a = args();
    a.db.database_url = Some("postgres://u:pw@127.0.0.1:5432/db".into());
    let err = a.settings().unwrap_err();
    assert_eq!(err.var, "SECRET_KEY");
    a.db.secret_key = Some("k".repeat(32));
    assert!(a.settings().is_ok());
    for bad in ["0", "1001", "many"] {
        a.db.database_max_connections = Some(bad.into());
        assert_eq!(a.settings().unwrap_err().var, "DATABASE_MAX_CONNECTIONS");
    }
    a.db.database_max_connections = Some("1000".into());
    assert_eq!(a.settings().unwrap().database.max_connections, 1000);
}

#[test]
fn prune_interval_is_bounded() {
    let mut a = args();
    a.prune_interval_secs = Some("0".into());
    assert_eq!(a.settings().unwrap_err().var, "PRUNE_INTERVAL_SECS");
    a.prune_interval_secs = Some("5".into());
    assert_eq!(a.settings().unwrap().prune_interval, Duration::from_secs(5));
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
