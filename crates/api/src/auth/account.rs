//! Account self-service for a signed-in user: password change, backup codes, logout.
use shared::auth::{BackupCodesResponse, ChangePasswordRequest, SessionResponse};
use shared::error::ErrorCode;

use super::attempts::{record_failure, Attempt, Client};
use super::sign_in::{invalid_credentials, issue_session, own_event, refuse_long_password};
use super::AuthServices;
use super::{backup_codes, AuthUser};
use crate::config::DEFAULT_ADMIN_PASSWORD;
use crate::domain::Password;
use crate::error::{AppError, AppResult};
use crate::storage::{audit, backup_codes as codes_table, sessions, users};

/// Checks a signed-in user's password (for sensitive self-service), throttled like sign-in.
pub(crate) async fn confirm_password(
    state: &AuthServices<'_>,
    auth: &AuthUser,
    password: &str,
    client: &Client,
) -> AppResult<()> {
    refuse_long_password(password)?;
    let _admission = state.hasher.admit(&client.throttle_key())?;
    let attempt = Attempt::claim(state, auth.username(), client).await?;
    if state
        .hasher
        .verify(password, Some(&auth.user.password_hash))
        .await?
    {
        return attempt.succeeded(state, auth.username(), client).await;
    }
    record_failure(
        state,
        auth.username(),
        client,
        "password_check_failed",
        "wrong current password",
    )
    .await?;
    Err(invalid_credentials())
}

/// Changes the password and revokes every earlier session; returns a fresh one.
pub async fn change_password(
    state: &AuthServices<'_>,
    auth: &AuthUser,
    req: &ChangePasswordRequest,
    client: &Client,
) -> AppResult<SessionResponse> {
    confirm_password(state, auth, &req.current_password, client).await?;
    let new_password = Password::parse(&req.new_password, auth.username())?;
    if req.new_password == req.current_password {
        return Err(AppError::bad_request(
            ErrorCode::PasswordUnchanged,
            "the new password must differ from the current one",
        ));
    }
    if req.new_password == DEFAULT_ADMIN_PASSWORD {
        return Err(AppError::bad_request(
            ErrorCode::WeakPassword,
            "the built-in default password cannot be used",
        ));
    }
    let hash = state.hasher.hash(new_password.expose()).await?;
    users::set_password(state.pool, auth.user.id, &hash, false).await?;
    audit::record(
        state.pool,
        own_event(&auth.user, client, "password_changed"),
    )
    .await?;
    let user = users::find_by_id(state.pool, auth.user.id)
        .await?
        .ok_or_else(AppError::invalid_token)?;
    issue_session(state, &user).await
}

/// Replaces the backup codes; the old ones stop working.
pub async fn regenerate_backup_codes(
    state: &AuthServices<'_>,
    auth: &AuthUser,
    password: &str,
    client: &Client,
) -> AppResult<BackupCodesResponse> {
    confirm_password(state, auth, password, client).await?;
    if !auth.user.totp_enabled {
        return Err(AppError::conflict(
            ErrorCode::TotpNotEnabled,
            "two-factor authentication is not set up for this account",
        ));
    }
    let codes = backup_codes::generate();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| backup_codes::hash(state.cipher, c))
        .collect();
    let mut tx = state.pool.begin().await?;
    codes_table::replace_all(&mut tx, auth.user.id, &hashes).await?;
    audit::record(
        &mut *tx,
        own_event(&auth.user, client, "backup_codes_regenerated"),
    )
    .await?;
    tx.commit().await?;
    Ok(BackupCodesResponse {
        backup_codes: codes,
    })
}

/// Revokes the token used for this request.
pub async fn logout(state: &AuthServices<'_>, auth: &AuthUser, client: &Client) -> AppResult<()> {
    // Only sessions reach here (the extractor refuses tokens on every route but two).
    if let Some(claims) = auth.session() {
        sessions::end(state.pool, &claims.jti).await?;
    }
    audit::record(state.pool, own_event(&auth.user, client, "logout")).await?;
    Ok(())
}
