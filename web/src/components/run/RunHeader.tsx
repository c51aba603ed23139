import { useState } from "react";
import { Link } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { controlRun, type ControlAction } from "../../api/endpoints";
import type { ControlResult, RunDetail } from "../../api/types";
import { formatDateTime, formatDuration, formatRelative } from "../../lib/format";
import { canCancel, canPause, canResume, runElapsedMs } from "../../lib/status";
import { IconPause, IconPlay, IconStop } from "../Icons";
import { StatusBadge } from "../StatusBadge";

interface Props {
  run: RunDetail;
  projectId: string;
  now: number;
  onControlled: (r: ControlResult) => void;
}

export function RunHeader({ run, projectId, now, onControlled }: Props) {
  const [busy, setBusy] = useState<ControlAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pauseRequested, setPauseRequested] = useState(false);
  const elapsed = runElapsedMs(run, now);

  async function act(action: ControlAction) {
    if (action === "cancel" && !window.confirm(`Cancel “${run.name}”? Running steps are killed at once.`)) return;
    setBusy(action);
    setError(null);
    try {
      const r = await controlRun(run.id, action);
      setPauseRequested(action === "pause" && r.pause_requested === true);
      onControlled(r);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  const def = run.workflow_definition;
  return (
    <header className="run-header">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={`/p/${projectId}/board`}>Board</Link>
        <span aria-hidden="true">/</span>
        {def ? <Link to={`/p/${projectId}/board/${def.id}`}>{def.name}</Link> : <span>Unknown workflow</span>}
      </nav>
      <div className="run-title-row">
        <h1 data-testid="run-title" className="run-title">
          {run.name}
        </h1>
        <StatusBadge status={run.status} testId="run-status" />
        <div className="run-actions" role="group" aria-label="Run controls">
          <button type="button" className="btn btn-sm" data-testid="run-pause" disabled={!canPause(run.status) || busy !== null} onClick={() => act("pause")}>
            <IconPause width={14} height={14} /> {busy === "pause" ? "Pausing…" : "Pause"}
          </button>
          <button type="button" className="btn btn-sm" data-testid="run-resume" disabled={!canResume(run.status) || busy !== null} onClick={() => act("resume")}>
            <IconPlay width={14} height={14} /> {busy === "resume" ? "Resuming…" : "Resume"}
          </button>
          <button
            type="button"
            className="btn btn-sm btn-danger"
            data-testid="run-cancel"
            disabled={!canCancel(run.status) || busy !== null}
            onClick={() => act("cancel")}
          >
            <IconStop width={14} height={14} /> {busy === "cancel" ? "Cancelling…" : "Cancel"}
          </button>
        </div>
      </div>
      <dl className="run-meta">
        <div>
          <dt>Started</dt>
          <dd title={formatDateTime(run.started_at)}>{run.started_at ? formatRelative(run.started_at, now) : "not yet"}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(elapsed)}</dd>
        </div>
        <div>
          <dt>Phase</dt>
          <dd>{run.current_phase ?? "—"}</dd>
        </div>
        <div>
          <dt>Steps</dt>
          <dd>
            {run.steps.filter((s) => s.status === "completed").length}/{run.steps.length}
            {def?.type === "yaml" ? "" : " so far"}
          </dd>
        </div>
        <div>
          <dt>Run id</dt>
          <dd>
            <code className="id">{run.id}</code>
          </dd>
        </div>
      </dl>
      {(pauseRequested || run.pause_requested === true) && run.status === "running" && (
        <p className="notice notice-info" role="status">
          Pause requested: the run pauses when the steps in flight finish.
        </p>
      )}
      {run.error_message && (
        <p className="notice notice-error" role="alert">
          {run.error_message}
        </p>
      )}
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
    </header>
  );
}
