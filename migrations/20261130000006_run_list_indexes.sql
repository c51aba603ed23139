-- The board's list pages by id (time-ordered), so the status filter needs an index in that
-- order too: without it, a project's runs of one status were sorted whole for every page.
CREATE INDEX workflow_runs_project_status_id ON workflow_runs (project_id, status, id DESC);
-- Superseded by the index above and by workflow_runs_project_id; every index is paid for on
-- each insert and status change of a run.
DROP INDEX workflow_runs_project_status;
DROP INDEX workflow_runs_project_created;
