//! Access tokens: bearer secrets for scripts and CI. Shared by the API and the CLI, so both
//! apply the same name, scope, expiry and count rules. Which token may do what is decided here
//! ([`effective_scopes`]) and enforced by the request extractor for every route.
pub mod secret;

use crate::db::Db;
use shared::auth::Role;
use shared::error::ErrorCode;
use shared::tokens::{
    AdminTokenInfo, AdminTokenList, CreateTokenRequest, CreatedToken, TokenInfo, TokenList,
    TokenScope, MAX_LIVE_TOKENS_PER_USER,
};

use crate::auth::account::confirm_password;
use crate::auth::attempts::Client;
use crate::auth::{AuthServices, AuthUser};
use crate::error::{AppError, AppResult};
use crate::storage::access_tokens::{self as table, NewToken, OwnedTokenRow, TokenRow, TokenUse};
use crate::storage::audit::{self, Actor};
use crate::storage::users::{self, UserRow};
use crate::storage::{throttle, unix_now, unix_to_rfc3339 as rfc3339};

/// Uses closer together than this are not written to `last_used_at`.
pub const TOUCH_INTERVAL_SECS: i64 = 60;

/// What a new token should be, as asked for.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    pub name: &'a str,
    pub scopes: &'a [TokenScope],
    pub expires_in_days: i64,
}

/// What decides the scopes an owner may hold: the role, and for `write` also whether a viewer
/// holds a `write` grant somewhere (then their `write` token deletes where the grants allow).
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    pub role: Role,
    pub write_grant: bool,
}

impl Standing {
    fn may_hold(self, scope: TokenScope) -> bool {
        scope.allowed_for(self.role) || (scope == TokenScope::Write && self.write_grant)
    }
}

/// The owner's standing, reading their grants only when it can matter (a viewer, `write`).
pub async fn standing(pool: &Db, owner: &UserRow, asks_write: bool) -> AppResult<Standing> {
    let role = owner.role();
    let write_grant = asks_write
        && !TokenScope::Write.allowed_for(role)
        && crate::storage::grants::has_write(pool, owner.id).await?;
    Ok(Standing { role, write_grant })
}

/// The checked name and canonical scope list of `spec` for an owner of `standing`.
fn validate(
    spec: Spec<'_>,
    standing: Standing,
    max_days: i64,
) -> AppResult<(String, Vec<TokenScope>)> {
    let role = standing.role;
    let length = spec.name.chars().count();
    if !(1..=64).contains(&length)
        || spec.name.chars().any(char::is_control)
        || spec.name.trim().is_empty()
    {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRequest,
            "name must be 1 to 64 printable characters",
        ));
    }
    if spec.scopes.is_empty() {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRequest,
            "scopes must name at least one of read, write, admin",
        ));
    }
    if !(1..=max_days).contains(&spec.expires_in_days) {
        return Err(AppError::bad_request(
            ErrorCode::InvalidRequest,
            format!("expires_in_days must be 1 to {max_days}"),
        ));
    }
    let scopes = canonical(spec.scopes);
    if let Some(above) = scopes.iter().find(|s| !standing.may_hold(**s)) {
        return Err(AppError::forbidden(
            ErrorCode::Forbidden,
            format!("the {role} role cannot hold the {above} scope"),
        ));
    }
    Ok((spec.name.to_string(), scopes))
}

/// Deduplicated, in the order read, write, admin.
fn canonical(scopes: &[TokenScope]) -> Vec<TokenScope> {
    TokenScope::ALL
        .into_iter()
        .filter(|s| scopes.contains(s))
        .collect()
}

fn parse_scopes(stored: &str) -> Vec<TokenScope> {
    stored.split(',').filter_map(TokenScope::parse).collect()
}

/// The scopes of a stored token that its owner may hold now: a demoted owner's tokens lose
/// what the new role cannot hold on the very next request, without being rewritten.
pub fn effective_scopes(stored: &str, standing: Standing) -> Vec<TokenScope> {
    parse_scopes(stored)
        .into_iter()
        .filter(|s| standing.may_hold(*s))
        .collect()
}

fn info(row: &TokenRow) -> TokenInfo {
    TokenInfo {
        id: row.id,
        name: row.name.clone(),
        prefix: row.prefix.clone(),
        scopes: parse_scopes(&row.scopes),
        created_at: rfc3339(row.created_at),
        expires_at: rfc3339(row.expires_at),
        last_used_at: row.last_used_at.map(rfc3339),
        last_used_ip: row.last_used_ip.clone(),
    }
}

fn admin_info(row: &OwnedTokenRow) -> AdminTokenInfo {
    AdminTokenInfo {
        token: info(&row.token),
        username: row.username.clone(),
    }
}

fn token_not_found(id: i64) -> AppError {
    AppError::not_found(
        ErrorCode::TokenNotFound,
        format!("there is no access token with id {id}"),
    )
}

fn describe(id: i64, name: &str) -> String {
    format!("token {id} {name:?}")
}

async fn record(
    pool: &Db,
    actor: &Actor,
    action: &str,
    owner: &str,
    detail: &str,
) -> AppResult<()> {
    audit::record(
        pool,
        audit::NewEvent {
            actor: Some(&actor.name),
            ip: actor.ip.as_deref(),
            action,
            target: Some(owner),
            outcome: "success",
            detail: Some(detail),
        },
    )
    .await?;
    Ok(())
}

/// Issues a token to `owner` after the checks of [`validate`] and the live-token cap. The
/// secret is in the answer and nowhere else.
pub async fn issue(
    pool: &Db,
    actor: &Actor,
    owner: &UserRow,
    spec: Spec<'_>,
    max_days: i64,
) -> AppResult<CreatedToken> {
    let asks_write = spec.scopes.contains(&TokenScope::Write);
    let (name, scopes) = validate(spec, standing(pool, owner, asks_write).await?, max_days)?;
    let (secret, prefix) = secret::generate();
    let stored_scopes = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let expires_at = unix_now() + spec.expires_in_days * 86_400;
    let id = table::insert_if_under(
        pool,
        NewToken {
            user_id: owner.id,
            name: &name,
            prefix: &prefix,
            secret_hash: &secret::hash(&secret),
            scopes: &stored_scopes,
            expires_at,
        },
        MAX_LIVE_TOKENS_PER_USER,
    )
    .await?
    .ok_or_else(|| {
        AppError::conflict(
            ErrorCode::TooManyTokens,
            format!(
                "{} already holds {MAX_LIVE_TOKENS_PER_USER} live access tokens; revoke one first",
                owner.username
            ),
        )
    })?;
    record(
        pool,
        actor,
        "token_created",
        &owner.username,
        &format!(
            "{}, scopes {stored_scopes}, expires {}",
            describe(id, &name),
            rfc3339(expires_at)
        ),
    )
    .await?;
    let row = table::find(pool, id)
        .await?
        .ok_or_else(|| token_not_found(id))?;
    Ok(CreatedToken {
        token: info(&row.token),
        secret,
    })
}

/// `POST /api/auth/tokens`: the caller's own token, after their current password (checked and
/// throttled like a sign-in). Field errors come before the password check so a typo costs no
/// attempt.
pub async fn create(
    state: &AuthServices<'_>,
    auth: &AuthUser,
    req: &CreateTokenRequest,
    client: &Client,
) -> AppResult<CreatedToken> {
    let spec = Spec {
        name: &req.name,
        scopes: &req.scopes,
        expires_in_days: req.expires_in_days,
    };
    let asks_write = req.scopes.contains(&TokenScope::Write);
    validate(
        spec,
        standing(state.pool, &auth.user, asks_write).await?,
        state.token_max_days,
    )?;
    confirm_password(state, auth, &req.password, client).await?;
    let actor = Actor {
        user_id: Some(auth.user.id),
        name: auth.user.username.clone(),
        ip: Some(client.ip.clone()),
    };
    issue(state.pool, &actor, &auth.user, spec, state.token_max_days).await
}

/// The user's tokens, newest first (expired ones included).
pub async fn list_own(pool: &Db, user_id: i64) -> AppResult<TokenList> {
    let rows = table::list_for_user(pool, user_id).await?;
    Ok(TokenList {
        tokens: rows.iter().map(info).collect(),
    })
}

/// Revokes one of the caller's tokens; someone else's is as unknown as a missing one.
pub async fn revoke_own(pool: &Db, actor: &Actor, user_id: i64, id: i64) -> AppResult<()> {
    match table::find(pool, id).await? {
        Some(row) if row.token.user_id == user_id => revoke_row(pool, actor, &row).await,
        _ => Err(token_not_found(id)),
    }
}

/// Everyone's tokens, or those of `username`.
pub async fn list(pool: &Db, username: Option<&str>) -> AppResult<AdminTokenList> {
    if let Some(name) = username {
        if users::find_by_username(pool, name).await?.is_none() {
            return Err(AppError::user_not_found(name));
        }
    }
    let rows = table::list_all(pool, username).await?;
    Ok(AdminTokenList {
        tokens: rows.iter().map(admin_info).collect(),
    })
}

/// Revokes anyone's token (administrators and the CLI).
pub async fn revoke(pool: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    let row = table::find(pool, id)
        .await?
        .ok_or_else(|| token_not_found(id))?;
    revoke_row(pool, actor, &row).await
}

async fn revoke_row(pool: &Db, actor: &Actor, row: &OwnedTokenRow) -> AppResult<()> {
    if !table::delete(pool, row.token.id).await? {
        // Revoked by someone else in the meantime.
        return Err(token_not_found(row.token.id));
    }
    record(
        pool,
        actor,
        "token_revoked",
        &row.username,
        &describe(row.token.id, &row.token.name),
    )
    .await
}

/// Revokes every token of `owner` (an administrator reset the password or the second factor:
/// whatever the old credentials gave out ends with them). One audit event per token.
pub async fn revoke_all_of(pool: &Db, actor: &Actor, owner: &UserRow) -> AppResult<()> {
    let revoked = table::delete_for_user(pool, owner.id).await?;
    for (id, name) in revoked {
        record(
            pool,
            actor,
            "token_revoked",
            &owner.username,
            &format!("{}, with the owner's credentials", describe(id, &name)),
        )
        .await?;
    }
    Ok(())
}

/// Why a presented secret does not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Malformed, unknown or revoked.
    Unknown,
    Expired,
}

/// The token behind `secret` with its owner, unless it is unknown or expired. One indexed read.
pub async fn find_usable(pool: &Db, secret: &str) -> AppResult<Result<TokenUse, Rejected>> {
    if !secret::well_formed(secret) {
        return Ok(Err(Rejected::Unknown));
    }
    Ok(
        match table::find_by_hash(pool, &secret::hash(secret)).await? {
            None => Err(Rejected::Unknown),
            Some(found) if found.token_expires_at <= unix_now() => Err(Rejected::Expired),
            Some(found) => Ok(found),
        },
    )
}

/// Records that the token was used from `ip`: the first use at once, then at most once a minute
/// (the check is in the update, so a burst of parallel requests writes once).
pub async fn touch(pool: &Db, found: &TokenUse, ip: &str) -> AppResult<()> {
    let stale = found
        .token_last_used_at
        .is_none_or(|at| at <= unix_now() - TOUCH_INTERVAL_SECS);
    if stale {
        table::touch(pool, found.token_id, ip, TOUCH_INTERVAL_SECS).await?;
    }
    Ok(())
}

/// A refusal by scope: audited as `token_refused`, once per token and minute with a count
/// (a misconfigured script retrying in a loop writes one event a minute, not thousands).
pub async fn refused_by_scope(
    pool: &Db,
    found: &TokenUse,
    ip: &str,
    needed: &str,
    path: &str,
) -> AppResult<AppError> {
    throttle::record_notice(
        pool,
        &format!("token:{}", found.token_id),
        audit::NewEvent {
            actor: Some(&found.owner.username),
            ip: Some(ip),
            action: "token_refused",
            target: Some(&found.owner.username),
            outcome: "denied",
            detail: None,
        },
        |refused| {
            format!(
                "token {} lacks the {needed} scope for {path} ({refused} refusal{} this minute)",
                found.token_id,
                if refused == 1 { "" } else { "s" }
            )
        },
    )
    .await?;
    Ok(AppError::forbidden(
        ErrorCode::InsufficientScope,
        format!("this access token does not have the {needed} scope"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(role: Role) -> Standing {
        Standing {
            role,
            write_grant: false,
        }
    }

    fn spec<'a>(name: &'a str, scopes: &'a [TokenScope], days: i64) -> Spec<'a> {
        Spec {
            name,
            scopes,
            expires_in_days: days,
        }
    }

    #[test]
    fn names_scopes_and_expiry_are_checked() {
        use TokenScope::*;
        let ok = validate(spec("ci", &[Write, Read, Read], 30), of(Role::Editor), 365).unwrap();
        assert_eq!(ok, ("ci".to_string(), vec![Read, Write]));
        for (name, scopes, days) in [
            ("", &[Read][..], 30),
            ("   ", &[Read][..], 30),
            ("tab\there", &[Read][..], 30),
            (&"x".repeat(65), &[Read][..], 30),
            ("ci", &[][..], 30),
            ("ci", &[Read][..], 0),
            ("ci", &[Read][..], 366),
        ] {
            let err = validate(spec(name, scopes, days), of(Role::Admin), 365).unwrap_err();
            assert_eq!(
                err.error_code(),
                ErrorCode::InvalidRequest,
                "{name:?} {days}"
            );
        }
        assert!(validate(spec(&"é".repeat(64), &[Read], 1), of(Role::Viewer), 365).is_ok());
    }

    #[test]
    fn scopes_above_the_role_are_forbidden() {
        use TokenScope::*;
        for (scopes, role) in [
            (&[Write][..], Role::Viewer),
            (&[Admin][..], Role::Editor),
            (&[Read, Admin][..], Role::Viewer),
        ] {
            let err = validate(spec("t", scopes, 1), of(role), 365).unwrap_err();
            assert_eq!(err.error_code(), ErrorCode::Forbidden);
        }
        assert!(validate(spec("t", &[Read, Write, Admin], 1), of(Role::Admin), 365).is_ok());
    }

    #[test]
    fn a_demoted_owner_keeps_only_what_the_new_role_allows() {
        use TokenScope::*;
        assert_eq!(
            effective_scopes("read,write,admin", of(Role::Admin)),
            vec![Read, Write, Admin]
        );
        assert_eq!(
            effective_scopes("read,write,admin", of(Role::Editor)),
            vec![Read, Write]
        );
        assert_eq!(effective_scopes("read,write", of(Role::Viewer)), vec![Read]);
        let granted = Standing {
            role: Role::Viewer,
            write_grant: true,
        };
        assert_eq!(
            effective_scopes("read,write,admin", granted),
            vec![Read, Write]
        );
        assert!(validate(spec("t", &[Write], 1), granted, 365).is_ok());
        assert_eq!(
            effective_scopes("admin", of(Role::Editor)),
            Vec::<TokenScope>::new()
        );
    }
}
