// The places that show a diff: a step's "Changes" tab (what the step changed, against the
// snapshot before it) and the run page's changes view (the whole run since its worktree's base,
// or since its last decided gate). Each reads its diff again when a new snapshot is taken.

import { useEffect, useRef } from "react";
import { useSearchParams } from "react-router-dom";
import { ApiError } from "../../api/client";
import { getRunDiff, getStepDiff } from "../../api/endpoints";
import type { RunDetail, StepDetail } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { diffSince, type DiffSince } from "../../lib/workspace";
import { ErrorState, Loading } from "../States";
import { DiffView } from "./DiffView";

/** The newest snapshot commit among a run's steps: a new one means a new diff. */
export function snapshotVersion(run: RunDetail): string {
  return run.steps.map((s) => s.snapshot?.commit ?? "").join(",");
}

/**
 * Reads again, quietly (the diff on screen stays, with what is open and where the focus is),
 * when `version` changes: a step finished and took a new snapshot.
 */
export function useQuietReload(version: string, reload: (quiet?: boolean) => void): void {
  const seen = useRef(version);
  useEffect(() => {
    if (seen.current === version) return;
    seen.current = version;
    reload(true);
  }, [version, reload]);
}

/** Whether a step has changes to show (the Changes tab exists only then). */
export const hasSnapshot = (step: { snapshot?: unknown }): boolean => step.snapshot != null;

export function StepChanges({ step }: { step: StepDetail }) {
  const commit = step.snapshot?.commit;
  const diff = useAsync((signal) => getStepDiff(step.id, undefined, { signal }), [step.id, commit]);
  return (
    <div className="changes" data-testid="step-changes">
      {diff.error ? (
        <ErrorState error={diff.error} onRetry={() => diff.reload()} title="Cannot read the step's changes" />
      ) : !diff.data ? (
        <Loading inline label="Reading the diff…" />
      ) : (
        <DiffView diff={diff.data} idPrefix={`step-${step.id}`} />
      )}
    </div>
  );
}

function notMadeYet(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409;
}

export function RunChanges({ run }: { run: RunDetail }) {
  const [params, setParams] = useSearchParams();
  const since = diffSince(params);
  const version = snapshotVersion(run);
  const diff = useAsync((signal) => getRunDiff(run.id, since, undefined, { signal }), [run.id, since]);
  useQuietReload(version, diff.reload);
  const choose = (s: DiffSince) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (s === "base") next.delete("since");
        else next.set("since", s);
        return next;
      },
      { replace: true },
    );
  return (
    <div className="changes run-changes" data-testid="run-changes">
      <div className="changes-head">
        <div className="seg-toggle" role="group" aria-label="Changes since">
          <button type="button" data-testid="changes-since-base" aria-pressed={since === "base"} onClick={() => choose("base")}>
            Since the start
          </button>
          <button type="button" data-testid="changes-since-gate" aria-pressed={since === "last_gate"} onClick={() => choose("last_gate")}>
            Since the last gate
          </button>
        </div>
      </div>
      {diff.error ? (
        notMadeYet(diff.error) ? (
          <p className="muted small" data-testid="changes-empty">
            {run.workspace ? "The run's worktree is not made yet." : "This run does not run in a git worktree, so it has no changes to show."}
          </p>
        ) : (
          <ErrorState error={diff.error} onRetry={() => diff.reload()} title="Cannot read the run's changes" />
        )
      ) : !diff.data ? (
        <Loading inline label="Reading the diff…" />
      ) : (
        <DiffView diff={diff.data} idPrefix={`run-${run.id}`} />
      )}
    </div>
  );
}
