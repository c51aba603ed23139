-- Emails are compared ignoring (ASCII) case: `Ann@x.org` and `ann@x.org` are one account,
-- found by `UserRow::by_email` (`lower(email) = lower(?)`), which this index serves.
--
-- Accounts made before this differing only in case: the oldest keeps its email; each later
-- one is renamed `duplicate-<id>+<email>` (it signs in with that name and its own password,
-- and keeps its projects and runs) rather than being merged or deleted.
UPDATE users
SET email = 'duplicate-' || id || '+' || email
WHERE EXISTS (
    SELECT 1 FROM users AS older
    WHERE lower(older.email) = lower(users.email)
      AND (older.created_at < users.created_at OR (older.created_at = users.created_at AND older.id < users.id))
);

CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
