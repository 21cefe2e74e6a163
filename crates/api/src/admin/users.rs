//! User management.
use crate::db::Db;
use shared::admin::{AdminUser, CreateUserRequest, CreateUserResponse, UpdateUserRequest};
use shared::auth::Role;
use shared::error::ErrorCode;

use super::{record, Actor};
use crate::access_tokens;
use crate::auth::password::{generate_password, PasswordHasher};
use crate::config::ThrottleSettings;
use crate::domain::{Password, Username};
use crate::error::{AppError, AppResult};
use crate::storage::users::{self, UserRow};
use crate::storage::{backup_codes, sessions, throttle};

fn last_admin() -> AppError {
    AppError::conflict(
        ErrorCode::LastAdmin,
        "this would leave no administrator; promote another user to admin first",
    )
}

fn cannot_modify_self(what: &str) -> AppError {
    AppError::conflict(
        ErrorCode::CannotModifySelf,
        format!("you cannot {what} your own account; ask another administrator"),
    )
}

/// The role asked for: `role` wins, else `is_admin` (true = admin, false = editor), else `default`.
pub fn requested_role(
    role: Option<Role>,
    is_admin: Option<bool>,
    default: Option<Role>,
) -> Option<Role> {
    role.or(is_admin.map(|a| if a { Role::Admin } else { Role::Editor }))
        .or(default)
}

/// The password given, checked against the policy, or a generated one (returned to be shown once).
fn given_or_generated(
    given: Option<&str>,
    username: &str,
) -> AppResult<(Password, Option<String>)> {
    match given {
        Some(p) => Ok((Password::parse(p, username)?, None)),
        None => {
            let p = generate_password();
            Ok((Password::parse(&p, username)?, Some(p)))
        }
    }
}

pub async fn find(pool: &Db, name: &str) -> AppResult<UserRow> {
    users::find_by_username(pool, &name.trim().to_ascii_lowercase())
        .await?
        .ok_or_else(|| AppError::user_not_found(name))
}

pub async fn to_admin_user(
    pool: &Db,
    throttle_settings: &ThrottleSettings,
    u: &UserRow,
) -> AppResult<AdminUser> {
    let role = u.role();
    let locked_until = throttle::throttled_until(
        pool,
        &u.username,
        throttle_settings.window_secs,
        throttle_settings.max_failures_per_user_total,
    )
    .await?;
    Ok(AdminUser {
        username: u.username.clone(),
        role,
        is_admin: role == Role::Admin,
        totp_enabled: u.totp_enabled,
        backup_codes_remaining: backup_codes::count_unused(pool, u.id).await?,
        created_at: u.created_at.clone(),
        last_login_at: u.last_login_at.clone(),
        last_login_ip: u.last_login_ip.clone(),
        failed_logins: u.failed_logins,
        locked_until: locked_until.map(crate::auth::sign_in::timestamp),
        locked: u.locked,
        active: !u.locked && locked_until.is_none(),
        must_change_password: u.must_change_password,
        active_sessions: sessions::count_for_user(pool, u.id).await?,
    })
}

pub async fn list(pool: &Db, t: &ThrottleSettings) -> AppResult<Vec<AdminUser>> {
    let mut out = Vec::new();
    for u in users::list(pool).await? {
        out.push(to_admin_user(pool, t, &u).await?);
    }
    Ok(out)
}

/// Creates a user who must enroll 2FA at first sign-in and change the admin-set password.
pub async fn create(
    pool: &Db,
    hasher: &PasswordHasher,
    t: &ThrottleSettings,
    actor: &Actor,
    req: &CreateUserRequest,
) -> AppResult<CreateUserResponse> {
    let username = Username::parse(&req.username)?;
    let role = requested_role(req.role, req.is_admin, Some(Role::Editor)).unwrap_or(Role::Editor);
    let (password, generated) = given_or_generated(
        req.password.as_deref().filter(|p| !p.is_empty()),
        username.as_str(),
    )?;
    let hash = hasher.hash(password.expose()).await?;
    let id = users::insert(
        pool,
        users::NewUser {
            username: username.as_str(),
            password_hash: &hash,
            role,
            must_change_password: true,
        },
    )
    .await?
    .ok_or_else(|| {
        AppError::conflict(
            ErrorCode::UserExists,
            format!("a user named {:?} already exists", username.as_str()),
        )
    })?;
    record(
        pool,
        actor,
        "user_created",
        username.as_str(),
        Some(&format!("role {role}")),
    )
    .await?;
    let row = users::find_by_id(pool, id)
        .await?
        .ok_or_else(|| AppError::user_not_found(username.as_str()))?;
    Ok(CreateUserResponse {
        user: to_admin_user(pool, t, &row).await?,
        generated_password: generated,
    })
}

/// Changes role, password and lock state. Sessions are revoked when rights shrink.
/// Returns the user and, when the password was generated, the new password.
pub async fn update(
    pool: &Db,
    hasher: &PasswordHasher,
    t: &ThrottleSettings,
    actor: &Actor,
    name: &str,
    req: &UpdateUserRequest,
) -> AppResult<AdminUser> {
    let user = find(pool, name).await?;
    let is_self = actor.user_id == Some(user.id);
    let new_role = requested_role(req.role, req.is_admin, None);

    // Validate everything before writing anything.
    if let Some(role) = new_role {
        if is_self && role != user.role() {
            return Err(cannot_modify_self("change the role of"));
        }
    }
    if req.locked == Some(true) && is_self {
        return Err(cannot_modify_self("lock"));
    }
    if req.password.is_some() && is_self {
        return Err(AppError::conflict(
            ErrorCode::CannotModifySelf,
            "set your own password with POST /api/auth/change-password, which asks for the current one",
        ));
    }
    let password_hash = match req.password.as_deref() {
        Some(p) => Some(
            hasher
                .hash(Password::parse(p, &user.username)?.expose())
                .await?,
        ),
        None => None,
    };

    if let Some(role) = new_role.filter(|r| *r != user.role()) {
        set_role(pool, actor, &user, role).await?;
    }
    if let Some(hash) = password_hash {
        users::set_password(pool, user.id, &hash, true).await?;
        record(pool, actor, "password_set", &user.username, None).await?;
        access_tokens::revoke_all_of(pool, actor, &user).await?;
    }
    // Unlocking also clears the sign-in throttle, so it runs even when no admin lock is set.
    if let Some(locked) = req.locked.filter(|l| *l != user.locked || !*l) {
        set_locked(pool, actor, &user, locked).await?;
    }
    let row = users::find_by_id(pool, user.id)
        .await?
        .ok_or_else(|| AppError::user_not_found(name))?;
    to_admin_user(pool, t, &row).await
}

/// Changes the role; refuses to leave no admin. Demotions revoke sessions.
pub async fn set_role(pool: &Db, actor: &Actor, user: &UserRow, role: Role) -> AppResult<()> {
    // Write first, then count, serialised with every other change of the admins: two
    // demotions at once cannot each count the other as the admin who remains.
    let mut tx = pool.begin_serialized("admins").await?;
    users::set_role(&mut tx, user.id, role).await?;
    if users::count_admins(&mut *tx).await? == 0 {
        return Err(last_admin());
    }
    if role < user.role() {
        users::revoke_sessions(&mut tx, user.id).await?;
    }
    tx.commit().await?;
    record(
        pool,
        actor,
        "role_changed",
        &user.username,
        Some(&format!("{} -> {role}", user.role())),
    )
    .await
}

pub async fn set_locked(pool: &Db, actor: &Actor, user: &UserRow, locked: bool) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    users::set_locked(&mut *tx, user.id, locked).await?;
    if locked {
        users::revoke_sessions(&mut tx, user.id).await?;
    }
    tx.commit().await?;
    if !locked {
        throttle::clear_user(pool, &user.username).await?;
    }
    record(
        pool,
        actor,
        if locked {
            "user_locked"
        } else {
            "user_unlocked"
        },
        &user.username,
        None,
    )
    .await
}

/// Clears an admin lock and the sign-in throttle.
pub async fn unlock(pool: &Db, actor: &Actor, name: &str) -> AppResult<()> {
    let user = find(pool, name).await?;
    set_locked(pool, actor, &user, false).await
}

pub async fn delete(pool: &Db, actor: &Actor, name: &str) -> AppResult<()> {
    let user = find(pool, name).await?;
    if actor.user_id == Some(user.id) {
        return Err(cannot_modify_self("delete"));
    }
    let mut tx = pool.begin_serialized("admins").await?;
    users::delete(&mut tx, user.id).await?;
    if users::count_admins(&mut *tx).await? == 0 {
        return Err(last_admin());
    }
    tx.commit().await?;
    record(pool, actor, "user_deleted", &user.username, None).await
}

/// Clears TOTP and backup codes; the user enrolls again at next sign-in.
pub async fn reset_two_factor(pool: &Db, actor: &Actor, name: &str) -> AppResult<()> {
    let user = find(pool, name).await?;
    if actor.user_id == Some(user.id) {
        // It would end the caller's own session with no way back but enrolling again.
        return Err(cannot_modify_self("reset the two-factor authentication of"));
    }
    let mut tx = pool.begin().await?;
    users::reset_two_factor(&mut tx, user.id).await?;
    tx.commit().await?;
    record(pool, actor, "2fa_reset", &user.username, None).await?;
    // Tokens were given out on the strength of the old second factor.
    access_tokens::revoke_all_of(pool, actor, &user).await
}

/// Sets a password (generated when `None`) that must be changed at next sign-in.
/// Returns the generated password, if any.
pub async fn set_password(
    pool: &Db,
    hasher: &PasswordHasher,
    actor: &Actor,
    name: &str,
    password: Option<&str>,
) -> AppResult<Option<String>> {
    let user = find(pool, name).await?;
    let (password, generated) = given_or_generated(password, &user.username)?;
    let hash = hasher.hash(password.expose()).await?;
    users::set_password(pool, user.id, &hash, true).await?;
    record(pool, actor, "password_set", &user.username, None).await?;
    access_tokens::revoke_all_of(pool, actor, &user).await?;
    Ok(generated)
}
