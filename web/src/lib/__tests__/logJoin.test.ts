// Joining a read of the step's log with the live events by their place in the file: each line
// once, whichever source is ahead.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { LogEntry } from "../agentLog.js";
import { joinLive } from "../logJoin.js";

/** Line n of try `attempt`, each record 10 bytes long. */
const l = (n: number, attempt = 1): LogEntry => ({ kind: "line", stream: "stdout", text: `line ${n}`, at: { attempt, end: n * 10 } });
const range = (a: number, b: number, attempt = 1) => Array.from({ length: b - a + 1 }, (_, i) => l(a + i, attempt));
const texts = (es: LogEntry[]) => es.map((e) => e.text);

test("the stream ahead of the file: the lines the file lacks are added", () => {
  const out = joinLive(range(1, 3), new Map([[1, 30]]), range(1, 6));
  assert.deepEqual(texts(out), texts(range(1, 6)));
});

test("the file ahead of the stream (a lagging socket): nothing is added twice", () => {
  // What text matching got wrong: lines 1-58 read, lines 1-40 streamed so far.
  const out = joinLive(range(1, 58), new Map([[1, 580]]), range(1, 40));
  assert.deepEqual(texts(out), texts(range(1, 58)));
});

test("repeated text is not taken for an overlap", () => {
  const same = (n: number): LogEntry => ({ kind: "line", stream: "stdout", text: "tick", at: { attempt: 1, end: n * 10 } });
  const out = joinLive([same(1), same(2)], new Map([[1, 20]]), [same(1), same(2), same(3), same(4)]);
  assert.equal(out.length, 4);
});

test("a try the read did not hold, and an event with no place in a file, are added", () => {
  const warning: LogEntry = { kind: "agent", type: "warning", text: "could not resume" };
  const out = joinLive(range(1, 2), new Map([[1, 20]]), [l(2), warning, l(1, 2)]);
  assert.deepEqual(texts(out), ["line 1", "line 2", "could not resume", "line 1"]);
});

test("an empty read keeps everything streamed", () => {
  assert.equal(joinLive([], new Map(), range(1, 3)).length, 3);
});

test("a progress event's place in the file becomes the entry's", async () => {
  const { progressEntry } = await import("../agentLog.js");
  const base = { execution_id: "r", project_id: "p", step_id: "s", step_key: "k", stream: "stdout", output: "x" };
  const e = progressEntry({ ...base, log: { attempt: 2, log_end: 40, ts: "2026-01-01T00:00:00.000Z" } });
  assert.deepEqual(e, { kind: "line", stream: "stdout", text: "x", at: { attempt: 2, end: 40 }, ts: "2026-01-01T00:00:00.000Z" });
  assert.equal(joinLive([], new Map([[2, 40]]), [e]).length, 0);
  assert.equal(joinLive([], new Map([[2, 39]]), [e]).length, 1);
});
