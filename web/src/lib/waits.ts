// Runs that wait (issue 14): for a person (an approval gate), a timer (sleep) or a signal.
// What a card and the run page say about a wait, a decided gate's outcome, the header's
// "needs you" count. Pure functions of the API's JSON.

import type { Decision, DecisionData, PendingApproval, RunSummary, Step, WaitInfo, WaitKind } from "../api/types";
import type { WsEvent } from "../ws/events";
import { parseTime } from "./format.js";

/**
 * What the run waits for: `waiting_for` as the server sends it, else (a server or an event
 * that did not say) the steps that are `waiting`.
 */
export function waitsOf(run: Pick<RunSummary, "waiting_for" | "steps">): WaitInfo[] {
  if (run.waiting_for && run.waiting_for.length > 0) return run.waiting_for;
  return run.steps
    .filter((s) => s.status === "waiting")
    .map((s) => ({
      step_id: s.id,
      step_key: s.step_id,
      kind: s.wait?.kind ?? waitKindOf(s.type) ?? "approval",
      title: s.wait?.title ?? null,
      signal_name: s.wait?.signal_name ?? null,
      deadline: s.wait?.deadline ?? null,
      since: s.wait?.since ?? s.started_at ?? s.updated_at,
    }));
}

export function waitKindOf(type: string): WaitKind | null {
  return type === "approval" || type === "sleep" || type === "signal" ? type : null;
}

/** `14:05`, or `Dec 6, 14:05` when not today (in the viewer's time zone). */
export function formatWake(iso: string | null | undefined, now: number): string {
  const t = parseTime(iso);
  if (t === null) return "—";
  const d = new Date(t);
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  if (d.toDateString() === new Date(now).toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })}, ${time}`;
}

/** A countdown to `deadline`: `4m 05s`, `1h 02m`, `2d 3h`; `due` once it has passed. */
export function formatCountdown(deadline: string | null | undefined, now: number): string | null {
  const t = parseTime(deadline);
  if (t === null) return null;
  const ms = t - now;
  if (ms <= 0) return "due";
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** One wait in a line: `Needs approval: Approve the plan`, `Sleeping until 14:05`, `Waiting for signal deploy`. */
export function describeWait(w: WaitInfo, now: number): string {
  switch (w.kind) {
    case "approval":
      return `Needs approval: ${w.title || w.step_key}`;
    case "sleep":
      return w.deadline ? `Sleeping until ${formatWake(w.deadline, now)}` : "Sleeping";
    case "signal":
      return `Waiting for signal ${w.signal_name ?? w.step_key}`;
    case "retry":
      return `Needs you: ${w.title || `${w.step_key}'s retries ran out`}`;
  }
}

export interface WaitLine {
  kind: WaitKind | "unknown";
  text: string;
  /** The step row the line is about (a link target), when known. */
  stepId: string | null;
}

/** Whether a wait of this kind is decided by a person (a gate, a step whose retries ran out). */
export function needsPerson(kind: string | null | undefined): boolean {
  return kind === "approval" || kind === "retry";
}

/** What a waiting run's card says about its wait (null when the run does not wait). */
export function waitLine(run: Pick<RunSummary, "status" | "waiting_for" | "steps">, now: number): WaitLine | null {
  if (run.status !== "waiting") return null;
  const waits = waitsOf(run);
  if (waits.length === 0) return { kind: "unknown", text: "Waiting", stepId: null };
  // An approval is what a person must act on: it comes first.
  const first = waits.find((w) => needsPerson(w.kind)) ?? waits[0];
  const more = waits.length > 1 ? ` (+${waits.length - 1} more)` : "";
  return { kind: first.kind, text: describeWait(first, now) + more, stepId: first.step_id };
}

/** How many gates the header's "needs you" badge counts: those the user may decide. */
export function needsYouCount(list: readonly PendingApproval[] | null | undefined): number {
  return (list ?? []).filter((a) => a.can_decide).length;
}

/** Gates to list: the ones the user may decide first, then the oldest first. */
export function sortApprovals(list: readonly PendingApproval[]): PendingApproval[] {
  return [...list].sort((a, b) => Number(b.can_decide) - Number(a.can_decide) || (parseTime(a.since) ?? 0) - (parseTime(b.since) ?? 0));
}

const DECISIONS: Decision[] = ["approved", "rejected", "changes_requested"];

/** A decided gate's outcome, from its step's `result.data`; null when it was not decided. */
export function decisionOf(step: Pick<Step, "type" | "result">): DecisionData | null {
  if (step.type !== "approval") return null;
  const data = (step.result as { data?: unknown } | null)?.data as Partial<DecisionData> | undefined;
  if (!data || typeof data !== "object" || !DECISIONS.includes(data.decision as Decision)) return null;
  return {
    decision: data.decision as Decision,
    by: typeof data.by === "string" ? data.by : "someone",
    at: typeof data.at === "string" ? data.at : null,
    comment: typeof data.comment === "string" && data.comment ? data.comment : null,
    input: data.input,
  };
}

export const DECISION_LABEL: Record<Decision, string> = {
  approved: "Approved",
  rejected: "Rejected",
  changes_requested: "Changes requested",
};

/** Who may decide, as the disabled buttons explain it. */
export function whoMayDecide(approvers: readonly string[]): string {
  if (approvers.length === 0) return "Only people who may see this project may decide.";
  if (approvers.length === 1) return `Only ${approvers[0]} may decide.`;
  return `Only ${approvers.slice(0, -1).join(", ")} or ${approvers[approvers.length - 1]} may decide.`;
}

/** The decision an approval event names, as the step's outcome. */
export function decisionFromEvent(decision: string): Decision | null {
  return DECISIONS.includes(decision as Decision) ? (decision as Decision) : null;
}

/** The step that ran before `gate` (waits aside): its output is what the person decides on. */
export function stepBefore(steps: readonly Step[], gate: Pick<Step, "step_index">): Step | null {
  const before = steps.filter((s) => s.step_index < gate.step_index && waitKindOf(s.type) === null).sort((a, b) => b.step_index - a.step_index);
  return before[0] ?? null;
}

/**
 * Whether the header's list of gates may have changed after `ev`: a gate began to wait or was
 * decided, a run went `waiting`, or a run the list holds changed status (cancelled, paused).
 */
export function isApprovalEvent(ev: WsEvent, listed: readonly PendingApproval[] | null): boolean {
  if (ev.type === "workflow.step.waiting" || ev.type === "workflow.approval.decided") return true;
  if (ev.type !== "workflow.execution.status_changed") return false;
  return ev.data.status === "waiting" || (listed ?? []).some((a) => a.execution_id === ev.data.execution_id);
}
