-- Every try of a retried step (issue 15): one row per attempt of a step row, with when it
-- started and ended, how it ended, its error and where its logs are (attempt 1 keeps the
-- step's own `logs/<step>`; later ones `logs/<step>/attempt-N`). A step that ran once has no
-- rows: the API shows its one attempt from the step's row.
CREATE TABLE workflow_step_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    step_row_id TEXT NOT NULL REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL CHECK (attempt >= 1),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'completed', 'failed', 'interrupted')),
    error TEXT,
    log_dir TEXT,
    UNIQUE (step_row_id, attempt)
);
