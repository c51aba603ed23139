-- The whole schema on PostgreSQL, as the SQLite migrations (`migrations/`) leave it.
-- The two sets are kept in step by `store::schema_checks::backends_agree` (every table,
-- column and index of one is in the other). Times are RFC 3339 text, as on SQLite, so
-- both backends store, sort and compare them alike; flags are BOOLEAN (0/1 on SQLite).

CREATE TABLE users (
    id               TEXT PRIMARY KEY NOT NULL,
    email            TEXT NOT NULL UNIQUE,
    name             TEXT,
    password_hash    TEXT NOT NULL,
    is_admin         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    token_generation BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

CREATE TABLE projects (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    path       TEXT NOT NULL UNIQUE,
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
    path        TEXT NOT NULL UNIQUE,
    phases      TEXT NOT NULL DEFAULT '[]',
    args_schema TEXT,
    load_error  TEXT,
    is_template BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    workspace   TEXT
);
CREATE INDEX workflow_definitions_project ON workflow_definitions (project_id);

CREATE TABLE workflow_runs (
    id                     TEXT PRIMARY KEY NOT NULL,
    project_id             TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id                TEXT REFERENCES users (id) ON DELETE SET NULL,
    workflow_definition_id TEXT NOT NULL REFERENCES workflow_definitions (id),
    name                   TEXT NOT NULL,
    args                   TEXT NOT NULL DEFAULT '{}',
    current_phase          TEXT,
    current_step_index     BIGINT NOT NULL DEFAULT 0,
    status                 TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'waiting', 'paused', 'completed', 'failed', 'cancelled')),
    error_message          TEXT,
    timeout_ms             BIGINT,
    lease_owner            TEXT,
    lease_expires_at       TEXT,
    started_at             TEXT,
    completed_at           TEXT,
    paused_at              TEXT,
    cancelled_at           TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    control_request        TEXT CHECK (control_request IN ('pause', 'pause_now', 'cancel')),
    wake_at                TEXT,
    parent_run_id          TEXT REFERENCES workflow_runs (id) ON DELETE SET NULL,
    forked_from_step       TEXT,
    warnings               TEXT,
    budget                 TEXT,
    budget_stop            TEXT,
    concurrency_key        TEXT,
    concurrency_limit      BIGINT CHECK (concurrency_limit IS NULL OR concurrency_limit >= 1),
    lease_version          BIGINT NOT NULL DEFAULT 0,
    node_id                TEXT
);
CREATE INDEX workflow_runs_status ON workflow_runs (status);
CREATE INDEX workflow_runs_project_id ON workflow_runs (project_id, id DESC);
CREATE INDEX workflow_runs_project_status_id ON workflow_runs (project_id, status, id DESC);
CREATE INDEX workflow_runs_wake ON workflow_runs (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX workflow_runs_parent ON workflow_runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX workflow_runs_budget_stopped ON workflow_runs (updated_at) WHERE budget_stop IS NOT NULL;
CREATE INDEX workflow_runs_definition_lanes ON workflow_runs (workflow_definition_id, status, current_phase, started_at);
CREATE INDEX workflow_runs_definition_id ON workflow_runs (workflow_definition_id, id DESC);
CREATE INDEX workflow_runs_definition_open ON workflow_runs (workflow_definition_id, id DESC)
    WHERE status NOT IN ('completed', 'cancelled');
CREATE INDEX workflow_runs_concurrency_key ON workflow_runs (concurrency_key, status)
    WHERE concurrency_key IS NOT NULL;

CREATE TABLE agent_sessions (
    id                TEXT PRIMARY KEY NOT NULL,
    agent             TEXT NOT NULL CHECK (agent IN ('claude', 'codex', 'gemini')),
    session_id        TEXT,
    model             TEXT,
    session_file_path TEXT,
    cost_usd          DOUBLE PRECISION,
    input_tokens      BIGINT,
    output_tokens     BIGINT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    resumable         BOOLEAN NOT NULL DEFAULT FALSE,
    cached_tokens     BIGINT,
    num_turns         BIGINT,
    error_kind        TEXT,
    step_row_id       TEXT
);

CREATE TABLE workflow_run_steps (
    id                 TEXT PRIMARY KEY NOT NULL,
    workflow_run_id    TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    step_id            TEXT NOT NULL,
    step_index         BIGINT NOT NULL,
    name               TEXT NOT NULL,
    phase              TEXT NOT NULL,
    type               TEXT NOT NULL CHECK (type IN ('script', 'agent', 'function', 'approval', 'sleep', 'signal')),
    status             TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'waiting', 'completed', 'failed', 'skipped')),
    result             TEXT,
    continue_on_error  BOOLEAN NOT NULL DEFAULT FALSE,
    attempt            BIGINT NOT NULL DEFAULT 1,
    log_directory_path TEXT,
    agent_session_id   TEXT REFERENCES agent_sessions (id) ON DELETE SET NULL,
    error_message      TEXT,
    started_at         TEXT,
    completed_at       TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    warnings           TEXT,
    last_output_at     TEXT,
    UNIQUE (workflow_run_id, step_id)
);
CREATE INDEX workflow_run_steps_run_index ON workflow_run_steps (workflow_run_id, step_index);
-- The two tables reference each other; the second reference once both exist.
ALTER TABLE agent_sessions ADD FOREIGN KEY (step_row_id) REFERENCES workflow_run_steps (id) ON DELETE CASCADE;
CREATE INDEX agent_sessions_step_row ON agent_sessions (step_row_id) WHERE step_row_id IS NOT NULL;

-- As SQLite's `workflow_run_steps_advance_run`: a step that ends moves its run's position.
CREATE FUNCTION workflow_run_steps_advance_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workflow_runs
       SET current_step_index = GREATEST(current_step_index, NEW.step_index + 1),
           current_phase = NEW.phase,
           updated_at = NEW.updated_at
     WHERE id = NEW.workflow_run_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER workflow_run_steps_advance_run
AFTER UPDATE OF status ON workflow_run_steps
FOR EACH ROW
WHEN (NEW.status IN ('completed', 'failed') AND OLD.status IN ('running', 'waiting'))
EXECUTE FUNCTION workflow_run_steps_advance_run();

CREATE TABLE workflow_comments (
    id                   TEXT PRIMARY KEY NOT NULL,
    workflow_run_id      TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    workflow_run_step_id TEXT REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    text                 TEXT NOT NULL,
    comment_type         TEXT NOT NULL DEFAULT 'user' CHECK (comment_type IN ('user', 'system', 'agent')),
    created_by           TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX workflow_comments_run ON workflow_comments (workflow_run_id, created_at);

CREATE TABLE workflow_artifacts (
    id                   TEXT PRIMARY KEY NOT NULL,
    workflow_run_step_id TEXT NOT NULL REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    workflow_comment_id  TEXT REFERENCES workflow_comments (id) ON DELETE SET NULL,
    name                 TEXT NOT NULL,
    file_path            TEXT NOT NULL,
    file_type            TEXT NOT NULL CHECK (file_type IN ('image', 'video', 'document', 'code', 'other')),
    mime_type            TEXT NOT NULL,
    size_bytes           BIGINT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX workflow_artifacts_step ON workflow_artifacts (workflow_run_step_id);
CREATE INDEX workflow_artifacts_comment ON workflow_artifacts (workflow_comment_id);

-- `seq` is given out under a transaction lock (`store::events`), so the order of seq is the
-- order of commits and a reader that has seen seq N never later finds a smaller one.
CREATE TABLE workflow_events (
    seq          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id   TEXT NOT NULL,
    execution_id TEXT,
    type         TEXT NOT NULL,
    data         TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX workflow_events_project_seq ON workflow_events (project_id, seq);

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL
);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

CREATE TABLE project_secrets (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    nonce      BYTEA NOT NULL,
    ciphertext BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE workflow_waits (
    step_row_id     TEXT PRIMARY KEY NOT NULL REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    workflow_run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('approval', 'sleep', 'signal', 'retry')),
    spec            TEXT NOT NULL DEFAULT '{}',
    signal_name     TEXT,
    deadline        TEXT,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT
);
CREATE INDEX workflow_waits_run ON workflow_waits (workflow_run_id);
CREATE INDEX workflow_waits_open ON workflow_waits (kind, created_at) WHERE resolved_at IS NULL;
CREATE INDEX workflow_waits_needs_you ON workflow_waits (created_at)
    WHERE resolved_at IS NULL AND kind IN ('approval', 'retry');

CREATE TABLE workflow_signals (
    id              TEXT PRIMARY KEY NOT NULL,
    workflow_run_id TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    payload         TEXT NOT NULL DEFAULT 'null',
    idempotency_key TEXT,
    consumed_by     TEXT REFERENCES workflow_run_steps (id) ON DELETE SET NULL,
    created_by      TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (workflow_run_id, idempotency_key)
);
CREATE INDEX workflow_signals_unconsumed ON workflow_signals (workflow_run_id, name, created_at)
    WHERE consumed_by IS NULL;

CREATE TABLE engine_nodes (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('serve')),
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    address      TEXT,
    labels       TEXT NOT NULL DEFAULT '[]',
    hostname     TEXT
);

CREATE TABLE workflow_step_attempts (
    id          TEXT PRIMARY KEY NOT NULL,
    step_row_id TEXT NOT NULL REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    attempt     BIGINT NOT NULL CHECK (attempt >= 1),
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'completed', 'failed', 'interrupted')),
    error       TEXT,
    log_dir     TEXT,
    UNIQUE (step_row_id, attempt)
);

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
    keep            TEXT NOT NULL DEFAULT 'on-failure' CHECK (keep IN ('always', 'on-failure', 'never')),
    delete_branch   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TEXT NOT NULL,
    removed_at      TEXT,
    start_commit    TEXT,
    branch_made     BOOLEAN NOT NULL DEFAULT FALSE,
    restored_at     TEXT
);

CREATE TABLE step_snapshots (
    step_row_id   TEXT PRIMARY KEY NOT NULL REFERENCES workflow_run_steps (id) ON DELETE CASCADE,
    run_id        TEXT NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    "commit"      TEXT NOT NULL,
    parent        TEXT NOT NULL,
    files_changed TEXT NOT NULL DEFAULT '[]',
    additions     BIGINT NOT NULL DEFAULT 0,
    deletions     BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    head          TEXT
);
CREATE INDEX step_snapshots_run ON step_snapshots (run_id, created_at);

-- The index a run's new step takes: one more than its largest. Steps of one run may begin at
-- once on PostgreSQL (parallel steps), so the run's steps are counted under a transaction
-- lock of the run, with a snapshot taken after the lock (each statement of a VOLATILE
-- function takes its own): the second of two steps beginning together sees the first.
-- The store writes `(SELECT COALESCE(MAX(step_index) + 1, 0) …)` and `store::dialect`
-- turns it into this call.
CREATE FUNCTION workflow_engine_next_step_index(run TEXT) RETURNS BIGINT
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('step_index:' || run));
    RETURN (SELECT COALESCE(MAX(step_index) + 1, 0) FROM workflow_run_steps WHERE workflow_run_id = run);
END;
$$;
