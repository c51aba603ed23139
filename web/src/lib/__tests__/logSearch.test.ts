// Search in a log: every match, wrapping next/previous, the count.

import assert from "node:assert/strict";
import { test } from "node:test";
import { findMatches, matchCountLabel, stepMatch } from "../logSearch.js";

test("every match in every line, in order, case-insensitive", () => {
  const m = findMatches(["error: a", "ok", "ERROR error"].map((t) => t.toLowerCase()), "Error");
  assert.deepEqual(m, [
    { index: 0, start: 0, end: 5 },
    { index: 2, start: 0, end: 5 },
    { index: 2, start: 6, end: 11 },
  ]);
  assert.deepEqual(findMatches(["abc"], ""), []);
  assert.equal(findMatches(["aaaa"], "a", 3).length, 3);
});

test("next and previous wrap around", () => {
  assert.equal(stepMatch(-1, 1, 3), 0);
  assert.equal(stepMatch(-1, -1, 3), 2);
  assert.equal(stepMatch(2, 1, 3), 0);
  assert.equal(stepMatch(0, -1, 3), 2);
  assert.equal(stepMatch(0, 1, 0), -1);
});

test("the count", () => {
  assert.equal(matchCountLabel(2, 17), "3 of 17");
  assert.equal(matchCountLabel(-1, 0), "No matches");
  assert.equal(matchCountLabel(0, 10_000), "1 of 10,000+");
});
