// How an agent's log reads in the step panel: streamed chunks of one answer as one message,
// the final answer once (the CLI repeats its last message as the result), and results
// labelled by what happened.

import type { AgentEntry, LogEntry } from "./agentLog";

/** Consecutive assistant chunks (`delta`) read as one message. */
export function coalesce(entries: LogEntry[]): LogEntry[] {
  const out: LogEntry[] = [];
  for (const e of entries) {
    const prev = out[out.length - 1];
    if (e.kind === "agent" && e.type === "assistant" && e.delta && prev?.kind === "agent" && prev.type === "assistant" && prev.delta) {
      out[out.length - 1] = { ...prev, text: prev.text + e.text } as AgentEntry;
    } else out.push(e);
  }
  return out;
}

const same = (a: string, b: string) => a.replace(/\s+/g, " ").trim() === b.replace(/\s+/g, " ").trim();

/**
 * The agent's messages as shown: chunks joined, and an assistant message that a result then
 * repeats word for word left out (the result shows it, as the final answer).
 */
export function agentView(entries: LogEntry[]): LogEntry[] {
  const out = coalesce(entries);
  for (let i = out.length - 1; i > 0; i--) {
    const e = out[i];
    if (e.kind !== "agent" || e.type !== "result" || !e.text) continue;
    // The last assistant message before the result (events without text, such as a
    // session line, may sit between them).
    for (let j = i - 1; j >= 0; j--) {
      const p = out[j];
      if (p.kind === "agent" && p.type === "assistant") {
        if (same(p.text, e.text)) out.splice(j, 1);
        break;
      }
      if (p.kind === "agent" && (p.type === "result" || p.type === "tool_call" || p.type === "tool_result")) break;
    }
  }
  return out;
}

const SUBTYPES: Record<string, string> = {
  error_max_turns: "turn limit reached",
  error_during_execution: "error during execution",
  error_max_budget_usd: "budget reached",
};

/**
 * A result's heading, by its outcome: "Final answer", "Failed (turn limit reached)", and for a
 * failed try the step went on to retry, "Try failed — retried". A CLI's raw subtype is shown
 * only when it says more than the outcome (never "Failed (success)").
 */
export function resultLabel(e: AgentEntry, retried: boolean): string {
  if (!e.isError) return "Final answer";
  if (retried) return "Try failed — retried";
  const why = e.subtype && e.subtype !== "success" ? (SUBTYPES[e.subtype] ?? e.subtype.replace(/^error_/, "").replace(/_/g, " ")) : "";
  return why ? `Failed (${why})` : "Failed";
}

/** Whether a retry follows the entry at `index` before another result. */
/**
 * For each entry, whether it is a failed result that was retried (`retriedAfter`), in one pass
 * from the end: a chunk of the log gets its flags as a prop, so a retry arriving later
 * re-renders the chunk that holds the failed result.
 */
export function retriedFlags(entries: LogEntry[]): boolean[] {
  const out = new Array<boolean>(entries.length).fill(false);
  // What the next agent result-or-retry after `i` is: a retry (true), a result (false), none.
  let next = false;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e.kind !== "agent") continue;
    if (e.type === "result") {
      out[i] = e.isError ? next : false;
      next = false;
    } else if (e.type === "retry") next = true;
  }
  return out;
}

export function retriedAfter(entries: LogEntry[], index: number): boolean {
  for (let i = index + 1; i < entries.length; i++) {
    const e = entries[i];
    if (e.kind === "agent" && e.type === "retry") return true;
    if (e.kind === "agent" && e.type === "result") return false;
  }
  return false;
}
