-- Advisory locks on resources (paths or glob patterns). A row past expires_at is free and removed lazily.

CREATE TABLE locks (
    id TEXT PRIMARY KEY,
    resource TEXT NOT NULL,
    mode TEXT NOT NULL,
    holder_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
    intent TEXT,
    ttl_seconds REAL NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX locks_holder ON locks(holder_id);
CREATE INDEX locks_expires ON locks(expires_at);
