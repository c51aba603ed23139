// Applying WebSocket events to runs held in memory. Each function returns the updated run,
// or null when the event does not concern it; what cannot be applied locally (a new run, a
// step's result) is refetched by the caller.

import type { RunStatus, RunSummary, Step, WaitInfo } from "../api/types";
import type { WsEvent } from "../ws/events";
import { decisionFromEvent } from "./waits.js";

export function nowIso(): string {
  return new Date().toISOString();
}

function withStatus<R extends RunSummary>(run: R, status: RunStatus, error?: string | null): R {
  const t = nowIso();
  const next: R = { ...run, status, updated_at: t };
  if (error !== undefined) next.error_message = error;
  if (status === "running") {
    next.started_at = run.started_at ?? t;
    next.paused_at = null;
    if (run.status === "failed") next.error_message = null;
  }
  if (status === "paused") next.paused_at = t;
  if (status === "completed" || status === "failed") next.completed_at = run.completed_at ?? t;
  if (status === "cancelled") next.cancelled_at = run.cancelled_at ?? t;
  if (status === "completed" || status === "failed" || status === "cancelled") next.waiting_for = [];
  return next;
}

function upsertStep(steps: Step[], step: Step): Step[] {
  const i = steps.findIndex((s) => s.id === step.id);
  if (i === -1) return [...steps, step].sort((a, b) => a.step_index - b.step_index);
  const next = steps.slice();
  next[i] = { ...steps[i], ...step };
  return next;
}

/** The run after the event, or null if the event changes nothing in it. */
export function applyRunEvent<R extends RunSummary>(run: R, ev: WsEvent): R | null {
  if (ev.data.execution_id !== run.id) return null;
  switch (ev.type) {
    case "workflow.execution.status_changed":
      return withStatus(run, ev.data.status, ev.data.error_message);
    case "workflow.execution.phase_changed":
      return { ...run, current_phase: ev.data.current_phase };
    case "workflow.step.started": {
      const d = ev.data;
      const existing = run.steps.find((s) => s.id === d.step_id);
      const t = nowIso();
      const index = existing?.step_index ?? run.steps.reduce((m, s) => Math.max(m, s.step_index + 1), 0);
      const step: Step = {
        id: d.step_id,
        workflow_run_id: run.id,
        step_id: d.step_key,
        step_index: index,
        name: d.step_name,
        phase: d.phase,
        type: d.step_type,
        status: "running",
        result: null,
        continue_on_error: existing?.continue_on_error ?? false,
        // A replayed start of the attempt already shown is not a new attempt.
        attempt: existing ? existing.attempt + (existing.status === "running" ? 0 : 1) : 1,
        log_directory_path: existing?.log_directory_path ?? null,
        agent_session_id: existing?.agent_session_id ?? null,
        error_message: null,
        started_at: t,
        completed_at: null,
        created_at: existing?.created_at ?? t,
        updated_at: t,
        warnings: [],
        last_output_at: null,
        session: existing?.session ?? null,
        snapshot: existing?.snapshot ?? null,
      };
      const status: RunStatus = run.status === "pending" ? "running" : run.status;
      return { ...run, status, current_phase: d.phase, steps: upsertStep(run.steps, step) };
    }
    case "workflow.step.waiting": {
      const d = ev.data;
      const existing = run.steps.find((s) => s.id === d.step_id);
      const t = nowIso();
      const step: Step = {
        id: d.step_id,
        workflow_run_id: run.id,
        step_id: d.step_key,
        step_index: existing?.step_index ?? run.steps.reduce((m, s) => Math.max(m, s.step_index + 1), 0),
        name: d.step_name,
        phase: d.phase,
        // A retry wait is a step that runs something: it keeps its own type.
        type: d.kind === "retry" ? (existing?.type ?? "script") : d.kind,
        status: "waiting",
        result: null,
        continue_on_error: existing?.continue_on_error ?? false,
        attempt: existing?.attempt ?? 1,
        log_directory_path: existing?.log_directory_path ?? null,
        agent_session_id: null,
        error_message: null,
        started_at: existing?.started_at ?? t,
        completed_at: null,
        created_at: existing?.created_at ?? t,
        updated_at: t,
        warnings: existing?.warnings ?? [],
        last_output_at: null,
        session: null,
        // The step's `wait` (description, approvers, form) comes with a read of the run.
        wait: existing?.wait ?? null,
        snapshot: existing?.snapshot ?? null,
      };
      const wait: WaitInfo = {
        step_id: d.step_id,
        step_key: d.step_key,
        kind: d.kind,
        title: d.title ?? null,
        signal_name: d.signal_name ?? null,
        deadline: d.deadline ?? null,
        since: existing?.wait?.since ?? t,
      };
      const waiting_for = [...(run.waiting_for ?? []).filter((w) => w.step_id !== d.step_id), wait];
      return { ...run, current_phase: d.phase, steps: upsertStep(run.steps, step), waiting_for };
    }
    case "workflow.approval.decided": {
      const d = ev.data;
      const decision = decisionFromEvent(d.decision);
      const waiting_for = (run.waiting_for ?? []).filter((w) => w.step_id !== d.step_id);
      const existing = run.steps.find((s) => s.id === d.step_id);
      if (!existing || !decision) return { ...run, waiting_for };
      const t = nowIso();
      const step: Step = {
        ...existing,
        status: decision === "rejected" ? "failed" : "completed",
        result: { ...(existing.result ?? {}), data: { decision, by: d.by, at: t, comment: d.comment ?? null } } as Step["result"],
        completed_at: existing.completed_at ?? t,
        updated_at: t,
        wait: existing.wait ? { ...existing.wait, resolved_at: t, can_decide: false } : existing.wait,
      };
      return { ...run, steps: upsertStep(run.steps, step), waiting_for };
    }
    case "workflow.step.completed": {
      const d = ev.data;
      const existing = run.steps.find((s) => s.id === d.step_id);
      if (!existing) return null;
      const waiting_for = run.waiting_for?.filter((w) => w.step_id !== d.step_id);
      const start = existing.started_at ? Date.parse(existing.started_at) : Date.now() - d.duration_ms;
      const step: Step = {
        ...existing,
        status: d.status,
        error_message: d.error ?? null,
        completed_at: new Date(start + d.duration_ms).toISOString(),
        updated_at: nowIso(),
        warnings: d.warnings ?? existing.warnings ?? [],
      };
      return { ...run, steps: upsertStep(run.steps, step), ...(waiting_for ? { waiting_for } : {}) };
    }
    default:
      // Comments and artifacts name only their id: counts come from reading the run again
      // (a replayed event must not count twice).
      return null;
  }
}

/** Progress streams the engine writes itself (not the step's output): they do not end a silence. */
const NOT_OUTPUT = new Set(["warning"]);

/** Whether a `workflow.step.progress` event of `stream` is the step printing something. */
export const isOutputStream = (stream: string): boolean => !NOT_OUTPUT.has(stream);

/**
 * A running step printed (a `workflow.step.progress` event of `stream`): its `last_output_at`
 * moves to `at`, at most every `every` ms (so a chatty agent does not redraw the page on each
 * line). Null when nothing changes, or for a `warning` (the engine's, not the agent's output).
 */
export function noteOutput<R extends RunSummary>(run: R, stepId: string, at: number, stream = "stdout", every = 20_000): R | null {
  if (!isOutputStream(stream)) return null;
  const step = run.steps.find((s) => s.id === stepId);
  if (!step || step.status !== "running") return null;
  const last = step.last_output_at ? Date.parse(step.last_output_at) : NaN;
  if (!Number.isNaN(last) && at - last < every) return null;
  const next: Step = { ...step, last_output_at: new Date(at).toISOString() };
  return { ...run, steps: upsertStep(run.steps, next) };
}

/** Events that change what the board shows about a run. */
export function isBoardEvent(ev: WsEvent): boolean {
  return ev.type !== "workflow.step.progress" && ev.type !== "workflow.execution.log";
}
