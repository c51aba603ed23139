// The waterfall's layout: parallel steps overlap, tries are bars with the gaps between them,
// waits are their own kind, the queue before the start is a row, ticks are round.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunDetail, Step } from "../../api/types.js";
import { layoutWaterfall, overlap, position, stepSegments, ticks } from "../waterfall.js";

const T0 = Date.parse("2026-01-01T10:00:00Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

function step(p: Partial<Step> & { step_id: string }): Step {
  return {
    id: `row-${p.step_id}`,
    workflow_run_id: "r",
    step_index: 0,
    name: p.step_id,
    phase: "work",
    type: "script",
    status: "completed",
    attempt: 1,
    continue_on_error: false,
    started_at: null,
    completed_at: null,
    error_message: null,
    attempts: null,
    ...p,
  } as Step;
}

function run(p: Partial<RunDetail>): RunDetail {
  return { id: "r", status: "completed", created_at: at(0), started_at: at(0), completed_at: null, cancelled_at: null, paused_at: null, updated_at: at(0), steps: [], ...p } as RunDetail;
}

test("two steps that ran at once overlap; one after the other do not", () => {
  const a = step({ step_id: "a", step_index: 0, started_at: at(1000), completed_at: at(3000) });
  const b = step({ step_id: "b", step_index: 1, started_at: at(1100), completed_at: at(2900) });
  const c = step({ step_id: "c", step_index: 2, started_at: at(3100), completed_at: at(4000) });
  const w = layoutWaterfall(run({ steps: [c, b, a], completed_at: at(4000) }), T0 + 10_000);
  assert.deepEqual(
    w.rows.map((r) => r.key),
    ["a", "b", "c"],
    "in the order they started",
  );
  assert.equal(overlap(w.rows[0], w.rows[1]), true);
  assert.equal(overlap(w.rows[1], w.rows[2]), false);
  assert.equal(w.start, T0);
  assert.equal(w.end, T0 + 4000);
  assert.equal(position(w, T0 + 2000), 50);
});

test("a step's tries are bars, with the gap between them; a running try ends now", () => {
  const s = step({
    step_id: "flaky",
    status: "running",
    started_at: at(0),
    attempts: [
      { attempt: 1, started_at: at(0), ended_at: at(1000), outcome: "failed", error: "exit 1", log_dir: null },
      { attempt: 2, started_at: at(1500), ended_at: null, outcome: "running", error: null, log_dir: null },
    ],
  });
  const segs = stepSegments(s, T0 + 2000);
  assert.deepEqual(
    segs.map((x) => [x.kind, x.outcome, x.from - T0, x.to - T0]),
    [
      ["try", "failed", 0, 1000],
      ["gap", "gap", 1000, 1500],
      ["try", "running", 1500, 2000],
    ],
  );
});

test("a wait step is a wait; a step that never started has no bar", () => {
  const gate = step({ step_id: "gate", type: "approval", status: "waiting", started_at: at(0) });
  assert.deepEqual(
    stepSegments(gate, T0 + 500).map((x) => [x.kind, x.to - T0]),
    [["wait", 500]],
  );
  assert.deepEqual(stepSegments(step({ step_id: "later", status: "pending" }), T0), []);
});

test("the time a run queued before it started is its own row", () => {
  const w = layoutWaterfall(run({ created_at: at(0), started_at: at(5000), completed_at: at(6000), steps: [step({ step_id: "a", started_at: at(5000), completed_at: at(6000) })] }), T0 + 9000);
  assert.equal(w.rows[0].key, "__queue");
  assert.deepEqual([w.rows[0].segments[0].from - T0, w.rows[0].segments[0].to - T0], [0, 5000]);
  const quick = layoutWaterfall(run({ created_at: at(0), started_at: at(20), completed_at: at(1000), steps: [] }), T0 + 9000);
  assert.equal(quick.rows.length, 0, "a start 20 ms after the creation is no queue");
});

test("ticks are round and within the span", () => {
  assert.deepEqual(
    ticks(0, 10_000).map((t) => t.offset),
    [0, 2000, 4000, 6000, 8000, 10000],
  );
  assert.ok(ticks(0, 3_600_000).length <= 7);
  assert.deepEqual(
    ticks(0, 1).map((t) => t.offset),
    [0],
  );
});
