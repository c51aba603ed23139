// What each run status means for the board and the controls.

import type { Run, RunStatus, Step } from "../api/types";
import { parseTime } from "./format.js";

export const RUN_STATUSES: RunStatus[] = ["pending", "running", "waiting", "paused", "completed", "failed", "cancelled"];
export const FINISHED: RunStatus[] = ["completed", "failed", "cancelled"];

export const STATUS_LABEL: Record<string, string> = {
  pending: "Pending",
  running: "Running",
  waiting: "Waiting",
  paused: "Paused",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function isFinished(s: RunStatus): boolean {
  return FINISHED.includes(s);
}

/**
 * A run that is over for good: completed or cancelled. A failed run may be resumed, so it is
 * not (it stays in its phase on the board, and its steps not run show as "not run" yet).
 */
export function isClosed(s: RunStatus): boolean {
  return s === "completed" || s === "cancelled";
}

/** A waiting run may be paused too (it then stays paused when what it waits for arrives). */
export function canPause(s: RunStatus): boolean {
  return s === "running" || s === "waiting";
}

export function canResume(s: RunStatus): boolean {
  return s === "paused" || s === "failed";
}

export function canCancel(s: RunStatus): boolean {
  return s === "pending" || s === "paused" || s === "running" || s === "waiting";
}

/** The run page's controls; `pause_now` is the pause that stops the steps in flight. */
export type ControlAction = "pause" | "pause_now" | "resume" | "cancel";

/**
 * Which controls are enabled, given the request in progress (`busy`) and whether a pause (of
 * either kind) is pending. A pending pause, or one being asked for, can still be overtaken:
 * by Pause now (unless it is one already) and by Cancel.
 */
export function enabledControls(
  s: RunStatus,
  busy: ControlAction | null,
  pending: "pause" | "pause_now" | null,
): Record<ControlAction, boolean> {
  const pausing = pending ?? (busy === "pause" || busy === "pause_now" ? busy : null);
  return {
    pause: canPause(s) && busy === null && pausing === null,
    pause_now: canPause(s) && (busy === null || busy === "pause") && pausing !== "pause_now",
    resume: canResume(s) && busy === null,
    cancel: canCancel(s) && (busy === null || pausing !== null) && busy !== "cancel",
  };
}

/** The step a card shows: the one running (or waiting), else the last one. */
export function currentStep(steps: Step[]): Step | null {
  if (steps.length === 0) return null;
  const running = steps.filter((s) => s.status === "running" || s.status === "waiting");
  if (running.length > 0) return running[running.length - 1];
  return [...steps].sort((a, b) => a.step_index - b.step_index)[steps.length - 1];
}

/** How long the run has taken (to now while it runs). */
export function runElapsedMs(run: Run, now: number): number | null {
  const start = parseTime(run.started_at);
  if (start === null) return null;
  const end =
    parseTime(run.completed_at) ??
    parseTime(run.cancelled_at) ??
    (run.status === "paused" ? parseTime(run.paused_at) : null) ??
    (isFinished(run.status) ? parseTime(run.updated_at) : null);
  return (end ?? now) - start;
}

export function stepDurationMs(step: Step, now: number): number | null {
  const start = parseTime(step.started_at);
  if (start === null) return null;
  const end = parseTime(step.completed_at);
  return (end ?? (step.status === "running" || step.status === "waiting" ? now : start)) - start;
}
