-- The node labels a project's runs require (a JSON array of strings): on PostgreSQL a node
-- takes the project's runs only if it has its folder and every one of these labels.
ALTER TABLE projects ADD COLUMN node_labels TEXT NOT NULL DEFAULT '[]';
-- The process (`host/pid/nonce`) that last started under a node's id: a second process
-- started under the same id on the same machine while the first lives is refused.
ALTER TABLE engine_nodes ADD COLUMN process TEXT;
