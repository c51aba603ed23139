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

-- A step whose tries ran out with `onExhausted: "wait"` waits for a person: a wait of the new
-- kind `retry`. The CHECK of `workflow_waits.kind` widens by editing the table's stored
-- definition, as 20261205130000_waits.sql explains (it only widens, so every row satisfies it).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (kind IN (''approval'', ''sleep'', ''signal''))',
       'CHECK (kind IN (''approval'', ''sleep'', ''signal'', ''retry''))')
 WHERE type = 'table' AND name = 'workflow_waits';
PRAGMA writable_schema = RESET;

CREATE TEMP TABLE migration_guard (edited INTEGER NOT NULL CHECK (edited = 1));
INSERT INTO migration_guard
    SELECT instr(sql, '''signal'', ''retry''') > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'workflow_waits';
DROP TABLE migration_guard;
