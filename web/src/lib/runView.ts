// What the run page says about a run and its steps in words: queued to resume, how many steps
// are done (no "so far" once the run has ended), a step that never ran in an ended run ("not
// run", never "waiting"), the spend line, the tab title.

import type { Run, RunStatus, Step } from "../api/types";
import { formatTokens } from "./budget.js";
import { formatCost } from "./format.js";
import { isFinished, STATUS_LABEL } from "./status.js";

/** A resumed run waiting for a run slot: `pending`, though it has started before. */
export function queuedToResume(run: Pick<Run, "status" | "started_at">): boolean {
  return run.status === "pending" && !!run.started_at;
}

/**
 * The header's "Steps": `3/5`; while a TypeScript run goes on, `3/4 so far` (its later steps
 * are not known before they run); once it has ended, never "so far".
 */
export function stepsDoneText(run: Pick<Run, "status"> & { steps: Pick<Step, "status">[] }, declared: boolean): string {
  const done = run.steps.filter((s) => s.status === "completed").length;
  const text = `${done}/${run.steps.length}`;
  return declared || isFinished(run.status) ? text : `${text} so far`;
}

/**
 * A step's status as the run page shows it: a step left `pending` or `waiting` in a run that
 * has ended never ran (or stopped waiting): `not_run`.
 */
export function shownStepStatus(step: Pick<Step, "status">, runStatus: RunStatus): string {
  if (isFinished(runStatus) && (step.status === "pending" || step.status === "waiting")) return "not_run";
  return step.status;
}

/** What a declared step not run yet says: "not run yet" while the run may still run it, else "not run". */
export function plannedText(runStatus: RunStatus): string {
  return isFinished(runStatus) ? "not run" : "not run yet";
}

/** The run's cost and tokens in one line: `$0.0123 · 1.2k tokens`; null when nothing was spent. */
export function spendText(spend: Run["spend"] | null | undefined): string | null {
  if (!spend || (spend.usd <= 0 && spend.tokens <= 0)) return null;
  return `${formatCost(spend.usd)} · ${formatTokens(spend.tokens)} tokens`;
}

/** The tokens of a run's agent sessions by kind, for the spend's tooltip. */
export function tokenBreakdown(steps: { session?: { input_tokens?: number | null; output_tokens?: number | null; cached_tokens?: number | null } | null }[]): {
  input: number;
  output: number;
  cached: number;
  sessions: number;
} {
  const out = { input: 0, output: 0, cached: 0, sessions: 0 };
  for (const s of steps) {
    if (!s.session) continue;
    out.sessions += 1;
    out.input += s.session.input_tokens ?? 0;
    out.output += s.session.output_tokens ?? 0;
    out.cached += s.session.cached_tokens ?? 0;
  }
  return out;
}

/** The tab title: `Fix #12 · Running`; a run queued to resume says so; with a step open, the step first. */
export function runTitle(run: Pick<Run, "name" | "status" | "started_at">, stepName?: string | null): string {
  const status = queuedToResume(run) ? "Queued to resume" : (STATUS_LABEL[run.status] ?? run.status);
  const base = `${run.name} · ${status}`;
  return stepName ? `${stepName} · ${base}` : base;
}
