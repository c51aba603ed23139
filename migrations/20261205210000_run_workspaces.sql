-- A run's git worktree (issue 17): one row per run whose workspace is a worktree, recorded
-- when the run is created (state `creating`), made before its first step (`active`), and
-- kept or removed when the run ends. `base` is the ref asked for, `base_commit` what it
-- resolved to (recorded before the worktree is added, so that a crash in between is
-- recognised on resume); `branch_template` is what the branch was named from, for a rerun.
CREATE TABLE run_workspaces (
    run_id          TEXT PRIMARY KEY NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    path            TEXT NOT NULL,
    repo_path       TEXT NOT NULL,
    branch          TEXT NOT NULL,
    branch_template TEXT NOT NULL,
    base            TEXT NOT NULL,
    base_commit     TEXT,
    state           TEXT NOT NULL DEFAULT 'creating'
                    CHECK (state IN ('creating', 'active', 'kept', 'removed', 'failed')),
    error           TEXT,
    keep            TEXT NOT NULL DEFAULT 'on-failure'
                    CHECK (keep IN ('always', 'on-failure', 'never')),
    delete_branch   INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    removed_at      TEXT,
    -- A rerun from a step: the parent's snapshot whose files the new worktree starts with
    -- (as uncommitted changes over `base_commit`, the parent branch's commit at that point),
    -- and when they were put there (once, before the first step).
    start_commit    TEXT,
    -- The run made its branch (`git worktree add -b` succeeded): only then is an existing
    -- branch of that name adopted on resume, and deleted with `deleteBranch`.
    branch_made     INTEGER NOT NULL DEFAULT 0,
    restored_at     TEXT
);
-- A definition's own `workspace:` settings as JSON (`{"isolation":"worktree",...}`), so that
-- the new-run form can show them; NULL when the file has none.
ALTER TABLE workflow_definitions ADD COLUMN workspace TEXT;
