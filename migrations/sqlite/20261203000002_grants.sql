-- Repository permissions. A registry's default access: 'role' (the role decides, as before
-- grants existed) or 'none' (only grants give access).
ALTER TABLE registries ADD COLUMN default_access TEXT NOT NULL DEFAULT 'role'
    CHECK (default_access IN ('role', 'none'));

-- A grant gives one user read or write access to the repositories of one registry matching a
-- pattern. Deleting the user or the registry deletes its grants.
CREATE TABLE grants (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    registry_id  INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
    pattern      TEXT    NOT NULL,
    access       TEXT    NOT NULL CHECK (access IN ('read', 'write')),
    created_at   TEXT    NOT NULL,
    created_by   TEXT,
    UNIQUE (user_id, registry_id, pattern)
);
CREATE INDEX grants_registry ON grants(registry_id);
-- Covers the per-request read of one user's grants on one registry (no table lookups).
CREATE INDEX grants_user_registry ON grants(user_id, registry_id, access, pattern);
