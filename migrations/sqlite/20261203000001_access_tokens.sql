-- Access tokens: bearer secrets for scripts and CI, stored only as the SHA-256 of the secret
-- (a 190-bit random secret needs no slow hash, and a check must cost microseconds). Revoking
-- deletes the row; deleting the owner deletes their tokens.
CREATE TABLE access_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL UNIQUE,
    -- Comma-separated, canonical order: read,write,admin.
    scopes        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    last_used_ip  TEXT
);
CREATE INDEX access_tokens_user ON access_tokens(user_id, expires_at);
