// Which run controls are enabled: a pending pause can be overtaken by Pause now and by Cancel.

import assert from "node:assert/strict";
import { test } from "node:test";
import { enabledControls } from "../status.js";

const on = (c: Record<string, boolean>) => Object.keys(c).filter((k) => c[k]).sort();

test("a running run can be paused either way or cancelled, not resumed", () => {
  assert.deepEqual(on(enabledControls("running", null, null)), ["cancel", "pause", "pause_now"]);
});

test("while a pause is asked for or pending, Pause now and Cancel stay enabled", () => {
  assert.deepEqual(on(enabledControls("running", "pause", null)), ["cancel", "pause_now"]);
  assert.deepEqual(on(enabledControls("running", null, "pause")), ["cancel", "pause_now"]);
});

test("while a pause now is asked for or pending, only Cancel is enabled", () => {
  assert.deepEqual(on(enabledControls("running", "pause_now", null)), ["cancel"]);
  assert.deepEqual(on(enabledControls("running", null, "pause_now")), ["cancel"]);
});

test("a cancel or resume in progress disables everything", () => {
  assert.deepEqual(on(enabledControls("running", "cancel", null)), []);
  assert.deepEqual(on(enabledControls("running", "cancel", "pause")), []);
  assert.deepEqual(on(enabledControls("paused", "resume", null)), []);
});

test("a paused run can be resumed or cancelled; an ended one nothing", () => {
  assert.deepEqual(on(enabledControls("paused", null, null)), ["cancel", "resume"]);
  for (const s of ["completed", "failed", "cancelled"] as const) {
    const expected = s === "failed" ? ["resume"] : [];
    assert.deepEqual(on(enabledControls(s, null, null)), expected, s);
  }
});
