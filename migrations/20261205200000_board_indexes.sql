-- A workflow's board (`GET /api/board?workflow_definition_id=`) on a big table: its counts read
-- one covering index instead of every row; its Finished column walks the definition's runs
-- newest first; its other columns (runs not completed or cancelled, usually few) read a
-- partial index of those alone.
CREATE INDEX workflow_runs_definition_lanes ON workflow_runs (workflow_definition_id, status, current_phase, started_at);
CREATE INDEX workflow_runs_definition_id ON workflow_runs (workflow_definition_id, id DESC);
CREATE INDEX workflow_runs_definition_open ON workflow_runs (workflow_definition_id, id DESC)
    WHERE status NOT IN ('completed', 'cancelled');
