-- A workflow file run from outside its project's `.agent/workflows/definitions/` was recorded
-- as one of the project's templates. It stays its runs' definition, but is no template.
UPDATE workflow_definitions
SET is_template = 0
WHERE NOT EXISTS (
    SELECT 1 FROM projects p
    WHERE p.id = workflow_definitions.project_id
      AND substr(workflow_definitions.path, 1, length(p.path) + 30) = p.path || '/.agent/workflows/definitions/'
      AND instr(substr(workflow_definitions.path, length(p.path) + 31), '/') = 0
);
