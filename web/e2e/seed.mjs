// Seeding many finished runs straight into a test server's SQLite database (as the B6
// benchmark does), for the board's scale checks: the engine makes the few live runs a test
// needs; these are the history around them. `sqlite3` (the CLI) writes them in one transaction.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";

/** A run id as the server makes them (UUID v7, simple form): time-ordered by `ms`. */
export function runId(ms) {
  const hex = randomBytes(10).toString("hex");
  return `${ms.toString(16).padStart(12, "0")}7${hex.slice(0, 3)}${((parseInt(hex[3], 16) & 3) | 8).toString(16)}${hex.slice(4, 19)}`;
}

const sql = (s) => (s === null || s === undefined ? "NULL" : `'${String(s).replaceAll("'", "''")}'`);

/**
 * Inserts `n` runs of `definitionId` in the server's project, created one second apart
 * ending `endMs` (older than every live run), each with one step row. `shape(i)` gives a run's
 * `{status, phase, args, error}`.
 */
export function seedRuns(server, definitionId, n, endMs, shape) {
  const db = path.join(server.dir, "data", "workflow-engine.db");
  const lines = ["BEGIN;"];
  for (let i = 0; i < n; i++) {
    const ms = endMs - (n - i) * 1000;
    const at = new Date(ms).toISOString();
    const id = runId(ms);
    const s = shape(i);
    const ended = ["completed", "failed", "cancelled"].includes(s.status) ? at : null;
    lines.push(
      `INSERT INTO workflow_runs (id, project_id, workflow_definition_id, name, args, current_phase, status, error_message, started_at, completed_at, cancelled_at, created_at, updated_at) VALUES (` +
        [id, server.projectId, definitionId, s.name ?? `seeded ${i}`, JSON.stringify(s.args ?? {}), s.phase ?? null, s.status, s.error ?? null, s.status === "pending" ? null : at, s.status === "cancelled" ? null : ended, s.status === "cancelled" ? at : null, at, at]
          .map(sql)
          .join(", ") +
        ");",
    );
    lines.push(
      `INSERT INTO workflow_run_steps (id, workflow_run_id, step_id, step_index, name, phase, type, status, started_at, completed_at, created_at, updated_at) VALUES (` +
        [runId(ms), id, s.stepKey ?? "compile", 0, s.stepName ?? "compile", s.phase ?? "build", "script", s.status === "failed" ? "failed" : "completed", at, at, at, at].map(sql).join(", ") +
        ");",
    );
  }
  lines.push("COMMIT;");
  execFileSync("sqlite3", ["-cmd", ".timeout 10000", db], { input: lines.join("\n") });
}
