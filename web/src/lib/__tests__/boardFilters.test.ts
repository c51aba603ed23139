// The board's created-range filter and its tab title.

import assert from "node:assert/strict";
import { test } from "node:test";
import { boardTitle, createdRange, stableRange } from "../boardFilters.js";

test("a preset counts back from now, rounded to the minute", () => {
  const now = Date.parse("2026-12-05T10:30:45Z");
  assert.deepEqual(createdRange("24h", null, null, now), { after: "2026-12-04T10:30:00.000Z", before: null });
  assert.deepEqual(createdRange("", "2026-01-01", null, now), { after: null, before: null });
});

test("a preset keeps its bound while the filter is unchanged, and moves when it is chosen again", () => {
  const resolve = stableRange();
  const t0 = Date.parse("2026-12-05T10:30:45Z");
  const first = resolve("1h", null, null, t0);
  assert.equal(first.after, "2026-12-05T09:30:00.000Z");
  // Minutes later, the same filter: the same bound (the same object), so the board is not asked again.
  assert.equal(resolve("1h", null, null, t0 + 5 * 60_000), first);
  assert.equal(resolve("1h", null, null, t0 + 5 * 60_000).after, "2026-12-05T09:30:00.000Z");
  // Another filter, then the preset again: counted from the new moment.
  assert.deepEqual(resolve("24h", null, null, t0 + 10 * 60_000), { after: "2026-12-04T10:40:00.000Z", before: null });
  assert.equal(resolve("1h", null, null, t0 + 20 * 60_000).after, "2026-12-05T09:50:00.000Z");
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
