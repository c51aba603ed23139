// The agent log as shown: the final answer once, results labelled by outcome.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { AgentEntry, LogEntry } from "../agentLog.js";
import { agentView, resultLabel, retriedAfter, retriedFlags } from "../agentView.js";

const a = (type: AgentEntry["type"], text: string, extra: Partial<AgentEntry> = {}): LogEntry => ({ kind: "agent", type, text, ...extra });

test("the final answer is shown once: the assistant message the result repeats is left out", () => {
  const view = agentView([a("assistant", "Looking."), a("tool_call", ""), a("assistant", "All  done.\n"), a("result", "All done.", { isError: false })]);
  assert.deepEqual(
    view.map((e) => (e.kind === "agent" ? `${e.type}:${e.text}` : "")),
    ["assistant:Looking.", "tool_call:", "result:All done."],
  );
});

test("an assistant message the result does not repeat stays", () => {
  const view = agentView([a("assistant", "Step one."), a("result", "Summary", { isError: false })]);
  assert.equal(view.length, 2);
});

test("streamed chunks read as one message, then the repeat is dropped", () => {
  const view = agentView([a("assistant", "Hel", { delta: true }), a("assistant", "lo", { delta: true }), a("result", "Hello")]);
  assert.equal(view.length, 1);
});

test("results are labelled by outcome, never by a raw 'success' subtype", () => {
  assert.equal(resultLabel(a("result", "x", { isError: true, subtype: "success" }) as AgentEntry, false), "Failed");
  assert.equal(resultLabel(a("result", "x", { isError: true, subtype: "success" }) as AgentEntry, true), "Try failed — retried");
  assert.equal(resultLabel(a("result", "x", { isError: true, subtype: "error_max_turns" }) as AgentEntry, false), "Failed (turn limit reached)");
  assert.equal(resultLabel(a("result", "x", { isError: false, subtype: "success" }) as AgentEntry, false), "Final answer");
  const log = [a("result", "overloaded", { isError: true }), a("retry", "try 2"), a("result", "ok", { isError: false })];
  assert.equal(retriedAfter(log, 0), true);
  assert.equal(retriedAfter(log, 2), false);
});

test("retried flags per entry: a retry arriving later flips the failed result before it", () => {
  const failed = a("result", "overloaded", { isError: true });
  const streaming = [a("assistant", "working"), failed];
  assert.deepEqual(retriedFlags(streaming), [false, false], "no retry yet: labelled Failed");
  // The log grows; the failed result is the same entry, but its flag changes (so its chunk re-renders).
  const later = [...streaming, a("thinking", "note"), a("retry", "try 2"), a("result", "ok", { isError: false })];
  const flags = retriedFlags(later);
  assert.deepEqual(flags, [false, true, false, false, false]);
  later.forEach((_, i) => assert.equal(flags[i], later[i].kind === "agent" && (later[i] as AgentEntry).type === "result" && (later[i] as AgentEntry).isError ? retriedAfter(later, i) : false));
  assert.deepEqual(retriedFlags([failed, a("result", "again", { isError: true }), a("retry", "r")]), [false, true, false]);
});
