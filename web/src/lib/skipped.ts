// Steps a YAML `if:` skipped: what the run page and the board say of them.

import type { Step } from "../api/types";

/** `skipped: <reason>` for a skipped step (the reason is the condition that was false), else null. */
export function skipNote(step: Pick<Step, "status" | "error_message">): string | null {
  if (step.status !== "skipped") return null;
  const reason = step.error_message?.trim();
  return `skipped: ${reason ? reason : "its condition was false"}`;
}

/** The error a step shows in red: none for a skipped step, whose reason is no failure. */
export function stepError(step: Pick<Step, "status" | "error_message">): string | null {
  return step.status === "skipped" ? null : (step.error_message ?? null);
}

/** ` · 2 skipped` after a run's count of completed steps, when a step was skipped. */
export function skippedText(steps: Pick<Step, "status">[]): string {
  const n = steps.filter((s) => s.status === "skipped").length;
  return n > 0 ? ` · ${n} skipped` : "";
}
