-- Reruns and definitions that change under a run (issue 15): a run started from another
-- (run again, or rerun from a step) records its parent and the step it forked at; a run
-- records the warnings a person accepted for it (a resume with the workflow's current code,
-- `resume --use-current`), as a JSON array of strings.
ALTER TABLE workflow_runs ADD COLUMN parent_run_id TEXT REFERENCES workflow_runs (id) ON DELETE SET NULL;
-- The step id (the workflow's key, e.g. `build`) the rerun started running for real at;
-- NULL for a run again (every step runs).
ALTER TABLE workflow_runs ADD COLUMN forked_from_step TEXT;
ALTER TABLE workflow_runs ADD COLUMN warnings TEXT;
-- A run's reruns, for its page.
CREATE INDEX workflow_runs_parent ON workflow_runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
