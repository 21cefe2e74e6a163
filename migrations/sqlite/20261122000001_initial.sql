-- Accounts, sessions, throttling, audit and settings.

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Stored lowercase; COLLATE NOCASE keeps the uniqueness case-insensitive even for rows
    -- written by hand.
    username              TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash         TEXT    NOT NULL,
    role                  TEXT    NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    totp_secret           TEXT,
    totp_enabled          INTEGER NOT NULL DEFAULT 0,
    -- The last accepted TOTP time step; only later steps are accepted (replay protection).
    totp_last_step        INTEGER,
    must_change_password  INTEGER NOT NULL DEFAULT 0,
    -- Carried in every JWT as `ver`; bumping it revokes every session of the user.
    token_version         INTEGER NOT NULL DEFAULT 1,
    sessions_issued       INTEGER NOT NULL DEFAULT 0,
    locked                INTEGER NOT NULL DEFAULT 0,
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    default_registry      TEXT,
    created_at            TEXT    NOT NULL,
    last_login_at         TEXT,
    last_login_ip         TEXT
);

CREATE TABLE backup_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    used_at    TEXT
);
CREATE INDEX backup_codes_user ON backup_codes(user_id);

-- The short-lived step between password and second factor.
CREATE TABLE login_challenges (
    token_hash     TEXT    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose        TEXT    NOT NULL CHECK (purpose IN ('verify', 'enroll')),
    -- The secret being enrolled; moved to users.totp_secret when enrollment completes.
    pending_secret TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX login_challenges_expiry ON login_challenges(expires_at);

CREATE TABLE revoked_sessions (
    jti         TEXT    PRIMARY KEY,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX revoked_sessions_expiry ON revoked_sessions(expires_at);

-- Failed sign-in attempts (password or second factor) inside the throttle window.
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    username  TEXT    NOT NULL COLLATE NOCASE,
    ip        TEXT    NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX login_failures_username ON login_failures(username, at);
CREATE INDEX login_failures_ip ON login_failures(ip, at);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    time     TEXT    NOT NULL,
    actor    TEXT,
    ip       TEXT,
    action   TEXT    NOT NULL,
    target   TEXT,
    outcome  TEXT    NOT NULL,
    detail   TEXT
);
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX audit_log_action ON audit_log(action, id);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE registries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT    NOT NULL UNIQUE,
    url                 TEXT    NOT NULL,
    username            TEXT,
    -- AES-256-GCM: base64(nonce || ciphertext)
    password_encrypted  TEXT,
    pull_host           TEXT,
    insecure_tls        INTEGER NOT NULL DEFAULT 0,
    read_only           INTEGER NOT NULL DEFAULT 0,
    -- The registry configured through REGISTRY_URL; exempt from REGISTRY_ALLOWED_HOSTS.
    bootstrapped        INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT    NOT NULL,
    created_by          TEXT
);
