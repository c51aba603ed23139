// Marks a step carries wherever it is shown (card, timeline, step panel): a warning icon for a
// step that ended with warnings (permission denials...), "no output for N min" on a running
// agent step gone quiet, and what a step changed in its run's worktree ("+12 −3").

import type { Step, StepDetail } from "../../api/types";
import { stallText, warningsOf, warningTitle } from "../../lib/workspace";
import { IconWarning } from "../Icons";

type AnyStep = Step | StepDetail;

/** The warning icon (`step-warning`), with the warnings as its title; nothing without any. */
export function WarningIcon({ step, size = 14 }: { step: AnyStep; size?: number }) {
  const w = warningsOf(step);
  if (w.length === 0) return null;
  const title = warningTitle(w);
  return (
    <span className="step-warning-icon" data-testid="step-warning" data-count={w.length} title={title} role="img" aria-label={title}>
      <IconWarning width={size} height={size} />
    </span>
  );
}

/** The step's warnings in full, for the step panel. */
export function WarningList({ step }: { step: AnyStep }) {
  const w = warningsOf(step);
  if (w.length === 0) return null;
  return (
    <div className="notice notice-warn step-warnings" data-testid="step-warnings" role="status">
      <strong>
        <IconWarning width={14} height={14} /> {w.length === 1 ? "Finished with a warning" : `Finished with ${w.length} warnings`}
      </strong>
      <ul>
        {w.map((x, i) => (
          <li key={i}>{x}</li>
        ))}
      </ul>
    </div>
  );
}

/** "no output for 3 min" (`step-stall`) on a running agent step silent for 2 min or more. */
export function StallLine({ step, now, className = "step-stall" }: { step: AnyStep; now: number; className?: string }) {
  if (step.type !== "agent") return null;
  const text = stallText(step.last_output_at ?? step.started_at, now, step.status === "running");
  if (!text) return null;
  return (
    <span className={className} data-testid="step-stall" title={`Last output at ${new Date(Date.parse(step.last_output_at ?? step.started_at ?? "")).toLocaleTimeString()}`}>
      {text}
    </span>
  );
}

/** "+12 −3" of a step's snapshot (what it changed), for the timeline. */
export function SnapshotCounts({ step }: { step: AnyStep }) {
  const s = step.snapshot;
  if (!s || s.files_changed.length === 0) return null;
  const n = s.files_changed.length;
  return (
    <span className="chip step-changed" data-testid="step-changed" title={`Changed ${n} ${n === 1 ? "file" : "files"} in the worktree`}>
      <span className="change-add">+{s.additions}</span> <span className="change-del">−{s.deletions}</span>
    </span>
  );
}
