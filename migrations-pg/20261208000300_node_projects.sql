-- Which projects' folders a node has (a JSON array of project ids), renewed with its
-- heartbeat: a request that needs a project's folder (creating a run, reading a definition's
-- file) is forwarded to a live node that has it.
ALTER TABLE engine_nodes ADD COLUMN projects TEXT NOT NULL DEFAULT '[]';
