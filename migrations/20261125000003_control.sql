-- Pause and cancel for a run driven by another process (a CLI run seen on the board): the
-- API writes the request here, and the driving engine picks it up within a second.
ALTER TABLE workflow_runs ADD COLUMN control_request TEXT CHECK (control_request IN ('pause', 'cancel'));
-- Keyset pagination of a project's runs, newest first (ids are time-ordered).
CREATE INDEX workflow_runs_project_id ON workflow_runs (project_id, id DESC);
