//! `registry-gui registry list|add|update|remove`.
use shared::permissions::DefaultAccess;

use super::{open, CliError};
use crate::admin::{self, Actor};
use crate::config::RegistryCommand;
use crate::crypto::SecretCipher;

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
            db,
        } => {
            let default_access = parse_default_access(&default_access)?;
            let settings = db.settings()?;
            let pool = crate::db::connect(&settings.path).await?;
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
                },
            )
            .await?;
            println!("added registry {} ({})", info.name, info.url);
        }
        RegistryCommand::Update {
            name,
            pull_host,
            read_only,
            default_access,
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
                    ..Default::default()
                },
            )
            .await?;
            println!(
                "updated registry {} (default access {}, read-only {})",
                info.name,
                info.default_access.as_str(),
                info.read_only
            );
        }
        RegistryCommand::Remove { name, db } => {
            let pool = open(&db).await?;
            admin::registries::delete(&pool, &actor, &name).await?;
            println!("removed registry {name}");
        }
    }
    Ok(())
}
