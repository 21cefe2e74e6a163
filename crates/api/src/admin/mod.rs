//! Administration: users and registries. Shared by the admin API and the CLI, so both enforce
//! the same rules (last admin, session revocation, SSRF checks).
pub mod registries;
pub mod system;
pub mod users;

use crate::db::Db;

use crate::error::AppResult;
use crate::storage::audit;

pub use crate::storage::audit::Actor;

/// Writes a successful administrative action to the audit log.
async fn record(
    pool: &Db,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: Option<&str>,
) -> AppResult<()> {
    audit::record(
        pool,
        audit::NewEvent {
            actor: Some(&actor.name),
            ip: actor.ip.as_deref(),
            action,
            target: Some(target),
            outcome: "success",
            detail,
        },
    )
    .await?;
    Ok(())
}
