-- registry-gui as the registry's login (token service) and its push/delete notifications.

-- The `service` of the registry's `auth.token`; NULL when registry-gui does not issue its
-- tokens. Two registries cannot share one.
ALTER TABLE registries ADD COLUMN token_service TEXT;
CREATE UNIQUE INDEX registries_token_service ON registries(token_service)
    WHERE token_service IS NOT NULL;
-- Newline-separated patterns (grant grammar) anyone may pull without credentials.
ALTER TABLE registries ADD COLUMN anonymous_pull TEXT NOT NULL DEFAULT '';
-- SHA-256 of the bearer secret the registry's notifications carry (write-only).
ALTER TABLE registries ADD COLUMN events_secret_hash TEXT;

-- Manifest events from the registry's notifications, once per event id.
CREATE TABLE registry_events (
    registry_id  INTEGER NOT NULL REFERENCES registries(id) ON DELETE CASCADE,
    event_id     TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    repository   TEXT    NOT NULL,
    tag          TEXT,
    digest       TEXT,
    actor        TEXT,
    addr         TEXT,
    -- Unix seconds of the event's own timestamp.
    at           INTEGER NOT NULL,
    PRIMARY KEY (registry_id, event_id)
);
CREATE INDEX registry_events_push ON registry_events(registry_id, repository, tag, digest, at);
CREATE INDEX registry_events_at ON registry_events(at);
