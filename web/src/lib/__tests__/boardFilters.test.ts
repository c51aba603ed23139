// The board's created-range filter and its tab title.

import assert from "node:assert/strict";
import { test } from "node:test";
import { boardTitle, createdRange } from "../boardFilters.js";

test("a preset counts back from now, rounded to the minute", () => {
  const now = Date.parse("2026-12-05T10:30:45Z");
  assert.deepEqual(createdRange("24h", null, null, now), { after: "2026-12-04T10:30:00.000Z", before: null });
  assert.deepEqual(createdRange("", "2026-01-01", null, now), { after: null, before: null });
});

test("custom dates include the last day; bad dates are dropped", () => {
  assert.deepEqual(createdRange("custom", "2026-12-01", "2026-12-05"), { after: "2026-12-01", before: "2026-12-06" });
  assert.deepEqual(createdRange("custom", "yesterday", "2026-12-31"), { after: null, before: "2027-01-01" });
});

test("the title names the project, the workflow and what runs or waits", () => {
  assert.equal(boardTitle("e2e", "Bug fix", { running: 3, waiting: 2 }), "e2e · Bug fix · 3 running · 2 waiting");
  assert.equal(boardTitle("e2e", undefined, { running: 0, waiting: 0 }), "e2e");
  assert.equal(boardTitle(undefined, undefined, null), "Board");
});
