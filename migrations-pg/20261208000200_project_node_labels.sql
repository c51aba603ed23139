-- The node labels a project's runs require (a JSON array of strings): on PostgreSQL a node
-- takes the project's runs only if it has its folder and every one of these labels.
ALTER TABLE projects ADD COLUMN node_labels TEXT NOT NULL DEFAULT '[]';
