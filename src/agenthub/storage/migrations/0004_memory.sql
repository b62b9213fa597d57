-- Shared memory: one row per live key, and every version a key ever had (oldest first by version).
-- A history row keeps the key's creator and access control at that version, so the history of a
-- deleted key stays as private as the key was.

CREATE TABLE memory (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_by TEXT,
    updated_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT,
    access_control TEXT
);
CREATE INDEX memory_expires ON memory(expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE memory_history (
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    memory_id TEXT NOT NULL,
    change TEXT NOT NULL,
    value TEXT,
    actor_id TEXT,
    at TEXT NOT NULL,
    created_by TEXT,
    access_control TEXT,
    PRIMARY KEY (key, version)
) WITHOUT ROWID;
