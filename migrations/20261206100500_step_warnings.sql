-- Agent supervision (issue 17, part C): what a person should know about a step that ended
-- (permission denials, a rerun that could not fork its agent's conversation), and when a
-- running agent last printed anything.
--
-- `warnings`: a JSON list of strings; NULL for none.
ALTER TABLE workflow_run_steps ADD COLUMN warnings TEXT;
-- `last_output_at`: RFC3339, when the agent CLI last wrote to stdout or stderr; written at
-- most every few seconds while the step runs (for "no output for N min" on the board).
ALTER TABLE workflow_run_steps ADD COLUMN last_output_at TEXT;
