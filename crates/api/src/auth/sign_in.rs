//! The sign-in flow: the password step and the second factor. Handlers call these; tests can
//! too.
//!
//! Every limit is claimed before the password or code is checked (see `attempts`), and
//! everything that completes a step — consuming the login token, using the code, issuing the
//! session — happens in one transaction that starts with a write, so a lost race changes
//! nothing.
use shared::auth::{
    LoginRequest, LoginResponse, SessionResponse, UserProfile, VerifyTwoFactorRequest,
};
use shared::error::ErrorCode;
use sqlx::{Any, Transaction};

use super::attempts::{record_failure, Attempt, Client};
use super::AuthServices;
use super::{backup_codes, random_token, sha256_hex, totp};
use crate::config::DEFAULT_ADMIN_PASSWORD;
use crate::domain::password::MAX_BYTES as MAX_PASSWORD_BYTES;
use crate::error::{AppError, AppResult};
use crate::storage::challenges::{self, Purpose};
use crate::storage::users::UserRow;
use crate::storage::{audit, backup_codes as codes_table, grants, sessions, unix_now, users};

/// How long the step between password and second factor lives.
pub const LOGIN_TOKEN_TTL_SECS: i64 = 300;
/// Codes a login token lets through to be checked.
pub const LOGIN_TOKEN_MAX_ATTEMPTS: i64 = 5;

pub(crate) fn invalid_credentials() -> AppError {
    AppError::unauthorized(
        ErrorCode::InvalidCredentials,
        "invalid username or password",
    )
}

fn invalid_login_token() -> AppError {
    AppError::unauthorized(
        ErrorCode::InvalidLoginToken,
        "the sign-in step has expired or is no longer valid; sign in again",
    )
}

fn account_locked() -> AppError {
    AppError::forbidden(
        ErrorCode::AccountLocked,
        "this account has been locked by an administrator",
    )
}

/// bcrypt only reads 72 bytes: a longer password would pass by its first 72. Refused wherever a
/// password is checked (sign-in, confirming the current one) exactly as at creation, before
/// anything is checked.
pub(crate) fn refuse_long_password(password: &str) -> AppResult<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::bad_request(
            ErrorCode::PasswordTooLong,
            format!("passwords are at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Step one: the password. Never issues a session: the second factor always follows.
pub async fn login(
    state: &AuthServices<'_>,
    req: &LoginRequest,
    client: &Client,
) -> AppResult<LoginResponse> {
    let username = req.username.trim().to_ascii_lowercase();
    if username.is_empty() || username.len() > 64 {
        return Err(invalid_credentials());
    }
    refuse_long_password(&req.password)?;
    let _admission = state.hasher.admit(&client.throttle_key())?;
    let attempt = Attempt::claim(state, &username, client).await?;

    let user = users::find_by_username(state.pool, &username).await?;
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
                client,
                "login_failed",
                "wrong password or unknown user",
            )
            .await?;
            return Err(invalid_credentials());
        }
    };
    // The password was right: the attempt is not a failure, but nothing is forgiven until the
    // second factor is through too.
    attempt.give_back(state).await?;
    if user.locked {
        audit::record(
            state.pool,
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
        return Err(account_locked());
    }
    if req.password == DEFAULT_ADMIN_PASSWORD && !user.must_change_password {
        users::set_must_change_password(state.pool, user.id).await?;
    }

    let login_token = random_token(32);
    let expires_at = unix_now() + LOGIN_TOKEN_TTL_SECS;
    // The step is only written while the account is as the password check saw it: a password
    // change, reset or lock during the bcrypt check must not leave a step proven by the old
    // password behind.
    if user.totp_enabled && user.totp_secret_encrypted.is_some() {
        let written = challenges::insert(
            state.pool,
            &sha256_hex(&login_token),
            &user,
            Purpose::Verify,
            None,
            expires_at,
        )
        .await?;
        if !written {
            return Err(invalid_credentials());
        }
        return Ok(LoginResponse::TotpRequired { login_token });
    }
    let secret = totp::generate_secret();
    let written = challenges::insert(
        state.pool,
        &sha256_hex(&login_token),
        &user,
        Purpose::Enroll,
        Some(&state.cipher.encrypt(&secret)?),
        expires_at,
    )
    .await?;
    if !written {
        return Err(invalid_credentials());
    }
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

fn wrong_code_error() -> AppError {
    AppError::unauthorized(
        ErrorCode::InvalidCode,
        "the code is not valid; check the time on your device and try again",
    )
}

/// Step two: a TOTP or backup code. Completes enrollment on first sign-in.
pub async fn verify_two_factor(
    state: &AuthServices<'_>,
    req: &VerifyTwoFactorRequest,
    client: &Client,
) -> AppResult<SessionResponse> {
    let token_hash = sha256_hex(req.login_token.trim());
    let challenge = challenges::find_live(state.pool, &token_hash)
        .await?
        .ok_or_else(invalid_login_token)?;
    let user = users::find_by_id(state.pool, challenge.user_id)
        .await?
        .ok_or_else(invalid_login_token)?;
    let attempt = Attempt::claim(state, &user.username, client).await?;
    if !challenges::claim_attempt(state.pool, &token_hash, LOGIN_TOKEN_MAX_ATTEMPTS).await? {
        attempt.give_back(state).await?;
        return Err(invalid_login_token());
    }
    if user.locked {
        attempt.give_back(state).await?;
        return Err(account_locked());
    }
    let now = unix_now() as u64;

    // Check the code first (no writes), then complete the step in one transaction that starts
    // by consuming the login token.
    let factor = match challenge.purpose() {
        Purpose::Enroll => {
            match matching_totp(state, challenge.pending_secret.as_deref(), &req.code, now)? {
                Some((secret, step)) => Factor::Enrollment { secret, step },
                None => return wrong_code(state, &user, client, "wrong code").await,
            }
        }
        Purpose::Verify if backup_codes::looks_like_backup_code(&req.code) => Factor::BackupCode(
            backup_codes::hash(state.cipher, &req.code),
            backup_codes::legacy_hash(state.cipher, &req.code),
        ),
        Purpose::Verify => {
            match matching_totp(state, user.totp_secret_encrypted.as_deref(), &req.code, now)? {
                Some((_, step)) => Factor::Totp(step),
                None => return wrong_code(state, &user, client, "wrong code").await,
            }
        }
    };
    let mut tx = state.pool.begin().await?;
    if !challenges::consume(&mut tx, &token_hash).await? {
        // A concurrent request completed or ended this step: this code was not the one checked.
        drop(tx);
        attempt.give_back(state).await?;
        return Err(invalid_login_token());
    }
    let mut backup_codes_shown = None;
    match factor {
        Factor::Enrollment { secret, step } => {
            if !users::enable_totp(&mut tx, user.id, &state.cipher.encrypt(&secret)?, step).await? {
                // Enrolled since this step began: the old step must not replace the secret.
                drop(tx);
                attempt.give_back(state).await?;
                return Err(invalid_login_token());
            }
            let codes = backup_codes::generate();
            let hashes: Vec<String> = codes
                .iter()
                .map(|c| backup_codes::hash(state.cipher, c))
                .collect();
            codes_table::replace_all(&mut tx, user.id, &hashes).await?;
            audit::record(&mut *tx, own_event(&user, client, "totp_enrolled")).await?;
            backup_codes_shown = Some(codes);
        }
        Factor::BackupCode(hash, legacy) => {
            if !codes_table::use_code(&mut tx, user.id, &hash, legacy.as_deref()).await? {
                drop(tx);
                return wrong_code(state, &user, client, "wrong code").await;
            }
            audit::record(&mut *tx, own_event(&user, client, "backup_code_used")).await?;
        }
        Factor::Totp(step) => {
            if !users::claim_totp_step(&mut *tx, user.id, step).await? {
                drop(tx);
                record_failure(state, &user.username, client, "2fa_failed", "code reused").await?;
                return Err(AppError::unauthorized(
                    ErrorCode::CodeReused,
                    "this code has already been used; wait for the next code",
                ));
            }
        }
    }
    let issued = begin_session(state, &mut tx, user.id, client).await?;
    tx.commit().await?;
    let mut session = session_response(state, issued).await?;
    session.backup_codes = backup_codes_shown;
    attempt.succeeded(state, &user.username, client).await?;
    Ok(session)
}

/// What the code of step two proved, before the step is completed.
enum Factor {
    /// First sign-in: the pending secret and the step its code matched.
    Enrollment {
        secret: String,
        step: i64,
    },
    Totp(i64),
    /// The keyed hash of the backup code (whether it is unused is known in the transaction).
    /// The code's keyed hash, and under the legacy key when a migration left one.
    BackupCode(String, Option<String>),
}

/// The time step `code` matches for the encrypted secret, with the secret; `None` for a wrong
/// code. A missing secret means the step is not usable.
fn matching_totp(
    state: &AuthServices<'_>,
    encrypted: Option<&str>,
    code: &str,
    now: u64,
) -> AppResult<Option<(String, i64)>> {
    let secret = encrypted
        .map(|s| state.cipher.decrypt(s))
        .transpose()?
        .ok_or_else(invalid_login_token)?;
    Ok(totp::matching_step(&secret, code, now).map(|step| (secret, step)))
}

/// A wrong code: the claimed attempt stays counted; audited.
async fn wrong_code<T>(
    state: &AuthServices<'_>,
    user: &UserRow,
    client: &Client,
    detail: &str,
) -> AppResult<T> {
    record_failure(state, &user.username, client, "2fa_failed", detail).await?;
    Err(wrong_code_error())
}

/// An event the user causes on their own account.
pub(crate) fn own_event<'a>(
    user: &'a UserRow,
    client: &'a Client,
    action: &'a str,
) -> audit::NewEvent<'a> {
    audit::NewEvent {
        actor: Some(&user.username),
        ip: Some(&client.ip),
        action,
        target: Some(&user.username),
        outcome: "success",
        detail: None,
    }
}

/// A session written inside a sign-in transaction, to be answered once it commits.
struct IssuedSession {
    token: String,
    expires_at: i64,
    user_id: i64,
}

/// Issues a session for the user as they are inside `tx` (token version, role) and records the
/// sign-in. Part of the transaction that consumes the login step.
async fn begin_session(
    state: &AuthServices<'_>,
    tx: &mut Transaction<'_, Any>,
    user_id: i64,
    client: &Client,
) -> AppResult<IssuedSession> {
    users::record_login(&mut **tx, user_id, &client.ip).await?;
    let user = users::find_by_id(&mut **tx, user_id)
        .await?
        .ok_or_else(invalid_login_token)?;
    let (token, claims) = state.jwt.issue(user.id, user.role(), user.token_version)?;
    sessions::insert(&mut **tx, &claims.jti, user.id, claims.exp).await?;
    audit::record(&mut **tx, own_event(&user, client, "login")).await?;
    Ok(IssuedSession {
        token,
        expires_at: claims.exp,
        user_id: user.id,
    })
}

async fn session_response(
    state: &AuthServices<'_>,
    issued: IssuedSession,
) -> AppResult<SessionResponse> {
    let user = users::find_by_id(state.pool, issued.user_id)
        .await?
        .ok_or_else(AppError::invalid_token)?;
    Ok(SessionResponse {
        token: issued.token,
        token_type: "Bearer".into(),
        expires_at: timestamp(issued.expires_at),
        user: profile(state, &user).await?,
        backup_codes: None,
    })
}

/// A new session for `user` as they are now (after a password change).
pub async fn issue_session(state: &AuthServices<'_>, user: &UserRow) -> AppResult<SessionResponse> {
    let (token, claims) = state.jwt.issue(user.id, user.role(), user.token_version)?;
    sessions::insert(state.pool, &claims.jti, user.id, claims.exp).await?;
    session_response(
        state,
        IssuedSession {
            token,
            expires_at: claims.exp,
            user_id: user.id,
        },
    )
    .await
}

pub fn timestamp(unix: i64) -> String {
    crate::storage::unix_to_rfc3339(unix)
}

pub async fn profile(state: &AuthServices<'_>, user: &UserRow) -> AppResult<UserProfile> {
    let role = user.role();
    Ok(UserProfile {
        username: user.username.clone(),
        role,
        is_admin: role == shared::auth::Role::Admin,
        totp_enabled: user.totp_enabled,
        backup_codes_remaining: codes_table::count_unused(state.pool, user.id).await?,
        created_at: user.created_at.clone(),
        last_login_at: user.last_login_at.clone(),
        last_login_ip: user.last_login_ip.clone(),
        must_change_password: user.must_change_password,
        default_registry: user.default_registry.clone(),
        grants: grants::list(state.pool, Some(user.id), None)
            .await?
            .into_iter()
            .filter_map(|g| {
                Some(shared::permissions::OwnGrant {
                    access: shared::permissions::AccessLevel::parse(&g.access)?,
                    registry: g.registry,
                    pattern: g.pattern,
                })
            })
            .collect(),
    })
}
