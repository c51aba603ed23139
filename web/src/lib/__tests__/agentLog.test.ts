// The step log: the CLIs' raw JSON lines read as the server's drivers read them, and the
// merge of the events file with the progress events already streamed.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDelay, parseEventsFile, progressEntry, type AgentEntry, type LogEntry } from "../agentLog.js";

const line = (type: string, text: string) => JSON.stringify({ ts: "2026-01-01T00:00:00Z", type, text });
const kinds = (es: LogEntry[]) => es.map((e) => (e.kind === "line" ? `line:${e.stream}` : e.type));

test("a script's lines keep their stream", () => {
  const es = parseEventsFile([line("stdout", "one"), line("stderr", "two"), ""].join("\n"), null, false);
  assert.deepEqual(kinds(es), ["line:stdout", "line:stderr"]);
  assert.equal((es[1] as { text: string }).text, "two");
});

test("Claude stream-json: session, text, tool call and result, final", () => {
  const raw = [
    { type: "system", subtype: "init", session_id: "s1", model: "claude-sonnet-4-5" },
    { type: "assistant", message: { content: [{ type: "text", text: "Looking." }, { type: "tool_use", id: "t1", name: "Read", input: { file_path: "/a" } }] } },
    { type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "# a" }], is_error: false }] } },
    { type: "result", subtype: "success", is_error: false, result: "done" },
  ].map((v) => line("stdout", JSON.stringify(v)));
  const es = parseEventsFile([line("stderr", "warming up"), ...raw].join("\n"), null, true) as AgentEntry[];
  assert.deepEqual(kinds(es), ["line:stderr", "session", "assistant", "tool_call", "tool_result", "result"]);
  assert.equal(es[1].sessionId, "s1");
  assert.equal(es[3].tool, "Read");
  assert.equal(es[4].text, "# a");
  assert.equal(es[5].isError, false);
});

test("Codex --json: thread, reasoning, a command, the message, the turn", () => {
  const raw = [
    { type: "thread.started", thread_id: "th" },
    { type: "turn.started" },
    { type: "item.completed", item: { id: "i0", type: "reasoning", text: "**thinking**" } },
    { type: "item.started", item: { id: "i1", type: "command_execution", command: "ls", status: "in_progress" } },
    { type: "item.completed", item: { id: "i1", type: "command_execution", command: "ls", aggregated_output: "a\n", exit_code: 2 } },
    { type: "item.completed", item: { id: "i2", type: "agent_message", text: "ok" } },
    { type: "turn.completed", usage: {} },
  ].map((v) => line("stdout", JSON.stringify(v)));
  const es = parseEventsFile(raw.join("\n"), "codex", true) as AgentEntry[];
  assert.deepEqual(kinds(es), ["session", "thinking", "tool_call", "tool_result", "assistant", "result"]);
  assert.equal(es[3].isError, true, "a non-zero exit is a failed tool");
  assert.equal(es[5].text, "ok", "the final answer is the last message");
});

test("Gemini stream-json: deltas, tools, the round's text as the result", () => {
  const raw = [
    { type: "init", session_id: "g", model: "gemini-2.5-pro" },
    { type: "message", role: "user", content: "hi" },
    { type: "message", role: "assistant", content: "Let me ", delta: true },
    { type: "tool_use", tool_name: "read_file", tool_id: "t", parameters: {} },
    { type: "tool_result", tool_id: "t", status: "error", error: { message: "nope" } },
    { type: "message", role: "assistant", content: "done: ", delta: true },
    { type: "message", role: "assistant", content: "x", delta: true },
    { type: "result", status: "success", stats: {} },
  ].map((v) => line("stdout", JSON.stringify(v)));
  const es = parseEventsFile(raw.join("\n"), null, true) as AgentEntry[];
  assert.deepEqual(kinds(es), ["session", "assistant", "tool_call", "tool_result", "assistant", "assistant", "result"]);
  assert.equal(es[3].isError, true);
  assert.equal(es[3].text, "nope");
  assert.equal(es[6].text, "done: x");
});

test("retry records read as retry messages", () => {
  const es = parseEventsFile(JSON.stringify({ ts: "t", type: "retry", attempt: 2, delayMs: 1500, reason: "rate limited" }), "claude", true);
  assert.equal((es[0] as AgentEntry).type, "retry");
  assert.match((es[0] as AgentEntry).text, /rate limited; try 2 in 1.5s/);
});

test("progress events become the same entries", () => {
  const base = { execution_id: "r", project_id: "p", step_id: "s", step_key: "k" };
  const call = progressEntry({ ...base, stream: "tool_call", output: "Read {}", detail: { tool: "Read", toolUseId: "t1", input: {} } }) as AgentEntry;
  assert.equal(call.type, "tool_call");
  assert.equal(call.toolUseId, "t1");
  assert.deepEqual(progressEntry({ ...base, stream: "stderr", output: "x" }), { kind: "line", stream: "stderr", text: "x" });
});

test("a retry reads as the live event says it, so the file and the live events join", () => {
  assert.deepEqual([formatDelay(200), formatDelay(1500), formatDelay(125_000)], ["200ms", "1.5s", "2m 05s"]);
  const file = parseEventsFile(
    '{"ts":"t","type":"stdout","text":"try 1"}\n{"ts":"t","type":"retry","attempt":2,"delayMs":200,"reason":"command exited with code 1"}\n',
    null,
    false,
  );
  assert.deepEqual(
    file.map((e) => e.text),
    ["try 1", "command exited with code 1; try 2 in 200ms"],
  );
});
