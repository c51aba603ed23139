-- Many engine nodes (PostgreSQL; the same columns here keep the two schemas one).
-- `lease_version` grows by one each time an engine takes a run: every write a driver makes
-- for the run checks it, so a driver whose lease was taken over records nothing more.
-- `node_id` is the engine node that last drove the run (its run folder is on that node).
ALTER TABLE workflow_runs ADD COLUMN lease_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workflow_runs ADD COLUMN node_id TEXT;
-- A node's internal address (files of runs it drove are served through it), its labels
-- (which projects it takes) and its host name (shown in the nodes list).
ALTER TABLE engine_nodes ADD COLUMN address TEXT;
ALTER TABLE engine_nodes ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE engine_nodes ADD COLUMN hostname TEXT;
