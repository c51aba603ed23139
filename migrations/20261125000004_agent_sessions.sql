-- What an agent step's session needs beyond the spec's columns: whether the CLI persisted it
-- (only then can `--resume` continue it), how it ended, and the rest of its usage.
ALTER TABLE agent_sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'completed', 'failed'));
ALTER TABLE agent_sessions ADD COLUMN resumable INTEGER NOT NULL DEFAULT 0 CHECK (resumable IN (0, 1));
ALTER TABLE agent_sessions ADD COLUMN cached_tokens INTEGER;
ALTER TABLE agent_sessions ADD COLUMN num_turns INTEGER;
ALTER TABLE agent_sessions ADD COLUMN error_kind TEXT;
