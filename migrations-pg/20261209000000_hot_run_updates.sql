-- A step's end advances its run's row (`current_step_index`, `updated_at`), once per step.
-- PostgreSQL rewrites a row in place (a HOT update: no index entry added) only when no
-- column any index uses changes, and `updated_at` keyed `workflow_runs_budget_stopped`: so
-- every step's end added an entry to each of the table's eleven indexes (1,320 bytes of WAL
-- a step, against 820 now). The index keeps its name and its rows (the runs a limit stopped)
-- and keys on `status`, which its one query filters on; that query sorts the few such runs
-- by `updated_at` itself. Each page of both tables keeps room for the rows' new versions.
DROP INDEX workflow_runs_budget_stopped;
CREATE INDEX workflow_runs_budget_stopped ON workflow_runs (status) WHERE budget_stop IS NOT NULL;
ALTER TABLE workflow_runs SET (fillfactor = 80);
ALTER TABLE workflow_run_steps SET (fillfactor = 90);
