// Which column a run's card stands in, and how the board's counts follow a run that moves.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunSummary } from "../../api/types.js";
import { ordinal } from "../format.js";
import { appendPage, columnKeyOf, leftQueue, noteBoardOutput, placeRun, queueLine, type BoardData } from "../columns.js";

const lanes = { phases: ["plan", "work", "check"] };
const T = "2026-01-01T00:00:00Z";
const run = (id: string, status: RunSummary["status"], current_phase: string | null, started_at: string | null, extra: Partial<RunSummary> = {}) =>
  ({ id, status, current_phase, started_at, project_id: "p", workflow_definition_id: "d", created_at: T, ...extra }) as unknown as RunSummary;
const filter = { projectId: "p", definitionId: "d" };

test("a new queued run waits in Not started; one queued to resume, a failed and a waiting run keep their phase", () => {
  assert.equal(columnKeyOf(run("new", "pending", "plan", null), lanes), "__pending");
  assert.equal(columnKeyOf(run("resumed", "pending", "work", T), lanes), "work");
  assert.equal(columnKeyOf(run("failed", "failed", "work", T), lanes), "work");
  assert.equal(columnKeyOf(run("failed-early", "failed", null, T), lanes), "plan");
  assert.equal(columnKeyOf(run("gate", "waiting", "check", T), lanes), "check");
  assert.equal(columnKeyOf(run("done", "completed", "check", T), lanes), "__done");
  assert.equal(columnKeyOf(run("cancelled", "cancelled", "work", T), lanes), "__done");
  assert.equal(columnKeyOf(run("x", "waiting", "work", T), null), "waiting");
});

function board(): BoardData {
  return {
    total: 5,
    running: 2,
    waiting: 0,
    pending: 0,
    columns: [
      { key: "__pending", title: "Not started", count: 0, runs: [], nextCursor: null },
      { key: "plan", title: "plan", count: 3, runs: [run("c", "running", "plan", T), run("b", "running", "plan", T)], nextCursor: "b" },
      { key: "work", title: "work", count: 0, runs: [], nextCursor: null },
      { key: "check", title: "check", count: 0, runs: [], nextCursor: null },
      { key: "__done", title: "Finished", count: 2, runs: [run("z", "completed", "check", T)], nextCursor: "z" },
    ],
  };
}

test("a run moving column changes both counts and the status totals", () => {
  const { board: b } = placeRun(board(), run("c", "failed", "plan", T), lanes, filter);
  assert.deepEqual(b.columns.map((c) => c.count), [0, 3, 0, 0, 2], "failed stays in plan");
  assert.equal(b.running, 1);
  const { board: b2 } = placeRun(b, run("c", "completed", "plan", T), lanes, filter);
  assert.deepEqual(b2.columns.map((c) => c.count), [0, 2, 0, 0, 3]);
  assert.deepEqual(b2.columns[4].runs.map((r) => r.id), ["z"], "older than the loaded page of Finished: counted, not shown");
  const { board: b3 } = placeRun(board(), run("b", "running", "work", T), lanes, filter);
  assert.deepEqual(b3.columns.map((c) => c.count), [0, 2, 1, 0, 2]);
  assert.deepEqual(b3.columns[2].runs.map((r) => r.id), ["b"]);
});

test("a run that no longer matches the status filter leaves the board", () => {
  const { board: b } = placeRun(board(), run("c", "completed", "plan", T), lanes, { ...filter, status: "running" });
  assert.equal(b.total, 4);
  assert.deepEqual(b.columns.map((c) => c.count), [0, 2, 0, 0, 2]);
});

test("an unknown run is shown where it falls in the loaded page, its counts left to the server", () => {
  const { board: b } = placeRun(board(), run("d", "running", "plan", T), lanes, filter);
  assert.deepEqual(b.columns[1].runs.map((r) => r.id), ["d", "c", "b"]);
  assert.equal(b.columns[1].count, 3);
  const { board: b2 } = placeRun(board(), run("a", "running", "plan", T), lanes, filter);
  assert.deepEqual(b2.columns[1].runs.map((r) => r.id), ["c", "b"], "beyond the page: paging finds it");
  const { unknownColumn } = placeRun(board(), run("e", "running", "review", T), lanes, filter);
  assert.ok(unknownColumn);
});

test("paging on does not repeat a run moved in meanwhile", () => {
  const b = appendPage(board(), "plan", [run("b", "running", "plan", T), run("a", "running", "plan", T)], null);
  assert.deepEqual(b.columns[1].runs.map((r) => r.id), ["c", "b", "a"]);
  assert.equal(b.columns[1].nextCursor, null);
});

test("queue places: ordinals, the card's line, and the runs behind one that started move up", () => {
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 103].map(ordinal), ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "103rd"]);
  const slotOnly = { key: null, key_running: null, key_limit: null };
  assert.equal(queueLine({ reason: "concurrency_limit", position: 3, running: 8, limit: 8, ...slotOnly }), "3rd in queue · 8/8 running");
  const q = (id: string, position: number) => run(id, "pending", null, null, { queue: { reason: "concurrency_limit", position, running: 2, limit: 2, ...slotOnly } });
  const b: BoardData = { ...board(), columns: [{ key: "__pending", title: "", count: 3, runs: [q("x", 1), q("y", 2), q("z", 3)], nextCursor: null }] };
  const after = leftQueue(b, q("x", 1));
  assert.deepEqual(after.columns[0].runs.map((r) => r.queue?.position), [1, 1, 2]);
});

test("a run waiting for its concurrency key says which, and only its key's queue moves up", () => {
  const keyed = (id: string, key: string, position: number) =>
    run(id, "pending", null, null, { queue: { reason: "concurrency_key", position, running: 3, limit: 8, key, key_running: 1, key_limit: 1 } });
  assert.equal(queueLine(keyed("a", "repo:x", 1).queue!), "waiting for repo:x · 1/1 running");
  assert.equal(queueLine(keyed("b", "repo:x", 2).queue!), "2nd waiting for repo:x · 1/1 running");
  const slot = run("s", "pending", null, null, { queue: { reason: "concurrency_limit", position: 2, running: 8, limit: 8, key: null, key_running: null, key_limit: null } });
  const b: BoardData = {
    ...board(),
    columns: [{ key: "__pending", title: "", count: 4, runs: [keyed("a", "repo:x", 1), keyed("b", "repo:x", 2), keyed("c", "repo:y", 2), slot], nextCursor: null }],
  };
  const after = leftQueue(b, keyed("a", "repo:x", 1));
  assert.deepEqual(after.columns[0].runs.map((r) => r.queue?.position), [1, 1, 2, 2]);
});

test("output on a card's running step moves its last_output_at (throttled, not for warnings); other cards stay", () => {
  const b = board();
  const step = { id: "s1", status: "running", last_output_at: "2026-01-01T00:00:00Z" };
  b.columns[1].runs[0] = { ...b.columns[1].runs[0], steps: [step] } as unknown as RunSummary;
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  const later = noteBoardOutput(b, "c", "s1", t0 + 5 * 60_000, "assistant")!;
  assert.ok(later, "five minutes later, output moves the card's time");
  assert.equal(later.columns[1].runs[0].steps[0].last_output_at, "2026-01-01T00:05:00.000Z");
  assert.equal(later.columns[1].runs[1], b.columns[1].runs[1], "the other card is the same object");
  assert.equal(later.total, b.total);
  assert.equal(noteBoardOutput(later, "c", "s1", t0 + 5 * 60_000 + 1000, "stdout"), null, "within 20 s: no redraw");
  assert.equal(noteBoardOutput(b, "c", "s1", t0 + 5 * 60_000, "warning"), null, "a warning is not output");
  assert.equal(noteBoardOutput(b, "nope", "s1", t0 + 5 * 60_000, "stdout"), null, "a run not loaded");
});
