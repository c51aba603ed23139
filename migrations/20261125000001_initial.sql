-- The spec's five workflow tables plus the three it calls existing (users, projects,
-- agent_sessions). Ids are TEXT (uuid v7: time-ordered), times are RFC 3339 UTC TEXT, JSON is
-- TEXT. Kept portable to PostgreSQL: no SQLite-only types or functions.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE projects (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    -- Absolute directory; `.agent/workflows/` lives under it.
    path       TEXT NOT NULL UNIQUE,
    -- NULL for projects first seen by the CLI; admins see those.
    owner_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE project_members (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE TABLE workflow_definitions (
    id          TEXT PRIMARY KEY NOT NULL,
    project_id  TEXT REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT,
    type        TEXT NOT NULL CHECK (type IN ('code', 'yaml')),
    -- Absolute path of the file.
    path        TEXT NOT NULL UNIQUE,
    phases      TEXT NOT NULL DEFAULT '[]',
    args_schema TEXT,
    -- The file's parse error (with location) when it does not parse; the row stays visible.
    load_error  TEXT,
    is_template INTEGER NOT NULL DEFAULT 1 CHECK (is_template IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
-- Templates page: definitions of a project.
CREATE INDEX workflow_definitions_project ON workflow_definitions (project_id);

CREATE TABLE workflow_runs (
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
        CHECK (status IN ('pending', 'running', 'paused', 'completed', 'failed', 'cancelled')),
    error_message          TEXT,
    -- Run-level timeout in milliseconds (definition or --timeout), NULL for none.
    timeout_ms             INTEGER,
    -- Set while an engine process drives the run; lets `resume` tell a crashed run from a live one.
    lease_owner            TEXT,
    lease_expires_at       TEXT,
    started_at             TEXT,
    completed_at           TEXT,
    paused_at              TEXT,
    cancelled_at           TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
-- The board's query: a project's runs, newest first, optionally by status.
CREATE INDEX workflow_runs_project_created ON workflow_runs (project_id, created_at DESC);
CREATE INDEX workflow_runs_project_status ON workflow_runs (project_id, status, created_at DESC);
-- Start-up recovery: runs left running.
CREATE INDEX workflow_runs_status ON workflow_runs (status);

CREATE TABLE agent_sessions (
    id                 TEXT PRIMARY KEY NOT NULL,
    agent              TEXT NOT NULL CHECK (agent IN ('claude', 'codex', 'gemini')),
    -- The CLI's own session/thread id.
    session_id         TEXT,
    model              TEXT,
    session_file_path  TEXT,
    cost_usd           REAL,
    input_tokens       INTEGER,
    output_tokens      INTEGER,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE workflow_run_steps (
    id                 TEXT PRIMARY KEY NOT NULL,
    workflow_run_id    TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    -- The identifier the workflow gave the step; unique within a run.
    step_id            TEXT NOT NULL,
    -- Order in which the run first started the step: the N of checkpoints/step-N.json.
    step_index         INTEGER NOT NULL,
    name               TEXT NOT NULL,
    phase              TEXT NOT NULL,
    type               TEXT NOT NULL CHECK (type IN ('script', 'agent', 'function')),
    status             TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
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
-- Run detail: a run's steps in order.
CREATE INDEX workflow_run_steps_run_index ON workflow_run_steps (workflow_run_id, step_index);

CREATE TABLE workflow_comments (
    id                  TEXT PRIMARY KEY NOT NULL,
    workflow_run_id     TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    workflow_run_step_id TEXT REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    text                TEXT NOT NULL,
    comment_type        TEXT NOT NULL DEFAULT 'user' CHECK (comment_type IN ('user', 'system', 'agent')),
    -- NULL for system and agent comments written by the engine.
    created_by          TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
-- Comment threads of a run (and of a step).
CREATE INDEX workflow_comments_run ON workflow_comments (workflow_run_id, created_at);

CREATE TABLE workflow_artifacts (
    id                   TEXT PRIMARY KEY NOT NULL,
    workflow_run_step_id TEXT NOT NULL REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    workflow_comment_id  TEXT REFERENCES workflow_comments (id) ON DELETE SET NULL,
    name                 TEXT NOT NULL,
    -- Relative to the project root.
    file_path            TEXT NOT NULL,
    file_type            TEXT NOT NULL CHECK (file_type IN ('image', 'video', 'document', 'code', 'other')),
    mime_type            TEXT NOT NULL,
    size_bytes           INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
-- A step's artifacts; a comment's attachments.
CREATE INDEX workflow_artifacts_step ON workflow_artifacts (workflow_run_step_id);
CREATE INDEX workflow_artifacts_comment ON workflow_artifacts (workflow_comment_id);
