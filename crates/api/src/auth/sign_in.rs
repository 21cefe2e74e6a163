//! The sign-in flow and account self-service. Handlers call these; tests can too.
use shared::auth::{
    BackupCodesResponse, ChangePasswordRequest, LoginRequest, LoginResponse, SessionResponse,
    UserProfile, VerifyTwoFactorRequest,
};

use super::{backup_codes, random_token, sha256_hex, totp, AuthUser};
use crate::config::DEFAULT_ADMIN_PASSWORD;
use crate::domain::Password;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::challenges::{self, Purpose};
use crate::storage::users::UserRow;
use crate::storage::{audit, backup_codes as codes_table, throttle, to_rfc3339, unix_now, users};

/// How long the step between password and second factor lives.
pub const LOGIN_TOKEN_TTL_SECS: i64 = 300;
/// Wrong codes a login token survives.
pub const LOGIN_TOKEN_MAX_ATTEMPTS: i64 = 5;

fn invalid_credentials() -> AppError {
    AppError::unauthorized("invalid_credentials", "invalid username or password")
}

fn invalid_login_token() -> AppError {
    AppError::unauthorized(
        "invalid_login_token",
        "the sign-in step has expired or is no longer valid; sign in again",
    )
}

/// The client the request came from, for throttling and the audit log.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: String,
}

async fn ensure_not_throttled(state: &AppState, username: &str, ip: &str) -> AppResult<()> {
    let t = state.settings.throttle;
    let by_user = throttle::retry_after(
        &state.pool,
        throttle::Key::Username(username),
        t.window_secs,
        t.max_failures_per_user,
    )
    .await?;
    let by_ip = throttle::retry_after(
        &state.pool,
        throttle::Key::Ip(ip),
        t.window_secs,
        t.max_failures_per_ip,
    )
    .await?;
    match by_user.into_iter().chain(by_ip).max() {
        Some(secs) => {
            state.metrics.login_failure("throttled");
            audit::record(
                &state.pool,
                audit::NewEvent {
                    actor: Some(username),
                    ip: Some(ip),
                    action: "login_throttled",
                    target: Some(username),
                    outcome: "denied",
                    detail: Some(&format!("retry after {secs} s")),
                },
            )
            .await?;
            Err(AppError::TooManyAttempts {
                retry_after_secs: secs as u64,
            })
        }
        None => Ok(()),
    }
}

async fn record_failure(
    state: &AppState,
    username: &str,
    ip: &str,
    action: &str,
    detail: &str,
) -> AppResult<()> {
    state.metrics.login_failure(action);
    throttle::record_failure(&state.pool, username, ip).await?;
    users::increment_failed_logins(&state.pool, username).await?;
    audit::record(
        &state.pool,
        audit::NewEvent {
            actor: Some(username),
            ip: Some(ip),
            action,
            target: Some(username),
            outcome: "failure",
            detail: Some(detail),
        },
    )
    .await?;
    Ok(())
}

/// Step one: the password. Never issues a session: the second factor always follows.
pub async fn login(
    state: &AppState,
    req: &LoginRequest,
    client: &Client,
) -> AppResult<LoginResponse> {
    let username = req.username.trim().to_ascii_lowercase();
    if username.is_empty() || username.len() > 64 || req.password.len() > 1024 {
        return Err(invalid_credentials());
    }
    ensure_not_throttled(state, &username, &client.ip).await?;

    let user = users::find_by_username(&state.pool, &username).await?;
    let verified = state
        .hasher
        .verify(
            &req.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        )
        .await?;
    let user = match user {
        Some(user) if verified => user,
        _ => {
            record_failure(
                state,
                &username,
                &client.ip,
                "login_failed",
                "wrong password or unknown user",
            )
            .await?;
            return Err(invalid_credentials());
        }
    };
    if user.locked {
        audit::record(
            &state.pool,
            audit::NewEvent {
                actor: Some(&user.username),
                ip: Some(&client.ip),
                action: "login_failed",
                target: Some(&user.username),
                outcome: "denied",
                detail: Some("account locked"),
            },
        )
        .await?;
        return Err(AppError::forbidden(
            "account_locked",
            "this account has been locked by an administrator",
        ));
    }
    if req.password == DEFAULT_ADMIN_PASSWORD && !user.must_change_password {
        users::set_must_change_password(&state.pool, user.id).await?;
    }

    let login_token = random_token(32);
    let expires_at = unix_now() + LOGIN_TOKEN_TTL_SECS;
    if user.totp_enabled && user.totp_secret.is_some() {
        challenges::insert(
            &state.pool,
            &sha256_hex(&login_token),
            user.id,
            Purpose::Verify,
            None,
            expires_at,
        )
        .await?;
        return Ok(LoginResponse::TotpRequired { login_token });
    }
    let secret = totp::generate_secret();
    challenges::insert(
        &state.pool,
        &sha256_hex(&login_token),
        user.id,
        Purpose::Enroll,
        Some(&secret),
        expires_at,
    )
    .await?;
    let otpauth_uri = totp::otpauth_uri(&user.username, &secret);
    let qr_svg = totp::qr_svg(&otpauth_uri)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR code: {e}")))?;
    Ok(LoginResponse::TotpSetupRequired {
        login_token,
        totp_secret: secret,
        otpauth_uri,
        qr_svg,
    })
}

enum SecondFactor {
    /// TOTP accepted at this time step.
    Totp(i64),
    BackupCode,
}

/// Step two: a TOTP or backup code. Completes enrollment on first sign-in.
pub async fn verify_two_factor(
    state: &AppState,
    req: &VerifyTwoFactorRequest,
    client: &Client,
) -> AppResult<SessionResponse> {
    let token_hash = sha256_hex(req.login_token.trim());
    let challenge = challenges::find_live(&state.pool, &token_hash)
        .await?
        .ok_or_else(invalid_login_token)?;
    let user = users::find_by_id(&state.pool, challenge.user_id)
        .await?
        .ok_or_else(invalid_login_token)?;
    ensure_not_throttled(state, &user.username, &client.ip).await?;
    if user.locked {
        return Err(AppError::forbidden(
            "account_locked",
            "this account has been locked by an administrator",
        ));
    }
    let now = unix_now() as u64;

    let wrong_code = || async {
        challenges::record_wrong_code(&state.pool, &token_hash, LOGIN_TOKEN_MAX_ATTEMPTS).await?;
        record_failure(
            state,
            &user.username,
            &client.ip,
            "2fa_failed",
            "wrong code",
        )
        .await?;
        Err::<SessionResponse, _>(AppError::unauthorized(
            "invalid_code",
            "the code is not valid; check the time on your device and try again",
        ))
    };

    match challenge.purpose() {
        Purpose::Enroll => {
            let secret = challenge
                .pending_secret
                .clone()
                .ok_or_else(invalid_login_token)?;
            let Some(step) = totp::matching_step(&secret, &req.code, now) else {
                return wrong_code().await;
            };
            let codes = backup_codes::generate();
            let hashes: Vec<String> = codes.iter().map(|c| backup_codes::hash(c)).collect();
            let mut tx = state.pool.begin().await?;
            if !challenges::consume(&mut tx, &token_hash).await? {
                return Err(invalid_login_token());
            }
            users::enable_totp(&mut tx, user.id, &secret, step).await?;
            codes_table::replace_all(&mut tx, user.id, &hashes).await?;
            audit::record(
                &mut *tx,
                audit::NewEvent {
                    actor: Some(&user.username),
                    ip: Some(&client.ip),
                    action: "totp_enrolled",
                    target: Some(&user.username),
                    outcome: "success",
                    detail: None,
                },
            )
            .await?;
            tx.commit().await?;
            let mut session = start_session(state, user.id, client).await?;
            session.backup_codes = Some(codes);
            Ok(session)
        }
        Purpose::Verify => {
            let factor = if backup_codes::looks_like_backup_code(&req.code) {
                match use_backup_code(state, user.id, &req.code).await? {
                    true => SecondFactor::BackupCode,
                    false => return wrong_code().await,
                }
            } else {
                let secret = user
                    .totp_secret
                    .as_deref()
                    .ok_or_else(invalid_login_token)?;
                match totp::matching_step(secret, &req.code, now) {
                    Some(step) => SecondFactor::Totp(step),
                    None => return wrong_code().await,
                }
            };
            if let SecondFactor::Totp(step) = factor {
                if !users::claim_totp_step(&state.pool, user.id, step).await? {
                    challenges::record_wrong_code(
                        &state.pool,
                        &token_hash,
                        LOGIN_TOKEN_MAX_ATTEMPTS,
                    )
                    .await?;
                    record_failure(
                        state,
                        &user.username,
                        &client.ip,
                        "2fa_failed",
                        "code reused",
                    )
                    .await?;
                    return Err(AppError::unauthorized(
                        "code_reused",
                        "this code has already been used; wait for the next code",
                    ));
                }
            }
            let mut tx = state.pool.begin().await?;
            let consumed = challenges::consume(&mut tx, &token_hash).await?;
            tx.commit().await?;
            if !consumed {
                return Err(invalid_login_token());
            }
            if let SecondFactor::BackupCode = factor {
                audit::record(
                    &state.pool,
                    audit::NewEvent {
                        actor: Some(&user.username),
                        ip: Some(&client.ip),
                        action: "backup_code_used",
                        target: Some(&user.username),
                        outcome: "success",
                        detail: None,
                    },
                )
                .await?;
            }
            start_session(state, user.id, client).await
        }
    }
}

/// Marks the matching unused backup code as used; `false` if none matches.
async fn use_backup_code(state: &AppState, user_id: i64, code: &str) -> AppResult<bool> {
    let wanted = backup_codes::hash(code);
    for row in codes_table::unused(&state.pool, user_id).await? {
        if row.code_hash == wanted {
            return Ok(codes_table::mark_used(&state.pool, row.id).await?);
        }
    }
    Ok(false)
}

/// Issues a session after a completed sign-in and records it.
async fn start_session(
    state: &AppState,
    user_id: i64,
    client: &Client,
) -> AppResult<SessionResponse> {
    users::record_login(&state.pool, user_id, &client.ip).await?;
    let user = users::find_by_id(&state.pool, user_id)
        .await?
        .ok_or_else(invalid_login_token)?;
    throttle::clear_user(&state.pool, &user.username).await?;
    audit::record(
        &state.pool,
        audit::NewEvent {
            actor: Some(&user.username),
            ip: Some(&client.ip),
            action: "login",
            target: Some(&user.username),
            outcome: "success",
            detail: None,
        },
    )
    .await?;
    issue_session(state, &user).await
}

/// A session token for `user` as it is now.
pub async fn issue_session(state: &AppState, user: &UserRow) -> AppResult<SessionResponse> {
    let (token, claims) = state.jwt.issue(user.id, user.role(), user.token_version)?;
    Ok(SessionResponse {
        token,
        token_type: "Bearer".into(),
        expires_at: timestamp(claims.exp),
        user: profile(state, user).await?,
        backup_codes: None,
    })
}

pub fn timestamp(unix: i64) -> String {
    to_rfc3339(chrono::DateTime::from_timestamp(unix, 0).unwrap_or_default())
}

pub async fn profile(state: &AppState, user: &UserRow) -> AppResult<UserProfile> {
    let role = user.role();
    Ok(UserProfile {
        username: user.username.clone(),
        role,
        is_admin: role == shared::auth::Role::Admin,
        totp_enabled: user.totp_enabled,
        backup_codes_remaining: codes_table::count_unused(&state.pool, user.id).await?,
        created_at: user.created_at.clone(),
        last_login_at: user.last_login_at.clone(),
        last_login_ip: user.last_login_ip.clone(),
        must_change_password: user.must_change_password,
        default_registry: user.default_registry.clone(),
    })
}

/// Checks a signed-in user's password (for sensitive self-service), throttled like sign-in.
async fn confirm_password(
    state: &AppState,
    auth: &AuthUser,
    password: &str,
    client: &Client,
) -> AppResult<()> {
    ensure_not_throttled(state, auth.username(), &client.ip).await?;
    if password.len() <= 1024
        && state
            .hasher
            .verify(password, Some(&auth.user.password_hash))
            .await?
    {
        return Ok(());
    }
    record_failure(
        state,
        auth.username(),
        &client.ip,
        "password_check_failed",
        "wrong current password",
    )
    .await?;
    Err(invalid_credentials())
}

/// Changes the password and revokes every earlier session; returns a fresh one.
pub async fn change_password(
    state: &AppState,
    auth: &AuthUser,
    req: &ChangePasswordRequest,
    client: &Client,
) -> AppResult<SessionResponse> {
    confirm_password(state, auth, &req.current_password, client).await?;
    let new_password = Password::parse(&req.new_password, auth.username())?;
    if req.new_password == req.current_password {
        return Err(AppError::bad_request(
            "password_unchanged",
            "the new password must differ from the current one",
        ));
    }
    if req.new_password == DEFAULT_ADMIN_PASSWORD {
        return Err(AppError::bad_request(
            "weak_password",
            "the built-in default password cannot be used",
        ));
    }
    let hash = state.hasher.hash(new_password.expose()).await?;
    users::set_password(&state.pool, auth.user.id, &hash, false).await?;
    users::count_session(&state.pool, auth.user.id).await?;
    audit::record(
        &state.pool,
        audit::NewEvent {
            actor: Some(auth.username()),
            ip: Some(&client.ip),
            action: "password_changed",
            target: Some(auth.username()),
            outcome: "success",
            detail: None,
        },
    )
    .await?;
    let user = users::find_by_id(&state.pool, auth.user.id)
        .await?
        .ok_or_else(AppError::invalid_token)?;
    issue_session(state, &user).await
}

/// Replaces the backup codes; the old ones stop working.
pub async fn regenerate_backup_codes(
    state: &AppState,
    auth: &AuthUser,
    password: &str,
    client: &Client,
) -> AppResult<BackupCodesResponse> {
    confirm_password(state, auth, password, client).await?;
    if !auth.user.totp_enabled {
        return Err(AppError::conflict(
            "totp_not_enabled",
            "two-factor authentication is not set up for this account",
        ));
    }
    let codes = backup_codes::generate();
    let hashes: Vec<String> = codes.iter().map(|c| backup_codes::hash(c)).collect();
    let mut tx = state.pool.begin().await?;
    codes_table::replace_all(&mut tx, auth.user.id, &hashes).await?;
    audit::record(
        &mut *tx,
        audit::NewEvent {
            actor: Some(auth.username()),
            ip: Some(&client.ip),
            action: "backup_codes_regenerated",
            target: Some(auth.username()),
            outcome: "success",
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(BackupCodesResponse {
        backup_codes: codes,
    })
}

/// Revokes the token used for this request.
pub async fn logout(state: &AppState, auth: &AuthUser, client: &Client) -> AppResult<()> {
    crate::storage::sessions::revoke(&state.pool, &auth.claims.jti, auth.claims.exp).await?;
    audit::record(
        &state.pool,
        audit::NewEvent {
            actor: Some(auth.username()),
            ip: Some(&client.ip),
            action: "logout",
            target: Some(auth.username()),
            outcome: "success",
            detail: None,
        },
    )
    .await?;
    Ok(())
}
