-- Per-project secrets. The value is sealed (XChaCha20-Poly1305, the project and the name as
-- associated data) with a key kept outside the database (`secrets.key` in the data directory
-- or WORKFLOW_ENGINE_SECRETS_KEY): a copy of the database alone reveals names, not values.

CREATE TABLE project_secrets (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
);
