-- A step's end advances its run in the same statement (and so the same transaction) that
-- records the step: one round trip to the database per finished step instead of four.
CREATE TRIGGER workflow_run_steps_advance_run
AFTER UPDATE OF status ON workflow_run_steps
WHEN NEW.status IN ('completed', 'failed') AND OLD.status = 'running'
BEGIN
    UPDATE workflow_runs
       SET current_step_index = MAX(current_step_index, NEW.step_index + 1),
           current_phase = NEW.phase,
           updated_at = NEW.updated_at
     WHERE id = NEW.workflow_run_id;
END;
