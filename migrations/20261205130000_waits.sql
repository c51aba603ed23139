-- no-transaction
-- Runs that wait for people, time and signals (issue 14): a run and a step can be `waiting`;
-- approval, sleep and signal steps; what each waiting step waits for; signals sent to a run;
-- and the engine processes (nodes) that are alive, so that a CLI can tell whether a server
-- will continue a run it decides.
--
-- SQLite cannot change a CHECK in place: `workflow_runs` and `workflow_run_steps` are rebuilt
-- (https://www.sqlite.org/lang_altertable.html, "other kinds of table schema changes"), with
-- foreign keys off while both tables are replaced, hence no transaction around the file; the
-- rebuild itself is one transaction, and `foreign_key_check` must find nothing before it
-- commits.
PRAGMA foreign_keys = OFF;

BEGIN;

CREATE TABLE workflow_runs_new (
    id                     TEXT PRIMARY KEY NOT NULL,
    project_id             TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- NULL for runs started from the CLI.
    user_id                TEXT REFERENCES users (id) ON DELETE SET NULL,
    workflow_definition_id TEXT NOT NULL REFERENCES workflow_definitions (id),
    name                   TEXT NOT NULL,
    args                   TEXT NOT NULL DEFAULT '{}',
    current_phase          TEXT,
    current_step_index     INTEGER NOT NULL DEFAULT 0,
    status                 TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'waiting', 'paused', 'completed', 'failed', 'cancelled')),
    error_message          TEXT,
    -- Run-level timeout in milliseconds (definition or --timeout), NULL for none.
    timeout_ms             INTEGER,
    -- Set while an engine process drives the run (or, on a `waiting` run, while a terminal
    -- attends it); lets `resume` tell a crashed run from a live one.
    lease_owner            TEXT,
    lease_expires_at       TEXT,
    started_at             TEXT,
    completed_at           TEXT,
    paused_at              TEXT,
    cancelled_at           TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    control_request        TEXT CHECK (control_request IN ('pause', 'pause_now', 'cancel')),
    -- When an engine must look at a `waiting` run again: its earliest timer or timeout, or
    -- the moment a decision or signal resolved one of its waits. NULL: nothing to do.
    wake_at                TEXT
);
INSERT INTO workflow_runs_new (id, project_id, user_id, workflow_definition_id, name, args,
        current_phase, current_step_index, status, error_message, timeout_ms, lease_owner,
        lease_expires_at, started_at, completed_at, paused_at, cancelled_at, created_at,
        updated_at, control_request)
    SELECT id, project_id, user_id, workflow_definition_id, name, args, current_phase,
        current_step_index, status, error_message, timeout_ms, lease_owner, lease_expires_at,
        started_at, completed_at, paused_at, cancelled_at, created_at, updated_at, control_request
    FROM workflow_runs;

CREATE TABLE workflow_run_steps_new (
    id                 TEXT PRIMARY KEY NOT NULL,
    workflow_run_id    TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    -- The identifier the workflow gave the step; unique within a run.
    step_id            TEXT NOT NULL,
    -- Order in which the run first started the step: the N of checkpoints/step-N.json.
    step_index         INTEGER NOT NULL,
    name               TEXT NOT NULL,
    phase              TEXT NOT NULL,
    type               TEXT NOT NULL
        CHECK (type IN ('script', 'agent', 'function', 'approval', 'sleep', 'signal')),
    status             TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'waiting', 'completed', 'failed', 'skipped')),
    -- The StepResult handed back to the workflow (JSON); the memo replayed on resume.
    result             TEXT,
    -- 1 when a failed result was returned to the workflow (continueOnError) and so is memoized.
    continue_on_error  INTEGER NOT NULL DEFAULT 0 CHECK (continue_on_error IN (0, 1)),
    attempt            INTEGER NOT NULL DEFAULT 1,
    log_directory_path TEXT,
    agent_session_id   TEXT REFERENCES agent_sessions (id) ON DELETE SET NULL,
    error_message      TEXT,
    started_at         TEXT,
    completed_at       TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (workflow_run_id, step_id)
);
INSERT INTO workflow_run_steps_new SELECT * FROM workflow_run_steps;

DROP TABLE workflow_run_steps;
DROP TABLE workflow_runs;
ALTER TABLE workflow_runs_new RENAME TO workflow_runs;
ALTER TABLE workflow_run_steps_new RENAME TO workflow_run_steps;

CREATE INDEX workflow_runs_status ON workflow_runs (status);
CREATE INDEX workflow_runs_project_id ON workflow_runs (project_id, id DESC);
CREATE INDEX workflow_runs_project_status_id ON workflow_runs (project_id, status, id DESC);
-- The waker's query: waiting runs whose time has come.
CREATE INDEX workflow_runs_wake ON workflow_runs (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX workflow_run_steps_run_index ON workflow_run_steps (workflow_run_id, step_index);

-- A step's end advances its run in the same statement (and so the same transaction) that
-- records the step; a wait decided (`waiting` → `completed`/`failed`) advances it too.
CREATE TRIGGER workflow_run_steps_advance_run
AFTER UPDATE OF status ON workflow_run_steps
WHEN NEW.status IN ('completed', 'failed') AND OLD.status IN ('running', 'waiting')
BEGIN
    UPDATE workflow_runs
       SET current_step_index = MAX(current_step_index, NEW.step_index + 1),
           current_phase = NEW.phase,
           updated_at = NEW.updated_at
     WHERE id = NEW.workflow_run_id;
END;

-- What a waiting step waits for, kept after it is resolved (the gate's title and form stay
-- readable on a decided step). One row per approval, sleep or signal step row.
CREATE TABLE workflow_waits (
    step_row_id     TEXT PRIMARY KEY NOT NULL REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    workflow_run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('approval', 'sleep', 'signal')),
    -- An approval's title, description, approvers, form and onTimeout (JSON).
    spec            TEXT NOT NULL DEFAULT '{}',
    signal_name     TEXT,
    -- A sleep's wake time, or when an approval or signal wait times out; NULL for never.
    deadline        TEXT,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT
);
CREATE INDEX workflow_waits_run ON workflow_waits (workflow_run_id);

-- Signals sent to a run: kept until a `waitForSignal` of that name takes them, oldest first.
CREATE TABLE workflow_signals (
    id              TEXT PRIMARY KEY NOT NULL,
    workflow_run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    payload         TEXT NOT NULL DEFAULT 'null',
    idempotency_key TEXT,
    -- The step row that took it; NULL while it waits for one.
    consumed_by     TEXT REFERENCES workflow_run_steps (id) ON DELETE SET NULL,
    created_by      TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (workflow_run_id, idempotency_key)
);
CREATE INDEX workflow_signals_unconsumed ON workflow_signals (workflow_run_id, name, created_at)
    WHERE consumed_by IS NULL;

-- Engine processes that are alive: `serve` writes its row and renews it; a CLI that records
-- a decision asks whether a server will continue the run.
CREATE TABLE engine_nodes (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('serve')),
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);

PRAGMA foreign_key_check;
COMMIT;

PRAGMA foreign_keys = ON;
