-- Tasks: the queue, fenced leases, dependencies and the assignment history.

CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    creator_id TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    priority INTEGER NOT NULL DEFAULT 2,
    tags TEXT NOT NULL DEFAULT '[]',
    requirements TEXT NOT NULL DEFAULT '{}',
    assignee_id TEXT,
    depends_on TEXT NOT NULL DEFAULT '[]',
    waiting INTEGER NOT NULL DEFAULT 0, -- dependencies not completed yet; claimable only at 0
    result TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    lease_token TEXT,
    lease_seconds REAL,
    lease_expires_at TEXT,
    available_at TEXT NOT NULL, -- not claimable before (retry backoff)
    idempotency_key TEXT,
    due_date TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT
);
-- The claim order: most urgent first, then oldest, among ready pending tasks.
CREATE INDEX tasks_queue ON tasks(priority DESC, created_at) WHERE status = 'pending' AND waiting = 0;
CREATE INDEX tasks_leases ON tasks(lease_expires_at) WHERE status = 'in_progress';
CREATE INDEX tasks_assignee ON tasks(assignee_id, status);
CREATE INDEX tasks_status ON tasks(status, created_at);
CREATE INDEX tasks_created ON tasks(created_at);
CREATE INDEX tasks_due ON tasks(due_date) WHERE due_date IS NOT NULL;
CREATE INDEX tasks_idempotency ON tasks(idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE task_deps (
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on TEXT NOT NULL,
    PRIMARY KEY (task_id, depends_on)
) WITHOUT ROWID;
CREATE INDEX task_deps_reverse ON task_deps(depends_on, task_id);

CREATE TABLE task_assignments (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL,
    status TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX task_assignments_task ON task_assignments(task_id, assigned_at);
CREATE INDEX task_assignments_agent ON task_assignments(agent_id, assigned_at);
