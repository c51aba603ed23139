// A step whose retries ran out (`retry.onExhausted: "wait"`), at the top of its run's page:
// its last error, and the three decisions: try it again, skip it with a value (the step's
// data), or fail it (`POST .../approvals/{step}` with `retry`, `skip` or `fail`).

import { useState } from "react";
import { useConfirm } from "../../hooks/useConfirm";
import { ApiError, errorMessage } from "../../api/client";
import { decideApproval } from "../../api/endpoints";
import type { DecisionRequest, RunDetail, Step, WaitInfo } from "../../api/types";
import { approvalsChanged } from "../../hooks/useApprovals";
import { IconBell } from "../Icons";
import { Since } from "./WaitSince";

interface Props {
  run: RunDetail;
  wait: WaitInfo;
  step: Step | undefined;
  now: number;
  onDecided: () => void;
  onConflict: (message: string) => void;
}

export function RetryPanel({ run, wait, step, now, onDecided, onConflict }: Props) {
  const [value, setValue] = useState("");
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState<DecisionRequest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { confirm, dialog } = useConfirm();
  const canDecide = step?.wait?.can_decide ?? true;
  const title = step?.wait?.title ?? wait.title ?? `"${wait.step_key}" failed`;
  const lastError = step?.wait?.description ?? step?.error_message;

  async function decide(decision: DecisionRequest) {
    let parsed: unknown = undefined;
    if (decision === "skip" && value.trim()) {
      try {
        parsed = JSON.parse(value);
      } catch {
        setError("The value is not valid JSON.");
        return;
      }
    }
    if (decision === "fail" && !(await confirm({ title: `Fail “${wait.step_key}”?`, message: "The step fails, and the run with it unless the workflow handles the failure.", confirmLabel: "Fail the step", cancelLabel: "Go back", danger: true }))) return;
    setBusy(decision);
    setError(null);
    try {
      await decideApproval(run.id, wait.step_key, { decision, comment: comment.trim() || undefined, value: parsed });
      approvalsChanged();
      onDecided();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        approvalsChanged();
        onConflict(err.message);
      } else setError(errorMessage(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="wait-panel gate-panel retry-panel" data-testid="retry-panel" data-step-key={wait.step_key} aria-labelledby={`retry-${wait.step_id}`}>
      {dialog}
      <header className="wait-head">
        <span className="wait-icon" aria-hidden="true">
          <IconBell width={18} height={18} />
        </span>
        <div className="wait-title">
          <span className="wait-eyebrow">Its retries ran out: needs you</span>
          <h2 id={`retry-${wait.step_id}`} data-testid="retry-title">
            {title}
          </h2>
          <span className="wait-sub">
            <code>{wait.step_key}</code>
            <Since wait={wait} now={now} />
          </span>
        </div>
      </header>
      {lastError && (
        <pre className="retry-error" data-testid="retry-error">
          {lastError}
        </pre>
      )}
      <div className="field">
        <label className="field-label" htmlFor={`retry-value-${wait.step_id}`}>
          Value <span className="muted small">(to skip: the step&apos;s data, as JSON; empty is null)</span>
        </label>
        <textarea id={`retry-value-${wait.step_id}`} className="mono" data-testid="retry-value" rows={2} placeholder='{ "stdout": "done by hand" }' value={value} disabled={!canDecide || busy !== null} onChange={(e) => setValue(e.target.value)} />
      </div>
      <div className="field">
        <label className="field-label" htmlFor={`retry-comment-${wait.step_id}`}>
          Comment <span className="muted small">(optional)</span>
        </label>
        <textarea id={`retry-comment-${wait.step_id}`} data-testid="retry-comment" rows={2} value={comment} disabled={!canDecide || busy !== null} onChange={(e) => setComment(e.target.value)} />
      </div>
      {error && (
        <p className="form-error" data-testid="retry-decision-error" role="alert">
          {error}
        </p>
      )}
      <div className="gate-actions">
        <button type="button" className="btn btn-approve" data-testid="retry-again" disabled={!canDecide || busy !== null} onClick={() => void decide("retry")}>
          {busy === "retry" ? "Retrying…" : "Retry"}
        </button>
        <button type="button" className="btn" data-testid="retry-skip" disabled={!canDecide || busy !== null} onClick={() => void decide("skip")}>
          {busy === "skip" ? "Skipping…" : "Skip with value"}
        </button>
        <button type="button" className="btn btn-danger" data-testid="retry-fail" disabled={!canDecide || busy !== null} onClick={() => void decide("fail")}>
          {busy === "fail" ? "Failing…" : "Fail"}
        </button>
      </div>
    </section>
  );
}
