-- Every event a run emits, kept so a WebSocket client reconnecting with `?since=<seq>` gets
-- what it missed, and so a server shows runs driven by other processes (the CLI) live.
CREATE TABLE workflow_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   TEXT NOT NULL,
    execution_id TEXT,
    type         TEXT NOT NULL,
    -- The event's `data` object (JSON).
    data         TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
-- Replay for one user's projects: events after a sequence number.
CREATE INDEX workflow_events_project_seq ON workflow_events (project_id, seq);
