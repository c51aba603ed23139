// The progress events seen since the app connected, per step (recent steps only), so a step
// panel opened while its step runs shows what already streamed even when the step's
// `events.jsonl` has not been flushed to disk yet.

import { progressEntry, type LogEntry } from "../lib/agentLog";
import type { WsEvent } from "./events";

const MAX_STEPS = 40;
const MAX_PER_STEP = 5000;

export class ProgressCache {
  private readonly steps = new Map<string, LogEntry[]>();

  add = (ev: WsEvent): void => {
    if (ev.type !== "workflow.step.progress") return;
    const id = ev.data.step_id;
    let list = this.steps.get(id);
    if (!list) {
      list = [];
      this.steps.set(id, list);
      if (this.steps.size > MAX_STEPS) this.steps.delete(this.steps.keys().next().value as string);
    }
    list.push(progressEntry(ev.data));
    if (list.length > MAX_PER_STEP) list.splice(0, list.length - MAX_PER_STEP);
  };

  /** What this step streamed since the app connected (a copy). */
  get(stepRowId: string): LogEntry[] {
    return [...(this.steps.get(stepRowId) ?? [])];
  }
}
