// The step drawer: the step's state, warnings, waits and tries, its agent session, its tabs
// (Log, Input, Output, Summary, Artifacts, and Changes in a worktree run) and its comments.

import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import type { RunDetail, StepDetail } from "../../api/types";
import { useNow } from "../../hooks/useNow";
import { useStep } from "../../hooks/useStep";
import { useStepLog } from "../../hooks/useStepLog";
import { downloadStepLog } from "../../lib/logDownload";
import { formatDateTime, formatDuration } from "../../lib/format";
import { stepDurationMs } from "../../lib/status";
import { stepError } from "../../lib/skipped";
import { decisionOf, describeWait, needsPerson } from "../../lib/waits";
import { DecisionLine } from "../run/WaitPanels";
import { RerunForm } from "../run/Reruns";
import { ArtifactsPane } from "../artifacts/ArtifactsPane";
import { CommentThread } from "../comments/CommentThread";
import { IconX } from "../Icons";
import { ErrorState, Loading } from "../States";
import { StatusBadge } from "../StatusBadge";
import { AgentSessionCard } from "./AgentSessionCard";
import { Attempts } from "./Attempts";
import { LogFileTab } from "./LogFileTab";
import { LogView } from "./LogView";
import { SkippedNote } from "./SkippedNote";
import { StallLine, WarningIcon, WarningList } from "./StepFlags";
import { hasSnapshot, StepChanges } from "../changes/Changes";

type Tab = "log" | "input" | "output" | "summary" | "artifacts" | "changes";
const ALL_TABS: { id: Tab; label: string }[] = [
  { id: "log", label: "Log" },
  { id: "input", label: "Input" },
  { id: "output", label: "Output" },
  { id: "summary", label: "Summary" },
  { id: "artifacts", label: "Artifacts" },
  { id: "changes", label: "Changes" },
];

interface Props {
  run: RunDetail;
  projectId: string;
  stepRowId: string;
  onClose: () => void;
}

function Body({ run, projectId, step, reload }: { run: RunDetail; projectId: string; step: StepDetail; reload: () => void }) {
  const [tab, setTab] = useState<Tab>("log");
  const [rerun, setRerun] = useState(false);
  const isAgent = step.type === "agent";
  const tries = (step.attempts ?? []).length > 1 ? (step.attempts ?? []).map((a) => a.attempt) : [];
  const log = useStepLog(step.id, isAgent, step.session?.agent ?? null, step.status !== "running", tries);
  const running = step.status === "running";
  const now = useNow(running || step.status === "waiting");
  const version = `${step.status}:${step.attempt}:${step.updated_at}`;
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  // "Changes" only for a step with a snapshot (a script or agent step of a worktree run).
  const TABS = hasSnapshot(step) ? ALL_TABS : ALL_TABS.filter((t) => t.id !== "changes");
  const summary = run.steps.find((s) => s.id === step.id);

  function onTabKey(e: KeyboardEvent, i: number) {
    const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!d) return;
    e.preventDefault();
    const j = (i + d + TABS.length) % TABS.length;
    setTab(TABS[j].id);
    tabRefs.current[j]?.focus();
  }

  return (
    <>
      <div className="panel-meta">
        <StatusBadge status={step.status} />
        <span className="chip">{step.type}</span>
        <WarningIcon step={step} />
        <span className="chip">{step.phase}</span>
        {step.attempt > 1 && <span className="chip chip-warn">attempt {step.attempt}</span>}
        <span className="muted small" title={formatDateTime(step.started_at)}>
          {formatDuration(stepDurationMs(step, now))}
        </span>
        <button type="button" className="btn btn-sm panel-rerun" data-testid="step-rerun" aria-expanded={rerun} onClick={() => setRerun((r) => !r)}>
          Rerun from here
        </button>
      </div>
      {rerun && <RerunForm run={run} projectId={projectId} fromStep={step.step_id} onClose={() => setRerun(false)} />}
      {step.status === "waiting" && step.wait && (
        <p className="notice notice-waiting" data-testid="step-panel-wait">
          {describeWait({ ...step.wait, step_id: step.id, step_key: step.step_id }, now)}
          {needsPerson(step.wait.kind) ? " — decide in the panel at the top of the run's page." : ""}
        </p>
      )}
      {decisionOf(step) && <DecisionLine decision={decisionOf(step)!} />}
      <SkippedNote step={step} block />
      <WarningList step={step} />
      {/* The run's copy of the step follows its output live (the panel's is read once). */}
      {summary && summary.status === "running" && <StallLine step={summary} now={now} className="notice notice-warn step-stall" />}
      {stepError(step) && !decisionOf(step) && (
        <p className="notice notice-error" role="alert">
          {step.error_message}
        </p>
      )}
      <Attempts stepRowId={step.id} attempts={step.attempts} />
      {isAgent && <AgentSessionCard session={step.session} entries={log.entries} />}
      <div className="tabs" role="tablist" aria-label="Step details">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`step-tab-${t.id}`}
            data-testid={`step-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`step-tabpanel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className={`tab${tab === t.id ? " is-active" : ""}`}
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {t.label}
            {t.id === "artifacts" && step.artifacts.length > 0 && <span className="count">{step.artifacts.length}</span>}
            {t.id === "changes" && step.snapshot && <span className="count">{step.snapshot.files_changed.length}</span>}
          </button>
        ))}
      </div>
      <div className="tabpanel" role="tabpanel" id={`step-tabpanel-${tab}`} aria-labelledby={`step-tab-${tab}`}>
        {tab === "log" &&
          (log.loading ? (
            <Loading inline label="Reading the log…" />
          ) : (
            <>
              {log.error && <p className="notice notice-error">Cannot read the step&apos;s log file: {log.error}</p>}
              <LogView
                entries={log.entries}
                running={running}
                isAgent={isAgent}
                emptyHint={
                  isAgent && step.session
                    ? "The agent is working; what it said before this page opened is not on disk yet. New messages appear here as they stream."
                    : undefined
                }
                onDownload={() => downloadStepLog(step.id, step.step_id, tries)}
              />
            </>
          ))}
        {(tab === "input" || tab === "output" || tab === "summary") && <LogFileTab stepRowId={step.id} type={tab} version={version} running={running} />}
        {tab === "changes" && hasSnapshot(step) && <StepChanges step={step} />}
        {tab === "artifacts" && <ArtifactsPane runId={run.id} stepRowId={step.id} artifacts={step.artifacts} onUploaded={reload} />}
      </div>
      <CommentThread
        runId={run.id}
        projectId={projectId}
        comments={step.comments}
        steps={run.steps}
        stepId={step.id}
        stepArtifacts={step.artifacts}
        onChanged={reload}
        title="Step comments"
      />
    </>
  );
}

/** The step drawer: Escape or the close button closes it; focus moves in and back. */
export function StepPanel({ run, projectId, stepRowId, onClose }: Props) {
  const step = useStep(stepRowId, run.id);
  const ref = useRef<HTMLElement>(null);
  const summary = run.steps.find((s) => s.id === stepRowId);

  useEffect(() => {
    const back = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    return () => back?.focus?.();
  }, [stepRowId]);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      // In a field with text, the first Escape leaves the field (a draft is not lost).
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT") && (t as HTMLInputElement).value) {
        t.blur();
        ref.current?.focus();
        return;
      }
      onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  return (
    <>
      <div className="panel-backdrop" onClick={onClose} aria-hidden="true" />
      <aside ref={ref} className="step-panel" data-testid="step-panel" role="dialog" aria-modal="false" aria-labelledby="step-panel-title" tabIndex={-1}>
        <header className="panel-head">
          <div className="panel-title">
            <h2 id="step-panel-title">{step.data?.name ?? summary?.name ?? "Step"}</h2>
            <code className="muted small">{step.data?.step_id ?? summary?.step_id}</code>
          </div>
          <button type="button" className="icon-btn" data-testid="step-close" aria-label="Close the step panel (Escape)" onClick={onClose}>
            <IconX />
          </button>
        </header>
        <div className="panel-body">
          {step.error ? (
            <ErrorState error={step.error} onRetry={() => step.reload()} title="Cannot load the step" />
          ) : !step.data ? (
            <Loading label="Loading the step…" />
          ) : (
            <Body run={run} projectId={projectId} step={step.data} reload={() => step.reload(true)} />
          )}
        </div>
      </aside>
    </>
  );
}
