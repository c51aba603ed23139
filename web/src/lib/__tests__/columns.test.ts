// Which column a run's card stands in.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Definition, RunSummary } from "../../api/types.js";
import { phaseColumns, statusColumns } from "../columns.js";

const def = { phases: ["plan", "work", "check"] } as unknown as Definition;
const run = (id: string, status: RunSummary["status"], current_phase: string | null, started_at: string | null) =>
  ({ id, status, current_phase, started_at }) as unknown as RunSummary;
const where = (runs: RunSummary[]) =>
  Object.fromEntries(phaseColumns(def, runs).flatMap((c) => c.runs.map((r) => [r.id, c.key])));

test("a new queued run waits in Not started; one queued to resume keeps its phase", () => {
  const cols = where([
    run("new", "pending", "plan", null),
    run("resumed", "pending", "work", "2026-01-01T00:00:00Z"),
    run("running", "running", "check", "2026-01-01T00:00:00Z"),
    run("failed", "failed", "work", "2026-01-01T00:00:00Z"),
  ]);
  assert.deepEqual(cols, { new: "__pending", resumed: "work", running: "check", failed: "__done" });
});

test("a waiting run stays in its phase column; the status view has a Waiting column", () => {
  const cols = where([run("gate", "waiting", "work", "2026-01-01T00:00:00Z"), run("queued-after-wait", "pending", "check", "2026-01-01T00:00:00Z")]);
  assert.deepEqual(cols, { gate: "work", "queued-after-wait": "check" });
  const byStatus = statusColumns([run("gate", "waiting", "work", "2026-01-01T00:00:00Z")]);
  const waiting = byStatus.find((c) => c.key === "waiting");
  assert.equal(waiting?.title, "Waiting");
  assert.deepEqual(waiting?.runs.map((r) => r.id), ["gate"]);
  assert.ok(byStatus.findIndex((c) => c.key === "waiting") < byStatus.findIndex((c) => c.key === "paused"), "next to running");
});
