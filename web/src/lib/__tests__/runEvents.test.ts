// Runs kept current from WebSocket events.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunSummary } from "../../api/types.js";
import type { WsEvent } from "../../ws/events.js";
import { applyRunEvent, noteOutput } from "../runEvents.js";

const run: RunSummary = {
  id: "r1", project_id: "p", user_id: null, workflow_definition_id: "d", name: "n", args: {},
  current_phase: "build", current_step_index: 0, status: "pending", error_message: null, timeout_ms: null,
  started_at: null, completed_at: null, paused_at: null, cancelled_at: null, created_at: "", updated_at: "",
  steps: [], workflow_definition: null, _count: { comments: 0, artifacts: 0 }, waiting_for: [],
  budget: null, spend: { usd: 0, tokens: 0, duration_ms: 0 }, budget_stop: null,
  parent_run_id: null, forked_from_step: null, reruns: [], warnings: [], queue: null, workspace: null, concurrency: null,
  placement: null,
};
const ev = (type: string, data: Record<string, unknown>) => ({ seq: 1, type, data: { execution_id: "r1", project_id: "p", ...data } }) as WsEvent;

test("a step starts, moves the run to its phase, and completes", () => {
  const started = applyRunEvent(run, ev("workflow.step.started", { step_id: "s1", step_key: "k", step_name: "K", step_type: "script", phase: "test" }))!;
  assert.equal(started.status, "running");
  assert.equal(started.current_phase, "test");
  assert.equal(started.steps[0].status, "running");
  const done = applyRunEvent(started, ev("workflow.step.completed", { step_id: "s1", step_key: "k", status: "failed", error: "boom", duration_ms: 1500 }))!;
  assert.equal(done.steps[0].status, "failed");
  assert.equal(done.steps[0].error_message, "boom");
  assert.ok(done.steps[0].completed_at);
  const again = applyRunEvent(started, ev("workflow.step.started", { step_id: "s1", step_key: "k", step_name: "K", step_type: "script", phase: "test" }))!;
  assert.equal(again.steps[0].attempt, 1, "a replayed start is not a second attempt");
  const retried = applyRunEvent(done, ev("workflow.step.started", { step_id: "s1", step_key: "k", step_name: "K", step_type: "script", phase: "test" }))!;
  assert.equal(retried.steps[0].attempt, 2);
});

test("status, phase and counts; other runs' events change nothing", () => {
  assert.equal(applyRunEvent(run, ev("workflow.execution.status_changed", { status: "failed", error_message: "x" }))!.error_message, "x");
  assert.equal(applyRunEvent(run, ev("workflow.execution.phase_changed", { current_phase: "ship" }))!.current_phase, "ship");
  assert.equal(applyRunEvent(run, ev("workflow.comment.created", { comment_id: "c", step_id: null })), null, "counts are read again");
  assert.equal(applyRunEvent(run, { ...ev("workflow.execution.phase_changed", { current_phase: "x" }), data: { execution_id: "other", project_id: "p", current_phase: "x" } } as WsEvent), null);
});

test("output of a running step moves its last_output_at, at most every 20 s; other steps are left", () => {
  const started = applyRunEvent(run, ev("workflow.step.started", { step_id: "s1", step_key: "k", step_name: "K", step_type: "agent", phase: "test" }))!;
  assert.equal(started.steps[0].last_output_at, null);
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const first = noteOutput(started, "s1", t0)!;
  assert.equal(first.steps[0].last_output_at, "2026-01-01T00:00:00.000Z");
  assert.equal(noteOutput(first, "s1", t0 + 5_000), null, "within 20 s: no redraw");
  assert.equal(noteOutput(first, "s1", t0 + 21_000)!.steps[0].last_output_at, "2026-01-01T00:00:21.000Z");
  assert.equal(noteOutput(first, "nope", t0 + 60_000), null);
  const done = applyRunEvent(first, ev("workflow.step.completed", { step_id: "s1", step_key: "k", status: "completed", duration_ms: 10 }))!;
  assert.equal(noteOutput(done, "s1", t0 + 60_000), null, "a finished step is not silent");
});

test("a warning (the engine's, not the agent's) does not count as output; agent streams do", () => {
  const started = applyRunEvent(run, ev("workflow.step.started", { step_id: "s1", step_key: "k", step_name: "K", step_type: "agent", phase: "test" }))!;
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(noteOutput(started, "s1", t0, "warning"), null);
  for (const stream of ["stdout", "stderr", "assistant", "tool_call", "thinking"])
    assert.equal(noteOutput(started, "s1", t0, stream)!.steps[0].last_output_at, "2026-01-01T00:00:00.000Z", stream);
});
