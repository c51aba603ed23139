// Run again and rerun from a step (`POST /workflow-executions/{id}/rerun`): the form that
// starts one (arguments editable), the run's lineage (the run it came from, its reruns) and
// the warnings recorded on it (resumed with changed code, a definition changed since).

import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { rerunRun } from "../../api/endpoints";
import type { RunDetail } from "../../api/types";
import { plural } from "../../lib/format";
import { StatusBadge } from "../StatusBadge";

interface FormProps {
  run: RunDetail;
  projectId: string;
  /** The step (its id) to run for real from; none runs every step again. */
  fromStep?: string;
  onClose: () => void;
}

/** How many of the run's recorded steps come before `fromStep` (those the rerun may reuse). */
export function stepsBefore(run: RunDetail, fromStep: string): number {
  const at = run.steps.find((s) => s.step_id === fromStep);
  return at ? run.steps.filter((s) => s.step_index < at.step_index).length : 0;
}

/** The arguments (editable, as JSON) and the button that starts the new run. */
export function RerunForm({ run, projectId, fromStep, onClose }: FormProps) {
  const navigate = useNavigate();
  const [text, setText] = useState(() => JSON.stringify(run.args ?? {}, null, 2));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const testId = fromStep ? "rerun-form" : "run-again-form";

  async function submit(e: FormEvent) {
    e.preventDefault();
    let args: unknown;
    try {
      args = JSON.parse(text);
    } catch (err) {
      setError(`The arguments are not JSON: ${(err as Error).message}`);
      return;
    }
    if (args === null || typeof args !== "object" || Array.isArray(args)) {
      setError("The arguments must be a JSON object.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const created = await rerunRun(run.id, { from_step_id: fromStep, args: args as Record<string, unknown> });
      onClose();
      navigate(`/p/${projectId}/runs/${created.id}`);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  const reused = fromStep ? stepsBefore(run, fromStep) : 0;
  return (
    <form className="rerun-form" data-testid={testId} onSubmit={submit} aria-label={fromStep ? `Rerun from ${fromStep}` : "Run again"}>
      <p className="small">
        {fromStep ? (
          <>
            A new run of the workflow (its file as it is now) that reuses the results of the {plural(reused, "step")} recorded before{" "}
            <code>{fromStep}</code> and runs <code>{fromStep}</code> and everything after it.
          </>
        ) : (
          <>A new run of the workflow (its file as it is now), every step run again.</>
        )}
      </p>
      <label className="field">
        <span className="field-label">Arguments (JSON)</span>
        <textarea
          data-testid={`${testId}-args`}
          rows={Math.min(10, Math.max(3, text.split("\n").length))}
          value={text}
          spellCheck={false}
          aria-invalid={error ? "true" : undefined}
          onChange={(e) => {
            setText(e.target.value);
            setError(null);
          }}
        />
      </label>
      {error && (
        <p className="notice notice-error" role="alert" data-testid={`${testId}-error`}>
          {error}
        </p>
      )}
      <div className="rerun-form-actions">
        <button type="submit" className="btn btn-sm btn-primary" data-testid={`${testId}-submit`} disabled={busy}>
          {busy ? "Starting…" : fromStep ? `Rerun from ${fromStep}` : "Start the run"}
        </button>
        <button type="button" className="btn btn-sm" onClick={onClose} disabled={busy}>
          Close
        </button>
      </div>
    </form>
  );
}

/** The run's header button; the form opens below it. */
export function RunAgainButton({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  return (
    <button type="button" className="btn btn-sm" data-testid="run-again" aria-expanded={open} onClick={onToggle} title="Start a new run of this workflow">
      Run again
    </button>
  );
}

/** Where the run came from, the runs started from it, and its warnings. */
export function RunLineage({ run, projectId }: { run: RunDetail; projectId: string }) {
  const reruns = run.reruns ?? [];
  const warnings = run.warnings ?? [];
  if (!run.parent_run_id && reruns.length === 0 && warnings.length === 0) return null;
  return (
    <section className="run-lineage" data-testid="run-lineage" aria-label="Reruns">
      {run.parent_run_id && (
        <p className="small" data-testid="run-parent">
          {run.forked_from_step ? (
            <>
              Rerun from step <code>{run.forked_from_step}</code> of{" "}
            </>
          ) : (
            <>Run again of </>
          )}
          <Link to={`/p/${projectId}/runs/${run.parent_run_id}`}>
            <code className="id">{run.parent_run_id}</code>
          </Link>
          {run.forked_from_step && <span className="muted"> (the steps it recorded before that one are reused)</span>}
        </p>
      )}
      {reruns.length > 0 && (
        <div className="small" data-testid="run-reruns">
          <span>Reruns: </span>
          <ul className="rerun-list">
            {reruns.map((r) => (
              <li key={r.id}>
                <Link to={`/p/${projectId}/runs/${r.id}`} data-testid="rerun-link">
                  <code className="id">{r.id}</code>
                </Link>{" "}
                {r.forked_from_step ? (
                  <span className="muted">
                    from <code>{r.forked_from_step}</code>
                  </span>
                ) : (
                  <span className="muted">from the start</span>
                )}{" "}
                <StatusBadge status={r.status} small />
              </li>
            ))}
          </ul>
        </div>
      )}
      {warnings.map((w, i) => (
        <p key={i} className="notice notice-warn" role="status" data-testid="run-warning">
          {w}
        </p>
      ))}
    </section>
  );
}
