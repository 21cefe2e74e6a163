//! `registry-gui registry list|add|update|remove`.
use shared::permissions::DefaultAccess;

use super::{open, CliError};
use crate::admin::{self, Actor};
use crate::config::RegistryCommand;
use crate::crypto::SecretCipher;

/// Comma-separated patterns.
fn patterns(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_default_access(raw: &str) -> Result<DefaultAccess, CliError> {
    DefaultAccess::parse(raw.trim())
        .ok_or_else(|| CliError::Usage(format!("--default-access takes role or none, not {raw:?}")))
}

pub(super) async fn run(cmd: RegistryCommand) -> Result<(), CliError> {
    let actor = Actor::cli();
    match cmd {
        RegistryCommand::List { json, db } => {
            let pool = open(&db).await?;
            let registries = admin::registries::list(&pool, None).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&shared::admin::RegistryList { registries })
                        .unwrap_or_default()
                );
            } else {
                println!("{:<20} {:<40} {:<30} FLAGS", "NAME", "URL", "PULL HOST");
                for r in registries {
                    let mut flags = Vec::new();
                    if r.is_default {
                        flags.push("default");
                    }
                    if r.read_only {
                        flags.push("read-only");
                    }
                    if r.has_credentials {
                        flags.push("credentials");
                    }
                    if r.insecure_tls {
                        flags.push("insecure-tls");
                    }
                    println!(
                        "{:<20} {:<40} {:<30} {}",
                        r.name,
                        r.url,
                        r.pull_host,
                        flags.join(",")
                    );
                }
            }
        }
        RegistryCommand::Add {
            name,
            url,
            username,
            password,
            pull_host,
            read_only,
            insecure_tls,
            default_access,
            token_service,
            anonymous_pull,
            events_secret,
            db,
        } => {
            let default_access = parse_default_access(&default_access)?;
            let settings = db.settings()?;
            let pool = crate::db::connect(&settings).await?;
            let cipher = tokio::task::spawn_blocking(move || SecretCipher::load(&settings))
                .await
                .map_err(|e| CliError::Refused(e.to_string()))??;
            let mut client_settings = crate::config::ServeArgs::default()
                .settings()?
                .registry_client;
            client_settings.allowed_hosts = crate::config::parse_allowed_hosts(
                std::env::var("REGISTRY_ALLOWED_HOSTS").ok().as_deref(),
            );
            let info = admin::registries::create(
                &pool,
                &cipher,
                &client_settings,
                &actor,
                &shared::admin::CreateRegistryRequest {
                    name,
                    url,
                    username,
                    password,
                    pull_host,
                    insecure_tls,
                    read_only,
                    default_access,
                    token_service,
                    anonymous_pull: patterns(anonymous_pull.as_deref()),
                    events_secret,
                },
            )
            .await?;
            println!(
                "added registry {} ({})",
                info.registry.name, info.registry.url
            );
            if let Some(secret) = info.events_secret {
                println!("events secret (shown only now): {secret}");
            }
        }
        RegistryCommand::Update {
            name,
            pull_host,
            read_only,
            default_access,
            token_service,
            anonymous_pull,
            events_secret,
            db,
        } => {
            let read_only = match read_only.as_deref().map(str::trim) {
                None => None,
                Some("true") => Some(true),
                Some("false") => Some(false),
                Some(other) => {
                    return Err(CliError::Usage(format!(
                        "--read-only takes true or false, not {other:?}"
                    )))
                }
            };
            let default_access = default_access
                .as_deref()
                .map(parse_default_access)
                .transpose()?;
            let settings = db.settings()?;
            let pool = open(&db).await?;
            let cipher = tokio::task::spawn_blocking(move || SecretCipher::load(&settings))
                .await
                .map_err(|e| CliError::Refused(e.to_string()))??;
            let client_settings = crate::config::ServeArgs::default()
                .settings()?
                .registry_client;
            let info = admin::registries::update(
                &pool,
                &cipher,
                &client_settings,
                &actor,
                &name,
                &shared::admin::UpdateRegistryRequest {
                    pull_host,
                    read_only,
                    default_access,
                    token_service,
                    anonymous_pull: anonymous_pull.as_deref().map(|p| patterns(Some(p))),
                    events_secret,
                    ..Default::default()
                },
            )
            .await?;
            println!(
                "updated registry {} (default access {}, read-only {}, token service {})",
                info.registry.name,
                info.registry.default_access.as_str(),
                info.registry.read_only,
                info.registry.token_service.as_deref().unwrap_or("none")
            );
            if let Some(secret) = info.events_secret {
                println!("events secret (shown only now): {secret}");
            }
        }
        RegistryCommand::AuthConfig {
            name,
            certificate,
            public_url,
            token_issuer,
            db,
        } => {
            let settings = db.settings()?;
            let pool = open(&db).await?;
            let cipher = tokio::task::spawn_blocking(move || SecretCipher::load(&settings))
                .await
                .map_err(|e| CliError::Refused(e.to_string()))??;
            let row = crate::storage::registries::find(&pool, &name)
                .await?
                .ok_or_else(|| CliError::Refused(format!("there is no registry named {name:?}")))?;
            let issuer = token_issuer
                .filter(|i| !i.trim().is_empty())
                .unwrap_or_else(|| "registry-gui".into());
            let signer = crate::bootstrap::registry_token_signer(&pool, &cipher, &issuer, 300)
                .await
                .map_err(|e| CliError::Refused(format!("{e:#}")))?;
            let public_url = public_url
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "http://localhost:12000".into());
            let config = crate::registry_login::setup::config(&row, &signer, &public_url)?;
            if let Some(path) = certificate {
                std::fs::write(&path, &config.certificate_pem).map_err(|e| {
                    CliError::Refused(format!("cannot write {}: {e}", path.display()))
                })?;
                eprintln!("wrote the signing certificate to {}", path.display());
            }
            print!("{}", config.config_snippet);
        }
        RegistryCommand::Remove { name, db } => {
            let pool = open(&db).await?;
            admin::registries::delete(&pool, &actor, &name).await?;
            println!("removed registry {name}");
        }
    }
    Ok(())
}
