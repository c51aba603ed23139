// A step's log as entries: output lines (scripts, and what agents print outside their JSON
// stream) and agent events. Two sources give the same entries: the `events.jsonl` file (for
// agents, each stdout line is the CLI's raw JSON, read here the way the server's drivers read
// it) and live `workflow.step.progress` events (already normalised by the server); they are
// joined in `logJoin.ts`.

import type { ProgressData } from "../ws/events";

export type AgentEventKind =
  | "session"
  | "assistant"
  | "thinking"
  | "tool_call"
  | "tool_result"
  | "warning"
  | "retry"
  | "result";

/** Where a live entry's record is in its try's `events.jsonl` (the server's `LogMark`). */
export interface FilePlace {
  attempt: number;
  /** Where the record ends (bytes). */
  end: number;
}

export interface LineEntry {
  kind: "line";
  stream: string;
  text: string;
  ts?: string;
  at?: FilePlace;
}

export interface AgentEntry {
  kind: "agent";
  type: AgentEventKind;
  text: string;
  ts?: string;
  tool?: string;
  toolUseId?: string;
  input?: unknown;
  isError?: boolean;
  delta?: boolean;
  sessionId?: string;
  model?: string | null;
  subtype?: string | null;
  at?: FilePlace;
}

export type LogEntry = LineEntry | AgentEntry;

const AGENT_STREAMS = new Set<string>(["session", "assistant", "thinking", "tool_call", "tool_result", "warning", "retry", "result"]);

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : null;
}
function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** The text of a Claude tool result's `content`: a string, or text blocks. */
function contentText(c: unknown): string {
  if (typeof c === "string") return c;
  if (Array.isArray(c)) return c.map((b) => str(obj(b)?.text) ?? "").filter(Boolean).join("\n");
  if (c === null || c === undefined) return "";
  return JSON.stringify(c);
}

function claude(v: Obj): AgentEntry[] {
  const type = str(v.type);
  if (type === "system" && v.subtype === "init" && str(v.session_id)) {
    return [{ kind: "agent", type: "session", text: "", sessionId: str(v.session_id), model: str(v.model) ?? null }];
  }
  const blocks = obj(v.message)?.content;
  if (type === "assistant" && Array.isArray(blocks)) {
    const out: AgentEntry[] = [];
    for (const b of blocks.map(obj)) {
      if (!b) continue;
      if (b.type === "text" && str(b.text)) out.push({ kind: "agent", type: "assistant", text: str(b.text)! });
      if (b.type === "thinking" && str(b.thinking)) out.push({ kind: "agent", type: "thinking", text: str(b.thinking)! });
      if (b.type === "tool_use")
        out.push({ kind: "agent", type: "tool_call", text: "", tool: str(b.name) ?? "", toolUseId: str(b.id), input: b.input });
    }
    return out;
  }
  if (type === "user" && Array.isArray(blocks)) {
    return blocks
      .map(obj)
      .filter((b): b is Obj => b?.type === "tool_result")
      .map((b) => ({
        kind: "agent" as const,
        type: "tool_result" as const,
        text: contentText(b.content),
        toolUseId: str(b.tool_use_id),
        isError: b.is_error === true,
      }));
  }
  if (type === "result") {
    const isError = v.is_error !== false;
    const errors = Array.isArray(v.errors) ? v.errors.filter((e): e is string => typeof e === "string") : [];
    const text = str(v.result) || (isError ? errors.join("; ") : "");
    return [{ kind: "agent", type: "result", text, isError, subtype: str(v.subtype) ?? null }];
  }
  return [];
}

function codex(v: Obj, state: { last?: string; error?: string }): AgentEntry[] {
  const type = str(v.type);
  if (type === "thread.started" && str(v.thread_id))
    return [{ kind: "agent", type: "session", text: "", sessionId: str(v.thread_id), model: null }];
  if (type === "turn.completed") {
    const isError = state.error !== undefined;
    return [{ kind: "agent", type: "result", text: (isError ? state.error : state.last) ?? "", isError }];
  }
  if (type === "turn.failed") {
    const m = str(obj(v.error)?.message) ?? state.error ?? "the turn failed";
    return [{ kind: "agent", type: "result", text: m, isError: true }];
  }
  if (type === "error") {
    const m = str(v.message) ?? "error";
    if (!m.startsWith("Reconnecting")) state.error = m;
    return [{ kind: "agent", type: "warning", text: m }];
  }
  const item = obj(v.item);
  if (!item || (type !== "item.started" && type !== "item.completed")) return [];
  const done = type === "item.completed";
  const id = str(item.id);
  const failed = item.status === "failed" || item.status === "declined";
  switch (item.type) {
    case "agent_message":
      if (!done) return [];
      state.last = str(item.text) ?? "";
      return [{ kind: "agent", type: "assistant", text: state.last }];
    case "reasoning":
    case "plan":
      return done && str(item.text) ? [{ kind: "agent", type: "thinking", text: str(item.text)! }] : [];
    case "command_execution":
      if (!done) return [{ kind: "agent", type: "tool_call", text: "", tool: "shell", toolUseId: id, input: { command: item.command } }];
      return [
        {
          kind: "agent",
          type: "tool_result",
          text: str(item.aggregated_output) ?? "",
          toolUseId: id,
          isError: failed || (typeof item.exit_code === "number" && item.exit_code !== 0),
        },
      ];
    case "file_change":
      return done
        ? [
            { kind: "agent", type: "tool_call", text: "", tool: "file_change", toolUseId: id, input: { changes: item.changes } },
            { kind: "agent", type: "tool_result", text: str(item.status) ?? "", toolUseId: id, isError: failed },
          ]
        : [];
    case "mcp_tool_call":
      if (!done)
        return [{ kind: "agent", type: "tool_call", text: "", tool: `${str(item.server) ?? ""}.${str(item.tool) ?? ""}`, toolUseId: id, input: item.arguments }];
      return [
        {
          kind: "agent",
          type: "tool_result",
          text: JSON.stringify(item.result ?? item.error ?? ""),
          toolUseId: id,
          isError: failed || (item.error !== undefined && item.error !== null),
        },
      ];
    case "web_search":
      return done ? [{ kind: "agent", type: "tool_call", text: "", tool: "web_search", toolUseId: id, input: { query: item.query } }] : [];
    case "error":
      return done && str(item.message) ? [{ kind: "agent", type: "warning", text: str(item.message)! }] : [];
    default:
      return [];
  }
}

function gemini(v: Obj, state: { round: string }): AgentEntry[] {
  switch (v.type) {
    case "init":
      return str(v.session_id) ? [{ kind: "agent", type: "session", text: "", sessionId: str(v.session_id), model: str(v.model) ?? null }] : [];
    case "message": {
      if (v.role !== "assistant") return [];
      const text = str(v.content) ?? "";
      const delta = v.delta === true;
      if (!delta) state.round = "";
      state.round += text;
      return [{ kind: "agent", type: "assistant", text, delta }];
    }
    case "tool_use":
      state.round = "";
      return [{ kind: "agent", type: "tool_call", text: "", tool: str(v.tool_name) ?? "", toolUseId: str(v.tool_id), input: v.parameters }];
    case "tool_result":
      state.round = "";
      return [
        {
          kind: "agent",
          type: "tool_result",
          text: str(v.output) ?? str(obj(v.error)?.message) ?? "",
          toolUseId: str(v.tool_id),
          isError: v.status !== "success",
        },
      ];
    case "error":
      return str(v.message) ? [{ kind: "agent", type: "warning", text: str(v.message)! }] : [];
    case "result": {
      const isError = v.status !== "success";
      return [{ kind: "agent", type: "result", text: isError ? (str(obj(v.error)?.message) ?? "") : state.round, isError }];
    }
    default:
      return [];
  }
}

type Flavour = "claude" | "codex" | "gemini";

/** Which CLI wrote a line, when the session does not say. */
function guessFlavour(v: Obj): Flavour | null {
  const t = str(v.type) ?? "";
  if (t === "system" || t === "assistant" || t === "user") return "claude";
  if (t.startsWith("thread.") || t.startsWith("turn.") || t.startsWith("item.")) return "codex";
  if (t === "init" || t === "message" || t === "tool_use" || t === "tool_result") return "gemini";
  if (t === "result") return "is_error" in v || "subtype" in v ? "claude" : "gemini";
  return null;
}

/** Reads a step's `events.jsonl`. `agent` is the session's CLI, if known. */
export function parseEventsFile(content: string, agent: string | null, isAgentStep: boolean): LogEntry[] {
  const out: LogEntry[] = [];
  let flavour: Flavour | null = agent === "claude" || agent === "codex" || agent === "gemini" ? agent : null;
  const codexState: { last?: string; error?: string } = {};
  const geminiState = { round: "" };
  for (const raw of content.split("\n")) {
    if (!raw.trim()) continue;
    let rec: Obj | null = null;
    try {
      rec = obj(JSON.parse(raw));
    } catch {
      rec = null;
    }
    if (!rec) {
      out.push({ kind: "line", stream: "stdout", text: raw });
      continue;
    }
    const ts = str(rec.ts);
    const type = str(rec.type) ?? "stdout";
    if (type === "retry") {
      // Worded as the live `retry` progress event is (the server's `format_ms`), so that
      // the two read as one entry when the log and the live events are joined.
      const delay = typeof rec.delayMs === "number" ? ` in ${formatDelay(rec.delayMs)}` : "";
      out.push({ kind: "agent", type: "retry", text: `${str(rec.reason) ?? "retrying"}; try ${String(rec.attempt ?? "")}${delay}`, ts });
      continue;
    }
    const text = str(rec.text) ?? "";
    if (isAgentStep && type === "stdout") {
      let v: Obj | null = null;
      try {
        v = obj(JSON.parse(text.trim()));
      } catch {
        v = null;
      }
      if (v) {
        flavour = flavour ?? guessFlavour(v);
        const entries = flavour === "claude" ? claude(v) : flavour === "codex" ? codex(v, codexState) : flavour === "gemini" ? gemini(v, geminiState) : [];
        for (const e of entries) out.push({ ...e, ts });
        continue;
      }
      if (!text.trim()) continue;
    }
    out.push({ kind: "line", stream: type, text, ts });
  }
  return out;
}

/** A live progress event as an entry (with its place in the file, when it has one). */
export function progressEntry(d: ProgressData): LogEntry {
  const place = d.log ? { at: { attempt: d.log.attempt, end: d.log.log_end }, ts: d.log.ts } : {};
  if (!AGENT_STREAMS.has(d.stream)) return { kind: "line", stream: d.stream, text: d.output, ...place };
  const det = d.detail ?? {};
  const type = d.stream as AgentEventKind;
  const e: AgentEntry = { kind: "agent", type, text: d.output, ...place };
  if (type === "session") {
    e.sessionId = str(det.sessionId);
    e.model = str(det.model) ?? null;
    e.text = "";
  } else if (type === "tool_call") {
    e.tool = str(det.tool) ?? d.output.split(" ")[0];
    e.toolUseId = str(det.toolUseId);
    e.input = det.input;
    e.text = "";
  } else if (type === "tool_result") {
    e.toolUseId = str(det.toolUseId);
    e.isError = det.isError === true;
  } else if (type === "assistant") {
    e.delta = det.delta === true;
  } else if (type === "result") {
    e.isError = det.isError === true;
    e.subtype = str(det.subtype) ?? null;
  }
  return e;
}

/** A wait as the server words it (`definition::format_ms`): `200ms`, `1.5s`, `2m 05s`. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const sec = Math.floor((ms % 60_000) / 1000);
  return `${m}m ${String(sec).padStart(2, "0")}s`;
}
