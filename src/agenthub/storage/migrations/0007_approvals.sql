-- Approval requests: pending until the operator or another agent decides, or until they lapse to expired.

CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    action TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    requester_id TEXT,
    decided_by TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX approvals_status ON approvals(status, created_at);
CREATE INDEX approvals_pending_expiry ON approvals(expires_at) WHERE status = 'pending';
