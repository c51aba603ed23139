// The shared formatters: one cost format, plurals, ordinals; and which statuses close a run.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatCost, ordinal, plural } from "../format.js";
import { isClosed, isFinished } from "../status.js";

test("one cost format for the card, the run page and the agent session", () => {
  assert.equal(formatCost(null), "—");
  assert.equal(formatCost(0), "$0");
  assert.equal(formatCost(0.0123), "$0.0123");
  assert.equal(formatCost(0.456), "$0.456");
  assert.equal(formatCost(1.5), "$1.50");
});

test("plural says one or many, with thousands separated", () => {
  assert.equal(plural(1, "line"), "1 line");
  assert.equal(plural(0, "run"), "0 runs");
  assert.equal(plural(20_000, "line"), "20,000 lines");
  assert.equal(plural(2, "agent session"), "2 agent sessions");
});

test("ordinals", () => {
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 103].map(ordinal), ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd"]);
});

test("a failed run has ended but is not closed (it may be resumed)", () => {
  assert.deepEqual(["completed", "failed", "cancelled", "running"].map((s) => isClosed(s as "failed")), [true, false, true, false]);
  assert.equal(isFinished("failed"), true);
});
