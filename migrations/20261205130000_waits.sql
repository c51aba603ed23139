-- Runs that wait for people, time and signals (issue 14): a run and a step can be `waiting`;
-- approval, sleep and signal steps; a `pause_now` request; what each waiting step waits for;
-- signals sent to a run; and the engine processes (nodes) that are alive, so that a CLI can
-- tell whether a server will continue a run it decides.
--
-- SQLite cannot change a CHECK with ALTER TABLE, and rebuilding `workflow_runs` and
-- `workflow_run_steps` needs foreign keys off, which cannot be switched inside the
-- transaction sqlx runs a migration in (dropping a parent table with them on would cascade
-- into the comments and artifacts). The CHECKs only widen, so every row already satisfies
-- them: the tables' stored definitions are edited in place, as
-- https://www.sqlite.org/lang_altertable.html ("Making Other Kinds Of Table Schema Changes")
-- allows for constraint changes that do not touch the stored data. The DDL that follows bumps
-- the schema version, so every other connection reads the new definitions too (and
-- `Store::open` migrates on a connection of its own, closed afterwards). A guard fails the
-- migration if an edit matched nothing.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(replace(sql,
       'CHECK (status IN (''pending'', ''running'', ''paused'', ''completed'', ''failed'', ''cancelled''))',
       'CHECK (status IN (''pending'', ''running'', ''waiting'', ''paused'', ''completed'', ''failed'', ''cancelled''))'),
       'CHECK (control_request IN (''pause'', ''cancel''))',
       'CHECK (control_request IN (''pause'', ''pause_now'', ''cancel''))')
 WHERE type = 'table' AND name = 'workflow_runs';
UPDATE sqlite_schema
   SET sql = replace(replace(sql,
       'CHECK (type IN (''script'', ''agent'', ''function''))',
       'CHECK (type IN (''script'', ''agent'', ''function'', ''approval'', ''sleep'', ''signal''))'),
       'CHECK (status IN (''pending'', ''running'', ''completed'', ''failed'', ''skipped''))',
       'CHECK (status IN (''pending'', ''running'', ''waiting'', ''completed'', ''failed'', ''skipped''))')
 WHERE type = 'table' AND name = 'workflow_run_steps';
-- RESET also makes this connection read the edited definitions again before the DDL below.
PRAGMA writable_schema = RESET;

CREATE TEMP TABLE migration_guard (edited INTEGER NOT NULL CHECK (edited = 1));
INSERT INTO migration_guard
    SELECT instr(sql, '''waiting'', ''paused''') > 0 AND instr(sql, '''pause_now''') > 0
      FROM sqlite_schema WHERE type = 'table' AND name = 'workflow_runs';
INSERT INTO migration_guard
    SELECT instr(sql, '''approval'', ''sleep'', ''signal''') > 0 AND instr(sql, '''waiting'', ''completed''') > 0
      FROM sqlite_schema WHERE type = 'table' AND name = 'workflow_run_steps';
DROP TABLE migration_guard;

-- When an engine must look at a `waiting` run again: its earliest timer or timeout, or the
-- moment a decision or signal resolved one of its waits. NULL: nothing to do.
ALTER TABLE workflow_runs ADD COLUMN wake_at TEXT;
-- The waker's query: waiting runs whose time has come.
CREATE INDEX workflow_runs_wake ON workflow_runs (wake_at) WHERE wake_at IS NOT NULL;

-- A step's end advances its run in the same statement (and so the same transaction) that
-- records the step; a wait decided (`waiting` -> `completed`/`failed`) advances it too.
DROP TRIGGER workflow_run_steps_advance_run;
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

