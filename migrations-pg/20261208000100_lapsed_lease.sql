-- A run requeued because its driver's lease ran out keeps which node lost it and when
-- (`RunRow::requeue_expired`), until the node that takes it over says so in a system
-- comment on the run (`CommentRow::post_takeover`, which clears them).
ALTER TABLE workflow_runs ADD COLUMN lapsed_node TEXT;
ALTER TABLE workflow_runs ADD COLUMN lapsed_at TEXT;
