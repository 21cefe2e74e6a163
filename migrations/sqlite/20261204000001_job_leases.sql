-- Background jobs that run once across every process sharing the database hold a lease here;
-- a process that dies mid-job loses it when it expires. (The PostgreSQL schema has the same
-- table in its first migration.)
CREATE TABLE job_leases (
    job          TEXT    PRIMARY KEY,
    holder       TEXT    NOT NULL,
    -- Unix milliseconds.
    expires_at   INTEGER NOT NULL
);
