-- The hub spine: agents and their tokens, channel subscriptions, the message stream, receipts.

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'offline',
    capabilities TEXT NOT NULL DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    parent_id TEXT,
    created_at TEXT NOT NULL,
    last_seen TEXT,
    cursor_seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE agent_tokens (
    token_hash TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX agent_tokens_agent ON agent_tokens(agent_id);

CREATE TABLE subscriptions (
    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    pattern TEXT NOT NULL,
    since_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (agent_id, pattern)
);

CREATE TABLE channels (
    name TEXT PRIMARY KEY,
    message_count INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    channel TEXT,
    sender_id TEXT,
    recipients TEXT NOT NULL DEFAULT '[]',
    task_id TEXT,
    thread_id TEXT,
    title TEXT,
    content TEXT NOT NULL,
    message_type TEXT NOT NULL DEFAULT 'text',
    metadata TEXT NOT NULL DEFAULT '{}',
    msg_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX messages_channel ON messages(channel, seq);
CREATE INDEX messages_sender ON messages(sender_id, seq);
CREATE INDEX messages_task ON messages(task_id, seq) WHERE task_id IS NOT NULL;
CREATE INDEX messages_thread ON messages(thread_id, seq) WHERE thread_id IS NOT NULL;

-- Direct delivery and receipts: one row per (recipient, message).
CREATE TABLE message_recipients (
    agent_id TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES messages(seq) ON DELETE CASCADE,
    delivered_at TEXT,
    read_at TEXT,
    PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;
CREATE INDEX message_recipients_seq ON message_recipients(seq);

-- Idempotent publish: a sender's msg_id maps to the message it first created.
CREATE TABLE message_dedup (
    sender_key TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (sender_key, msg_id)
) WITHOUT ROWID;
CREATE INDEX message_dedup_created ON message_dedup(created_at);

CREATE VIRTUAL TABLE messages_fts USING fts5(title, content, content='messages', content_rowid='seq');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, title, content) VALUES (new.seq, new.title, new.content);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, title, content) VALUES ('delete', old.seq, old.title, old.content);
END;
