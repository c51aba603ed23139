// The run page's words: queued to resume, no "so far" of an ended run, "not run" (never
// "waiting") for a step an ended run did not run, the spend line, the tab title.

import assert from "node:assert/strict";
import { test } from "node:test";
import { plannedText, queuedToResume, runTitle, shownStepStatus, spendText, stepsDoneText, tokenBreakdown } from "../runView.js";

test("a pending run that started before is queued to resume; a new pending run is not", () => {
  assert.equal(queuedToResume({ status: "pending", started_at: "2026-01-01T00:00:00Z" }), true);
  assert.equal(queuedToResume({ status: "pending", started_at: null }), false);
  assert.equal(queuedToResume({ status: "failed", started_at: "2026-01-01T00:00:00Z" }), false);
});

test("the step count says 'so far' only while an undeclared run goes on", () => {
  const steps = [{ status: "completed" as const }, { status: "completed" as const }];
  assert.equal(stepsDoneText({ status: "running", steps }, false), "2/2 so far");
  assert.equal(stepsDoneText({ status: "completed", steps }, false), "2/2");
  assert.equal(stepsDoneText({ status: "failed", steps }, false), "2/2");
  assert.equal(stepsDoneText({ status: "cancelled", steps }, false), "2/2");
  assert.equal(stepsDoneText({ status: "running", steps }, true), "2/2");
});

test("a step left pending or waiting in an ended run was not run", () => {
  assert.equal(shownStepStatus({ status: "waiting" }, "failed"), "not_run");
  assert.equal(shownStepStatus({ status: "pending" }, "cancelled"), "not_run");
  assert.equal(shownStepStatus({ status: "waiting" }, "waiting"), "waiting");
  assert.equal(shownStepStatus({ status: "failed" }, "failed"), "failed");
  assert.equal(plannedText("failed"), "not run");
  assert.equal(plannedText("running"), "not run yet");
  assert.equal(plannedText("paused"), "not run yet");
});

test("the spend line sums dollars and tokens; nothing spent says nothing", () => {
  assert.equal(spendText({ usd: 0.0123, tokens: 1234, duration_ms: 0 }), "$0.0123 · 1.2k tokens");
  assert.equal(spendText({ usd: 0, tokens: 0, duration_ms: 5 }), null);
  assert.equal(spendText(null), null);
  assert.deepEqual(
    tokenBreakdown([{ session: { input_tokens: 10, output_tokens: 5, cached_tokens: 100 } }, { session: null }, { session: { input_tokens: 1, output_tokens: null } }]),
    { input: 11, output: 5, cached: 100, sessions: 2 },
  );
});

test("the tab title names the run and its status, a queued resume, and an open step", () => {
  assert.equal(runTitle({ name: "Fix #12", status: "running", started_at: null }), "Fix #12 · Running");
  assert.equal(runTitle({ name: "Fix #12", status: "pending", started_at: "2026-01-01T00:00:00Z" }), "Fix #12 · Queued to resume");
  assert.equal(runTitle({ name: "Fix #12", status: "failed", started_at: "x" }, "build"), "build · Fix #12 · Failed");
});
