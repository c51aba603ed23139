// The run page's head: name, status, the controls (confirmed in the app's dialog), what the run
// is doing about a control (a pending pause, a queued resume), and its facts in one line.

import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { errorMessage } from "../../api/client";
import { controlRun, type ControlAction } from "../../api/endpoints";
import type { ControlResult, RunDetail } from "../../api/types";
import { formatDateTime, formatDuration, formatRelative } from "../../lib/format";
import { enabledControls, runElapsedMs } from "../../lib/status";
import { queueLine } from "../../lib/columns";
import { queuedToResume, stepsDoneText } from "../../lib/runView";
import { useConfirm } from "../../hooks/useConfirm";
import { RunSpend } from "./RunSpend";
import { IconPause, IconPlay, IconStop } from "../Icons";
import { StatusBadge } from "../StatusBadge";
import { skippedText } from "../../lib/skipped";
import { RerunForm, RunAgainButton } from "./Reruns";

interface Props {
  run: RunDetail;
  projectId: string;
  now: number;
  onControlled: (r: ControlResult) => void;
}

export function RunHeader({ run, projectId, now, onControlled }: Props) {
  const [busy, setBusy] = useState<ControlAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [again, setAgain] = useState(false);
  // A pause this page asked for that waits for the steps in flight (or for them to be stopped).
  const [pauseRequested, setPauseRequested] = useState<"pause" | "pause_now" | null>(null);
  // Only the latest request's answer counts: a cancel or a pause now may overtake a pause.
  const latest = useRef(0);
  const elapsed = runElapsedMs(run, now);
  const running = run.status === "running";
  useEffect(() => {
    if (!running) setPauseRequested(null);
  }, [running]);
  const pending = pauseRequested ?? (run.pause_requested === true ? "pause" : null);
  const enabled = enabledControls(run.status, busy, running ? pending : null);

  const { confirm, dialog } = useConfirm();
  const queued = queuedToResume(run);
  const confirmations: Partial<Record<ControlAction, Parameters<typeof confirm>[0]>> = {
    cancel: {
      title: `Cancel “${run.name}”?`,
      message: running || run.status === "waiting" ? "Running steps are killed at once. A cancelled run cannot be resumed." : "A cancelled run cannot be resumed.",
      confirmLabel: "Cancel run",
      cancelLabel: "Keep it",
      danger: true,
    },
    pause_now: {
      title: `Pause “${run.name}” now?`,
      message: "Running steps are stopped, and run again on resume.",
      confirmLabel: "Pause now",
      cancelLabel: "Go back",
    },
  };

  async function act(action: ControlAction) {
    const question = confirmations[action];
    if (question && !(await confirm(question))) return;
    const mine = ++latest.current;
    setBusy(action);
    setError(null);
    try {
      const r = await controlRun(run.id, action);
      if (mine !== latest.current) return;
      const pausing = (action === "pause" || action === "pause_now") && r.pause_requested === true;
      setPauseRequested(pausing ? action : null);
      onControlled(r);
    } catch (e) {
      if (mine === latest.current) setError(errorMessage(e));
    } finally {
      if (mine === latest.current) setBusy(null);
    }
  }

  const def = run.workflow_definition;
  return (
    <header className="run-header">
      {dialog}
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
        {queued && (
          <span className="chip chip-queued" data-testid="run-queued-chip" title="Resumed; it starts when a run slot is free">
            queued to resume
          </span>
        )}
        <div className="run-actions" role="group" aria-label="Run controls">
          <div className="btn-split" role="group" aria-label="Pause">
            <button
              type="button"
              className="btn btn-sm"
              data-testid="run-pause"
              title="Pause after the steps in flight finish"
              disabled={!enabled.pause}
              onClick={() => act("pause")}
            >
              <IconPause width={14} height={14} /> {busy === "pause" ? "Pausing…" : "Pause"}
            </button>
            <button
              type="button"
              className="btn btn-sm"
              data-testid="run-pause-now"
              title="Stop the steps in flight now; they run again on resume"
              disabled={!enabled.pause_now}
              onClick={() => act("pause_now")}
            >
              {busy === "pause_now" ? "Pausing now…" : "Pause now"}
            </button>
          </div>
          <button
            type="button"
            className="btn btn-sm"
            data-testid="run-resume"
            disabled={!enabled.resume}
            title={queued ? "Already queued to resume" : undefined}
            onClick={() => act("resume")}
          >
            <IconPlay width={14} height={14} /> {busy === "resume" ? "Resuming…" : queued ? "Queued" : "Resume"}
          </button>
          <button
            type="button"
            className="btn btn-sm btn-danger"
            data-testid="run-cancel"
            disabled={!enabled.cancel}
            onClick={() => act("cancel")}
          >
            <IconStop width={14} height={14} /> {busy === "cancel" ? "Cancelling…" : "Cancel"}
          </button>
          <RunAgainButton open={again} onToggle={() => setAgain((a) => !a)} />
        </div>
      </div>
      {again && <RerunForm run={run} projectId={projectId} onClose={() => setAgain(false)} />}
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
          <dd data-testid="run-steps-done">
            {stepsDoneText(run, def?.type === "yaml")}
            {skippedText(run.steps)}
          </dd>
        </div>
        <div>
          <dt>Spend</dt>
          <dd>
            <RunSpend run={run} />
          </dd>
        </div>
        <div>
          <dt>Run id</dt>
          <dd>
            <code className="id">{run.id}</code>
          </dd>
        </div>
      </dl>
      {pending !== null && running && (
        <p className="notice notice-info" role="status" data-testid="pause-pending">
          {pending === "pause_now"
            ? "Pausing now: the steps in flight are being stopped; they run again on resume."
            : "Pause requested: the run pauses when the steps in flight finish (Pause now stops them; Cancel ends the run)."}
        </p>
      )}
      {queued && (
        <p className="notice notice-info" role="status" data-testid="run-queued">
          {keyWait(run.queue)
            ? "Queued to resume: a run with the same concurrency key is running, so this one goes on from where it stopped when it ends. Cancel takes it out of the queue."
            : "Queued to resume: every run slot is busy, so the run waits for one to free up and then goes on from where it stopped. Cancel takes it out of the queue."}
          {run.queue && <QueuePlace queue={run.queue} />}
        </p>
      )}
      {!queued && run.status === "pending" && run.queue && (
        <p className="notice notice-info" role="status" data-testid="run-waiting-slot">
          {keyWait(run.queue)
            ? "Waiting for its concurrency key: it starts when a run with the same key ends."
            : `Waiting for a run slot: the server runs ${run.queue.limit} at once and all are busy.`}
          <QueuePlace queue={run.queue} />
        </p>
      )}
      {run.status === "pending" && run.placement && (
        <p className="notice notice-warn" role="status" data-testid="run-placement">
          Not started: {run.placement}. A node that has the project's folder and every label it
          requires takes the run once it is up.
        </p>
      )}
      {run.error_message && !queued && (
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

/** Whether the run waits for its concurrency key rather than a slot. */
function keyWait(queue: RunDetail["queue"]): boolean {
  return queue?.reason === "concurrency_key";
}

/** "3rd in queue · 8/8 running", after a pending run's notice. */
function QueuePlace({ queue }: { queue: NonNullable<RunDetail["queue"]> }) {
  return (
    <strong className="queue-place" data-testid="run-queue-place">
      {" "}
      {queueLine(queue)}.
    </strong>
  );
}
