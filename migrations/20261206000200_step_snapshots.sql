-- A snapshot per step of a worktree run (issue 17): after a script or agent step ends, the
-- run's worktree is recorded as a commit on `refs/workflow-engine/<run-id>/<step-row-id>`
-- (parent: the run's previous snapshot, or the worktree's base commit). One row per step row
-- with what changed since the parent (`files_changed`, a JSON array of
-- {path, old_path?, status, additions, deletions, binary}).
CREATE TABLE step_snapshots (
    step_row_id   TEXT PRIMARY KEY NOT NULL REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    run_id        TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    "commit"      TEXT NOT NULL,
    parent        TEXT NOT NULL,
    files_changed TEXT NOT NULL DEFAULT '[]',
    additions     INTEGER NOT NULL DEFAULT 0,
    deletions     INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    -- The worktree's HEAD (its branch's commit) when the snapshot was taken: where a rerun
    -- from the next step starts its branch, the snapshot's files put over it.
    head          TEXT
);
-- A run's snapshots newest first: the parent of the next one, the whole run's diff.
CREATE INDEX step_snapshots_run ON step_snapshots (run_id, created_at);
