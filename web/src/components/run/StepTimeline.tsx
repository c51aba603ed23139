// The run's steps as a list, by phase: each step's state, tries, wait or decision, error and
// time; the declared steps not run (yet). The waterfall (Waterfall.tsx) is the other view.

import { Link } from "react-router-dom";
import type { RunDetail, Step, StepConfig } from "../../api/types";
import { formatClock, formatDuration } from "../../lib/format";
import { isClosed, isFinished, stepDurationMs } from "../../lib/status";
import { stepError } from "../../lib/skipped";
import { decisionOf, describeWait, waitsOf } from "../../lib/waits";
import { SkippedNote } from "../step/SkippedNote";
import { DecisionLine } from "./WaitPanels";
import { plannedText, shownStepStatus } from "../../lib/runView";
import { TryTrail } from "./TryTrail";
import { SnapshotCounts, StallLine, WarningIcon } from "../step/StepFlags";
import { warningsOf } from "../../lib/workspace";

interface Props {
  run: RunDetail;
  projectId: string;
  /** Steps the YAML definition declares, to show those not run yet. */
  planned: StepConfig[];
  selectedStepId?: string;
  now: number;
}

interface Group {
  phase: string;
  steps: Step[];
  planned: StepConfig[];
}

function groups(run: RunDetail, planned: StepConfig[]): Group[] {
  const phases = [...(run.workflow_definition?.phases ?? [])];
  for (const s of run.steps) if (!phases.includes(s.phase)) phases.push(s.phase);
  const seen = new Set(run.steps.map((s) => s.step_id));
  // A failed run may be resumed: what it declares and did not run shows as "not run".
  const open = !isClosed(run.status);
  return phases.map((phase) => ({
    phase,
    steps: run.steps.filter((s) => s.phase === phase).sort((a, b) => a.step_index - b.step_index),
    planned: open ? planned.filter((p) => (p.phase ?? phases[0]) === phase && !seen.has(p.id)) : [],
  }));
}

function StatusIcon({ status }: { status: string }) {
  const glyph =
    status === "completed"
      ? "✓"
      : status === "failed"
        ? "✕"
        : status === "running"
          ? ""
          : status === "waiting"
            ? "…"
            : status === "skipped"
              ? "↷"
              : status === "warning"
                ? "!"
              : status === "not_run"
                ? "–"
                : "•";
  return (
    <span className={`step-icon step-icon-${status}`} aria-hidden="true">
      {glyph}
    </span>
  );
}

function phaseState(g: Group, runStatus: RunDetail["status"]): string {
  const ended = isFinished(runStatus);
  if (g.steps.some((s) => s.status === "failed" && !s.continue_on_error)) return "failed";
  if (!ended && g.steps.some((s) => s.status === "waiting")) return "waiting";
  if (!ended && g.steps.some((s) => s.status === "running")) return "running";
  if (g.steps.some((s) => s.status === "completed" || s.status === "skipped" || s.status === "failed")) {
    return g.planned.length === 0 ? "completed" : ended ? "not_run" : "running";
  }
  return ended ? "not_run" : "pending";
}

export function StepTimeline({ run, projectId, planned, selectedStepId, now }: Props) {
  const gs = groups(run, planned);
  const waits = waitsOf(run);
  if (gs.length === 0 || (run.steps.length === 0 && planned.length === 0)) {
    return (
      <div className="timeline-empty muted">
        {run.status === "pending" ? "The run has not started yet: its steps appear here as they run." : "No steps were recorded for this run."}
      </div>
    );
  }
  return (
    <ol className="timeline" aria-label="Steps by phase">
      {gs.map((g) => {
        const state = phaseState(g, run.status);
        const total = g.steps.reduce((sum, s) => sum + (stepDurationMs(s, now) ?? 0), 0);
        return (
          <li key={g.phase} className={`phase-group phase-${state}`} data-testid="phase-group" data-phase={g.phase}>
            <div className="phase-head">
              <span className={`phase-dot phase-dot-${state}`} aria-hidden="true" />
              <h3 className="phase-name">{g.phase}</h3>
              {run.current_phase === g.phase && run.status === "running" && <span className="chip chip-live">current</span>}
              {run.current_phase === g.phase && run.status === "waiting" && <span className="chip chip-waiting">waiting</span>}
              {run.current_phase === g.phase && run.status === "failed" && <span className="chip chip-failed">failed here</span>}
              <span className="muted small phase-time">{g.steps.length > 0 ? formatDuration(total) : ""}</span>
            </div>
            {g.steps.length === 0 && g.planned.length === 0 && <div className="phase-empty muted small">{isFinished(run.status) ? "No steps ran in this phase" : "No steps in this phase yet"}</div>}
            <ul className="step-list">
              {g.steps.map((s) => {
                const d = stepDurationMs(s, now);
                const decision = decisionOf(s);
                const shown = shownStepStatus(s, run.status);
                const wait = shown === "waiting" ? waits.find((w) => w.step_id === s.id) : undefined;
                return (
                  <li key={s.id}>
                    <Link
                      to={`/p/${projectId}/runs/${run.id}/steps/${s.id}`}
                      className={`step-row is-${shown}${selectedStepId === s.id ? " is-selected" : ""}`}
                      data-testid="step-row"
                      data-step-key={s.step_id}
                      data-status={s.status}
                      data-shown={shown}
                      data-step-id={s.id}
                      aria-current={selectedStepId === s.id ? "true" : undefined}
                    >
                      <StatusIcon status={shown === "completed" && warningsOf(s).length > 0 ? "warning" : shown} />
                      <span className="step-main">
                        <span className="step-name">
                          {s.name === s.step_id && s.wait?.title ? s.wait.title : s.name}
                          <WarningIcon step={s} />
                        </span>
                        <span className="step-sub">
                          <code>{s.step_id}</code>
                          <span className="chip">{s.type}</span>
                          {s.session && <span className="chip">{s.session.agent}</span>}
                          {s.attempt > 1 && (s.attempts?.length ?? 0) < 2 && <span className="chip chip-warn">attempt {s.attempt}</span>}
                          {run.parent_run_id && s.started_at && s.started_at < run.created_at && (
                            <span className="chip" data-testid="step-reused" title="Its result was reused from the run this one was started from">
                              reused
                            </span>
                          )}
                          {s.continue_on_error && s.status === "failed" && <span className="chip">allowed to fail</span>}
                          <SnapshotCounts step={s} />
                        </span>
                        <StallLine step={s} now={now} />
                        {wait && (
                          <span className="step-wait" data-testid="step-wait">
                            {describeWait(wait, now)}
                          </span>
                        )}
                        {decision && <DecisionLine decision={decision} compact />}
                        {stepError(s) && !decision && <span className="step-error">{s.error_message}</span>}
                        <SkippedNote step={s} />
                        <TryTrail step={s} now={now} />
                      </span>
                      {shown === "not_run" ? (
                        <span className="step-time muted small" data-testid="step-not-run">
                          not run
                        </span>
                      ) : (
                        <span className="step-time">
                          <span className="step-duration">{formatDuration(d)}</span>
                          <span className="muted small">{formatClock(s.started_at)}</span>
                        </span>
                      )}
                    </Link>
                  </li>
                );
              })}
              {g.planned.map((p) => (
                <li key={`planned-${p.id}`}>
                  <div className="step-row is-planned" data-testid="step-planned" data-step-key={p.id} title={plannedText(run.status)}>
                    <StatusIcon status="planned" />
                    <span className="step-main">
                      <span className="step-name">{p.name ?? p.id}</span>
                      <span className="step-sub">
                        <code>{p.id}</code>
                        <span className="chip">{p.type}</span>
                      </span>
                    </span>
                    <span className="step-time muted small">{plannedText(run.status)}</span>
                  </div>
                </li>
              ))}
            </ul>
          </li>
        );
      })}
    </ol>
  );
}
