// A run: its head and controls, its git worktree, spend, lineage, what it waits for, its steps (list or
// waterfall, `?view=`), comments and facts; a step's panel over it. The tab says the run's
// name and status (and the step's name with its panel open).

import { useCallback } from "react";
import { useLocation, useNavigate, useParams } from "react-router-dom";
import { getDefinition } from "../api/endpoints";
import type { ControlResult } from "../api/types";
import { CommentThread } from "../components/comments/CommentThread";
import { RunHeader } from "../components/run/RunHeader";
import { RunInfo } from "../components/run/RunInfo";
import { SpendPanel } from "../components/run/Spend";
import { RunLineage } from "../components/run/Reruns";
import { RunSteps } from "../components/run/RunSteps";
import { RunWorkspace } from "../components/run/RunWorkspace";
import { WaitPanels } from "../components/run/WaitPanels";
import { ErrorState, Loading } from "../components/States";
import { StepPanel } from "../components/step/StepPanel";
import { useAsync } from "../hooks/useAsync";
import { useNow } from "../hooks/useNow";
import { useRun } from "../hooks/useRun";
import { useDocumentTitle } from "../hooks/useDocumentTitle";
import { runTitle } from "../lib/runView";

export function RunPage() {
  const { projectId = "", runId = "", stepRowId } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const run = useRun(runId);
  const defId = run.data?.workflow_definition_id;
  const def = useAsync((signal) => (defId ? getDefinition(defId, { signal }) : Promise.resolve(undefined)), [defId]);
  // Clocks tick while the run runs or waits (a sleep's countdown, a gate's timeout).
  const now = useNow(run.data?.status === "running" || run.data?.status === "waiting");
  const { setData } = run;

  const onControlled = useCallback(
    (r: ControlResult) => setData((prev) => (prev ? { ...prev, status: r.status } : prev)),
    [setData],
  );
  // Closing the panel keeps the page's view (`?view=waterfall`).
  const search = location.search;
  const closePanel = useCallback(() => navigate(`/p/${projectId}/runs/${runId}${search}`), [navigate, projectId, runId, search]);
  const step = stepRowId ? run.data?.steps.find((s) => s.id === stepRowId) : undefined;
  useDocumentTitle(run.data ? runTitle(run.data, step?.name) : run.error ? "Run not found" : "Loading the run…");

  if (run.error && !run.data) {
    return (
      <div className="page">
        <ErrorState error={run.error} onRetry={() => run.reload()} title="Cannot load the run" />
      </div>
    );
  }
  if (!run.data) return <Loading label="Loading the run…" />;
  const r = run.data;
  const runComments = r.comments;

  return (
    <div className={`page page-run${stepRowId ? " has-panel" : ""}`}>
      <RunHeader run={r} projectId={projectId} now={now} onControlled={onControlled} />
      <RunWorkspace run={r} />
      <SpendPanel run={r} reload={() => run.reload(true)} />
      <RunLineage run={r} projectId={projectId} />
      <WaitPanels run={r} now={now} reload={() => run.reload(true)} />
      <div className="run-layout">
        <section className="run-main" aria-labelledby="timeline-title">
          <RunSteps run={r} projectId={projectId} planned={def.data?.steps ?? []} selectedStepId={stepRowId} now={now} />
          <CommentThread runId={r.id} projectId={projectId} comments={runComments} steps={r.steps} stepId={null} onChanged={() => run.reload(true)} title="Comments" />
        </section>
        <aside className="run-side" aria-label="Run details">
          <RunInfo run={r} projectId={projectId} definition={def.data} />
        </aside>
      </div>
      {stepRowId && <StepPanel key={stepRowId} run={r} projectId={projectId} stepRowId={stepRowId} onClose={closePanel} />}
    </div>
  );
}
