// Beside a gate's Approve / Request changes: what the run changed since its last decided gate
// (or since its start), as a one-line summary ("3 files, +12 −4") that opens into the diff.

import { useState } from "react";
import { ApiError } from "../../api/client";
import { getRunDiff } from "../../api/endpoints";
import type { RunDetail } from "../../api/types";
import { useAsync } from "../../hooks/useAsync";
import { totals, totalsText } from "../../lib/diff";
import { hasDecidedGate } from "../../lib/workspace";
import { ErrorState } from "../States";
import { snapshotVersion, useQuietReload } from "./Changes";
import { DiffView } from "./DiffView";
import { ChangeBar } from "./FileDiff";

export function GateChanges({ run }: { run: RunDetail }) {
  const [open, setOpen] = useState(false);
  const version = snapshotVersion(run);
  // The server diffs from the last decided gate (approved or rejected), or from the worktree's
  // base when none was.
  const decidedGate = hasDecidedGate(run);
  const diff = useAsync((signal) => (run.workspace ? getRunDiff(run.id, "last_gate", undefined, { signal }) : Promise.resolve(null)), [run.id, !!run.workspace]);
  useQuietReload(version, diff.reload);
  // No worktree, or not made yet (409): nothing to show beside the gate.
  if (!run.workspace || diff.data === null || (diff.error instanceof ApiError && diff.error.status === 409)) return null;
  const sum = diff.data ? totals(diff.data.files) : null;
  return (
    <div className="gate-changes" data-testid="gate-changes" data-files={sum?.files ?? ""}>
      <button type="button" className="gate-changes-head" aria-expanded={open} disabled={!diff.data || sum?.files === 0} onClick={() => setOpen((o) => !o)}>
        <span className="diff-caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        <span className="gate-changes-title">{decidedGate ? "Changes since the last gate" : "Changes since the run started"}</span>
        {diff.error ? null : !sum ? (
          <span className="muted small">reading…</span>
        ) : sum.files === 0 ? (
          <span className="muted small" data-testid="gate-changes-summary">
            none
          </span>
        ) : (
          <>
            <span className="small" data-testid="gate-changes-summary">
              {totalsText(sum)}
            </span>
            <ChangeBar additions={sum.additions} deletions={sum.deletions} />
          </>
        )}
      </button>
      {diff.error ? <ErrorState error={diff.error} onRetry={() => diff.reload()} title="Cannot read the changes" /> : null}
      {open && diff.data && <DiffView diff={diff.data} idPrefix={`gate-${run.id}`} commits={false} totals={false} />}
    </div>
  );
}
