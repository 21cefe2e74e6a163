-- Hardening: secrets encrypted at rest, throttle notices, live sessions.

-- TOTP secrets move here, AES-256-GCM under the server's secret key (start-up encrypts the
-- existing clear-text column and empties it).
ALTER TABLE users ADD COLUMN totp_secret_encrypted TEXT;

-- 1 when code_hash is the keyed hash (HMAC-SHA256 under the server's secret key of the SHA-256
-- of the code); start-up wraps the older plain SHA-256 hashes, so their codes keep working.
ALTER TABLE backup_codes ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0;

-- Pending enrollments held their secret in clear: they last five minutes, so they simply end.
DELETE FROM login_challenges WHERE purpose = 'enroll';

CREATE INDEX login_failures_user_ip ON login_failures(username, ip, at);

-- One `login_throttled` audit event per key (user or address) per minute, with its count.
CREATE TABLE throttle_notices (
    key           TEXT    PRIMARY KEY,
    minute_start  INTEGER NOT NULL,
    refused       INTEGER NOT NULL,
    audit_id      INTEGER
);

-- Sessions issued and not yet ended (logout, revocation or expiry): the real count behind
-- `active_sessions`.
CREATE TABLE live_sessions (
    jti         TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX live_sessions_user ON live_sessions(user_id, expires_at);

-- Replaced by live_sessions: a revocation is now the deletion of the live row, and the count of
-- live rows is the session count.
DROP TABLE revoked_sessions;
ALTER TABLE users DROP COLUMN sessions_issued;

CREATE INDEX audit_log_time ON audit_log(time);
