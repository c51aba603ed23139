-- Tokens can be revoked: one at a time (sign-out, `token revoke TOKEN`) by their `jti`, or all
-- of a user's at once (`token revoke --email`) by bumping the generation every token carries.

-- A token whose `gen` claim differs from its user's is refused.
ALTER TABLE users ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;

-- Kept until the token would have expired anyway (then purged on the next revocation).
-- Looked up by primary key on every authenticated request.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- RFC 3339 UTC, as every time here.
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL
);

-- The purge of expired rows.
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
