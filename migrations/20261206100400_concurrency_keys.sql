-- Concurrency keys (`concurrency: { key, limit }` in a definition): the run's key as rendered
-- from its arguments when it was created, and how many runs with that key may run at once.
-- A run claims `running` only while fewer than its limit of same-key runs are (`RunRow::claim`);
-- the partial index answers that count and the queue's "1/1 running".
ALTER TABLE workflow_runs ADD COLUMN concurrency_key TEXT;
ALTER TABLE workflow_runs ADD COLUMN concurrency_limit INTEGER CHECK (concurrency_limit IS NULL OR concurrency_limit >= 1);
CREATE INDEX workflow_runs_concurrency_key ON workflow_runs (concurrency_key, status)
    WHERE concurrency_key IS NOT NULL;
