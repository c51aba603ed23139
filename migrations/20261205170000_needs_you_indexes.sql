-- "Needs you" (`GET /api/approvals`, the board's badge) lists the approvals and the retry waits
-- that wait now, oldest first, and the runs a budget stopped. With a second wait kind, the
-- open-waits index on (kind, created_at) no longer gives that order: SQLite read every open
-- wait of both kinds and sorted them before taking the first page (B9: 3.4 ms -> 17.7 ms with
-- 10,000 open gates). This index holds exactly the waits the query asks for, in its order; the
-- query's `WHERE` repeats the index's terms, as a partial index requires.
CREATE INDEX workflow_waits_needs_you ON workflow_waits (created_at)
    WHERE resolved_at IS NULL AND kind IN ('approval', 'retry');
-- The runs a budget stopped: a handful among many waiting runs.
CREATE INDEX workflow_runs_budget_stopped ON workflow_runs (updated_at) WHERE budget_stop IS NOT NULL;
