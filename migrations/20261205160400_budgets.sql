-- Budgets for agent spend (issue 15): a run's limits, why a limit stopped it, and which run
-- an agent session spent for.
--
-- `budget`: the run's limits as JSON `{"usd":5,"tokens":200000,"duration_ms":1800000}`, any
-- of them left out; NULL for none.
ALTER TABLE workflow_runs ADD COLUMN budget TEXT;
-- `budget_stop`: set while the run waits for a person because a limit was reached, as JSON
-- (which limit, spent, the limit, the step); NULL otherwise. A raise clears it.
ALTER TABLE workflow_runs ADD COLUMN budget_stop TEXT;
-- The step row a session ran for: a step that retried or restarted spent in several sessions,
-- and the step links only its last one (`workflow_run_steps.agent_session_id`).
ALTER TABLE agent_sessions ADD COLUMN step_row_id TEXT REFERENCES workflow_run_steps (id) ON DELETE CASCADE;
CREATE INDEX agent_sessions_step_row ON agent_sessions (step_row_id) WHERE step_row_id IS NOT NULL;
