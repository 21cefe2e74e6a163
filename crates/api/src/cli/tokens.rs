//! `registry-gui token create|list|revoke`: the same rules as the API (the CLI asks for no
//! password: whoever runs it can already read the database).
use shared::tokens::{AdminTokenInfo, TokenScope};

use super::{open, CliError};
use crate::access_tokens::{self, Spec};
use crate::config::{token_max_days, TokenCommand};
use crate::storage::audit::Actor;
use crate::storage::users;

fn parse_scopes(raw: &str) -> Result<Vec<TokenScope>, CliError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            TokenScope::parse(&s.to_ascii_lowercase()).ok_or_else(|| {
                CliError::Usage(format!("unknown scope {s:?}: use read, write or admin"))
            })
        })
        .collect()
}

fn parse_number(what: &str, raw: &str) -> Result<i64, CliError> {
    raw.trim()
        .parse()
        .map_err(|_| CliError::Usage(format!("{what} must be a whole number, not {raw:?}")))
}

fn row(t: &AdminTokenInfo) -> String {
    let scopes: Vec<&str> = t.token.scopes.iter().map(|s| s.as_str()).collect();
    format!(
        "{:<6} {:<16} {:<24} {:<10} {:<17} {:<21} {}",
        t.token.id,
        t.username,
        t.token.name,
        t.token.prefix,
        scopes.join(","),
        t.token.expires_at,
        t.token.last_used_at.as_deref().unwrap_or("never"),
    )
}

pub(super) async fn run(cmd: TokenCommand) -> Result<(), CliError> {
    let actor = Actor::cli();
    match cmd {
        TokenCommand::Create {
            user,
            name,
            scope,
            expires_days,
            token_max_days: max,
            json,
            db,
        } => {
            let max_days = token_max_days(max.as_deref())?;
            let scopes = parse_scopes(&scope)?;
            let days = parse_number("--expires-days", &expires_days)?;
            let pool = open(&db).await?;
            let owner = users::find_by_username(&pool, &user)
                .await?
                .ok_or_else(|| CliError::Refused(format!("there is no user named {user:?}")))?;
            let spec = Spec {
                name: &name,
                scopes: &scopes,
                expires_in_days: days,
            };
            let created = access_tokens::issue(&pool, &actor, &owner, spec, max_days).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&created).unwrap_or_default()
                );
            } else {
                eprintln!(
                    "created token {} ({:?}) for {}, expires {}; the secret is shown only now:",
                    created.token.id, created.token.name, owner.username, created.token.expires_at
                );
                println!("{}", created.secret);
            }
            Ok(())
        }
        TokenCommand::List { user, json, db } => {
            let pool = open(&db).await?;
            let list = access_tokens::list(&pool, user.as_deref()).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            } else {
                println!(
                    "{:<6} {:<16} {:<24} {:<10} {:<17} {:<21} LAST USED",
                    "ID", "USER", "NAME", "PREFIX", "SCOPES", "EXPIRES"
                );
                for t in &list.tokens {
                    println!("{}", row(t));
                }
            }
            Ok(())
        }
        TokenCommand::Revoke { id, db } => {
            let id = parse_number("the token id", &id)?;
            let pool = open(&db).await?;
            access_tokens::revoke(&pool, &actor, id).await?;
            println!("revoked token {id}");
            Ok(())
        }
    }
}
