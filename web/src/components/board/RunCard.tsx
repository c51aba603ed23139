// A run's card on the board: name, status, what it does or waits for (a queued run: its place
// in the queue, or the concurrency key it waits for), a warning icon for steps that ended with
// warnings, the arguments that differ from the defaults, spend, phases and counts.

import { memo } from "react";
import { Link } from "react-router-dom";
import type { RunSummary } from "../../api/types";
import { argsSummary } from "../../lib/argsSummary";
import { queueLine } from "../../lib/columns";
import { formatDuration, formatRelative } from "../../lib/format";
import { queuedToResume as isQueuedToResume } from "../../lib/runView";
import { currentStep, isFinished, runElapsedMs } from "../../lib/status";
import { formatCountdown, needsPerson, waitLine, waitsOf } from "../../lib/waits";
import { warningsOf, warningTitle } from "../../lib/workspace";
import { IconBell, IconClock, IconComment, IconHourglass, IconPaperclip, IconWarning } from "../Icons";
import { StallLine } from "../step/StepFlags";
import { SpendLine } from "../run/Spend";
import { StatusBadge } from "../StatusBadge";

interface Props {
  run: RunSummary;
  projectId: string;
  now: number;
  /** In the "all workflows" view: name the workflow on the card. */
  showWorkflow: boolean;
}

function PhaseBar({ run }: { run: RunSummary }) {
  const phases = run.workflow_definition?.phases ?? [];
  if (phases.length < 2) return null;
  const at = run.current_phase ? phases.indexOf(run.current_phase) : -1;
  const done = run.status === "completed";
  return (
    <div className="phasebar" aria-hidden="true" title={run.current_phase ?? undefined}>
      {phases.map((p, i) => (
        <span
          key={p}
          className={`phasebar-seg${done || i < at ? " is-done" : ""}${!done && i === at && run.status !== "pending" ? ` is-current is-${run.status}` : ""}`}
        />
      ))}
    </div>
  );
}

export const RunCard = memo(function RunCard({ run, projectId, now, showWorkflow }: Props) {
  const step = currentStep(run.steps);
  const elapsed = runElapsedMs(run, now);
  const queuedToResume = isQueuedToResume(run);
  const stepText = queuedToResume
    ? `Queued to resume${step ? ` · ${step.name}` : ""}`
    : (step?.name ?? (run.status === "pending" ? "Waiting to start" : run.status === "cancelled" ? "Cancelled before a step" : "No steps yet"));
  const c = run._count ?? { comments: 0, artifacts: 0 };
  const ended = formatRelative(run.completed_at ?? run.cancelled_at ?? run.updated_at, now);
  const wait = waitLine(run, now);
  const sleep = wait?.kind === "sleep" ? waitsOf(run).find((w) => w.step_id === wait.stepId) : undefined;
  const countdown = sleep ? formatCountdown(sleep.deadline, now) : null;
  const args = argsSummary(run.args, run.workflow_definition?.args_schema);
  const queue = run.status === "pending" && run.queue ? queueLine(run.queue) : null;
  const byKey = (run.queue?.reason as string | undefined) === "concurrency_key";
  const warned = run.steps.filter((s) => warningsOf(s).length > 0);
  return (
    <Link
      to={`/p/${projectId}/runs/${run.id}`}
      className={`run-card is-${run.status}`}
      data-testid="run-card"
      data-run-id={run.id}
      data-status={run.status}
    >
      <div className="run-card-top">
        <span className="run-card-name" data-testid="card-name">
          {run.name}
        </span>
        <StatusBadge status={run.status} testId="card-status" small />
      </div>
      {showWorkflow && run.workflow_definition && run.workflow_definition.name !== run.name && (
        <div className="run-card-wf muted small">{run.workflow_definition.name}</div>
      )}
      {args && (
        <div className="run-card-args" data-testid="card-args" title={args}>
          {args}
        </div>
      )}
      {run.status === "pending" && run.placement ? (
        <div className="run-card-queue is-stranded" data-testid="card-placement" title={`Not started: ${run.placement}`}>
          <IconHourglass width={13} height={13} />
          <span className="truncate">No node can take it</span>
        </div>
      ) : queue ? (
        <div
          className="run-card-queue"
          data-testid="card-queue"
          data-reason={run.queue?.reason}
          title={byKey ? "Waits for other runs with the same concurrency key to end" : "Waits for a free slot: the server runs a limited number of runs at once"}
        >
          <IconHourglass width={13} height={13} />
          <span>
            {queuedToResume ? "Queued to resume · " : ""}
            {queue}
          </span>
        </div>
      ) : wait ? (
        <div className="run-card-wait" data-testid="card-wait" data-kind={wait.kind} title={step ? `${step.phase} · ${step.step_id}` : undefined}>
          {needsPerson(wait.kind) ? <IconBell width={13} height={13} /> : <IconHourglass width={13} height={13} />}
          <span className="wait-text" title={wait.text}>
            {wait.text}
            {countdown && <span className="wait-countdown"> · {countdown}</span>}
          </span>
        </div>
      ) : (
        <div className="run-card-step" data-testid="card-step" title={step ? `${step.phase} · ${step.step_id}` : undefined}>
          {step?.status === "running" && <span className="pulse" aria-hidden="true" />}
          {step?.status === "failed" && !queuedToResume && <span className="step-x" aria-hidden="true">✕</span>}
          <span className="truncate">{stepText}</span>
          {step?.status === "skipped" && !queuedToResume && <span className="chip chip-skipped" data-testid="card-step-skipped" title={step.error_message ?? undefined}>skipped</span>}
          {showWorkflow && run.current_phase && run.status !== "pending" && <span className="chip">{run.current_phase}</span>}
        </div>
      )}
      {step && <StallLine step={step} now={now} className="card-stall" />}
      {run.status === "failed" && run.error_message && (
        <div className="run-card-error" title={run.error_message}>
          {run.error_message}
        </div>
      )}
      <SpendLine run={run} />
      <PhaseBar run={run} />
      <div className="run-card-meta">
        <span className="meta-item" data-testid="card-elapsed" title={elapsed === null ? "Not started" : "Elapsed"}>
          <IconClock width={13} height={13} />
          {elapsed === null ? formatRelative(run.created_at, now) : formatDuration(elapsed)}
        </span>
        {isFinished(run.status) && (
          <span className="meta-item meta-ago" title={`Ended ${ended}`}>
            {ended.replace(/ ago$/, "").replace("just now", "now")}
          </span>
        )}
        <span className="meta-spacer" />
        {warned.length > 0 && (
          <span
            className="meta-item step-warning-icon"
            data-testid="step-warning"
            data-count={warned.length}
            role="img"
            aria-label={`${warned.length === 1 ? "A step" : `${warned.length} steps`} finished with warnings`}
            title={warned.map((s) => `${s.name}: ${warningTitle(warningsOf(s))}`).join("\n")}
          >
            <IconWarning width={13} height={13} />
          </span>
        )}
        <span className="meta-item" data-testid="card-comments" aria-label={`${c.comments} comments`} title="Comments">
          <IconComment width={13} height={13} />
          {c.comments}
        </span>
        <span className="meta-item" data-testid="card-artifacts" aria-label={`${c.artifacts} artifacts`} title="Artifacts">
          <IconPaperclip width={13} height={13} />
          {c.artifacts}
        </span>
      </div>
    </Link>
  );
});
