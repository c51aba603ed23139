-- The gates waiting now, oldest first (`GET /api/approvals`, the board's "needs you"): only
-- the waits not yet resolved, whatever how many were resolved before.
CREATE INDEX workflow_waits_open ON workflow_waits (kind, created_at) WHERE resolved_at IS NULL;
