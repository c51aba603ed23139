// A skipped step is shown muted with its reason, never as an error.

import assert from "node:assert/strict";
import { test } from "node:test";
import { skipNote, skippedText, stepError } from "../skipped.js";

test("a skipped step says why, as a note and not an error", () => {
  const step = { status: "skipped" as const, error_message: "the condition `args.env == 'prod'` was false" };
  assert.equal(skipNote(step), "skipped: the condition `args.env == 'prod'` was false");
  assert.equal(stepError(step), null);
});

test("a skipped step without a recorded reason still says it was skipped", () => {
  assert.equal(skipNote({ status: "skipped", error_message: null }), "skipped: its condition was false");
  assert.equal(skipNote({ status: "skipped", error_message: "  " }), "skipped: its condition was false");
});

test("other steps have no note, and a failed one keeps its error", () => {
  assert.equal(skipNote({ status: "completed", error_message: null }), null);
  assert.equal(skipNote({ status: "failed", error_message: "boom" }), null);
  assert.equal(stepError({ status: "failed", error_message: "boom" }), "boom");
});

test("a run's step count says how many were skipped", () => {
  assert.equal(skippedText([{ status: "completed" }, { status: "skipped" }, { status: "skipped" }]), " · 2 skipped");
  assert.equal(skippedText([{ status: "completed" }]), "");
});
