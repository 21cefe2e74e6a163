//! `registry-gui grant list|add|remove`: the same rules and JSON as `/api/admin/grants`.
use shared::permissions::{AccessLevel, CreateGrantRequest};

use super::{open, CliError};
use crate::config::GrantCommand;
use crate::permissions::grants;
use crate::storage::audit::Actor;

pub(super) async fn run(cmd: GrantCommand) -> Result<(), CliError> {
    let actor = Actor::cli();
    match cmd {
        GrantCommand::List {
            user,
            registry,
            json,
            db,
        } => {
            let pool = open(&db).await?;
            let list = grants::list(&pool, user.as_deref(), registry.as_deref()).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            } else {
                println!(
                    "{:<6} {:<20} {:<16} {:<32} {:<6} CREATED",
                    "ID", "USER", "REGISTRY", "PATTERN", "ACCESS"
                );
                for g in &list.grants {
                    println!(
                        "{:<6} {:<20} {:<16} {:<32} {:<6} {} by {}",
                        g.id,
                        g.user,
                        g.registry,
                        g.pattern,
                        g.access,
                        g.created_at,
                        g.created_by.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        GrantCommand::Add {
            user,
            registry,
            pattern,
            access,
            db,
        } => {
            let access =
                AccessLevel::parse(&access.trim().to_ascii_lowercase()).ok_or_else(|| {
                    CliError::Usage(format!("access is read or write, not {access:?}"))
                })?;
            let pool = open(&db).await?;
            let grant = grants::add(
                &pool,
                &actor,
                &CreateGrantRequest {
                    user,
                    registry,
                    pattern,
                    access,
                },
            )
            .await?;
            println!(
                "added grant {}: {} may {} {}/{}",
                grant.id, grant.user, grant.access, grant.registry, grant.pattern
            );
        }
        GrantCommand::Remove { id, db } => {
            let id: i64 = id
                .trim()
                .parse()
                .map_err(|_| CliError::Usage(format!("the grant id is a number, not {id:?}")))?;
            let pool = open(&db).await?;
            grants::remove(&pool, &actor, id).await?;
            println!("removed grant {id}");
        }
    }
    Ok(())
}
